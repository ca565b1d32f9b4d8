"""`.env.example` documents every setting, with the real default."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from bot.doctor import env_name
from bot.settings import Settings

EXAMPLE = Path(__file__).resolve().parent.parent / ".env.example"
ASSIGNMENT = re.compile(r"^(CHORUS_[A-Z0-9_]+)=", re.MULTILINE)


def test_every_setting_is_listed_once_and_nothing_else() -> None:
    listed = ASSIGNMENT.findall(EXAMPLE.read_text(encoding="utf-8"))
    assert sorted(listed) == sorted({env_name(field) for field in Settings.model_fields})


def test_every_setting_has_a_comment_line_above_it() -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if ASSIGNMENT.match(line):
            assert lines[number - 1].startswith("# "), f"{line} has no comment"


def test_the_listed_values_are_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("CHORUS_"):
            monkeypatch.delenv(name)
    from_example = Settings(_env_file=EXAMPLE)
    defaults = Settings(_env_file=None)
    # SecretStr compares by its hidden value, so the tokens are compared too.
    assert from_example.model_dump() == defaults.model_dump()
