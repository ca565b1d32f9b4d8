"""Cleaning typed text: invisible padding goes, the joiners that spell words and emoji stay."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import Core
from bot.core.actors import Platform
from bot.core.commands import FieldKind, FormField
from bot.core.forms import clean_answer
from bot.core.options import TextOption, clean_text
from bot.core.richtext import msg
from tests.dialogue import Member, group, person

ZWNJ = "\u200c"
ZWJ = "\u200d"
PERSIAN = f"می{ZWNJ}خواهم"  # "I want": the non-joiner is part of its spelling
FAMILY = f"👨{ZWJ}👩{ZWJ}👧"  # one emoji, drawn as one family only with its joiners


@pytest.mark.parametrize("text", [PERSIAN, FAMILY, f"Keep 4o {FAMILY}", f"{PERSIAN} {PERSIAN}"])
@pytest.mark.parametrize("multiline", [False, True])
def test_joiners_inside_words_and_emoji_are_kept(text: str, multiline: bool) -> None:
    assert clean_text(text, multiline=multiline) == text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (f"{ZWJ}Keep 4o{ZWNJ}", "Keep 4o"),
        (f"Keep {ZWJ} 4o", "Keep  4o"),
        (f"Keep{ZWJ * 50}4o", f"Keep{ZWJ}4o"),
        (f"Keep{ZWNJ}{ZWJ}4o", f"Keep{ZWNJ}4o"),
        (ZWJ * 3, ""),
        ("Keep\u200b4o\u202e\ufeff", "Keep4o"),
    ],
)
def test_joiners_that_join_nothing_go_with_the_other_invisibles(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_an_option_and_a_form_answer_clean_and_count_the_same() -> None:
    option = TextOption(name="name", help=msg("help.help"), max_length=8)
    answer = FormField("title", msg("option.campaign_name"), FieldKind.SHORT, max_length=8)

    assert option.parse(f" {PERSIAN}{ZWJ} ") == PERSIAN
    assert clean_answer(answer, f" {PERSIAN}{ZWJ} ") == PERSIAN
    # A run of joiners is not a way past a limit: it counts as the one it is kept as.
    assert option.parse(f"ab{ZWJ * 40}cd") == f"ab{ZWJ}cd"


async def test_a_campaign_named_in_persian_keeps_its_spelling(core: Core, tmp_path: Path) -> None:
    admin = Member(
        core, person(Platform.TELEGRAM, "1", admin=True), group(Platform.TELEGRAM, "-100"), tmp_path
    )

    await admin.says(f'/setup name:"{PERSIAN} {FAMILY}"')

    async with core.database.read() as tx:
        campaign = await tx.campaigns.get(1)
    assert campaign is not None
    assert campaign.name == f"{PERSIAN} {FAMILY}"
