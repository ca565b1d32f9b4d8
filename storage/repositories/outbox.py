"""Outbox rows: written with their cause, claimed with a lease, settled once.

A sender claims due rows for its platform: each becomes `sending`, leased to the sender's
owner id until `lease_until`. Every settle method is conditional on that lease (`status =
'sending' AND lease_owner = owner`), so a process whose lease ran out and was reclaimed by
another changes nothing when its late answer arrives: each method reports whether it did.

On PostgreSQL claims lock the rows they take with `FOR UPDATE SKIP LOCKED`, so senders in
several processes take disjoint rows without waiting on each other. SQLite ignores the
clause; there `Database.transaction()` starts with `BEGIN IMMEDIATE`, which serialises claims.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select, update

from storage.records import ClaimedMessage, NewMessage, OutboxEntry, OutboxStatus
from storage.repositories.outbox_bulk import OutboxBulk
from storage.repositories.outbox_trouble import OutboxTrouble
from storage.schema import outbox

PENDING = OutboxStatus.PENDING.value
SENDING = OutboxStatus.SENDING.value


def _entry(row: Any) -> OutboxEntry:
    return OutboxEntry(
        id=row.id,
        dedupe_key=row.dedupe_key,
        platform=row.platform,
        place_id=row.place_id,
        chat_id=row.chat_id,
        chat_kind=row.chat_kind,
        payload=row.payload,
        user_key=row.user_key,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        not_after=row.not_after,
        lease_owner=row.lease_owner,
        lease_until=row.lease_until,
        last_error=row.last_error,
        platform_message_id=row.platform_message_id,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )


def _claimed(row: Any) -> ClaimedMessage:
    return ClaimedMessage(
        id=row.id,
        dedupe_key=row.dedupe_key,
        chat_id=row.chat_id,
        chat_kind=row.chat_kind,
        payload=row.payload,
        attempts=row.attempts,
        not_after=row.not_after,
        place_id=row.place_id,
        user_key=row.user_key,
        lease_until=row.lease_until,
    )


def _leased_to(owner: str) -> ColumnElement[bool]:
    return (outbox.c.status == SENDING) & (outbox.c.lease_owner == owner)


def _abandoned(now: datetime) -> ColumnElement[bool]:
    """A `sending` row whose lease ran out: its sender crashed or lost the database."""
    return (outbox.c.status == SENDING) & (outbox.c.lease_until < now)


def _errors(error: str) -> str:
    # Errors come from platforms; keep the column small and the row readable.
    return error[:500]


class OutboxRepository(OutboxBulk, OutboxTrouble):
    """The outbox table."""

    async def add_many(self, messages: Sequence[NewMessage], now: datetime) -> list[int]:
        """Write rows whose dedupe key is new; returns the ids of the rows actually written."""
        if not messages:
            return []
        statement = self.insert_ignoring_duplicates(outbox).returning(outbox.c.id)
        result = await self._connection.execute(
            statement,
            [
                {
                    "dedupe_key": m.dedupe_key,
                    "platform": m.platform,
                    "chat_id": m.chat_id,
                    "chat_kind": m.chat_kind,
                    "payload": m.payload,
                    "place_id": m.place_id,
                    "user_key": m.user_key,
                    "not_after": m.not_after,
                    "next_attempt_at": m.next_attempt_at,
                    "status": PENDING,
                    "attempts": 0,
                    "created_at": now,
                }
                for m in messages
            ],
        )
        return [row[0] for row in result]

    # --- claiming ----------------------------------------------------------------------

    async def claim(
        self, platform: str, owner: str, now: datetime, lease_seconds: float, limit: int
    ) -> list[ClaimedMessage]:
        """Lease up to `limit` due rows of `platform` to `owner`, oldest due first.

        Due means `pending` with `next_attempt_at <= now`, or `sending` under a lease that
        ended before `now` (its sender is presumed dead). Rows past their `not_after` are
        marked `expired` first and never returned: a late message is not sent.
        """
        await self.expire_overdue(platform, now)
        candidates = self._locked(
            select(outbox.c.id)
            .where(
                outbox.c.platform == platform,
                or_(
                    (outbox.c.status == PENDING) & (outbox.c.next_attempt_at <= now),
                    _abandoned(now),
                ),
                or_(outbox.c.not_after.is_(None), outbox.c.not_after > now),
            )
            .order_by(outbox.c.next_attempt_at, outbox.c.id)
            .limit(limit)
        )
        # Two statements, not `UPDATE … WHERE id IN (SELECT … LIMIT … FOR UPDATE)`:
        # PostgreSQL may evaluate such a subquery more than once and lease extra rows.
        ids = list((await self._connection.execute(candidates)).scalars())
        if not ids:
            return []
        result = await self._connection.execute(
            update(outbox)
            .where(outbox.c.id.in_(ids))
            .values(
                status=SENDING,
                lease_owner=owner,
                lease_until=now + timedelta(seconds=lease_seconds),
            )
            .returning(*outbox.c)
        )
        # RETURNING does not promise an order.
        rows = sorted(result, key=lambda row: (row.next_attempt_at, row.id))
        return [_claimed(row) for row in rows]

    async def expire_overdue(self, platform: str, now: datetime) -> int:
        """Mark `expired` every unsent row of `platform` whose `not_after` has passed.

        Rows leased to a live sender are left to it (it checks `not_after` before sending).
        Returns the number of rows expired.
        """
        overdue = self._locked(
            select(outbox.c.id).where(
                outbox.c.platform == platform,
                outbox.c.not_after <= now,
                or_(outbox.c.status == PENDING, _abandoned(now)),
            )
        )
        result = await self._connection.execute(
            update(outbox)
            .where(outbox.c.id.in_(overdue.scalar_subquery()))
            .values(
                status=OutboxStatus.EXPIRED.value,
                lease_owner=None,
                lease_until=None,
                last_error="expired before it could be sent",
            )
        )
        return result.rowcount

    def _locked(self, query: Select[Any]) -> Select[Any]:
        # PostgreSQL: lock what we take, skip what another claimer holds. SQLite drops it.
        return query.with_for_update(skip_locked=True)

    # --- settling (each only under the caller's own lease) -----------------------------

    async def mark_sent(
        self, message_id: int, owner: str, platform_message_id: str, now: datetime
    ) -> bool:
        """Record a delivery and the platform's message id. False if the lease was lost.

        A row cancelled in bulk while its send was already in flight (`cancel_pending`
        keeps its lease owner) is recorded as sent too: it was.
        """
        result = await self._connection.execute(
            update(outbox)
            .where(
                outbox.c.id == message_id,
                outbox.c.lease_owner == owner,
                outbox.c.status.in_([SENDING, OutboxStatus.CANCELLED.value]),
            )
            .values(
                status=OutboxStatus.SENT.value,
                platform_message_id=platform_message_id[:64],
                sent_at=now,
                lease_until=None,
            )
        )
        return result.rowcount == 1

    async def still_ours(self, message_ids: Collection[int], owner: str) -> set[int]:
        """Which of `message_ids` are still leased to `owner`, to check before sending them:
        a row cancelled (or reclaimed) while it waited in the sender's hands is not sent."""
        if not message_ids:
            return set()
        result = await self._connection.execute(
            select(outbox.c.id).where(outbox.c.id.in_(list(message_ids)), _leased_to(owner))
        )
        return set(result.scalars())

    async def retry(
        self, message_id: int, owner: str, at: datetime, error: str, *, count_attempt: bool
    ) -> bool:
        """Put the row back to `pending` until `at`, noting `error`.

        `count_attempt` adds one to `attempts` (a transient failure); a rate limit is not
        counted. False if the lease was lost.
        """
        values: dict[str, Any] = {
            "status": PENDING,
            "next_attempt_at": at,
            "last_error": _errors(error),
            "lease_owner": None,
            "lease_until": None,
        }
        if count_attempt:
            values["attempts"] = outbox.c.attempts + 1
        return await self._settle(message_id, owner, **values)

    async def defer(self, message_ids: Collection[int], owner: str, at: datetime) -> int:
        """Give leased rows back untried, due again at `at` (their chat is rate limited).

        Nothing else changes. Returns how many rows were still leased to `owner`.
        """
        if not message_ids:
            return 0
        result = await self._connection.execute(
            update(outbox)
            .where(outbox.c.id.in_(list(message_ids)), _leased_to(owner))
            .values(status=PENDING, next_attempt_at=at, lease_owner=None, lease_until=None)
        )
        return result.rowcount

    async def renew(self, message_id: int, owner: str, until: datetime) -> bool:
        """Extend the lease of a row still waiting to be sent. False if it was lost."""
        return await self._settle(message_id, owner, lease_until=until)

    async def fail(self, message_id: int, owner: str, error: str) -> bool:
        """The platform refused the payload: `failed`, never retried. False if lease lost."""
        return await self._settle(
            message_id, owner, status=OutboxStatus.FAILED.value, last_error=_errors(error)
        )

    async def mark_dead(self, message_id: int, owner: str, error: str) -> bool:
        """The last allowed attempt failed transiently: `dead`, counted. False if lease lost."""
        return await self._settle(
            message_id,
            owner,
            status=OutboxStatus.DEAD.value,
            attempts=outbox.c.attempts + 1,
            last_error=_errors(error),
        )

    async def cancel(self, message_id: int, owner: str, reason: str) -> bool:
        """Withdrawn before it was sent (nothing to say any more): `cancelled`, never sent.
        False if the lease was lost."""
        return await self._settle(
            message_id,
            owner,
            status=OutboxStatus.CANCELLED.value,
            last_error=_errors(reason),
            lease_until=None,
        )

    async def expire(self, message_id: int, owner: str) -> bool:
        """Its `not_after` passed while it waited in the sender: `expired`, never sent."""
        return await self._settle(
            message_id,
            owner,
            status=OutboxStatus.EXPIRED.value,
            last_error="expired before it could be sent",
        )

    async def gone(self, message_id: int, owner: str, reason: str) -> int | None:
        """The recipient is unreachable: this row becomes `gone`, and every other row to the
        same platform and chat that is `pending` (or leased to `owner`, still waiting in
        its hand) becomes `cancelled`.

        Returns how many other rows were cancelled, or None if the lease was lost (then
        nothing changes).
        """
        result = await self._connection.execute(
            update(outbox)
            .where(outbox.c.id == message_id, _leased_to(owner))
            .values(status=OutboxStatus.GONE.value, last_error=_errors(reason), lease_until=None)
            .returning(outbox.c.platform, outbox.c.chat_id)
        )
        row = result.one_or_none()
        if row is None:
            return None
        cancelled = await self._connection.execute(
            update(outbox)
            .where(
                outbox.c.platform == row.platform,
                outbox.c.chat_id == row.chat_id,
                outbox.c.id != message_id,
                or_(outbox.c.status == PENDING, _leased_to(owner)),
            )
            .values(
                status=OutboxStatus.CANCELLED.value,
                last_error=_errors(f"recipient gone: {reason}"),
                lease_owner=None,
                lease_until=None,
            )
        )
        return cancelled.rowcount

    async def move_chat(self, message_id: int, owner: str, new_chat_id: str) -> bool:
        """The chat has a new id: this leased row, and every other row to the old chat that
        is `pending` or leased to `owner`, now go to `new_chat_id`. The row stays leased.

        False (and nothing changes) if the lease was lost.
        """
        result = await self._connection.execute(
            select(outbox.c.platform, outbox.c.chat_id).where(
                outbox.c.id == message_id, _leased_to(owner)
            )
        )
        row = result.one_or_none()
        if row is None:
            return False
        await self._connection.execute(
            update(outbox)
            .where(
                outbox.c.platform == row.platform,
                outbox.c.chat_id == row.chat_id,
                or_(outbox.c.status == PENDING, _leased_to(owner)),
            )
            .values(chat_id=new_chat_id)
        )
        return True

    async def release(self, owner: str) -> int:
        """Shutting down: every row leased to `owner` goes back to `pending`, unchanged.

        Returns how many rows were released.
        """
        result = await self._connection.execute(
            update(outbox)
            .where(_leased_to(owner))
            .values(status=PENDING, lease_owner=None, lease_until=None)
        )
        return result.rowcount

    # --- reading -----------------------------------------------------------------------

    async def get(self, message_id: int) -> OutboxEntry | None:
        """One row as stored."""
        result = await self._connection.execute(select(outbox).where(outbox.c.id == message_id))
        row = result.one_or_none()
        return _entry(row) if row else None

    async def all(self, platform: str | None = None) -> list[OutboxEntry]:
        """Every row (of `platform`), by id. For tests and small inspections only."""
        query = select(outbox).order_by(outbox.c.id)
        if platform is not None:
            query = query.where(outbox.c.platform == platform)
        return [_entry(row) for row in await self._connection.execute(query)]

    async def count_by_status(self, platform: str | None = None) -> dict[str, int]:
        """How many rows (of `platform`) are in each status; absent statuses are omitted."""
        query = select(outbox.c.status, func.count()).group_by(outbox.c.status)
        if platform is not None:
            query = query.where(outbox.c.platform == platform)
        result = await self._connection.execute(query)
        return {status: count for status, count in result}

    async def _settle(self, message_id: int, owner: str, **values: Any) -> bool:
        result = await self._connection.execute(
            update(outbox).where(outbox.c.id == message_id, _leased_to(owner)).values(**values)
        )
        return result.rowcount == 1
