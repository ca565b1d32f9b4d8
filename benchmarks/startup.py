"""Start-up time, resident memory and a Telegram round trip of `chorus run`, on fresh installs.

Run: `.venv/bin/python benchmarks/startup.py [--runs N] [--roundtrips N] [--settle S]`.

1. Start-up (goal: at most 1.5 s). Each run starts the console script in an empty temporary
   directory with no token set, waits for the ready line on stderr, lets it settle, reads its
   resident memory, then closes stdin so the console platform ends and the process exits.
   The baseline is a bare interpreter start in the same environment, so the ratio shows what
   Chorus adds.
2. Memory with Telegram (goal: at most 120 MB). The local Telegram Bot API emulator of the
   tests (`tests/adapters/telegram/emulator`, Node.js) runs on a free loopback port; one
   `chorus run` with only CHORUS_TELEGRAM_TOKEN and CHORUS_TELEGRAM_API_URL set, in a fresh
   temporary directory (so a new SQLite under ./data), connects to it; once ready and settled
   its resident memory is read.
3. Round trip. A group's administrator sets up a campaign there (`/setup`), then sends
   `/campaign` there, 200 times; each round trip runs from posting the command to the
   emulator until the bot's reply to that chat is visible through the emulator's control API
   (polled every few milliseconds). It includes the emulator's update delivery to the bot's
   long poll, as on Telegram. The emulator's call log also tells when each reply reached it,
   which separates the bot's share from the polling's.

It takes about 20 s. Progress goes to stderr. Memory is in MB of 2**20 bytes (VmRSS, or
psutil off Linux). The last stdout line is
`startup_s=… rss_mb=… console_rss_mb=… roundtrip_ms_median=… roundtrip_p95_ms=…`.
The emulator is installed with `npm ci --prefix tests/adapters/telegram/emulator`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Any

import httpx

READY = "Chorus ready"
GOAL_S = 1.5
GOAL_RSS_MB = 120.0
ROOT = Path(__file__).resolve().parent.parent
EMULATOR = ROOT / "tests" / "adapters" / "telegram" / "emulator"
INSTALL_HINT = (
    "the Telegram Bot API emulator needs Node.js 18+ and its packages; install them with\n"
    "    npm ci --prefix tests/adapters/telegram/emulator"
)
# The emulator's test token (tests/adapters/telegram/conftest.py). It has the format that
# bot/settings.py requires of a Telegram token, so `chorus run` accepts it as it is.
TOKEN = "7000001:chorus-test-token-for-the-local-emulator"
GROUP: dict[str, Any] = {"id": -1001, "type": "supergroup", "title": "Bench group"}
ADMIN: dict[str, Any] = {"id": 101, "is_bot": False, "first_name": "Alice"}
STOP_WAIT_S = 10.0
BUSY_IDLE = 0.2  # share of one CPU above which an idle bot is not idle


class BenchmarkFailed(Exception):
    """Something the benchmark needs did not happen; the message says what, and why if known."""


class StartupFailed(BenchmarkFailed):
    """The process exited, or never said it was ready; the message carries its last words."""


# --- processes ------------------------------------------------------------------------------
class Output:
    """A process's output, read by a thread so a process that hangs silently cannot hang the
    benchmark (and a chatty one never blocks on a full pipe)."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._times: list[float] = []
        self._ended = False
        self._cursor = 0
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[str]) -> None:
        try:
            for line in stream:
                at = time.perf_counter()
                with self._changed:
                    self.lines.append(line.rstrip("\n"))
                    self._times.append(at)
                    self._changed.notify_all()
        except ValueError:  # the stream was closed under us, at clean-up
            pass
        finally:
            with self._changed:
                self._ended = True
                self._changed.notify_all()

    def wait_for(self, needle: str, timeout: float) -> tuple[float, str] | None:
        """The time (perf_counter) and text of the next line containing `needle`; None when the
        stream ends first. Raises TimeoutError after `timeout` seconds."""
        deadline = time.perf_counter() + timeout
        with self._changed:
            while True:
                while self._cursor < len(self.lines):
                    index = self._cursor
                    self._cursor += 1
                    if needle in self.lines[index]:
                        return self._times[index], self.lines[index]
                if self._ended:
                    return None
                left = deadline - time.perf_counter()
                if left <= 0:
                    raise TimeoutError
                self._changed.wait(left)

    def last_words(self, who: str, reason: str) -> str:
        with self._changed:
            tail = "\n".join(f"  {line}" for line in self.lines[-15:]) or "  (no output)"
        return f"{who} {reason}; its last output lines:\n{tail}"

    def join(self) -> bool:
        """Wait (boundedly) for the reader to finish; whether it has."""
        self._thread.join(timeout=5)
        return not self._thread.is_alive()


def spawn(command: Sequence[str], **options: Any) -> subprocess.Popen[str]:
    """`command` started with text pipes; a missing program is a BenchmarkFailed."""
    try:
        return subprocess.Popen(command, text=True, **options)
    except OSError as error:
        raise BenchmarkFailed(f"cannot start {command[0]}: {error}") from error


def stop(process: subprocess.Popen[str], *, end_input: bool = False) -> None:
    """Ask `process` to end (end of input, or SIGTERM), wait, kill it if it will not."""
    if process.poll() is None:
        try:
            if end_input and process.stdin is not None:
                process.stdin.close()
            else:
                process.terminate()
        except (BrokenPipeError, ProcessLookupError):
            pass
        try:
            process.wait(timeout=STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            print(f"pid {process.pid} did not stop in {STOP_WAIT_S:.0f} s: killed", file=sys.stderr)
            process.kill()
            process.wait()
    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()


@contextlib.contextmanager
def running(
    command: Sequence[str], *, end_input: bool = False, **options: Any
) -> Iterator[tuple[subprocess.Popen[str], Output]]:
    """`command` running with its stderr (or merged output) read by an `Output`; always
    stopped on the way out, errors and interrupts included."""
    process = spawn(command, **options)
    stream = process.stderr if process.stderr is not None else process.stdout
    assert stream is not None, "running() needs stderr or stdout piped"
    output: Output | None = None
    try:
        output = Output(stream)
        yield process, output
    finally:
        stop(process, end_input=end_input)
        # The reader sees the end of the stream once the process is gone; close it after.
        if output is None or output.join():
            stream.close()


def wait_ready(process: subprocess.Popen[str], output: Output, timeout: float) -> float:
    """When (perf_counter) `chorus run` logged its ready line."""
    try:
        found = output.wait_for(READY, timeout)
    except TimeoutError:
        raise StartupFailed(
            output.last_words("chorus run", f"not ready after {timeout:.0f} s")
        ) from None
    if found is None:
        code = process.wait()
        raise StartupFailed(output.last_words("chorus run", f"exited with code {code}"))
    return found[0]


def chorus_command() -> list[str]:
    """The `chorus` console script next to this interpreter, else `python -m bot`."""
    script = Path(sys.executable).with_name("chorus")
    if script.is_file():
        return [str(script), "run"]
    return [sys.executable, "-m", "bot", "run"]


def without_chorus_settings() -> dict[str, str]:
    """This environment without any CHORUS_ setting."""
    return {name: value for name, value in os.environ.items() if not name.startswith("CHORUS_")}


def clean_environment(directory: Path) -> dict[str, str]:
    """This environment without any CHORUS_ setting, and a database inside `directory`."""
    env = without_chorus_settings()
    env["CHORUS_DATABASE_URL"] = f"sqlite+aiosqlite:///{directory / 'data' / 'chorus.db'}"
    env["CHORUS_LOG_LEVEL"] = "INFO"
    return env


# --- memory ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Memory:
    """A process's resident memory in MB, and where it is (as far as the OS tells)."""

    rss_mb: float
    detail: str


def memory_of(process: subprocess.Popen[str]) -> Memory:
    """The resident memory of a running `process`: /proc on Linux, psutil elsewhere."""
    if process.poll() is not None:
        raise BenchmarkFailed(f"pid {process.pid} exited before its memory was read")
    proc = Path(f"/proc/{process.pid}")
    if not (proc / "status").is_file():
        psutil = importlib.import_module("psutil")  # untyped; /proc is the usual way
        rss = int(psutil.Process(process.pid).memory_info().rss)
        return Memory(rss / 2**20, "psutil rss")
    status = _kilobytes(proc / "status")
    parts = [
        f"{label} {status[key] / 1024:.1f}"
        for label, key in (("anon", "RssAnon"), ("file", "RssFile"), ("shmem", "RssShmem"))
        if key in status
    ]
    rollup = _kilobytes(proc / "smaps_rollup")
    if "Pss" in rollup:
        private = rollup.get("Private_Clean", 0) + rollup.get("Private_Dirty", 0)
        parts.append(f"pss {rollup['Pss'] / 1024:.1f}")
        parts.append(f"uss {private / 1024:.1f}")
    parts.append(f"threads {_threads(proc / 'status')}")
    return Memory(status["VmRSS"] / 1024, ", ".join(parts))


def _kilobytes(path: Path) -> dict[str, int]:
    """The `Name: 1234 kB` fields of a /proc file (empty when it cannot be read)."""
    try:
        text = path.read_text()
    except OSError:
        return {}
    fields: dict[str, int] = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        number, _, unit = value.strip().partition(" ")
        if unit == "kB" and number.isdigit():
            fields[name] = int(number)
    return fields


def cpu_seconds(process: subprocess.Popen[str]) -> float | None:
    """The CPU time (user and system) `process` has used so far; None off Linux."""
    try:
        stat = Path(f"/proc/{process.pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after the command name: state, ppid, …
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _threads(status: Path) -> str:
    for line in status.read_text().splitlines():
        if line.startswith("Threads:"):
            return line.split(":", 1)[1].strip()
    return "?"


# --- 1. start-up on the console -------------------------------------------------------------
@dataclass(frozen=True)
class ConsoleRun:
    seconds: float
    memory: Memory


def time_to_ready(command: Sequence[str], timeout: float, settle: float = 0.0) -> ConsoleRun:
    """Seconds from spawning `command` to its ready line, and its memory `settle` s later;
    the process is stopped afterwards."""
    with tempfile.TemporaryDirectory(prefix="chorus-startup-") as temporary:
        directory = Path(temporary)
        started = time.perf_counter()
        with running(
            command,
            end_input=True,  # end of input ends the console platform; a kill is the fallback
            cwd=directory,
            env=clean_environment(directory),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        ) as (process, output):
            seconds = wait_ready(process, output, started + timeout - time.perf_counter()) - started
            time.sleep(settle)
            return ConsoleRun(seconds, memory_of(process))


def interpreter_start() -> float:
    """Baseline: one bare interpreter start, in seconds."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - started


# --- 2. and 3. Telegram through the emulator ------------------------------------------------
def find_node() -> str:
    """Node.js, checked with the emulator's packages (before anything is timed)."""
    node = shutil.which("node")
    if node is None:
        raise BenchmarkFailed("`node` is not on PATH: " + INSTALL_HINT)
    if not (EMULATOR / "node_modules" / "telegram-test-api").is_dir():
        raise BenchmarkFailed(f"the emulator's packages are missing in {EMULATOR}: {INSTALL_HINT}")
    return node


@contextlib.contextmanager
def emulator(node: str) -> Iterator[str]:
    """The local Telegram Bot API emulator, running; its root URL."""
    with running(
        [node, "emulator.js"],
        cwd=EMULATOR,
        env={**os.environ, "TG_EMU_TOKENS": TOKEN},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    ) as (_, output):
        try:
            found = output.wait_for("listening on ", 15)
        except TimeoutError:
            found = None
        if found is None:
            raise BenchmarkFailed(
                output.last_words("the emulator", "did not start") + "\n" + INSTALL_HINT
            )
        yield found[1].split("listening on ", 1)[1].strip()


@dataclass(frozen=True)
class TelegramRun:
    startup_s: float
    idle_cpu: float | None  # share of one CPU used while settling, before any command
    memory: Memory
    memory_after: Memory
    roundtrips_ms: list[float]
    setup_ms: float
    extra_replies: int
    calls_per_command: dict[str, float]
    # When each reply's sendMessage reached the emulator, after its command was posted (ms).
    sent_after_ms: list[float]
    logged_lines: int
    complaints: list[str]


class Chat:
    """The emulator's control API, as one group's administrator sees it."""

    def __init__(self, http: httpx.Client, poll_s: float, wait_s: float) -> None:
        self.http = http
        self.poll_s = poll_s
        self.wait_s = wait_s
        self.posted_ms: list[float] = []  # wall clock, as the emulator's call log has it

    def control(self, path: str, body: Mapping[str, Any]) -> Any:
        response = self.http.post(path, json=body)
        response.raise_for_status()
        return response.json().get("result")

    def prepare(self) -> None:
        """The group exists, the bot is a member, Alice is an administrator."""
        self.control("/setChat", {"chat": GROUP, "botStatus": "member"})
        body = {"chat_id": GROUP["id"], "user": ADMIN, "status": "administrator"}
        self.control("/setMember", body)

    def roundtrip(self, text: str) -> tuple[float, list[str]]:
        """Milliseconds from posting `text` to the bot's reply being visible; what it sent."""
        name = text.split(maxsplit=1)[0]
        body = {
            "botToken": TOKEN,
            "from": ADMIN,
            "chat": GROUP,
            "date": int(time.time()),
            "text": text,
            "entities": [{"offset": 0, "length": len(name), "type": "bot_command"}],
        }
        unread = {"token": TOKEN, "chatId": GROUP["id"]}
        self.posted_ms.append(time.time() * 1000)
        started = time.perf_counter()
        self.control("/sendCommand", body)
        deadline = started + self.wait_s
        while True:
            replies = self.control("/getUpdates", unread)
            if replies:
                elapsed = time.perf_counter() - started
                return elapsed * 1000, [str(item["message"].get("text", "")) for item in replies]
            if time.perf_counter() > deadline:
                raise BenchmarkFailed(f"no reply to {text!r} within {self.wait_s:.0f} s")
            time.sleep(self.poll_s)

    def calls(self) -> list[dict[str, Any]]:
        """The Bot API calls the emulator received (getUpdates aside), in order."""
        calls: list[dict[str, Any]] = self.control("/calls", {})
        return calls


def telegram_run(
    command: Sequence[str], url: str, *, runs: int, settle: float, poll_s: float, timeout: float
) -> TelegramRun:
    """`chorus run` on the emulator: its memory once ready, then `runs` round trips."""
    with tempfile.TemporaryDirectory(prefix="chorus-telegram-") as temporary:
        env = without_chorus_settings()
        env |= {
            "CHORUS_TELEGRAM_TOKEN": TOKEN,
            "CHORUS_TELEGRAM_API_URL": url,
            "PTB_TIMEDELTA": "true",
        }
        started = time.perf_counter()
        with (
            running(
                command,
                cwd=temporary,  # so the default ./data/chorus.db is a new database
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            ) as (process, output),
            httpx.Client(base_url=url, timeout=5.0) as http,
        ):
            startup_s = wait_ready(process, output, timeout) - started
            cpu_before = cpu_seconds(process)
            time.sleep(settle)
            cpu_after = cpu_seconds(process)
            memory = memory_of(process)
            idle_cpu = None
            if cpu_before is not None and cpu_after is not None and settle > 0:
                idle_cpu = (cpu_after - cpu_before) / settle
            print(f"telegram: ready in {startup_s:.3f} s; {memory.rss_mb:.1f} MB", file=sys.stderr)
            chat = Chat(http, poll_s, wait_s=timeout)
            logged = len(output.lines)
            try:
                chat.prepare()
                setup_ms, setup = chat.roundtrip('/setup name:"Bench" timezone:Europe/Paris')
                if not any("Bench" in text for text in setup):
                    raise BenchmarkFailed(f"/setup did not start the campaign: {setup}")
                earlier = len(chat.calls())
                timings: list[float] = []
                extra = 0
                for number in range(1, runs + 1):
                    ms, replies = chat.roundtrip("/campaign")
                    if number == 1 and "Bench" not in replies[0]:
                        raise BenchmarkFailed(f"/campaign did not show the campaign: {replies}")
                    timings.append(ms)
                    extra += len(replies) - 1
                    if number % 50 == 0:
                        print(f"telegram: {number} round trips", file=sys.stderr)
                calls = chat.calls()[earlier:]
            except (BenchmarkFailed, httpx.HTTPError) as error:
                reason = f"failed the round trips ({error.__class__.__name__}: {error})"
                raise BenchmarkFailed(output.last_words("chorus run on Telegram", reason)) from None
            memory_after = memory_of(process)
            complaints = [
                line
                for line in output.lines[logged:]
                if " WARNING " in line or " ERROR " in line or "Traceback" in line
            ]
    counts = Counter(str(call["method"]) for call in calls)
    per_command = {method: count / runs for method, count in counts.items()}
    sends = [call for call in calls if call["method"] == "sendMessage"]
    sent_after_ms = []
    if len(sends) == runs:  # one reply per command, so they pair up in order
        sent_after_ms = [
            float(call["t"]) - posted
            for call, posted in zip(sends, chat.posted_ms[-runs:], strict=True)
        ]
    return TelegramRun(
        startup_s=startup_s,
        idle_cpu=idle_cpu,
        memory=memory,
        memory_after=memory_after,
        roundtrips_ms=timings,
        setup_ms=setup_ms,
        extra_replies=extra,
        calls_per_command=per_command,
        sent_after_ms=sent_after_ms,
        logged_lines=len(output.lines) - logged,
        complaints=complaints,
    )


def percentile(values: Sequence[float], share: float) -> float:
    """The `share` quantile (0..1) of `values`, interpolated; the value itself for one."""
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


# --- the whole benchmark --------------------------------------------------------------------
def _interrupted(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # so SIGTERM, like Ctrl-C, stops every subprocess on the way out


def main() -> int:
    signal.signal(signal.SIGTERM, _interrupted)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="how many console starts to time")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait per start")
    parser.add_argument("--roundtrips", type=int, default=200, help="Telegram round trips")
    parser.add_argument(
        "--settle", type=float, default=1.0, help="seconds after ready before reading memory"
    )
    parser.add_argument(
        "--poll-ms", type=float, default=3.0, help="how often to look for the bot's reply"
    )
    options = parser.parse_args()
    if options.runs < 1 or options.roundtrips < 1:
        parser.error("--runs and --roundtrips must be at least 1")

    command = chorus_command()
    print(f"command: {' '.join(command)}", file=sys.stderr)
    try:
        node = find_node()  # first: a missing emulator fails before anything is timed
        baseline = statistics.median(interpreter_start() for _ in range(options.runs))
        console: list[ConsoleRun] = []
        for number in range(1, options.runs + 1):
            try:
                run = time_to_ready(command, options.timeout, options.settle)
            except StartupFailed as error:
                raise StartupFailed(f"run {number}: {error}") from None
            console.append(run)
            print(
                f"run {number}: {run.seconds:.3f} s, {run.memory.rss_mb:.1f} MB"
                f" ({run.memory.detail})",
                file=sys.stderr,
            )
        with emulator(node) as url:
            print(f"emulator: {url}", file=sys.stderr)
            telegram = telegram_run(
                command,
                url,
                runs=options.roundtrips,
                settle=options.settle,
                poll_s=options.poll_ms / 1000,
                timeout=options.timeout,
            )
    except BenchmarkFailed as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("benchmark interrupted; its processes are stopped", file=sys.stderr)
        return 130

    startup = statistics.median(run.seconds for run in console)
    console_rss = statistics.median(run.memory.rss_mb for run in console)
    rss = telegram.memory.rss_mb
    timings = telegram.roundtrips_ms
    median_ms = statistics.median(timings)
    p95_ms = percentile(timings, 0.95)
    log = sys.stderr
    print(f"telegram memory once ready: {rss:.1f} MB ({telegram.memory.detail})", file=log)
    if telegram.idle_cpu is not None:
        print(f"telegram, idle once ready: {telegram.idle_cpu:.0%} of one CPU", file=log)
        if telegram.idle_cpu > BUSY_IDLE:
            print(
                "surprise: the bot is busy while idle; its getUpdates long poll seems to"
                " return at once (a busy loop), which loads the machine during the round trips",
                file=log,
            )
    after = telegram.memory_after
    print(
        f"telegram memory after the round trips: {after.rss_mb:.1f} MB ({after.detail})", file=log
    )
    print(
        f"round trips: {len(timings)}, min {min(timings):.1f} ms, max {max(timings):.1f} ms,"
        f" first {timings[0]:.1f} ms; /setup took {telegram.setup_ms:.1f} ms",
        file=log,
    )
    calls = ", ".join(f"{m} {n:.2f}" for m, n in sorted(telegram.calls_per_command.items()))
    print(f"Bot API calls per /campaign (getUpdates aside): {calls or 'none'}", file=log)
    if telegram.sent_after_ms:
        print(
            "the reply reached the emulator (sendMessage) a median"
            f" {statistics.median(telegram.sent_after_ms):.1f} ms after the command was posted"
            " (ms clock)",
            file=log,
        )
    print(f"chorus logged {telegram.logged_lines} lines during the round trips", file=log)
    if telegram.extra_replies:
        print(f"surprise: {telegram.extra_replies} replies beyond one per command", file=log)
    for line in telegram.complaints[:10]:
        print(f"chorus logged: {line}", file=log)
    print(f"python_startup_s={baseline:.3f} (baseline)", file=log)
    print(f"ratio_to_baseline={startup / baseline:.1f}", file=log)
    verdict = "within" if startup <= GOAL_S else "over"
    print(f"start-up goal: at most {GOAL_S} s; {verdict} it", file=log)
    verdict = "within" if rss <= GOAL_RSS_MB else "over"
    print(f"memory goal with Telegram: at most {GOAL_RSS_MB:.0f} MB; {verdict} it", file=log)
    print(
        f"startup_s={startup:.3f} rss_mb={rss:.1f} console_rss_mb={console_rss:.1f}"
        f" roundtrip_ms_median={median_ms:.1f} roundtrip_p95_ms={p95_ms:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
