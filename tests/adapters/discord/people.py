"""People using Chorus on the fake Discord: their slash commands, form submits and presses.

Each action is a gateway INTERACTION_CREATE payload, as Discord would send it; its
`Exchange` is what Chorus sent back for that interaction over REST.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from typing import Any

from tests.adapters.discord.fakediscord import (
    APP_ID,
    EVERYONE,
    GENERAL_ID,
    GUILD_ID,
    JSON,
    MANAGE_GUILD,
    FakeDiscord,
    Request,
    member,
)

EPHEMERAL = 64
OPTION_TYPES = {str: 3, int: 4}
_tokens = itertools.count(1)


@dataclass(frozen=True)
class Channel:
    """A channel picked in a channel option."""

    id: int


@dataclass(frozen=True)
class Mention:
    """A user picked in a user option."""

    user: JSON


class Exchange:
    """Chorus's REST requests answering one interaction."""

    def __init__(self, requests: list[Request]) -> None:
        self.requests = requests

    @property
    def callbacks(self) -> list[JSON]:
        return [
            r.body
            for r in self.requests
            if r.path.endswith("/callback") and isinstance(r.body, dict)
        ]

    @property
    def first(self) -> JSON:
        """The interaction response (type 4 message, 5 deferred, 9 modal, …)."""
        assert self.callbacks, f"no response; requests: {self.requests}"
        return self.callbacks[0]

    @property
    def messages(self) -> list[JSON]:
        """Message bodies: the response's and every followup's."""
        found = [c["data"] for c in self.callbacks if c["type"] == 4]
        found += [
            r.body
            for r in self.requests
            if r.method == "POST" and r.path.startswith("/webhooks/") and isinstance(r.body, dict)
        ]
        return found

    @property
    def posted(self) -> list[JSON]:
        """The message objects Discord created for `messages`, in the same order."""
        found = [
            r.answer["resource"]["message"]
            for r in self.requests
            if r.path.endswith("/callback") and r.answer.get("resource", {}).get("message")
        ]
        found += [
            r.answer
            for r in self.requests
            if r.method == "POST" and r.path.startswith("/webhooks/")
        ]
        return found

    @property
    def text(self) -> str:
        return "\n".join(m.get("content") or "" for m in self.messages)

    @property
    def private(self) -> bool:
        """Every message is ephemeral ("only you can see this")."""
        return bool(self.messages) and all(m.get("flags", 0) & EPHEMERAL for m in self.messages)

    @property
    def modal(self) -> JSON:
        assert self.first["type"] == 9, f"not a modal: {self.first}"
        data: JSON = self.first["data"]
        return data

    def buttons(self) -> list[JSON]:
        return [
            button
            for message in self.messages
            for row in message.get("components", [])
            for button in row.get("components", [])
        ]


class Person:
    """Someone in the test server (or in a DM with the bot)."""

    def __init__(self, fake: FakeDiscord, who: JSON, *, admin: bool = False) -> None:
        self.fake = fake
        self.who = who
        self.permissions = EVERYONE | (MANAGE_GUILD if admin else 0)

    async def slash(
        self,
        path: str,
        *,
        dm: bool = False,
        in_channel: int = GENERAL_ID,
        requests: int = 1,
        **options: Any,
    ) -> Exchange:
        """Run `/path` with typed `options`, as Discord sends it.

        Waits for at least `requests` REST requests answering it, and for the bot to have
        finished handling it.
        """
        words = path.split(" ")
        values, resolved = self._options(options)
        data: JSON = {"id": str(self.fake.next_id()), "name": words[0], "type": 1}
        if len(words) == 2:
            data["options"] = [{"type": 1, "name": words[1], "options": values}]
        else:
            data["options"] = values
        if resolved:
            data["resolved"] = resolved
        return await self._interact(2, data, dm=dm, channel=in_channel, requests=requests)

    async def autocomplete(self, path: str, option: str, typed: str) -> Exchange:
        """Type `typed` into `option` of `/path`: Discord asks for suggestions."""
        focused = {"type": 3, "name": option, "value": typed, "focused": True}
        data = {"id": str(self.fake.next_id()), "name": path, "type": 1, "options": [focused]}
        return await self._interact(4, data)

    async def submit(self, shown: Exchange, answers: dict[str, str]) -> Exchange:
        """Fill in and submit the modal that `shown` opened (values keyed by custom_id)."""
        modal = shown.modal
        components = []
        for label in modal["components"]:
            inner = label["component"]
            value = answers.get(inner["custom_id"], "")
            if inner["type"] == 3:
                components.append(
                    {
                        "type": 18,
                        "component": {
                            "type": 3,
                            "custom_id": inner["custom_id"],
                            "values": [value] if value else [],
                        },
                    }
                )
            else:
                components.append(
                    {
                        "type": 18,
                        "component": {"type": 4, "custom_id": inner["custom_id"], "value": value},
                    }
                )
        data = {"custom_id": modal["custom_id"], "components": components}
        return await self._interact(5, data)

    async def press(self, shown: Exchange, label: str, *, message_index: int = -1) -> Exchange:
        """Press the button labelled `label` on a message `shown` carries."""
        message = shown.posted[message_index]
        [button] = [b for b in shown.buttons() if b.get("label") == label]
        data = {"custom_id": button["custom_id"], "component_type": 2}
        return await self._interact(3, data, message=message)

    # --- payloads -----------------------------------------------------------------------
    def _options(self, options: dict[str, Any]) -> tuple[list[JSON], JSON]:
        values: list[JSON] = []
        resolved: JSON = {}
        for name, value in options.items():
            if isinstance(value, Channel):
                values.append({"type": 7, "name": name, "value": str(value.id)})
                resolved.setdefault("channels", {})[str(value.id)] = {
                    "id": str(value.id),
                    "type": 0,
                    "name": "channel",
                    "permissions": str(EVERYONE),
                    "guild_id": str(GUILD_ID),
                }
            elif isinstance(value, Mention):
                user_id = value.user["id"]
                values.append({"type": 6, "name": name, "value": user_id})
                resolved.setdefault("users", {})[user_id] = value.user
            else:
                values.append({"type": OPTION_TYPES[type(value)], "name": name, "value": value})
        return values, resolved

    async def _interact(
        self,
        kind: int,
        data: JSON,
        *,
        dm: bool = False,
        channel: int = GENERAL_ID,
        message: JSON | None = None,
        requests: int = 1,
    ) -> Exchange:
        interaction_id = self.fake.next_id()
        token = f"token-{next(_tokens)}"
        payload: JSON = {
            "id": str(interaction_id),
            "application_id": str(APP_ID),
            "type": kind,
            "token": token,
            "version": 1,
            "data": data,
            "locale": "en-US",
            "entitlements": [],
            "app_permissions": str(EVERYONE),
            "attachment_size_limit": 10485760,
        }
        if dm:
            payload["channel_id"] = "1100000000000000098"
            payload["channel"] = {"id": "1100000000000000098", "type": 1, "recipients": [self.who]}
            payload["user"] = self.who
            payload["context"] = 1
            payload["authorizing_integration_owners"] = {"0": str(GUILD_ID)}
        else:
            payload["guild_id"] = str(GUILD_ID)
            payload["guild"] = {"id": str(GUILD_ID), "locale": "en-US", "features": []}
            payload["guild_locale"] = "en-US"
            payload["channel_id"] = str(channel)
            payload["channel"] = {
                "id": str(channel),
                "type": 0,
                "guild_id": str(GUILD_ID),
                "name": "general",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
                "permissions": str(self.permissions),
            }
            payload["member"] = member(self.who, self.permissions)
            payload["context"] = 0
            payload["authorizing_integration_owners"] = {"0": str(GUILD_ID)}
        if message is not None:
            payload["message"] = message
        start = len(self.fake.requests)

        def mine() -> list[Request]:
            return [r for r in self.fake.requests[start:] if r.interaction_token == token]

        before = asyncio.all_tasks()
        await self.fake.dispatch("INTERACTION_CREATE", payload)
        await self.fake.handled(after=lambda: len(mine()) >= requests, before=before)
        return Exchange(mine())
