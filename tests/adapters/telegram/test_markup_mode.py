"""Telegram messages go in HTML mode only: no Markdown mode whose escaping can be forgotten."""

from __future__ import annotations

import re
from pathlib import Path

from telegram.constants import ParseMode

from bot.adapters.telegram.render import PARSE_MODE

TELEGRAM_ADAPTER = Path(__file__).resolve().parents[3] / "bot" / "adapters" / "telegram"


def test_every_message_is_sent_in_html_mode() -> None:
    assert PARSE_MODE == ParseMode.HTML


def test_no_markdown_mode_or_markdown_escaping_is_used_anywhere_in_the_adapter() -> None:
    # Markdown (v1) cannot escape everything, and MarkdownV2 needs `version=2` on every
    # escape_markdown call: a forgotten one breaks a send on the first `.` or `!`.
    markdown = re.compile(r"ParseMode\.MARKDOWN|parse_mode=\"Markdown|escape_markdown\(")
    offenders = [
        f"{path.name}:{number}"
        for path in sorted(TELEGRAM_ADAPTER.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if markdown.search(line)
    ]
    assert offenders == []
