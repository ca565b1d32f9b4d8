"""Time from `chorus run` to "Chorus ready" on a fresh install (console platform, new SQLite).

Run: `.venv/bin/python benchmarks/startup.py [--runs N] [--timeout S]`. Each run starts the
console script in an empty temporary directory with no token set, waits for the ready line on
stderr, then closes stdin so the console platform ends and the process exits. The baseline is
a bare interpreter start in the same environment, so the ratio shows what Chorus adds.
The last stdout line is `startup_s=<median seconds>` (goal: at most 1.5).
"""

from __future__ import annotations

import argparse
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

READY = "Chorus ready"
GOAL_S = 1.5


class StartupFailed(Exception):
    """The process exited, or never said it was ready; the message carries its last words."""


def chorus_command() -> list[str]:
    """The `chorus` console script next to this interpreter, else `python -m bot`."""
    script = Path(sys.executable).with_name("chorus")
    if script.is_file():
        return [str(script), "run"]
    return [sys.executable, "-m", "bot", "run"]


def clean_environment(directory: Path) -> dict[str, str]:
    """This environment without any CHORUS_ setting, and a database inside `directory`."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("CHORUS_")}
    env["CHORUS_DATABASE_URL"] = f"sqlite+aiosqlite:///{directory / 'data' / 'chorus.db'}"
    env["CHORUS_LOG_LEVEL"] = "INFO"
    return env


def _pump(stream: IO[str], lines: queue.Queue[tuple[float, str | None]]) -> None:
    for line in stream:
        lines.put((time.perf_counter(), line))
    lines.put((time.perf_counter(), None))


def time_to_ready(command: Sequence[str], timeout: float) -> float:
    """Seconds from spawning `command` to its ready line; the process is stopped afterwards."""
    with tempfile.TemporaryDirectory(prefix="chorus-startup-") as temporary:
        directory = Path(temporary)
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=directory,
            env=clean_environment(directory),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stderr is not None
        assert process.stdin is not None
        lines: queue.Queue[tuple[float, str | None]] = queue.Queue()
        # A thread, so a process that hangs without writing cannot hang the benchmark.
        reader = threading.Thread(target=_pump, args=(process.stderr, lines), daemon=True)
        reader.start()
        seen: list[str] = []
        try:
            deadline = started + timeout
            while True:
                try:
                    at, line = lines.get(timeout=max(0.0, deadline - time.perf_counter()))
                except queue.Empty:
                    raise StartupFailed(
                        _last_words(f"not ready after {timeout:.0f} s", seen)
                    ) from None
                if line is None:
                    code = process.wait()
                    raise StartupFailed(_last_words(f"exited with code {code}", seen))
                seen.append(line.rstrip())
                if READY in line:
                    return at - started
        finally:
            _stop(process)
            reader.join(timeout=5)


def _stop(process: subprocess.Popen[str]) -> None:
    """End of input ends the console platform; a kill is the fallback, not the plan."""
    assert process.stdin is not None
    try:
        process.stdin.close()
        process.wait(timeout=10)
    except (subprocess.TimeoutExpired, BrokenPipeError):
        process.kill()
        process.wait()


def _last_words(reason: str, seen: list[str]) -> str:
    tail = "\n".join(f"  {line}" for line in seen[-15:]) or "  (nothing on stderr)"
    return f"chorus run {reason}; its last stderr lines:\n{tail}"


def interpreter_start() -> float:
    """Baseline: one bare interpreter start, in seconds."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="how many starts to time")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait per start")
    options = parser.parse_args()

    command = chorus_command()
    print(f"command: {' '.join(command)}")
    baseline = statistics.median(interpreter_start() for _ in range(options.runs))
    timings = []
    for number in range(1, options.runs + 1):
        try:
            seconds = time_to_ready(command, options.timeout)
        except StartupFailed as error:
            print(f"run {number}: {error}", file=sys.stderr)
            return 1
        timings.append(seconds)
        print(f"run {number}: {seconds:.3f} s")
    median = statistics.median(timings)
    print(f"python_startup_s={baseline:.3f} (baseline)")
    print(f"ratio_to_baseline={median / baseline:.1f}")
    verdict = "within" if median <= GOAL_S else "over"
    print(f"goal: at most {GOAL_S} s; {verdict} it")
    print(f"startup_s={median:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
