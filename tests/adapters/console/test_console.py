"""The console platform end to end: lines in, plain text out, exit at the end of input."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from bot.app import Terminal, serve
from bot.settings import Settings


async def test_piped_commands_are_answered_and_the_end_of_input_stops_chorus(
    settings: Settings,
) -> None:
    stdin = io.StringIO('/help\n/setup name:"Keep 4o" timezone:Europe/Paris\n/campaign\n')
    stdout = io.StringIO()

    code = await serve(settings, force_console=True, terminal=Terminal(stdin, stdout, False))

    printed = stdout.getvalue()
    assert code == 0
    assert "/setup — Start a campaign here" in printed
    assert "The campaign Keep 4o starts here" in printed
    assert "Places: 0 on Discord, 0 on Telegram, 1 on the console" in printed


def test_chorus_run_with_no_tokens_is_the_console_and_exits_zero(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHORUS_")}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        input="/help\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=30,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "/help — List the commands you can use here" in result.stdout
    assert (tmp_path / "data" / "chorus.db").exists()
