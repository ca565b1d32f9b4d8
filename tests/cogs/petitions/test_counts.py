"""Counts as people write them in their own language, read through Babel."""

from __future__ import annotations

import pytest

from bot.core.errors import UserError
from bot.core.i18n import Catalogues
from bot.core.render import PlainRenderer
from bot.core.richtext import doc
from cogs.petitions.counts import fold_spilled, read_count

MAX = 1_000_000_000


def refusal(typed: str, locale: str) -> str:
    with pytest.raises(UserError) as raised:
        read_count(typed, locale, MAX)
    return PlainRenderer(Catalogues.load().translator("en")).render(doc(raised.value.message))


@pytest.mark.parametrize(
    ("typed", "locale", "count"),
    [
        ("1,520", "en", 1_520),
        ("1 520", "en", 1_520),
        ("12k", "en", 12_000),
        ("1.5M", "en", 1_500_000),
        ("0", "en", 0),
        ("1\u202f520", "fr", 1_520),
        ("1 520", "fr", 1_520),
        ("2,5k", "fr", 2_500),
        ("1.520", "de", 1_520),
        ("1,5 M", "de", 1_500_000),
        ("12 000", "de", 12_000),
    ],
)
def test_a_count_is_read_in_the_places_language(typed: str, locale: str, count: int) -> None:
    assert read_count(typed, locale, MAX) == count


@pytest.mark.parametrize(
    ("typed", "locale", "problem"),
    [
        ("12,000", "fr", "has a decimal separator (, here)"),  # twelve, or twelve thousand?
        ("1.520", "en", "has a decimal separator (. here)"),
        ("1,52", "en", "is not a count"),
        ("1.5k", "de", "is not a count"),
        ("12 00", "en", "is not a count"),
        ("1.0001k", "en", "is not a whole number"),
        ("-1", "en", "is out of range"),
        ("1e30", "en", "is out of range"),
        ("NaN", "en", "is not a count"),
        ("1001M", "en", "is out of range"),
    ],
)
def test_an_ambiguous_or_impossible_count_is_refused_with_the_range(
    typed: str, locale: str, problem: str
) -> None:
    said = refusal(typed, locale)
    assert said.startswith(f"{typed} {problem}"), said
    assert "0 to 1,000,000,000" in said, said


def test_a_count_spilled_over_the_following_options_is_gathered() -> None:
    assert fold_spilled("1", ["520", "000"], set()) == ("1 520 000", ["", ""])
    assert fold_spilled("1", ["520", ""], set()) == ("1 520", ["", ""])
    assert fold_spilled("1", ["paper", ""], {"paper"}) == ("1", ["paper", ""])
    assert fold_spilled("1", ["520"], {"520"}) == ("1", ["520"])  # a source named 520
    assert fold_spilled("1520", ["000"], set()) == ("1520", ["000"])
