"""Authors keep control: their list, withdrawing, deleting; and what leaves in exports then."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from storage.database import Database
from tests.cogs.testimonies.conftest import STORY, Cast, reference_in, story


async def approved_story(cast: Cast, *answers: str) -> str:
    reference = reference_in(await cast.bob.says("/testimony", *(answers or STORY)))
    await cast.mona.says(f"/testimonies show {reference}")
    assert "is approved" in await cast.mona.says("/press 1")
    return reference


async def exported_csv(cast: Cast, tmp_path: Path, status: str = "all") -> list[dict[str, str]]:
    answer = await cast.mona.says(f"/testimonies export format:csv status:{status}")
    assert "Here is the export" in answer, answer
    [path] = sorted((tmp_path / "files").glob("testimonies-*.csv"))
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    path.unlink()
    return rows


async def test_mine_lists_the_authors_stories_with_withdraw_and_delete_buttons(cast: Cast) -> None:
    one = reference_in(await cast.bob.says("/testimony", *story("One")))
    await cast.carla.says("/testimony", *story("Not Bob's"))

    mine = await cast.bob.says("/testimony mine")

    assert f"{one} “One”: waiting for review; Publish it with my name; shared" in mine
    assert "Not Bob's" not in mine
    assert f"[1] Withdraw {one}  [2] Delete {one}" in mine
    none = await cast.mona.says("/testimony mine")
    assert "You have not shared a story in this campaign yet." in none


async def test_withdrawing_keeps_the_story_but_stops_it_everywhere(
    cast: Cast, db: Database, tmp_path: Path
) -> None:
    await cast.alice.says("/testimonies settings post_approved:yes")
    reference = await approved_story(cast)
    assert [row["reference"] for row in await exported_csv(cast, tmp_path)] == [reference]

    await cast.bob.says("/testimony mine")
    withdrawn = await cast.bob.says("/press 1")

    assert (
        f"{reference} is withdrawn: it is kept, but no longer published or exported." in withdrawn
    )
    assert await exported_csv(cast, tmp_path) == []
    assert await cast.mail.deliver(cast.alice) == ""  # the unsent post was cancelled
    async with db.read() as tx:
        kept = await tx.testimonies.by_reference(reference)
        posts = [r for r in await tx.outbox.all() if ":post:" in r.dedupe_key]
    assert kept is not None
    assert (kept.status, kept.title) == ("withdrawn", "My thesis")
    assert {r.status for r in posts} == {"cancelled"}


async def test_a_moderator_pressing_on_a_withdrawn_story_is_told(cast: Cast) -> None:
    reference = reference_in(await cast.bob.says("/testimony", *STORY))
    assert f"Story {reference}" in await cast.mail.deliver(cast.mona)

    await cast.bob.says(f"/testimony withdraw {reference}")
    late = await cast.mona.says("/press 1")

    assert f"{reference} is no longer waiting for review: it is withdrawn by its author." in late


async def test_deleting_asks_first_then_leaves_only_a_tombstone(
    cast: Cast, db: Database, tmp_path: Path
) -> None:
    reference = reference_in(await cast.bob.says("/testimony", *STORY))

    confirm = await cast.bob.says(f"/testimony delete {reference}")
    assert f"Delete {reference}? Its text is erased for good" in confirm
    deleted = await cast.bob.says("/press 1")

    assert f"{reference} is deleted: its text is erased, only the reference remains." in deleted
    assert f"{reference}: deleted" in await cast.bob.says("/testimony mine")
    async with db.read() as tx:
        tombstone = await tx.testimonies.by_reference(reference)
        alerts = await tx.outbox.all()
    assert tombstone is not None
    assert (tombstone.title, tombstone.story, tombstone.display_name) == ("", "", "")
    assert [(r.status, r.payload) for r in alerts] == [("cancelled", {})]
    assert await exported_csv(cast, tmp_path) == []
    shown = await cast.mona.says(f"/testimonies show {reference}")
    assert "State: deleted." in shown
    assert "deleted by its author, Mon 1 Jun 2026 14:00 (Europe/Paris)" in shown
    assert "My thesis" not in shown


async def test_only_the_author_can_withdraw_or_delete(cast: Cast, db: Database) -> None:
    reference = reference_in(await cast.bob.says("/testimony", *STORY))

    assert f"There is no testimony {reference} here." in await cast.carla.says(
        f"/testimony withdraw {reference}"
    )
    assert f"There is no testimony {reference} here." in await cast.mona.says(
        f"/testimony delete {reference}"
    )
    async with db.read() as tx:
        still = await tx.testimonies.by_reference(reference)
    assert still is not None
    assert still.status == "pending"


async def test_a_deleted_story_cannot_be_withdrawn_or_deleted_again(cast: Cast) -> None:
    reference = reference_in(await cast.bob.says("/testimony", *STORY))
    await cast.bob.says(f"/testimony delete {reference}")
    await cast.bob.says("/press 1")

    assert f"{reference} cannot be withdrawn: it is deleted." in await cast.bob.says(
        f"/testimony withdraw {reference}"
    )
    assert f"There is no testimony {reference} here." in await cast.bob.says(
        f"/testimony delete {reference}"
    )
