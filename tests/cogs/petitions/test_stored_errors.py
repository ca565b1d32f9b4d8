"""A source's stored error reads back as a message, or as the literal text it is; never as
whatever an assertion would have let through (asserts vanish under `python -O`)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.core.richtext import Bullets, Para, Text, msg, to_data
from cogs.petitions.announce import error_from_text, error_to_text


def test_a_stored_message_reads_back() -> None:
    error = msg("source.error.http", status=503)

    assert error_from_text(error_to_text(error)) == error


@pytest.mark.parametrize(
    "stored",
    [
        "connection refused",
        "[]",
        "5",
        '"text"',
        json.dumps(to_data((Bullets(((Text("a"),),)),))),
        json.dumps(to_data((Para(()),))),
        json.dumps(to_data((Para((Text("plain"),)),))),
        json.dumps([{"t": "p", "c": [{"t": "nonsense"}]}]),
    ],
)
def test_anything_else_reads_back_as_its_literal_text(stored: str) -> None:
    assert error_from_text(stored) == Text(stored)


def test_the_same_holds_with_assertions_off() -> None:
    a_message = error_to_text(msg("source.error.http", status=503))
    a_list = json.dumps(to_data((Bullets(((Text("a"),),)),)))
    script = (
        "from cogs.petitions.announce import error_from_text as read\n"
        f"print(type(read({a_message!r})).__name__, type(read({a_list!r})).__name__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-O", "-c", script], capture_output=True, text=True, check=False
    )

    assert (result.returncode, result.stdout.split()) == (0, ["Msg", "Text"]), result.stderr
