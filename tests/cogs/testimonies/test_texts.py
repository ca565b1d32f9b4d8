"""A story is announced only with its author's consent, checked where it is written out."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from cogs.testimonies.texts import NotPublishable, announcement
from storage.repositories import testimony_records

AT = datetime(2026, 6, 1, 12, tzinfo=UTC)
STORY = testimony_records.Testimony(
    id=1,
    reference="T-7Q2K",
    campaign_id=1,
    place_id=None,
    author_key="telegram:1",
    display_name="Ana",
    title="It helped me write again",
    story="A long story.",
    category="writing",
    consent="named",
    status="approved",
    featured=False,
    locale="en",
    created_at=AT,
    updated_at=AT,
    decided_at=AT,
    decided_by="telegram:2",
)


def test_a_consented_story_is_written_out() -> None:
    assert announcement(STORY)


def test_a_story_kept_for_moderators_is_never_written_out() -> None:
    with pytest.raises(NotPublishable, match="T-7Q2K"):
        announcement(replace(STORY, consent="moderators"))
