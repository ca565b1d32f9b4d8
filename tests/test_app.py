"""The composition root: which platforms start, what a failure does, and a clean stop."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot import exit_codes
from bot.adapters.console.adapter import ConsoleAdapter
from bot.app import Core, Terminal, build_core, running, serve
from bot.core.errors import ConfigError
from bot.platforms import PlatformPlan
from bot.settings import Settings
from storage.database import Database
from tests.dialogue import ScriptedLines
from tests.fakes import FakeClock


class RefusedAdapter(ConsoleAdapter):
    """A platform whose start fails the way a refused token does."""

    async def start(self) -> None:
        raise ConfigError("Telegram refused the token: Unauthorized")


def console_plan(core: Core, adapter_type: type[ConsoleAdapter], name: str) -> PlatformPlan:
    def build() -> ConsoleAdapter:
        return adapter_type(
            dispatcher=core.dispatcher,
            catalogues=core.catalogues,
            lines=ScriptedLines(),
            stdout=io.StringIO(),
            attachments_dir=Path("files"),
            on_end_of_input=lambda: None,
        )

    return PlatformPlan(name, build)


async def test_one_refused_platform_stops_everything_by_default(core: Core) -> None:
    plans = [
        console_plan(core, RefusedAdapter, "telegram"),
        console_plan(core, ConsoleAdapter, "console"),
    ]

    with pytest.raises(ConfigError, match="refused the token"):
        async with running(core, plans):
            pass


async def test_without_fail_fast_the_other_platforms_keep_running(
    settings: Settings, db: Database, clock: FakeClock
) -> None:
    lenient = settings.model_copy(update={"fail_fast": False})
    core = build_core(lenient, db, clock)
    plans = [
        console_plan(core, RefusedAdapter, "telegram"),
        console_plan(core, ConsoleAdapter, "console"),
    ]

    async with running(core, plans) as started:
        assert [adapter.platform.value for adapter in started] == ["console"]
        assert core.ticker.running


async def test_a_malformed_token_is_refused_with_its_reason(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    broken = settings.model_copy(update={"telegram_token": SecretStr("not-a-token")})
    terminal = Terminal(io.StringIO(), io.StringIO(), False)

    code = await serve(broken, force_console=False, terminal=terminal)

    assert code == exit_codes.SETTINGS
    assert "Telegram token refused: a Telegram token looks like 123456789:AA…" in caplog.text
    assert "not-a-token" not in caplog.text


def test_sigterm_stops_chorus_cleanly(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHORUS_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if "Chorus ready" in line:
            break
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=20)

    assert process.returncode == 0
    assert "Chorus stopped" in err
