#!/usr/bin/env python3
"""Set up and run Chorus, or its checks, with nothing but Python 3.11+.

    python3 dev.py run     # create .venv, install Chorus, run it (console when no token is set)
    python3 dev.py test    # create .venv, install Chorus and its test tools, run every check

Each step is skipped when it is already done, so both commands are cheap to repeat.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
EMULATOR = ROOT / "tests" / "adapters" / "telegram" / "emulator"

if sys.version_info < (3, 11):  # noqa: UP036 - this file must still run to say so
    sys.exit("Chorus needs Python 3.11 or newer; this is " + sys.version.split()[0])


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def run(*command: str | Path, cwd: Path = ROOT) -> None:
    completed = subprocess.run([str(part) for part in command], cwd=cwd, check=False)
    if completed.returncode != 0:
        sys.exit(completed.returncode)


def ensure_environment(extra: str) -> None:
    """A virtual environment with Chorus installed (editable) and `extra` tools."""
    if not PYTHON.exists():
        step("creating the virtual environment in .venv")
        venv.create(VENV, with_pip=True)
    stamp = VENV / f".installed-{extra or 'base'}"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    if not _has_pip():  # a virtual environment left half-made (interrupted while created)
        step("re-creating the incomplete virtual environment in .venv")
        venv.create(VENV, with_pip=True, clear=True)
    step("installing Chorus" + (f" with its {extra} tools" if extra else ""))
    target = f".[{extra}]" if extra else "."
    run(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", target)
    stamp.write_text(wanted)


def _has_pip() -> bool:
    checked = subprocess.run([PYTHON, "-m", "pip", "--version"], capture_output=True, check=False)
    return checked.returncode == 0


def ensure_emulator() -> None:
    """The Telegram Bot API emulator the Telegram tests talk to (needs Node.js and npm)."""
    if not (EMULATOR / "package.json").exists() or (EMULATOR / "node_modules").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        step("Node.js/npm not found: the Telegram emulator tests will be skipped")
        return
    step("installing the Telegram Bot API emulator")
    run(npm, "ci", "--silent", "--no-audit", "--no-fund", cwd=EMULATOR)


def command_run(arguments: list[str]) -> None:
    ensure_environment("")
    chorus = BIN / ("chorus.exe" if os.name == "nt" else "chorus")
    os.execv(chorus, [str(chorus), "run", *arguments])


def command_test(arguments: list[str]) -> None:
    ensure_environment("dev")
    ensure_emulator()
    step("ruff check")
    run(PYTHON, "-m", "ruff", "check", ".")
    step("ruff format --check")
    run(PYTHON, "-m", "ruff", "format", "--check", ".")
    step("mypy --strict")
    run(PYTHON, "-m", "mypy")
    step("pytest")
    run(PYTHON, "-m", "pytest", *arguments)


def main() -> None:
    commands = {"run": command_run, "test": command_test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
