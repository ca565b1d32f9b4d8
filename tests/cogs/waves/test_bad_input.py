"""Bad input gets a clear message naming the field, and nothing is created half-way."""

from __future__ import annotations

import pytest

from bot.core.actors import Platform
from tests.cogs.waves.support import TEXTS, World, create

X_TOO_LONG = "a" * 272  # with "\n\n#keep4o": 281 as X counts
CJK = "日本語で投稿します" * 15 + "日本語で"  # 139 characters, 278 as X counts them


@pytest.mark.parametrize(
    ("options", "when", "targets", "texts", "refusal"),
    [
        ("", "2026-05-01 20:00", "x", TEXTS, "“When”: 2026-05-01 20:00 has already passed."),
        (
            "",
            "friday 20:00 Paris",
            "x",
            TEXTS,
            "“When”: “Paris” is not a time zone. Did you mean: Europe/Paris?",
        ),
        (
            "",
            "30 February 2027 20:00",
            "x",
            TEXTS,
            "“When”: 30 February does not exist: February has at most 28 days.",
        ),
        ("", "2027-02-29 20:00", "x", TEXTS, "29 February does not exist"),
        ("", "someday soon", "x", TEXTS, "“When”: “someday soon” has no time of day"),
        (
            "",
            "friday 20:00",
            "x myspace #keep4o",
            TEXTS,
            "“Networks and hashtags”: “myspace” is not a network a wave can target here.",
        ),
        (
            "",
            "friday 20:00",
            "x",
            "\n".join(f"text {n}" for n in range(11)),
            "“Suggested posts”: 11 texts are too many: give at most 10, one per line.",
        ),
        (
            "",
            "friday 20:00",
            "x bluesky",
            X_TOO_LONG,
            "“Suggested posts”: Text 1, with its hashtags and link, is 281 characters as X "
            "counts them; X allows 280.",
        ),
        (
            "",
            "friday 20:00",
            "x",
            CJK,
            "“Suggested posts”: Text 1, with its hashtags and link, is 287 characters as X",
        ),
        (
            "link:http://example.com/petition",
            "friday 20:00",
            "x",
            TEXTS,
            "“Link”: “http://example.com/petition” cannot be shared: only https:// links",
        ),
        (
            "link:javascript:alert(1)",
            "friday 20:00",
            "x",
            TEXTS,
            "“Link”: “javascript:alert(1)” cannot be shared",
        ),
        ('reminders:"24h,-1h"', "friday 20:00", "x", TEXTS, "“Reminders”: “-1h” is negative"),
        ('reminders:"1h,60m"', "friday 20:00", "x", TEXTS, "“Reminders”: “60m” is given twice"),
        ('reminders:"4d"', "friday 20:00", "x", TEXTS, "“Reminders”: “4d” is too early"),
        ("pledge:0", "friday 20:00", "x", TEXTS, "“pledge” must be from 1 to 10,000."),
        ("pledge:10001", "friday 20:00", "x", TEXTS, "“pledge” must be from 1 to 10,000."),
        (
            "pledge:5",
            "2026-06-01 14:30",
            "x",
            TEXTS,
            "“Pledge deadline”: That deadline has already passed",
        ),
        ("timezone:Mars/Base", "friday 20:00", "x", TEXTS, "“Mars/Base” is not a time zone."),
        ("days:fri", "friday 20:00", "x", TEXTS, "“Days”: Days are only for a weekly wave"),
    ],
)
async def test_bad_input_is_refused_by_name_and_nothing_is_created(
    world: World, options: str, when: str, targets: str, texts: str, refusal: str
) -> None:
    answer = await create(world, options=options, when=when, targets=targets, texts=texts)

    assert refusal in answer
    async with world.db.read() as tx:
        assert await tx.waves.get(1) is None
    assert await world.keys("wave") == []


async def test_the_same_text_fits_bluesky_and_mastodon_that_is_too_long_for_x(
    world: World,
) -> None:
    answer = await create(world, targets="bluesky mastodon", texts=X_TOO_LONG)

    assert "Wave #1 Friday push is scheduled" in answer


async def test_a_posted_link_must_be_https(world: World) -> None:
    await create(world)
    bob = world.member(Platform.TELEGRAM, "2")

    answer = await bob.says("/wave posted 1 ftp://example.com/post")

    assert "“Link to your post”: “ftp://example.com/post” cannot be shared" in answer
    async with world.db.read() as tx:
        assert await tx.waves.participant(1, "telegram:2") is None


async def test_an_edit_is_checked_like_a_creation_and_changes_nothing_when_refused(
    world: World,
) -> None:
    await create(world, targets="x", texts="a" * 250)

    refused = await world.alice.says("/wave edit 1 link:https://example.com/a-long-petition")

    assert "“Suggested posts”: Text 1, with its hashtags and link, is 283 characters" in refused
    assert (await world.wave()).link == ""
    assert "“When”: 2026-05-01 20:00 has already passed." in await world.alice.says(
        '/wave edit 1 when:"2026-05-01 20:00"'
    )
    assert "“Reminders”: “1h” is given twice" in await world.alice.says(
        '/wave edit 1 reminders:"1h,1h"'
    )


async def test_a_bad_time_and_texts_too_long_are_asked_again_alone_before_the_form_closes(
    world: World,
) -> None:
    answer = await world.alice.says(
        "/wave create",
        "Friday push",
        "someday soon",
        "2026-06-05 20:00",
        "x bluesky #keep4o",
        "Tell how 4o helps you",
        X_TOO_LONG,
        TEXTS,
    )

    when, _, rest = answer.partition("“When”: “someday soon” has no time of day")
    assert "Networks and hashtags" not in when  # refused as soon as it was answered
    assert "“Suggested posts”: Text 1, with its hashtags and link, is 281 characters" in rest
    assert "Wave #1 Friday push is scheduled" in rest
    async with world.db.read() as tx:
        assert await tx.waves.texts(1) == TEXTS.split("\n")


@pytest.mark.parametrize(
    ("options", "refusal"),
    [
        ('reminders:"24h,-1h"', "“Reminders”: “-1h” is negative"),
        ("link:http://example.com/petition", "“Link”: “http://example.com/petition” cannot be"),
        ("repeat:weekly days:fri,someday", "“Days”: “someday”"),
    ],
)
async def test_a_bad_option_is_refused_before_the_form_opens(
    world: World, options: str, refusal: str
) -> None:
    answer = await world.alice.says(f"/wave create {options}", "Friday push")

    assert refusal in answer
    assert "New posting wave" not in answer  # no form was opened to type into
