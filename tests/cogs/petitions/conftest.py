"""A petition site on 127.0.0.1 whose count the test changes, and a campaign to read it."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

from bot.app import Core
from bot.core.actors import PlaceRef, Platform
from bot.settings import Settings
from cogs.petitions.poller import Poller, PollSettings
from cogs.petitions.readings import Limits
from cogs.petitions.sources import Fetcher
from storage.database import Database
from tests.dialogue import Member, group, person
from tests.fakes import FakeClock

TG_GROUP = group(Platform.TELEGRAM, "-1001", "Keep 4o FR")
DC_SERVER = group(Platform.DISCORD, "555", "Keep 4o Discord")
ORGANISER = person(Platform.TELEGRAM, "1", admin=True)

Meet = Callable[..., Member]


@dataclass
class PetitionSite:
    """What the local site serves. Tests change `count`, `status`, `delay`, … between polls."""

    count: int = 900
    status: int = 200
    delay: float = 0.0
    etag: str = ""
    body: bytes | None = None  # served instead of the JSON document when set
    requests: list[dict[str, str]] = field(default_factory=list)
    base: str = ""
    # Set when a request held by `hold_next()` has arrived and waits.
    holding: asyncio.Event = field(default_factory=asyncio.Event)
    _hold: asyncio.Event | None = None
    _holds: list[asyncio.Event] = field(default_factory=list)

    def url(self, path: str = "/petition.json") -> str:
        return self.base + path

    def hold_next(self) -> asyncio.Event:
        """Make the next request wait (and set `holding`) until the returned event is set."""
        self._hold = asyncio.Event()
        self._holds.append(self._hold)
        return self._hold

    def release_all(self) -> None:
        for hold in self._holds:
            hold.set()


def _app(site: PetitionSite) -> web.Application:
    async def record(request: web.Request) -> web.Response | None:
        site.requests.append(dict(request.headers))
        if site._hold is not None:
            hold, site._hold = site._hold, None
            site.holding.set()
            await hold.wait()
        if site.delay:
            await asyncio.sleep(site.delay)
        if site.status != 200:
            return web.Response(status=site.status, text="oops")
        if site.etag and request.headers.get("If-None-Match") == site.etag:
            return web.Response(status=304)
        return None

    async def petition(request: web.Request) -> web.Response:
        early = await record(request)
        if early is not None:
            return early
        headers = {"ETag": site.etag} if site.etag else {}
        if site.body is not None:
            return web.Response(body=site.body, headers=headers, content_type="text/html")
        document = {"data": {"attributes": {"signature_count": site.count, "state": "open"}}}
        return web.Response(
            text=json.dumps(document), headers=headers, content_type="application/json"
        )

    async def page(request: web.Request) -> web.Response:
        early = await record(request)
        if early is not None:
            return early
        text = f"<html><body><p class='count'>{site.count:,} signatures</p></body></html>"
        return web.Response(text=text.replace(",", "\u202f"), content_type="text/html")

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        chunk = b" " * 1_000_000
        for _ in range(10):
            await response.write(chunk)
        await response.write_eof()
        return response

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("/petition.json")

    app = web.Application()
    app.router.add_get("/petition.json", petition)
    app.router.add_get("/page.html", page)
    app.router.add_get("/huge.json", huge)
    app.router.add_get("/moved", moved)
    return app


@pytest.fixture
async def site() -> AsyncIterator[PetitionSite]:
    site = PetitionSite()
    runner = web.AppRunner(_app(site), access_log=None)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = runner.addresses[0][1]
    site.base = f"http://127.0.0.1:{port}"
    yield site
    site.release_all()  # a held request must not keep the server's shutdown waiting
    await runner.cleanup()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The operator allows the loopback site (the tests' petition lives on 127.0.0.1)."""
    return Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'data' / 'chorus.db'}",
        owner_ids="telegram:999",
        allow_private_sources=True,
    )


def make_poller(db: Database, clock: FakeClock, owner: str = "poller-a", **fetch: float) -> Poller:
    """A poller on the test clock, whose back-off always draws its ceiling."""
    return Poller(
        db,
        clock,
        Fetcher(allow_private=True, **fetch),  # type: ignore[arg-type]
        owner,
        limits=Limits(max_drop=0.2, max_jump=5.0),
        settings=PollSettings(),
        jitter=lambda: 1.0,
    )


async def start_campaign(meet: Meet) -> Member:
    alice = meet(ORGANISER, TG_GROUP)
    answer = await alice.says('/setup name:"Keep 4o" timezone:Europe/Paris hashtag:#keep4o')
    assert "starts here" in answer
    return alice


async def join(meet: Meet, alice: Member, where: PlaceRef, actor_id: str = "7") -> Member:
    match = re.search(r"join:([A-Z0-9]{8})", await alice.says("/campaign invite"))
    assert match
    code = match.group(1)
    other = meet(person(where.platform, actor_id, admin=True), where)
    assert "has joined" in await other.says(f"/setup join:{code}")
    return other


async def poll(core: Core, poller: Poller, clock: FakeClock, minutes: float = 5) -> int:
    """Let `minutes` pass, tick like the timer would, and read what came due."""
    clock.advance(minutes=minutes)
    await core.ticker.tick(clock.now())
    return await poller.run_once()
