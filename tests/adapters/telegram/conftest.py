"""A local Telegram: the Bot API emulator in a subprocess, Chorus's adapter on top, people.

The emulator (telegram-test-api with our compatibility layer, `emulator/emulator.js`) listens
on a free loopback port for the whole session; each test resets it, starts the real adapter
(real python-telegram-bot, real HTTP, long polling) on a fresh database, and talks to it as
Telegram users would, through the emulator's client API. Tests assert on what went over the
wire: the Bot API calls the emulator received.
"""

from __future__ import annotations

import asyncio
import json
import os
import selectors
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.adapters.telegram.adapter import TelegramAdapter
from bot.app import Core, build_core
from bot.core.commands import (
    Arguments,
    ButtonAction,
    Command,
    Context,
    FieldKind,
    Form,
    FormField,
    Permission,
    Scope,
)
from bot.core.places import PlaceEvents
from bot.core.replies import Button, Reply
from bot.core.richtext import Para, Text, doc, msg
from bot.settings import Settings
from storage.database import Database
from tests.external import unavailable
from tests.fakes import FakeClock

EMULATOR = Path(__file__).resolve().parent / "emulator"
TOKEN = "7000001:chorus-test-token-for-the-local-emulator"
INSTALL_HINT = (
    "The Telegram Bot API emulator is not installed. Install it with\n"
    "    npm ci --prefix tests/adapters/telegram/emulator\n"
    "(Node.js 18+ with npm; `python3 dev.py test` does it for you)."
)
WAIT = 30.0  # seconds: the most any test waits for the bot; only a broken bot reaches it


class Probe:
    """A small cog with what the Telegram tests exercise: a form, buttons, long and echoed text."""

    name = "probe"

    def __init__(self) -> None:
        self.stories: list[tuple[str, str, str, str]] = []

    def commands(self) -> Sequence[Command]:
        story = Form(
            msg("help.help"),
            (
                FormField("title", msg("option.campaign_name"), max_length=20),
                FormField("body", msg("option.hashtag"), FieldKind.LONG, max_length=2000),
            ),
        )
        echo = Form(
            msg("help.help"),
            (FormField("text", msg("option.hashtag"), FieldKind.LONG, max_length=1000),),
        )
        return (
            Command("story", msg("help.help"), self.story, form=story, needs_campaign=False),
            Command("echo", msg("help.help"), self.echo, form=echo, needs_campaign=False),
            Command("buttons", msg("help.help"), self.buttons_reply, needs_campaign=False),
            Command(
                "grouponly", msg("help.help"), self.echo, scope=Scope.GROUP, needs_campaign=False
            ),
        )

    def buttons(self) -> Sequence[ButtonAction]:
        return (
            ButtonAction("probe.ok", self.pressed),
            ButtonAction("probe.mod", self.pressed, permission=Permission.MODERATOR),
        )

    async def story(self, context: Context, args: Arguments) -> Reply:
        title, body = args.text("title"), args.text("body")
        self.stories.append((context.actor.key, context.where.external_id, title, body))
        return Reply(doc(msg("campaign.title", name=f"{title}|{body}")))

    async def echo(self, context: Context, args: Arguments) -> Reply:
        return Reply(doc(msg("campaign.title", name=args.text("text"))))

    async def buttons_reply(self, context: Context, args: Arguments) -> Reply:
        return Reply(
            (Para((Text("Choose:"),)),),
            buttons=(
                Button("probe.ok", msg("roles.moderator"), "K1"),
                Button("probe.ok", msg("roles.organiser"), "K" * 80),
                Button("probe.mod", msg("help.roles_list"), "M1"),
            ),
        )

    async def pressed(self, context: Context, key: str) -> Reply:
        return Reply(doc(msg("campaign.title", name=f"pressed {key[:10]}")))


# --- the emulator process ------------------------------------------------------------------
@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The emulator's root URL; without Node.js or the emulator, see `tests.external`."""
    node = shutil.which("node")
    if node is None:
        unavailable("The Telegram tests need Node.js 18+ (`node` is not on PATH).\n" + INSTALL_HINT)
    if not (EMULATOR / "node_modules" / "telegram-test-api").is_dir():
        unavailable(INSTALL_HINT)
    log_path = tmp_path_factory.mktemp("emulator") / "emulator.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [node, "emulator.js"],
            cwd=EMULATOR,
            env={**os.environ, "TG_EMU_TOKENS": TOKEN},
            stdout=subprocess.PIPE,
            stderr=log,
        )
    try:
        root = _listening_on(process, log_path)
        yield root
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        assert process.stdout is not None
        process.stdout.close()


def _listening_on(process: subprocess.Popen[bytes], log_path: Path) -> str:
    """The URL the emulator prints once it listens (on a port the OS picked)."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=15):
            pytest.fail(f"the emulator did not start in 15 s; see {log_path}")
    line = process.stdout.readline().decode().strip()
    if not line.startswith("listening on "):
        pytest.fail(f"the emulator did not start: {line!r}; see {log_path}")
    return line.removeprefix("listening on ")


# --- people and the wire --------------------------------------------------------------------
@dataclass(frozen=True)
class Sent:
    """A message the bot sent, as the emulator received it (the request's parameters)."""

    message_id: int
    params: dict[str, Any]

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def buttons(self) -> list[dict[str, str]]:
        markup = self.params.get("reply_markup") or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]


@dataclass
class Person:
    """A Telegram user; `says` types in a chat (a group, or their private chat with the bot)."""

    telegram: Telegram
    user_id: int
    name: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def user(self) -> dict[str, Any]:
        return {"id": self.user_id, "is_bot": False, "first_name": self.name, **self.extra}

    @property
    def private(self) -> dict[str, Any]:
        return {"id": self.user_id, "type": "private", "first_name": self.name}

    async def says(self, text: str, chat: dict[str, Any] | None = None, **extra: Any) -> None:
        """Send `text` to `chat` (their private chat by default), as the Telegram app would."""
        body: dict[str, Any] = {
            "botToken": TOKEN,
            "from": self.user,
            "chat": chat or self.private,
            "date": int(time.time()),
            "text": text,
            **extra,
        }
        route = "/sendMessage"
        if text.startswith("/"):
            route = "/sendCommand"
            name = text.split(maxsplit=1)[0]
            body["entities"] = [{"offset": 0, "length": len(name), "type": "bot_command"}]
        await self.telegram.control(route, body)

    async def presses(self, sent: Sent, label_or_data: str, chat: dict[str, Any]) -> None:
        data = next(
            (
                b["callback_data"]
                for b in sent.buttons
                if label_or_data in (b["text"], b.get("callback_data"))
            ),
            label_or_data,
        )
        await self.telegram.control(
            "/pressButton",
            {
                "botToken": TOKEN,
                "from": self.user,
                "chat_id": chat["id"],
                "message_id": sent.message_id,
                "data": data,
            },
        )


class Telegram:
    """The emulator's test controls, and Chorus's adapter running against it."""

    def __init__(
        self, http: httpx.AsyncClient, adapter: TelegramAdapter, core: Core, probe: Probe
    ) -> None:
        self.http = http
        self.adapter = adapter
        self.core = core
        self.probe = probe

    async def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = await self.http.post(path, json=body or {})
        response.raise_for_status()
        return response.json().get("result")

    def person(self, user_id: int, name: str) -> Person:
        return Person(self, user_id, name)

    async def group(self, chat_id: int = -1001, title: str = "Keep 4o Paris") -> dict[str, Any]:
        chat = {"id": chat_id, "type": "supergroup", "title": title}
        await self.control("/setChat", {"chat": chat, "botStatus": "member"})
        return chat

    async def make_admin(self, chat: dict[str, Any], person: Person) -> None:
        body = {"chat_id": chat["id"], "user": person.user, "status": "administrator"}
        await self.control("/setMember", body)

    async def membership(
        self, chat: dict[str, Any], by: Person, old: str, new: str, user: Person | None = None
    ) -> None:
        """A membership change in `chat`, made by `by`: the bot's own unless `user` is given."""
        body = {"botToken": TOKEN, "chat": chat, "from": by.user, "old_status": old}
        if user is not None:
            body["user"] = user.user
        await self.control("/memberUpdate", body | {"new_status": new})

    async def migrate(self, chat: dict[str, Any], to: dict[str, Any], by: Person) -> None:
        """`chat` becomes the supergroup `to` (a new chat id)."""
        body = {"botToken": TOKEN, "chat_id": chat["id"], "new_chat": to, "from": by.user}
        await self.control("/migrate", body)

    async def sent(self) -> list[Sent]:
        """Every message the bot has sent so far, anywhere, in order (from the call log)."""
        found: list[Sent] = []
        for call in await self.calls():
            if call["method"] not in {"sendMessage", "sendDocument"} or call["status"] != 200:
                continue
            params = dict(call["params"])
            if "reply_markup" in params:
                params["reply_markup"] = json.loads(params["reply_markup"])
            found.append(Sent(0, params))
        return found

    async def replies(self, chat: dict[str, Any], count: int = 1) -> list[Sent]:
        """The next `count` messages the bot sent to `chat` (waiting for them, boundedly)."""
        got: list[Sent] = []
        await eventually(lambda: self._collect(chat, got, count), f"{count} message(s) to {chat}")
        return got

    async def unread(self, chat: dict[str, Any]) -> list[Sent]:
        """Messages to `chat` not yet seen by the test, without waiting for more."""
        got: list[Sent] = []
        await self._collect(chat, got, 0)
        return got

    async def _collect(self, chat: dict[str, Any], got: list[Sent], count: int) -> bool:
        body = {"token": TOKEN, "chatId": chat["id"]}
        for item in await self.control("/getUpdates", body):
            got.append(Sent(item["messageId"], item["message"]))
        return len(got) >= count

    async def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.control(
            "/calls", {"method": method} if method else {}
        )
        return result

    async def refused_calls(self) -> list[dict[str, Any]]:
        return [call for call in await self.calls() if call["status"] != 200]


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Wait until `check()` holds; fail naming `what` after `WAIT` seconds."""
    deadline = time.monotonic() + WAIT
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB 22 warns on every `retry_after` (even when it builds the error) unless told to use
    timedeltas already, as its next major version will; the adapter reads both."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def telegram(
    emulator: str, settings: Settings, sqlite_db: Database, clock: FakeClock
) -> AsyncIterator[Telegram]:
    """Chorus on the emulator, started; stopped afterwards."""
    probe = Probe()
    core = build_core(settings, sqlite_db, clock)
    core.registry.add(probe)
    adapter = TelegramAdapter(
        token=TOKEN,
        api_url=emulator,
        dispatcher=core.dispatcher,
        catalogues=core.catalogues,
        place_events=PlaceEvents(sqlite_db, clock, core.doorbell),
        database=sqlite_db,
        clock=clock,
        poll_timeout=1,
        on_recipient_back=core.waves.service.recipient_back,
    )
    async with httpx.AsyncClient(base_url=emulator, timeout=WAIT) as http:
        world = Telegram(http, adapter, core, probe)
        await world.control("/reset")
        await adapter.start()
        try:
            yield world
        finally:
            await adapter.stop()
