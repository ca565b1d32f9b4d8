"""Chaos: a fan-out to 2,000 groups while faults are injected at every edge.

Run: .venv/bin/python benchmarks/chaos.py [--chats 2000] [--rate 100] [--seed 12]
A fresh SQLite database in a temporary directory holds one campaign in `chats` Telegram
groups. The real `Ticker` fires two schedules due at the same instant: a fan-out (its
`Materialiser` writes one outbox row per group) and a broken one whose handler raises every
time it is called. The real `OutboxSender` sends the rows through an HTTP courier to the fake
platform (benchmarks/fakeplatform.py, its own process, Telegram's limits), which is told by
POST /faults which chats misbehave. Faults, each on a disjoint share of the groups chosen
with `--seed`:
- 5 % lost their send permission: every message is refused 403 "not enough rights"
  (`CannotPost`: the row fails, the place is marked with a posting problem, stays active);
- 2 % answer 500 to their first one or two messages, then accept (`Transient`);
- 1 % hold their first message longer than the courier's timeout (`Transient`); the fake
  has not accepted it (had it, the retry would be a duplicate: Telegram takes no
  idempotency key, and delivery is at least once by design);
- 1 % of the rows are composed at send time by a composer that raises (RuntimeError or
  IndexError) every time: each must end `dead` with its reason, never leased for ever;
- 429 from the platform's limits (`RetryAfter`), as in benchmarks/fanout.py.

The sender's back-off is configured short (base 0.2 s, cap 2 s, 5 attempts) and the ticker
ticks every 0.5 s, so that the run ends within a minute: that is configuration of how long
the bot waits between tries, not a change of any goal (production waits 2 s · 2^n up to
15 min, 8 attempts).

Progress goes to stderr (rows by status, places with a posting problem, the parked schedule
and its error); the last stdout line is
`delivered_ratio=… lost=… duplicates=… wrongly_inactive=… stuck_rows=… other_schedules_ran=…`:
- delivered_ratio: healthy groups (send permission kept, row not composer-broken) whose
  message the platform accepted ÷ healthy groups (goal 1.0);
- lost: healthy groups whose message the platform never accepted (goal 0);
- duplicates: messages the platform received twice, by outbox nonce (goal 0);
- wrongly_inactive: places inactive at the end; a lost permission is no removal (goal 0);
- stuck_rows: rows not in a final state (sent, failed, dead, expired, cancelled, gone), and
  `failed` or `dead` rows without a reason (goal 0);
- other_schedules_ran: 1 if the fan-out's rows were written although the broken schedule's
  handler raised in the same tick, and the broken one ended parked with its error (goal 1).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fanout import (
    GROUP_PER_MINUTE,
    PER_CHAT_INTERVAL,
    add_group,
    fake_platform,
    post_to_fake,
    progress,
)

from bot.core.actors import Platform
from bot.core.clock import SystemClock
from bot.core.delivery import (
    Delivery,
    Outcome,
    RateLimits,
)
from bot.core.outbox import Backoff, OutboxSender, SenderSettings, make_owner
from bot.core.outbox.compose import Composed, ComposeRequest, Composers
from bot.core.replies import reply_to_data, say
from bot.core.richtext import msg
from bot.core.scheduling import Fired, Ticker, create_schedule
from storage.database import Database
from storage.records import NewMessage, OutboxEntry, Place, Schedule
from storage.unit import Tx

# Settled for good. (`gone` too, though no row should end so here: see wrongly_inactive.)
FINAL = frozenset({"sent", "failed", "dead", "expired", "cancelled", "gone"})
COURIER_TIMEOUT = 2.0  # seconds the courier waits for an answer
SLOW_SECONDS = 4.0  # how long a slow chat holds its first message
BACKOFF = Backoff(base=0.2, cap=2.0, max_attempts=5)
TICK_EVERY = 0.5
FLAKY = "chaos.flaky"


@dataclass(frozen=True, slots=True)
class Plan:
    """Which groups misbehave, by chat id (disjoint shares)."""

    forbidden: frozenset[str]
    server_errors: dict[str, int]  # chat → how many 500s before it accepts
    slow: frozenset[str]
    broken_rows: frozenset[str]  # chats whose row's composer raises

    @classmethod
    def draw(cls, chats: Sequence[str], seed: int) -> Plan:
        rng = random.Random(seed)
        shuffled = list(chats)
        rng.shuffle(shuffled)
        cuts = [0]
        for share in (0.05, 0.02, 0.01, 0.01):
            cuts.append(cuts[-1] + round(len(chats) * share))
        part = [shuffled[cuts[i] : cuts[i + 1]] for i in range(4)]
        return cls(
            forbidden=frozenset(part[0]),
            server_errors={chat: rng.choice((1, 2)) for chat in part[1]},
            slow=frozenset(part[2]),
            broken_rows=frozenset(part[3]),
        )

    def healthy(self, chats: Sequence[str]) -> list[str]:
        return [c for c in chats if c not in self.forbidden and c not in self.broken_rows]


class ChaosCourier:
    """Sends each message with `post_to_fake` (answers mapped as the Telegram courier maps
    them), counting the outcomes and telling the waiter that something happened."""

    platform = Platform.TELEGRAM

    def __init__(self, client: httpx.AsyncClient, limits: RateLimits, progressed: Signal) -> None:
        self.limits = limits
        self._client = client
        self._progressed = progressed
        self.outcomes: Counter[str] = Counter()

    async def deliver(self, delivery: Delivery) -> Outcome:
        outcome = await post_to_fake(self._client, delivery)
        self.outcomes[type(outcome).__name__] += 1
        self._progressed.ring()
        return outcome


class Signal:
    """Something happened (an answer, a compose): whoever waits looks at the table again."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def ring(self) -> None:
        self._event.set()

    async def heard(self, within: float) -> None:
        """Return when it rang, or after `within` seconds at most."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), within)
        self._event.clear()


class FlakyComposer:
    """A composer with a bug: it raises an unexpected error every time it is asked."""

    def __init__(self, progressed: Signal) -> None:
        self.calls = 0
        self._progressed = progressed

    async def compose(self, request: ComposeRequest) -> Composed | None:
        self.calls += 1
        self._progressed.ring()
        if request.outbox_id % 2:
            raise RuntimeError(f"row {request.outbox_id}: the figure it needs is missing")
        raise IndexError("list index out of range")


class FanOut:
    """The fan-out schedule's kind: one outbox row per active place of its campaign."""

    def __init__(self, broken_rows: frozenset[str]) -> None:
        self._broken_rows = broken_rows

    async def materialise(self, tx: Tx, fired: Sequence[Fired]) -> None:
        for one in fired:
            if one.schedule.campaign_id is None:
                raise ValueError(f"schedule {one.schedule.id} has no campaign")
            places = await tx.places.of_campaign(one.schedule.campaign_id)
            for occurrence in one.occurrences:
                messages = [self._row(place, occurrence.id, occurrence.due_at) for place in places]
                await tx.outbox.add_many(messages, occurrence.due_at)

    def _row(self, place: Place, occurrence_id: int, now: datetime) -> NewMessage:
        chat = place.announcement_channel
        payload: dict[str, Any]
        if chat in self._broken_rows:
            payload = {"compose": FLAKY, "place": place.id}
        else:
            reply = say(msg("milestone.reached", count=1000))
            payload = {"reply": reply_to_data(reply), "locale": "en"}
        return NewMessage(
            dedupe_key=f"chaos:{occurrence_id}:{place.id}",
            platform="telegram",
            chat_id=chat,
            chat_kind="group",
            payload=payload,
            next_attempt_at=now,
            place_id=place.id,
        )

    async def missed(self, tx: Tx, fired: Sequence[Fired]) -> None:
        raise RuntimeError("nothing is late in this benchmark")


class Broken:
    """A schedule kind whose handler raises every time (a bug in a feature)."""

    def __init__(self) -> None:
        self.calls = 0

    async def materialise(self, tx: Tx, fired: Sequence[Fired]) -> None:
        self.calls += 1
        raise KeyError("poll_source")

    async def missed(self, tx: Tx, fired: Sequence[Fired]) -> None:
        self.calls += 1
        raise KeyError("poll_source")


async def fill(db: Database, chats: Sequence[str]) -> tuple[int, datetime]:
    """The campaign, its places and two schedules due at the same instant (soon)."""
    now = datetime.now(UTC)
    async with db.transaction() as tx:
        campaign = await tx.campaigns.create(
            name="chaos", hashtag="", timezone="UTC", locale="en", created_by="x", now=now
        )
        for n, chat in enumerate(chats):
            await add_group(tx, campaign.id, chat, n, now)
        now = datetime.now(UTC)
        due = (now + timedelta(seconds=2)).replace(microsecond=0)
        due_key = due.isoformat().replace("+00:00", "Z")
        await create_schedule(
            tx,
            kind="chaos.fanout",
            timezone="UTC",
            rule={"type": "once", "at_utc": due_key},
            catchup="run",
            payload={},
            now=now,
            campaign_id=campaign.id,
        )
        await create_schedule(
            tx,
            kind="chaos.broken",
            timezone="UTC",
            rule={"type": "interval", "seconds": 60, "start": due_key},
            catchup="run",
            payload={},
            now=now,
            campaign_id=campaign.id,
        )
    return campaign.id, due


def stuck(rows: Sequence[OutboxEntry]) -> list[OutboxEntry]:
    """Rows not settled for good, or settled as failed/dead without saying why."""
    return [
        row
        for row in rows
        if row.status not in FINAL or (row.status in {"failed", "dead"} and not row.last_error)
    ]


async def settled(db: Database, progressed: Signal, expected: int, bound: float) -> float:
    """Wait until the fan-out's rows are written and every row is final; the seconds taken.

    Looks at the table when something happened (at most twice a second, and at least once a
    second: a row that fails in its composer rings before it is settled)."""
    started = time.monotonic()
    last_report = 0.0
    while True:
        await progressed.heard(within=1.0)
        async with db.read() as tx:
            statuses = await tx.outbox.count_by_status()
        elapsed = time.monotonic() - started
        if sum(statuses.values()) >= expected and set(statuses) <= FINAL:
            return elapsed
        if elapsed - last_report >= 2:
            last_report = elapsed
            progress(f"  {elapsed:5.1f} s: {dict(sorted(statuses.items()))}")
        if elapsed > bound:
            progress(f"gave up waiting after {bound:.0f} s")
            return elapsed
        await asyncio.sleep(0.5)  # pacing the look, not synchronising on it


async def run(arguments: argparse.Namespace) -> dict[str, Any]:
    count, rate = arguments.chats, arguments.rate
    chats = [str(-1_000_000 - n) for n in range(count)]
    plan = Plan.draw(chats, arguments.seed)
    healthy = plan.healthy(chats)
    limits = RateLimits(rate, PER_CHAT_INTERVAL, GROUP_PER_MINUTE)
    progressed = Signal()
    with tempfile.TemporaryDirectory() as directory:
        async with (
            fake_platform(rate, 0.0) as url,
            Database.connect(f"sqlite+aiosqlite:///{directory}/chorus.db") as db,
            httpx.AsyncClient(base_url=url, timeout=COURIER_TIMEOUT) as client,
        ):
            await client.post(
                "/faults",
                json={
                    "forbidden": sorted(plan.forbidden),
                    "server_errors": plan.server_errors,
                    "slow": sorted(plan.slow),
                    "slow_seconds": SLOW_SECONDS,
                },
            )
            progress(
                f"{count} groups: {len(plan.forbidden)} without send permission, "
                f"{len(plan.server_errors)} answering 5xx, {len(plan.slow)} timing out, "
                f"{len(plan.broken_rows)} rows with a failing composer"
            )
            began = time.monotonic()
            campaign_id, due = await fill(db, chats)
            progress(f"{count} places written in {time.monotonic() - began:.1f} s")
            courier = ChaosCourier(client, limits, progressed)
            composers = Composers()
            flaky = FlakyComposer(progressed)
            composers.register(FLAKY, flaky)
            clock = SystemClock()
            sender = OutboxSender(
                db,
                courier,
                clock,
                make_owner(Platform.TELEGRAM),
                SenderSettings(backoff=BACKOFF),
                composers=composers,
            )
            fanout, broken = FanOut(plan.broken_rows), Broken()

            def written() -> None:
                sender.wake()
                progressed.ring()

            ticker = Ticker(db, clock, interval_seconds=TICK_EVERY, on_outbox_written=written)
            ticker.register("chaos.fanout", fanout)
            ticker.register("chaos.broken", broken)
            progress(f"both schedules due at {due:%H:%M:%S}; sending at ≤ {rate}/s via {url} …")
            await sender.start()
            await ticker.start()
            try:
                wall = await settled(db, progressed, count, bound=arguments.bound)
            finally:
                await ticker.stop()
                await sender.stop()
            stats = (await client.get("/stats")).json()
            accepted: dict[str, int] = (await client.get("/accepted")).json()
            async with db.read() as tx:
                rows = await tx.outbox.all()
                places = await tx.places.of_campaign(campaign_id, active_only=False)
                parked = await tx.schedules.parked(campaign_id)
    return {
        "plan": plan,
        "healthy": healthy,
        "accepted": accepted,
        "stats": stats,
        "rows": rows,
        "places": places,
        "parked": parked,
        "broken": broken,
        "flaky": flaky,
        "courier": courier,
        "totals": sender.totals,
        "wall": wall,
    }


def report(result: dict[str, Any]) -> str:
    plan: Plan = result["plan"]
    healthy: list[str] = result["healthy"]
    accepted: dict[str, int] = result["accepted"]
    rows: list[OutboxEntry] = result["rows"]
    places: list[Place] = result["places"]
    parked: list[Schedule] = result["parked"]
    broken: Broken = result["broken"]
    delivered = sum(1 for chat in healthy if accepted.get(chat, 0) > 0)
    statuses = Counter(row.status for row in rows)
    problem = [place for place in places if place.posting_problem_since is not None]
    inactive = [place for place in places if not place.active]
    left = stuck(rows)
    fanned = sum(1 for row in rows if row.dedupe_key.startswith("chaos:"))
    dead_reasons = Counter(row.last_error.split(":")[0] for row in rows if row.status == "dead")
    progress(f"settled in {result['wall']:.1f} s")
    progress(f"rows by status: {dict(sorted(statuses.items()))}")
    progress(f"dead rows by reason: {dict(dead_reasons)}")
    by_kind: dict[str, Counter[str]] = {"healthy": Counter(), "no permission": Counter()}
    for row in rows:
        if row.chat_id in plan.forbidden:
            by_kind["no permission"][row.status] += 1
        elif row.chat_id not in plan.broken_rows:
            by_kind["healthy"][row.status] += 1
    progress(
        f"rows of healthy groups: {dict(by_kind['healthy'])}; of groups without "
        f"permission: {dict(by_kind['no permission'])}"
    )
    progress(f"courier outcomes: {dict(result['courier'].outcomes)}")
    progress(f"sender totals: {dict(sorted(result['totals'].items()))}")
    progress(f"platform saw: {result['stats']}")
    progress(
        f"places with a posting problem: {len(problem)} "
        f"(of {len(plan.forbidden)} without permission); inactive: {len(inactive)}"
    )
    misflagged = [p.external_id for p in problem if p.external_id not in plan.forbidden]
    if misflagged:
        progress(f"  flagged although they may post: {misflagged[:10]}")
    for schedule in parked:
        progress(f"parked schedule {schedule.id} ({schedule.kind}): {schedule.parked_error}")
    progress(
        f"fan-out rows committed: {fanned}; "
        f"broken handler called {broken.calls}x; "
        f"failing composer called {result['flaky'].calls}x"
    )
    for row in left[:10]:
        progress(f"  stuck: row {row.id} {row.status} attempts={row.attempts} {row.last_error!r}")
    ran = int(
        fanned == len(places)
        and broken.calls > 0
        and [s.kind for s in parked] == ["chaos.broken"]
        and bool(parked[0].parked_error)
    )
    ratio = delivered / len(healthy) if healthy else 1.0
    return (
        f"delivered_ratio={round(ratio, 4)} lost={len(healthy) - delivered} "
        f"duplicates={result['stats']['duplicates']} wrongly_inactive={len(inactive)} "
        f"stuck_rows={len(left)} other_schedules_ran={ran}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="a fan-out through injected faults")
    parser.add_argument("--chats", type=int, default=2000, help="groups, one message each")
    parser.add_argument("--rate", type=int, default=100, help="the platform's messages/s")
    parser.add_argument("--seed", type=int, default=12, help="which groups misbehave")
    parser.add_argument("--bound", type=float, default=120.0, help="seconds to wait at most")
    parser.add_argument(
        "--log-level", default="CRITICAL", help="the bot's own log (WARNING shows each fault)"
    )
    arguments = parser.parse_args()
    logging.basicConfig(level=arguments.log_level.upper(), format="  log: %(message)s")
    result = asyncio.run(run(arguments))
    print(report(result))


if __name__ == "__main__":
    main()
