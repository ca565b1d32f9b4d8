"""Rich text as Telegram HTML: every piece of user text escaped, lengths in UTF-16 units."""

from __future__ import annotations

import html
from collections.abc import Sequence

from bot.core.render import MarkupRenderer, utf16_length
from bot.core.richtext import Block, Mention

# Telegram's limits, counted in UTF-16 code units after the markup is parsed. Pages are
# measured on the markup itself, which is never shorter, so a page that fits here fits there.
MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
# The text of an answer to a button press (a toast or an alert): plain text only.
ALERT_LIMIT = 200
PARSE_MODE = "HTML"


class TelegramRenderer(MarkupRenderer):
    """Telegram's HTML parse mode: <b>, <i>, <code>, <a href> (http and https only), quotes."""

    def escape(self, text: str) -> str:
        # Telegram's HTML knows &lt; &gt; &amp; and &quot;: html.escape produces nothing else
        # in text (quotes stay literal there; attributes escape them, see `link`).
        return html.escape(text, quote=False)

    def bold(self, inner: str) -> str:
        return f"<b>{inner}</b>"

    def italic(self, inner: str) -> str:
        return f"<i>{inner}</i>"

    def code(self, text: str) -> str:
        return f"<code>{self.escape(text)}</code>"

    def link(self, url: str, inner: str) -> str:
        # The base class only calls this for http(s) URLs; `quote=True` keeps the attribute
        # closed whatever the URL holds.
        return f'<a href="{html.escape(url, quote=True)}">{inner}</a>'

    def quote(self, inner: str) -> str:
        return f"<blockquote>{inner}</blockquote>"

    def mention(self, node: Mention) -> str:
        """A Telegram user as a link to their profile: Telegram notifies that user only."""
        if node.platform == "telegram" and node.user_id.isdigit():
            return f'<a href="tg://user?id={node.user_id}">{self.escape(node.fallback_name)}</a>'
        return self.escape(node.fallback_name)

    def pages(self, document: Sequence[Block], limit: int = MESSAGE_LIMIT) -> list[str]:
        """The document as messages of at most `limit` UTF-16 units, cut on safe boundaries."""
        return self.render_pages(document, limit, utf16_length)
