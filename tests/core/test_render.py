"""Rich text renders with user text inert, numbers localised, and long text split safely."""

from __future__ import annotations

from bot.core.i18n import Catalogues, Translator
from bot.core.render import MarkupRenderer, PlainRenderer, utf16_length
from bot.core.richtext import Bold, Para, Text, bold, doc, from_data, msg, para, to_data


class AngleRenderer(MarkupRenderer):
    """A markup with tags, to see that splitting never cuts one."""

    def escape(self, text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    def bold(self, inner: str) -> str:
        return f"<b>{inner}</b>"


def english() -> Translator:
    return Catalogues.load().translator("en")


def test_user_text_in_a_message_is_escaped_but_the_template_is_not() -> None:
    rendered = AngleRenderer(english()).render(
        doc(msg("campaign.title", name=bold("<script>alert(1)</script>")))
    )

    assert rendered == "Campaign <b>&lt;script&gt;alert(1)&lt;/script&gt;</b>"


def test_numbers_are_formatted_for_the_reader() -> None:
    assert PlainRenderer(english()).render(doc(para(1234567))) == "1,234,567"


def test_a_long_document_is_split_between_whole_pieces() -> None:
    story = "word " * 2000
    renderer = AngleRenderer(english())

    pages = renderer.render_pages((Para((Bold((Text(story),)),)),), limit=1000)

    assert len(pages) > 10
    assert all(len(page) <= 1000 for page in pages)
    assert all(page.count("<b>") == page.count("</b>") for page in pages)
    assert "".join(page.replace("<b>", "").replace("</b>", "") for page in pages) == story


def test_splitting_counts_utf16_units_and_keeps_surrogate_pairs_whole() -> None:
    thumbs = "👍🏽" * 1100

    pages = PlainRenderer(english()).render_pages(doc(para(thumbs)), 4096, utf16_length)

    assert all(utf16_length(page) <= 4096 for page in pages)
    assert "".join(pages) == thumbs


def test_a_document_survives_serialisation() -> None:
    document = doc(msg("invite.line", code="ABC", until="x", uses=3), para(bold("hi")))

    assert from_data(to_data(document)) == document
