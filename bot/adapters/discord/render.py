"""Rich text as Discord Markdown: user text escaped and inert, times as Discord timestamps."""

from __future__ import annotations

import re
from collections.abc import Sequence

import discord

from bot.core.render import MarkupRenderer, utf16_length
from bot.core.richtext import Block, Mention, Moment, mentioned_users

MESSAGE_LIMIT = 2000
# Discord counts a message's length in characters; UTF-16 units are never fewer, so a page
# measured in them is always accepted.
measure = utf16_length

# `<@123>`, `<@&123>`, `<#123>`, `<t:…>`, `</cmd:123>`, `<:emoji:123>`: Discord turns each into
# a pill, a link or a ping-looking element; a backslash before `<` shows it literally.
_ANGLE = re.compile(r"<")
_CLOSING_BRACKET = re.compile(r"\]")


class DiscordRenderer(MarkupRenderer):
    """Discord Markdown. Every piece of text is escaped; mentions are shown, never parsed.

    `allowed_mentions` (none, on the client and every send) is what stops pings; escaping
    keeps `@everyone`, role and user mentions, links and Markdown in user text *looking*
    literal too.
    """

    def escape(self, text: str) -> str:
        escaped = discord.utils.escape_markdown(text)
        escaped = discord.utils.escape_mentions(escaped)
        # escape_markdown leaves `<…>` and a lone `]` alone; both can start markup.
        escaped = _ANGLE.sub(r"\\<", escaped)
        return _CLOSING_BRACKET.sub(r"\\]", escaped)

    def bold(self, inner: str) -> str:
        return f"**{inner}**" if inner else ""

    def italic(self, inner: str) -> str:
        return f"*{inner}*" if inner else ""

    def code(self, text: str) -> str:
        """Inline code shows its content literally, so it is not escaped; only fenced."""
        if not text:
            return ""
        if "`" not in text:
            return f"`{text}`"
        if "``" not in text and not text.endswith("`") and not text.startswith("`"):
            return f"`` {text} ``"
        # No fence can hold runs of backticks: show a look-alike instead.
        return f"`{text.replace('`', 'ˋ')}`"

    def link(self, url: str, inner: str) -> str:
        # `<url>` keeps Discord from adding a preview card under every link; brackets in
        # the address would end the link early.
        safe = url.replace("(", "%28").replace(")", "%29")
        return f"[{inner}](<{safe}>)" if inner else f"<{safe}>"

    def quote(self, inner: str) -> str:
        return "> " + inner.replace("\n", "\n> ")

    def bullet(self, inner: str) -> str:
        return "- " + inner

    def moment(self, node: Moment) -> str:
        """A Discord timestamp: every reader sees it in their own time zone and language."""
        return f"<t:{int(node.at.timestamp())}:F>"

    def mention(self, node: Mention) -> str:
        """`<@id>` for a Discord user (it pings only when `allowed_mentions` lists them)."""
        if node.platform == "discord" and node.user_id.isdigit():
            return f"<@{node.user_id}>"
        return self.escape(node.fallback_name)

    def pages(self, document: Sequence[Block]) -> list[str]:
        """The document cut into messages Discord accepts (≤ 2000 characters each)."""
        return self.render_pages(document, MESSAGE_LIMIT, measure)


def allowed_mentions(document: Sequence[Block], page: str) -> discord.AllowedMentions:
    """Who one message (`page`, rendered from `document`) may ping: exactly the Discord users
    the document mentions on purpose (`Mention` nodes) whose mention is on this page; never
    roles, @everyone or @here. Mentions typed by users are escaped and stay inert."""
    users = [
        discord.Object(id=int(user_id))
        for user_id in mentioned_users(document, "discord")
        if user_id.isdigit() and f"<@{user_id}>" in page
    ]
    if not users:
        return discord.AllowedMentions.none()
    return discord.AllowedMentions(everyone=False, users=users, roles=False, replied_user=False)
