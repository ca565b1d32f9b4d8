"""A user mention: only its own platform renders it as one, elsewhere it is the plain name."""

from __future__ import annotations

from bot.core.i18n import Catalogues
from bot.core.render import PlainRenderer
from bot.core.richtext import Mention, Para, Text, doc, from_data, mentioned_users, msg, to_data


def test_a_mention_survives_serialisation_and_is_found_inside_messages() -> None:
    document = (
        Para((Mention("discord", "42", "Ada"), Text(" and "), Mention("telegram", "7", "Bo"))),
        *doc(msg("campaign.title", name=Mention("discord", "43", "Cy"))),
    )

    assert from_data(to_data(document)) == document
    assert mentioned_users(document, "discord") == ["42", "43"]
    assert mentioned_users(document, "telegram") == ["7"]
    assert mentioned_users(document, "console") == []


def test_the_plain_renderer_shows_the_name() -> None:
    renderer = PlainRenderer(Catalogues.load().translator("en"))

    assert renderer.render((Para((Mention("discord", "42", "Ada <3"),)),)) == "Ada <3"
