"""A small Discord on 127.0.0.1: REST and gateway, enough for discord.py 2.7 to run Chorus.

discord.py itself is not touched: its REST base URL and gateway URL point here, so the
real HTTP client, rate-limit and error handling, multipart encoding, gateway parsing, cache
and command tree all run. The fake records every REST request and answers it like Discord
(message objects, interaction callback responses, enforced nonces); tests inject errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import discord
import pytest
import yarl
from aiohttp import BodyPartReader, WSMsgType, web

JSON = dict[str, Any]

APP_ID = 1100000000000000010
BOT_ID = APP_ID
GUILD_ID = 1100000000000000001
GENERAL_ID = 1100000000000000002
READ_ONLY_ID = 1100000000000000003  # the bot may not send messages here
ADMIN_ID = 1100000000000000020
MEMBER_ID = 1100000000000000021
DM_CHANNEL_ID = 1100000000000000099

VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
ATTACH_FILES = 1 << 15
READ_HISTORY = 1 << 16
USE_COMMANDS = 1 << 31
MANAGE_GUILD = 1 << 5
EVERYONE = VIEW_CHANNEL | SEND_MESSAGES | ATTACH_FILES | READ_HISTORY | USE_COMMANDS
TIMESTAMP = "2026-06-01T12:00:00+00:00"


def user(user_id: int, name: str, *, bot: bool = False) -> JSON:
    return {
        "id": str(user_id),
        "username": name,
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


BOT = user(BOT_ID, "Chorus", bot=True)
ADMIN = user(ADMIN_ID, "ada")
MEMBER = user(MEMBER_ID, "max")


def channel(channel_id: int, name: str, overwrites: list[JSON] | None = None) -> JSON:
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": str(GUILD_ID),
        "name": name,
        "position": 0,
        "permission_overwrites": overwrites or [],
        "nsfw": False,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "parent_id": None,
        "flags": 0,
    }


def guild() -> JSON:
    """A server with #general and #read-only, where the bot lacks Send Messages."""
    deny_send = {"id": str(BOT_ID), "type": 1, "allow": "0", "deny": str(SEND_MESSAGES)}
    return {
        "id": str(GUILD_ID),
        "name": "Keep 4o HQ",
        "icon": None,
        "owner_id": str(ADMIN_ID),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "features": [],
        "roles": [
            {
                "id": str(GUILD_ID),
                "name": "@everyone",
                "permissions": str(EVERYONE),
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }
        ],
        "emojis": [],
        "stickers": [],
        "channels": [
            channel(GENERAL_ID, "general"),
            channel(READ_ONLY_ID, "read-only", [deny_send]),
        ],
        "threads": [],
        "members": [member(BOT)],
        "member_count": 3,
        "large": False,
        "unavailable": False,
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "joined_at": TIMESTAMP,
    }


def member(who: JSON, permissions: int | None = None) -> JSON:
    data: JSON = {
        "user": who,
        "roles": [],
        "joined_at": TIMESTAMP,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "nick": None,
        "avatar": None,
    }
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


# The names discord.py gives the tasks that handle an interaction (a command, a button, a
# form) or a gateway event (`discord.py: on_guild_channel_delete`, `…: on_interaction`).
HANDLER_TASKS = (
    "CommandTree-invoker",
    "discord-ui-view-dispatch-",
    "discord-ui-dynamic-item-",
    "discord-ui-modal-dispatch-",
    "discord.py: on_",
)
# How long a test waits for the bot before it fails with the requests seen so far. Generous:
# only a broken bot reaches it, never a slow machine.
PATIENCE = 30.0


@dataclass
class Request:
    """One REST request as Discord would have received it."""

    method: str
    path: str
    query: dict[str, str]
    body: JSON | list[Any] | None
    files: dict[str, bytes] = field(default_factory=dict)
    answer: Any = None
    status: int = 200

    @property
    def interaction_token(self) -> str | None:
        match = re.match(r"^/(?:interactions/\d+|webhooks/\d+)/([^/]+)", self.path)
        return match.group(1) if match else None


@dataclass
class Failure:
    method: str
    path: re.Pattern[str]
    status: int
    body: JSON
    headers: dict[str, str]
    times: int
    delay: float


class FakeDiscord:
    """REST under `/api/v10`, the gateway at `/gateway`, both on one loopback port."""

    def __init__(self, guilds: list[JSON] | None = None) -> None:
        self.guilds = guilds if guilds is not None else [guild()]
        self.requests: list[Request] = []
        # Ids of messages someone deleted: editing one answers 404 Unknown Message.
        self.deleted: set[str] = set()
        # Channels where the bot lost a permission: posting there answers this 403 body.
        self.refusing: dict[str, JSON] = {}
        self.identify: JSON | None = None
        self._failures: list[Failure] = []
        self._nonces: dict[tuple[str, str], JSON] = {}
        self._ids = itertools.count(1200000000000000000)
        self._sequence = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.changed = asyncio.Event()

    # --- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        for socket in self._sockets:
            with contextlib.suppress(Exception):
                await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api(self) -> str:
        return f"{self.url}/api/v10"

    @property
    def gateway(self) -> str:
        return self.url.replace("http://", "ws://") + "/gateway"

    # --- test controls -------------------------------------------------------------------
    def fail(
        self,
        method: str,
        path: str,
        status: int,
        body: JSON | None = None,
        *,
        headers: dict[str, str] | None = None,
        times: int = 1,
        delay: float = 0.0,
    ) -> None:
        """Answer the next `times` requests matching `method` and the `path` regex so.

        `delay` makes Discord slow to answer (a hung connection).
        """
        self._failures.append(
            Failure(method, re.compile(path), status, body or {}, headers or {}, times, delay)
        )

    def forbid(self, channel_id: int, code: int = 50013) -> None:
        """From now on the bot may not post in that channel: someone took its permission away.
        Posting (or editing) there answers 403 with `code`, 50013 Missing Permissions or
        50001 Missing Access, as Discord does, until `allow`."""
        text = {50013: "Missing Permissions", 50001: "Missing Access"}.get(code, "Forbidden")
        self.refusing[str(channel_id)] = {"message": text, "code": code}

    def allow(self, channel_id: int) -> None:
        """The permission is given back."""
        self.refusing.pop(str(channel_id), None)

    async def dispatch(self, event: str, data: JSON) -> None:
        """Push a gateway event (INTERACTION_CREATE, GUILD_DELETE, …) to the bot."""
        payload = {"op": 0, "t": event, "s": next(self._sequence), "d": data}
        for socket in self._sockets:
            await socket.send_str(json.dumps(payload))

    async def handled(self, *, after: Callable[[], bool], before: set[asyncio.Task[Any]]) -> None:
        """Wait until `after()` holds and the bot has finished handling what it was sent since
        the tasks `before` were running: every task discord.py started since then to handle an
        interaction (a command, a button, a form, `on_interaction`) is done, so every request
        it made has been answered and recorded. No wall-clock guess: a busy machine only makes
        it slower."""
        await self.requested(after)
        await self.finished(before)

    @staticmethod
    async def finished(before: set[asyncio.Task[Any]]) -> None:
        """Wait until every task discord.py started since `before` to handle an interaction or
        a gateway event (`on_…`) is done, including the ones those started."""
        while True:
            handling = [
                task
                for task in asyncio.all_tasks() - before
                if task.get_name().startswith(HANDLER_TASKS) and not task.done()
            ]
            if not handling:
                return
            await asyncio.wait(handling)

    async def requested(self, after: Callable[[], bool]) -> None:
        """Wait until `after()` holds; it is checked again at every request the fake records."""
        try:
            async with asyncio.timeout(PATIENCE):
                while True:
                    self.changed.clear()
                    if after():
                        return
                    await self.changed.wait()
        except TimeoutError:
            raise AssertionError(f"timed out; requests: {self.requests}") from None

    async def quiet(self, *, after: Callable[[], bool]) -> None:
        """Wait until `after()` holds, and then for a moment without requests.

        The moment only looks for requests that should not come (a second post): on a busy
        machine it can miss one, never fail a test that should pass."""
        await self.requested(after)
        count = -1
        while count != len(self.requests):
            count = len(self.requests)
            await asyncio.sleep(0.05)

    def next_id(self) -> int:
        return next(self._ids)

    # --- gateway ---------------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        async for message in socket:
            if message.type is not WSMsgType.TEXT:
                break
            frame = json.loads(message.data)
            if frame["op"] == 1:
                await socket.send_str(json.dumps({"op": 11}))
            elif frame["op"] == 2:
                self.identify = frame["d"]
                await self._ready(socket)
        self._sockets.remove(socket)
        return socket

    async def _ready(self, socket: web.WebSocketResponse) -> None:
        ready = {
            "v": 10,
            "user": BOT,
            "guilds": [{"id": g["id"], "unavailable": True} for g in self.guilds],
            "session_id": "session",
            "resume_gateway_url": self.gateway,
            "application": {"id": str(APP_ID), "flags": 0},
            "private_channels": [],
        }
        frames = [{"op": 0, "t": "READY", "s": next(self._sequence), "d": ready}]
        frames += [
            {"op": 0, "t": "GUILD_CREATE", "s": next(self._sequence), "d": g} for g in self.guilds
        ]
        for frame in frames:
            await socket.send_str(json.dumps(frame))

    # --- REST ------------------------------------------------------------------------------
    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body, files = await _read_body(request)
        recorded = Request(request.method, path, dict(request.query), body, files)
        self.requests.append(recorded)
        self.changed.set()
        for failure in self._failures:
            if failure.times > 0 and failure.method == request.method and failure.path.search(path):
                failure.times -= 1
                await asyncio.sleep(failure.delay)
                return _json(failure.body, failure.status, failure.headers)
        status, answer = self._answer(request.method, path, body)
        recorded.answer, recorded.status = answer, status
        if status == 204:
            return web.Response(status=204)
        return _json(answer, status)

    def _answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        posted = re.fullmatch(r"/channels/(\d+)/messages(/\d+)?", path)
        if posted and method in {"POST", "PATCH"} and posted.group(1) in self.refusing:
            return 403, self.refusing[posted.group(1)]
        edited = re.fullmatch(r"/channels/(\d+)/messages/(\d+)", path)
        if edited and method == "PATCH":
            if edited.group(2) in self.deleted:
                return 404, {"message": "Unknown Message", "code": 10008}
            return 200, {**self._message(edited.group(1), body), "id": edited.group(2)}
        if re.fullmatch(r"/channels/\d+/(messages/)?pins/\d+", path) and method == "PUT":
            return 204, None
        if path == "/users/@me":
            return 200, BOT
        if path == "/oauth2/applications/@me":
            return 200, _application()
        if match := re.fullmatch(r"/interactions/(\d+)/[^/]+/callback", path):
            return 200, self._callback(match.group(1), body)
        if re.fullmatch(r"/webhooks/\d+/[^/]+", path) and method == "POST":
            return 200, self._message(None, body)
        if re.fullmatch(r"/webhooks/\d+/[^/]+/messages/@original", path):
            return (204, None) if method == "DELETE" else (200, self._message(None, body))
        if match := re.fullmatch(r"/channels/(\d+)/messages", path):
            return 200, self._channel_message(match.group(1), body)
        if path == "/users/@me/channels":
            recipient = user(int(body["recipient_id"]), "someone")
            return 200, {"id": str(DM_CHANNEL_ID), "type": 1, "recipients": [recipient]}
        if re.fullmatch(r"/applications/\d+(/guilds/\d+)?/commands", path) and method == "PUT":
            return 200, [
                {
                    **command,
                    "id": str(self.next_id()),
                    "application_id": str(APP_ID),
                    "version": "1",
                }
                for command in body
            ]
        if re.fullmatch(r"/applications/\d+(/guilds/\d+)?/commands", path):
            return 200, []
        return 404, {"message": "Unknown route", "code": 0}

    def _callback(self, interaction_id: str, body: JSON) -> JSON:
        kind = body["type"]
        answer: JSON = {"interaction": {"id": interaction_id, "type": 2}}
        if kind == 4:
            message = self._message(None, body.get("data", {}))
            answer["interaction"]["response_message_id"] = message["id"]
            answer["resource"] = {"type": 4, "message": message}
        elif kind == 5:
            answer["interaction"]["response_message_loading"] = True
            answer["resource"] = {"type": 5}
        else:
            answer["resource"] = {"type": kind}
        return answer

    def _channel_message(self, channel_id: str, body: JSON) -> JSON:
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            key = (channel_id, str(nonce))
            if key not in self._nonces:
                self._nonces[key] = self._message(channel_id, body)
            return self._nonces[key]
        return self._message(channel_id, body)

    def _message(self, channel_id: str | None, body: JSON) -> JSON:
        return {
            "id": str(self.next_id()),
            "channel_id": channel_id or str(GENERAL_ID),
            "author": BOT,
            "content": body.get("content") or "",
            "timestamp": TIMESTAMP,
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": body.get("flags", 0) or 0,
            "components": body.get("components", []),
            "nonce": body.get("nonce"),
        }

    # --- reading what was sent -------------------------------------------------------------
    def sent_messages(self) -> Iterator[JSON]:
        """Every message body Chorus sent: interaction replies, followups, channel posts."""
        for request in self.requests:
            if not isinstance(request.body, dict):
                continue
            if request.path.endswith("/callback") and request.body.get("type") == 4:
                yield request.body["data"]
            elif request.method == "POST" and (
                re.fullmatch(r"/webhooks/\d+/[^/]+", request.path)
                or re.fullmatch(r"/channels/\d+/messages", request.path)
            ):
                yield request.body


def _application() -> JSON:
    return {
        "id": str(APP_ID),
        "name": "Chorus",
        "description": "",
        "icon": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": ADMIN,
        "verify_key": "0" * 64,
        "flags": 0,
        "summary": "",
    }


async def _read_body(request: web.Request) -> tuple[Any, dict[str, bytes]]:
    if request.content_type == "application/json":
        return await request.json(), {}
    if request.content_type.startswith("multipart/"):
        body: Any = None
        files: dict[str, bytes] = {}
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "payload_json":
                body = json.loads(await part.text())
            elif part.filename:
                files[part.filename] = bytes(await part.read())
        return body, files
    return None, {}


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py parses JSON only when the content type is exactly application/json.
    response = web.Response(body=json.dumps(data).encode(), status=status, headers=headers or {})
    response.content_type = "application/json"
    response.charset = None
    return response


@contextlib.asynccontextmanager
async def serving(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    """A fake Discord, running, with discord.py's REST and gateway URLs pointing at it."""
    fake = FakeDiscord()
    await fake.start()
    monkeypatch.setattr(discord.http.Route, "BASE", fake.api)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway))
    try:
        yield fake
    finally:
        await fake.stop()
