"""Discord Markdown: user text inert, markup from the tree only, times as timestamps."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.adapters.discord.render import DiscordRenderer
from bot.core.i18n import Catalogues
from bot.core.richtext import Bold, Code, Italic, Link, Moment, Para, Quote, Text, doc, msg


def render(*inlines: Text | Bold | Italic | Code | Link | Moment) -> str:
    return DiscordRenderer(Catalogues.load().translator("en")).render((Para(inlines),))


def test_markdown_and_mentions_in_user_text_are_shown_literally() -> None:
    hostile = "**b** _i_ ~~s~~ ||spoiler|| `c` > q # h @here <@123456789012345678> <#1> <t:0:F>"

    rendered = render(Text(hostile))

    assert rendered == (
        "\\*\\*b\\*\\* \\_i\\_ \\~\\~s\\~\\~ \\|\\|spoiler\\|\\| \\`c\\` > q # h "
        "@\u200bhere \\<@\u200b123456789012345678> \\<#1> \\<t:0:F>"
    )


def test_markup_comes_only_from_the_tree() -> None:
    assert render(Bold((Text("a*b"),)), Italic((Text("c"),))) == "**a\\*b***c*"


def test_code_shows_its_text_without_escapes_even_with_backticks() -> None:
    assert render(Code("/setup join:AB_CD")) == "`/setup join:AB_CD`"
    assert render(Code("a`b")) == "`` a`b ``"
    assert render(Code("``x``")) == "`ˋˋxˋˋ`"


def test_only_web_links_become_links_and_without_a_preview() -> None:
    assert render(Link("https://example.org/a_(b)", (Text("petition"),))) == (
        "[petition](<https://example.org/a_%28b%29>)"
    )
    assert render(Link("javascript:alert(1)", (Text("petition"),))) == "petition"


def test_a_moment_is_a_discord_timestamp_each_reader_sees_locally() -> None:
    at = datetime(2026, 6, 1, 18, 0, tzinfo=UTC)

    assert render(Moment(at, "Europe/Paris")) == "<t:1780336800:F>"


def test_a_quote_keeps_every_line_quoted() -> None:
    renderer = DiscordRenderer(Catalogues.load().translator("en"))

    assert renderer.render((Quote((Text("one\ntwo"),)),)) == "> one\n> two"


def test_catalogue_text_is_escaped_like_user_text() -> None:
    renderer = DiscordRenderer(Catalogues.load().translator("en"))

    rendered = renderer.render(doc(msg("setup.cannot_post", permission="Send_Messages")))

    assert "“Send\\_Messages”" in rendered
