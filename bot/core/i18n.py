"""Localisation: gettext catalogues (read with Babel), one translator per locale.

Message ids are stable keys such as `setup.created`; English is the complete catalogue and the
fallback for every other language.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_scientific

DEFAULT_LOCALE = "en"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
# Numbers from here on are written in scientific notation (Babel's default 28-digit decimal
# context cannot group them; no count, date or size Chorus shows comes near).
LARGEST_WRITTEN_OUT = 10**21


@dataclass(frozen=True, slots=True)
class Translator:
    """Message templates and number formats for one locale."""

    locale: str
    messages: Mapping[str, str]
    fallback: Mapping[str, str]

    def template(self, key: str) -> str:
        """The template for `key`; English when this locale lacks it, the key when all do."""
        return self.messages.get(key) or self.fallback.get(key) or key

    def number(self, value: int | float) -> str:
        """`value` written the way this locale writes numbers: "1,234,567", "1 234 567".

        Any int or float is written, never refused: past `LARGEST_WRITTEN_OUT` (beyond any
        real count, where Babel's decimal precision gives out) as "1.23E30", and the
        infinities and NaN as the locale's symbols.
        """
        if isinstance(value, float) and not math.isfinite(value):
            return str(format_decimal(value, locale=self.locale))
        if abs(value) >= LARGEST_WRITTEN_OUT:
            # Decimal, not str(): an int of more than 4,300 digits has no str().
            return str(format_scientific(Decimal(value), format="#.##E0", locale=self.locale))
        return str(format_decimal(value, locale=self.locale))


class Catalogues:
    """Every loaded catalogue, keyed by locale."""

    def __init__(self, catalogues: Mapping[str, Mapping[str, str]]) -> None:
        if DEFAULT_LOCALE not in catalogues:
            raise ValueError("the English catalogue is required")
        self._catalogues = dict(catalogues)

    @classmethod
    def load(cls, directory: Path = LOCALES_DIR) -> Catalogues:
        """Read every `<locale>/LC_MESSAGES/*.po` under `directory`, merged per locale.

        The core and each platform adapter keep their messages in a file of their own.
        """
        found: dict[str, dict[str, str]] = {}
        for po_file in sorted(directory.glob("*/LC_MESSAGES/*.po")):
            locale = po_file.parent.parent.name
            with po_file.open("rb") as handle:
                catalog = read_po(handle, locale=locale)
            messages = found.setdefault(locale, {})
            for message in catalog:
                if message.id and message.string and not message.fuzzy:
                    if message.id in messages:
                        raise ValueError(f"{po_file}: message {message.id!r} is defined twice")
                    messages[str(message.id)] = str(message.string)
        return cls(found)

    @property
    def locales(self) -> tuple[str, ...]:
        return tuple(sorted(self._catalogues))

    def keys(self, locale: str = DEFAULT_LOCALE) -> frozenset[str]:
        return frozenset(self._catalogues.get(locale, {}))

    def translator(self, locale: str | None) -> Translator:
        """A translator for `locale`, or English when it is unknown."""
        chosen = locale if locale in self._catalogues else DEFAULT_LOCALE
        return Translator(chosen, self._catalogues[chosen], self._catalogues[DEFAULT_LOCALE])

    def is_supported(self, locale: str) -> bool:
        return locale in self._catalogues


def known_locale(code: str) -> bool:
    """Whether Babel knows `code` as a locale identifier (e.g. `en`, `fr`, `pt_BR`)."""
    try:
        Locale.parse(code)
    except (ValueError, UnknownLocaleError):
        return False
    return True
