"""No token reaches the log, whichever logger, level or traceback carries it."""

from __future__ import annotations

import logging

import httpx
import pytest

from bot.core.redaction import REDACTED, Redactor
from bot.logs import QUIET_LOGGERS, ChorusHandler, RedactingFilter, setup_logging

TELEGRAM = "7301234567:AAHfRlBq2xQ_secretsecret-SECRETsecret12"
DISCORD = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"
INSTALL_SECRET = "pseudonym-key-do-not-share"


pytestmark = pytest.mark.usefixtures("restore_logging")


def test_a_request_url_logged_by_httpx_shows_no_token(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("DEBUG", [TELEGRAM])
    # Someone lowers httpx to see its requests: its own INFO line carries the URL.
    logging.getLogger("httpx").setLevel(logging.DEBUG)
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"ok": True}))
    with httpx.Client(transport=transport) as client:
        client.post(f"https://api.telegram.org/bot{TELEGRAM}/getUpdates")
    err = capsys.readouterr().err
    assert "HTTP Request: POST" in err
    assert f"/bot{REDACTED}/getUpdates" in err
    assert TELEGRAM not in err


def test_a_token_in_arguments_at_debug_is_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("DEBUG", [TELEGRAM, DISCORD])
    url = httpx.URL(f"https://api.telegram.org/bot{TELEGRAM}/sendMessage")
    logging.getLogger("telegram.ext.ExtBot").debug("Calling %s with %r", url, {"auth": DISCORD})
    err = capsys.readouterr().err
    assert "telegram.ext.ExtBot" in err
    assert TELEGRAM not in err
    assert DISCORD not in err


def test_a_token_in_a_traceback_is_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("INFO", [TELEGRAM])
    log = logging.getLogger("bot.adapters.telegram")
    try:
        try:
            raise ConnectionError(f"https://api.telegram.org/bot{TELEGRAM}/getMe timed out")
        except ConnectionError as error:
            raise RuntimeError(f"cannot start with {TELEGRAM}") from error
    except RuntimeError:
        log.exception("Telegram did not start")
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert "ConnectionError" in err
    assert "Telegram did not start" in err
    assert TELEGRAM not in err


def test_token_shapes_are_redacted_even_when_not_configured(
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_logging("INFO", [])
    logging.getLogger("chorus").warning("tokens %s and %s", TELEGRAM, DISCORD)
    err = capsys.readouterr().err
    assert TELEGRAM not in err
    assert DISCORD not in err
    assert err.count(REDACTED) == 2


def test_a_configured_secret_of_any_shape_is_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("INFO", [INSTALL_SECRET])
    logging.getLogger("chorus").info("key=%s", INSTALL_SECRET)
    err = capsys.readouterr().err
    assert INSTALL_SECRET not in err
    assert f"key={REDACTED}" in err


def test_ordinary_text_is_left_alone(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("INFO", [TELEGRAM])
    text = "wave at 12:30 in bot.adapters.discord.sender, see https://example.org/a.b.c"
    logging.getLogger("chorus").info(text)
    assert text in capsys.readouterr().err


def test_setting_up_twice_keeps_one_handler_with_the_new_level(
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_logging("DEBUG", [])
    setup_logging("WARNING", [INSTALL_SECRET])
    root = logging.getLogger()
    assert sum(isinstance(handler, ChorusHandler) for handler in root.handlers) == 1
    assert root.level == logging.WARNING
    logging.getLogger("chorus").warning("once %s", INSTALL_SECRET)
    err = capsys.readouterr().err
    assert err.count("once") == 1
    assert INSTALL_SECRET not in err


def test_arguments_that_do_not_fit_the_format_are_kept_redacted_without_raising() -> None:
    # Called directly: pytest's own capture handler would fail on this record first.
    record = logging.LogRecord(
        "chorus", logging.INFO, __file__, 1, "one %s, two %s", (TELEGRAM,), None
    )
    assert RedactingFilter(Redactor([])).filter(record)
    message = record.getMessage()
    assert message.startswith("one %s, two %s")
    assert TELEGRAM not in message


def test_httpx_stays_at_warning_whatever_the_level() -> None:
    setup_logging("DEBUG", [])
    assert all(logging.getLogger(name).level == logging.WARNING for name in QUIET_LOGGERS)
