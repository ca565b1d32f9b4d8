"""Instants as stored: a value that is not one is refused by name, not by an assertion."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.dialects import sqlite

from storage.types import UTCDateTime


def test_a_stored_instant_reads_back_aware_in_utc() -> None:
    read = UTCDateTime().process_result_value("2026-06-01 12:00:00", sqlite.dialect())

    assert read == datetime(2026, 6, 1, 12, tzinfo=UTC)


def test_a_stored_value_that_is_no_instant_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="reads as int, not a datetime"):
        UTCDateTime().process_result_value(1717243200, sqlite.dialect())
