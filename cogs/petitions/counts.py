"""Reading a count as people type it: `1,520`, `1 520`, `1.520` (German), `12k`, `1.5M`.

The number is read with Babel in the place's language, strictly: a separator in the wrong
place is refused rather than guessed. A decimal separator is refused unless a `k` or `M`
follows (a count is whole, and "12,000" is twelve in French but twelve thousand in
English). Spaces of any width group digits in threes in every language. Every refusal is
one line that names what was typed, what is wrong with it, and the range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel import Locale, UnknownLocaleError
from babel.numbers import NumberFormatError, get_decimal_symbol, parse_decimal

from bot.core.errors import UserError
from bot.core.options import Choice, ChoiceOption
from bot.core.richtext import Code, msg

# Regular, no-break, narrow no-break and thin spaces: all group digits when people type.
SPACES = " \u00a0\u202f\u2009"
_SPACED = re.compile(rf"\d{{1,3}}(?:[{SPACES}]\d{{3}})+")
_SCALES = {"k": 1_000, "m": 1_000_000}
MAX_TYPED = 40  # characters: anything longer is not a count


def read_count(raw: str, locale: str, maximum: int) -> int:
    """The whole count `raw` says in `locale`, from 0 to `maximum`; a `UserError` if not."""
    text = raw.strip()
    if not text or len(text) > MAX_TYPED:
        raise _unreadable(text[:MAX_TYPED], maximum)
    scale = 1
    if text[-1].lower() in _SCALES:
        scale = _SCALES[text[-1].lower()]
        text = text[:-1].rstrip(SPACES)
    babel_locale = _locale(locale)
    decimal = get_decimal_symbol(babel_locale)
    whole, _, fraction = text.partition(decimal)
    if any(space in whole for space in SPACES):
        if not _SPACED.fullmatch(whole):
            raise _unreadable(raw.strip(), maximum)
        whole = "".join(ch for ch in whole if ch not in SPACES)
    if fraction and scale == 1:
        # "12,000" in French, "1.520" in English: a decimal, never a count; say so.
        raise UserError(
            msg(
                "petitions.count.ambiguous",
                typed=Code(raw.strip()),
                decimal=Code(decimal),
                max=maximum,
            )
        )
    cleaned = whole + (decimal + fraction if fraction else "")
    try:
        value = parse_decimal(cleaned, locale=babel_locale, strict=True)
    except NumberFormatError:
        raise _unreadable(raw.strip(), maximum) from None
    try:
        if not value.is_finite():
            raise _unreadable(raw.strip(), maximum)
        scaled = value * scale
        if scaled != scaled.to_integral_value():
            raise UserError(msg("petitions.count.not_whole", typed=Code(raw.strip()), max=maximum))
    except InvalidOperation:
        raise _unreadable(raw.strip(), maximum) from None
    if not Decimal(0) <= scaled <= Decimal(maximum):
        raise UserError(msg("petitions.count.out_of_range", typed=Code(raw.strip()), max=maximum))
    return int(scaled)


def _locale(name: str) -> Locale:
    try:
        return Locale.parse(name.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse("en")


def _unreadable(typed: str, maximum: int) -> UserError:
    return UserError(msg("petitions.count.unreadable", typed=Code(typed), max=maximum))


def fold_spilled(count: str, after: list[str], names: set[str]) -> tuple[str, list[str]]:
    """A count typed with spaces on a command line (`/signatures set 1 520 000`) arrives
    split over the options after it; give back the count's text and those options' values.

    Only groups of exactly three digits that follow a group of one to three digits are
    taken, and never one that names a source (`names`, lowercase): `/signatures set 1 520
    paper` is the count 1 520 on the source `paper`."""
    if not re.fullmatch(r"\d{1,3}", count):
        return count, after
    rest = list(after)
    taken = [count]
    while rest and re.fullmatch(r"\d{3}", rest[0]) and rest[0].lower() not in names:
        taken.append(rest.pop(0))
    return " ".join(taken), rest + [""] * (len(after) - len(rest))


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfirmOption(ChoiceOption):
    """`confirm:yes`; also lets through a group of three digits, the tail of a count typed
    with spaces that the command line handed to this option (see `fold_spilled`)."""

    choices: tuple[Choice, ...] = (Choice("yes", msg("petitions.choice.yes")),)

    def parse(self, raw: str) -> str:
        if re.fullmatch(r"\d{3}", raw.strip()):
            return raw.strip()
        return ChoiceOption.parse(self, raw)
