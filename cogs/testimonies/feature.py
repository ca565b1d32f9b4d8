"""Commands and buttons of the testimonies cog: /testimony for members, /testimonies for
moderators and organisers.

Rejecting asks for a reason, and a button cannot open a form on every platform (Telegram
forms happen in a private chat reached by a link). So the Reject button answers, privately,
with the command that does it, `/testimonies reject T-…`, a form command: a modal on Discord,
a private conversation on Telegram, prompts on the console.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.core.commands import (
    Arguments,
    ButtonAction,
    Command,
    Context,
    FieldKind,
    Form,
    FormField,
    Scope,
)
from bot.core.errors import refuse
from bot.core.replies import Button, Reply
from bot.core.richtext import Code, Msg, doc, msg
from cogs.testimonies import texts
from cogs.testimonies.checks import Labels, StoryChecks
from cogs.testimonies.exporting import ExportService
from cogs.testimonies.model import CATEGORIES, Consent, Pseudonyms
from cogs.testimonies.moderation import Moderation
from cogs.testimonies.options import REFERENCE
from cogs.testimonies.review import ReviewService
from cogs.testimonies.service import Submission, TestimonyService
from storage.unit import Tx

LABELS = Labels(
    title=msg("testimony.field.title"),
    story=msg("testimony.field.story"),
    category=msg("testimony.field.category"),
    display_name=msg("testimony.field.name"),
)
CHECKS = StoryChecks(LABELS)
# Each field's own rule runs as it is answered, so a refusal never loses the other answers.
STORY_FORM = Form(
    title=msg("testimony.form.title"),
    fields=(
        FormField("title", LABELS.title, min_length=3, max_length=100, check=CHECKS.title),
        FormField(
            "story",
            LABELS.story,
            FieldKind.LONG,
            min_length=20,
            max_length=4000,
            check=CHECKS.story,
        ),
        FormField(
            "category",
            LABELS.category,
            FieldKind.CHOICE,
            choices=tuple((name, texts.category(name)) for name in CATEGORIES),
        ),
        FormField(
            "display_name",
            LABELS.display_name,
            required=False,
            max_length=60,
            check=CHECKS.display_name,
        ),
        FormField(
            "consent",
            msg("testimony.field.consent"),
            FieldKind.CHOICE,
            choices=tuple((c.value, texts.consent(c.value)) for c in Consent),
        ),
    ),
)


class Testimonies:
    """Members' stories: submitted with consent, reviewed by moderators, exported."""

    name = "testimonies"

    def __init__(
        self,
        members: TestimonyService,
        review: ReviewService,
        exports: ExportService,
        pseudonyms: Pseudonyms,
    ) -> None:
        self._members = members
        self._moderation = Moderation(review, exports, pseudonyms)

    def commands(self) -> Sequence[Command]:
        return (
            Command(
                "testimony share",
                msg("testimony.help.share"),
                self.share,
                form=STORY_FORM,
                scope=Scope.GROUP,
                default=True,
                precheck=self._members.check_quota,
            ),
            Command("testimony mine", msg("testimony.help.mine"), self.mine),
            Command(
                "testimony withdraw",
                msg("testimony.help.withdraw"),
                self.withdraw,
                options=(REFERENCE,),
            ),
            Command(
                "testimony delete",
                msg("testimony.help.delete"),
                self.delete,
                options=(REFERENCE,),
            ),
            *self._moderation.commands(),
        )

    def buttons(self) -> Sequence[ButtonAction]:
        # Members' buttons check authorship themselves: they may be pressed in a private chat.
        return (
            ButtonAction("testimony.withdraw", self.withdraw_pressed),
            ButtonAction("testimony.delete", self.delete_pressed),
            ButtonAction("testimony.erase", self.erase_pressed),
            *self._moderation.buttons(),
        )

    # --- members -------------------------------------------------------------------------
    async def share(self, context: Context, args: Arguments) -> Reply:
        """Tell how it helped you: a form; moderators review it before anything is published."""
        submission = Submission(
            title=args.text("title"),
            story=args.text("story"),
            category=args.text("category"),
            display_name=args.text("display_name"),
            consent=args.text("consent"),
        )
        testimony = await self._members.submit(context, submission, LABELS)
        return Reply(texts.receipt(testimony, _zone(context)), confidential=True)

    async def mine(self, context: Context, args: Arguments) -> Reply:
        """Your testimonies here, their state, and buttons to withdraw or delete them."""
        own = (await self._members.mine(context))[:10]
        return Reply(
            texts.mine(own, _zone(context)), buttons=texts.mine_buttons(own), confidential=True
        )

    async def withdraw(self, context: Context, args: Arguments) -> Reply:
        """Stop publishing and exporting one of your testimonies (it is kept)."""
        return await self.withdraw_pressed(context, args.text("ref"))

    async def delete(self, context: Context, args: Arguments) -> Reply:
        """Erase one of your testimonies for good (after a confirmation)."""
        return await self.delete_pressed(context, args.text("ref"))

    async def withdraw_pressed(self, context: Context, key: str) -> Reply:
        """Withdraw the testimony `key` (its author only)."""
        testimony = await self._members.withdraw(context, key)
        return _private(msg("testimony.withdrawn", reference=Code(testimony.reference)))

    async def delete_pressed(self, context: Context, key: str) -> Reply:
        """Ask the author to confirm the deletion of `key`."""
        testimony = await self._members.own(context, key)
        if testimony.status == "deleted":
            raise refuse("testimony.unknown", reference=testimony.reference)
        confirm = Button(
            "testimony.erase",
            msg("testimony.button.erase", reference=testimony.reference),
            testimony.reference,
        )
        reply = msg("testimony.delete.confirm", reference=Code(testimony.reference))
        return Reply(doc(reply), buttons=(confirm,), private=True)

    async def erase_pressed(self, context: Context, key: str) -> Reply:
        """Delete the testimony `key` (its author only): the text goes, the reference stays."""
        testimony = await self._members.delete(context, key)
        return _private(msg("testimony.deleted", reference=Code(testimony.reference)))

    # --- personal data (bot.core.privacy.KeepsPersonalData) -----------------------------
    def data_statement(self) -> Msg:
        return msg("testimony.privacy.statement")

    async def export_user_data(self, tx: Tx, user_key: str) -> dict[str, Any]:
        return await self._members.export_user_data(tx, user_key)

    async def forget_user(self, tx: Tx, user_key: str) -> None:
        await self._members.forget_user(tx, user_key)


def _zone(context: Context) -> str:
    return context.place.timezone if context.place else "UTC"


def _private(message: Msg) -> Reply:
    return Reply(doc(message), private=True)
