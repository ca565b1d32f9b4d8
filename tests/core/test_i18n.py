"""Every message the code names exists in the English catalogue."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.core.i18n import Catalogues

ROOT = Path(__file__).resolve().parents[2]
MESSAGE_CALLS = {"msg", "Msg", "refuse"}


def message_ids_in_code() -> tuple[set[str], set[str]]:
    """(literal ids, prefixes of ids built with f-strings) used in bot/ and cogs/."""
    literal: set[str] = set()
    prefixes: set[str] = set()
    for path in [*ROOT.joinpath("bot").rglob("*.py"), *ROOT.joinpath("cogs").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in MESSAGE_CALLS:
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                literal.add(first.value)
            elif isinstance(first, ast.JoinedStr) and isinstance(first.values[0], ast.Constant):
                prefixes.add(str(first.values[0].value))
    return literal, prefixes


def test_every_message_id_used_in_code_is_in_the_english_catalogue() -> None:
    keys = Catalogues.load().keys("en")
    literal, prefixes = message_ids_in_code()

    assert literal, "the scan found no messages: it is broken"
    assert sorted(literal - keys) == []
    assert [p for p in sorted(prefixes) if not any(k.startswith(p) for k in keys)] == []


def test_an_unknown_locale_falls_back_to_english() -> None:
    translator = Catalogues.load().translator("xx")

    assert translator.locale == "en"
    assert translator.template("help.intro") == "What you can do here:"


def test_any_number_is_written_even_past_every_count() -> None:
    english = Catalogues.load().translator("en")

    assert english.number(1_234_567) == "1,234,567"
    assert english.number(-42) == "-42"
    assert english.number(10**20) == "100,000,000,000,000,000,000"
    assert english.number(10**30) == "1E30"
    assert english.number(-(10**30)) == "-1E30"
    assert english.number(123_456 * 10**40) == "1.23E45"
    assert english.number(10**5000) == "1E5000"
    assert english.number(1e300) == "1E300"
    assert english.number(float("inf")) == "∞"
    assert english.number(float("nan")) == "NaN"
