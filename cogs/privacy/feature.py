"""/privacy: what Chorus stores about you, your data as a file, and forgetting you.

Every cog that keeps something about people implements `KeepsPersonalData`; this cog asks
each of them, in the registry's order, plus the keepers of core data it is given. Forgetting
runs every keeper's hook and cancels the person's unsent outbox messages in one transaction:
nobody is left half-forgotten. It works anywhere, a private chat included, and only ever for
the person who asks.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Any

from bot.core.clock import Clock
from bot.core.commands import Arguments, ButtonAction, Command, Context
from bot.core.errors import refuse
from bot.core.privacy import KeepsPersonalData
from bot.core.registry import Registry
from bot.core.replies import Attachment, Button, Reply
from bot.core.richtext import Block, Bullets, Code, Para, doc, msg
from storage.database import Database

SCHEMA_VERSION = 1


class Privacy:
    """The /privacy commands."""

    name = "privacy"

    def __init__(
        self,
        registry: Registry,
        database: Database,
        clock: Clock,
        secret: str,
        keepers: Sequence[KeepsPersonalData] = (),
    ) -> None:
        self._registry = registry
        self._database = database
        self._clock = clock
        self._secret = secret.encode("utf-8")
        self._core_keepers = tuple(keepers)

    def commands(self) -> Sequence[Command]:
        return (
            Command(
                "privacy show",
                msg("privacy.help.show"),
                self.show,
                default=True,
                needs_campaign=False,
            ),
            Command(
                "privacy export", msg("privacy.help.export"), self.export, needs_campaign=False
            ),
            Command(
                "privacy forget", msg("privacy.help.forget"), self.forget, needs_campaign=False
            ),
        )

    def buttons(self) -> Sequence[ButtonAction]:
        return (ButtonAction("privacy.forget", self.forget_pressed),)

    def keepers(self) -> list[KeepsPersonalData]:
        """Every keeper of personal data: the core's, then each cog that declares itself one."""
        found = [cog for cog in self._registry.cogs if isinstance(cog, KeepsPersonalData)]
        return [*self._core_keepers, *found]

    async def show(self, context: Context, args: Arguments) -> Reply:
        """What Chorus keeps about you, feature by feature."""
        statements = tuple((keeper.data_statement(),) for keeper in self.keepers())
        blocks: tuple[Block, ...] = (
            Para((msg("privacy.intro"),)),
            Bullets(statements),
            Para(
                (
                    msg(
                        "privacy.commands",
                        export=Code("/privacy export"),
                        forget=Code("/privacy forget"),
                    ),
                )
            ),
        )
        return Reply(blocks, private=True)

    async def export(self, context: Context, args: Arguments) -> Reply:
        """Everything Chorus keeps about you, as a JSON file."""
        key = context.actor.key
        data: dict[str, Any] = {}
        async with self._database.read() as tx:
            for keeper in self.keepers():
                data[keeper.name] = await keeper.export_user_data(tx, key)
        document = {
            "schema_version": SCHEMA_VERSION,
            "kind": "chorus.personal_data",
            "user": key,
            "generated_at": self._clock.now().isoformat(),
            "data": data,
        }
        payload = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
        attachment = Attachment("chorus-my-data.json", payload, "application/json")
        return Reply(doc(msg("privacy.exported")), attachment=attachment, confidential=True)

    async def forget(self, context: Context, args: Arguments) -> Reply:
        """Erase everything Chorus keeps about you (after a confirmation)."""
        confirm = Button("privacy.forget", msg("privacy.button.forget"), self._token(context))
        return Reply(
            doc(msg("privacy.forget.confirm"), msg("privacy.forget.organisers")),
            buttons=(confirm,),
            private=True,
        )

    async def forget_pressed(self, context: Context, key: str) -> Reply:
        """Forget the person who pressed, if the button was made for them."""
        if not hmac.compare_digest(key, self._token(context)):
            # A confirmation shown to someone else (a quiet reply in a group): not theirs.
            raise refuse("privacy.forget.not_yours")
        user_key = context.actor.key
        now = self._clock.now()
        async with self._database.transaction() as tx:
            for keeper in self.keepers():
                await keeper.forget_user(tx, user_key)
            cancelled = await tx.outbox.cancel_for_user(user_key)
            # The audit log says that someone was forgotten, not who: a pseudonym only.
            await tx.audit.record(
                at=now,
                actor=f"forgotten:{self._token(context)}",
                action="privacy.forget",
                cancelled_messages=cancelled,
            )
        return Reply(doc(msg("privacy.forgotten")), private=True)

    def _token(self, context: Context) -> str:
        digest = hmac.new(self._secret, context.actor.key.encode("utf-8"), hashlib.sha256)
        return digest.hexdigest()[:16]
