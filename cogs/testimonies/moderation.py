"""Moderators' and organisers' commands and buttons: the queue, decisions, exports, settings.

Decision and paging buttons are declared for members: a queue shown privately may be
pressed in a private chat, where no campaign (and so no role) is known to the dispatcher.
Each press is authorised by the service against the testimony's own campaign instead.
"""

from __future__ import annotations

from collections.abc import Sequence

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
from bot.core.errors import refuse
from bot.core.options import Choice, ChoiceOption, IntegerOption, Option, TextOption
from bot.core.replies import Attachment, Button, Reply
from bot.core.richtext import Block, Bullets, Code, Inline, Moment, Msg, Para, doc, msg
from cogs.testimonies import texts
from cogs.testimonies.exporting import ExportRequest, ExportService
from cogs.testimonies.exports import ExportFormat
from cogs.testimonies.model import Pseudonyms, Status
from cogs.testimonies.options import REFERENCE, DateOption, start_of
from cogs.testimonies.review import QueuePage, ReviewService
from storage.repositories.testimonies import TestimonySettings

# Above this a file goes through the CLI: under Discord's upload limit for every server,
# and far under Telegram's.
CHAT_FILE_LIMIT = 8_000_000
YES_NO = (Choice("yes", msg("testimonies.choice.yes")), Choice("no", msg("testimonies.choice.no")))
REJECT_FORM = Form(
    title=msg("testimonies.reject.form"),
    fields=(
        FormField(
            "reason",
            msg("testimonies.reject.reason"),
            FieldKind.LONG,
            min_length=5,
            max_length=1000,
        ),
    ),
)
IDENTITIES_FORM = Form(
    title=msg("testimonies.identities.form"),
    fields=(
        FormField(
            "confirm",
            msg("testimonies.identities.confirm"),
            FieldKind.CHOICE,
            choices=(("yes", msg("testimonies.identities.confirm_yes")),),
        ),
    ),
)


class Moderation:
    """The /testimonies commands and the decision buttons."""

    def __init__(
        self, review: ReviewService, exports: ExportService, pseudonyms: Pseudonyms
    ) -> None:
        self._review = review
        self._exports = exports
        self._pseudonyms = pseudonyms

    def commands(self) -> Sequence[Command]:
        export_options: tuple[Option, ...] = (
            ChoiceOption(
                name="format",
                help=msg("testimonies.option.format"),
                required=False,
                choices=tuple(
                    Choice(f.value, msg(f"testimonies.format.{f.value}")) for f in ExportFormat
                ),
            ),
            ChoiceOption(
                name="status",
                help=msg("testimonies.option.status"),
                required=False,
                choices=(
                    Choice("approved", msg("testimonies.status_choice.approved")),
                    Choice("all", msg("testimonies.status_choice.all")),
                ),
            ),
            DateOption(name="since", help=msg("testimonies.option.since"), required=False),
        )
        return (
            Command(
                "testimonies queue",
                msg("testimonies.help.queue"),
                self.queue,
                options=(
                    IntegerOption(
                        name="page",
                        help=msg("testimonies.option.page"),
                        required=False,
                        min_value=1,
                        max_value=100_000,
                    ),
                ),
                permission=Permission.MODERATOR,
                default=True,
            ),
            Command(
                "testimonies show",
                msg("testimonies.help.show"),
                self.show,
                options=(REFERENCE,),
                permission=Permission.MODERATOR,
            ),
            Command(
                "testimonies reject",
                msg("testimonies.help.reject"),
                self.reject,
                options=(REFERENCE,),
                permission=Permission.MODERATOR,
                form=REJECT_FORM,
            ),
            Command(
                "testimonies review",
                msg("testimonies.help.review"),
                self.review_place,
                options=(
                    ChoiceOption(
                        name="where",
                        help=msg("testimonies.option.where"),
                        choices=(
                            Choice("here", msg("testimonies.where.here")),
                            Choice("off", msg("testimonies.where.off")),
                        ),
                    ),
                ),
                permission=Permission.MODERATOR,
                scope=Scope.GROUP,
            ),
            Command(
                "testimonies export",
                msg("testimonies.help.export"),
                self.export,
                options=(
                    *export_options,
                    ChoiceOption(
                        name="bom",
                        help=msg("testimonies.option.bom"),
                        required=False,
                        choices=YES_NO,
                    ),
                ),
                permission=Permission.MODERATOR,
            ),
            Command(
                "testimonies identities",
                msg("testimonies.help.identities"),
                self.export_identities,
                options=export_options,
                permission=Permission.ORGANISER,
                form=IDENTITIES_FORM,
            ),
            Command(
                "testimonies settings",
                msg("testimonies.help.settings"),
                self.settings,
                options=(
                    ChoiceOption(
                        name="post_approved",
                        help=msg("testimonies.option.post_approved"),
                        required=False,
                        choices=YES_NO,
                    ),
                    IntegerOption(
                        name="daily_limit",
                        help=msg("testimonies.option.daily_limit"),
                        required=False,
                        min_value=1,
                        max_value=100,
                    ),
                    IntegerOption(
                        name="pending_limit",
                        help=msg("testimonies.option.pending_limit"),
                        required=False,
                        min_value=1,
                        max_value=100,
                    ),
                    TextOption(
                        name="categories",
                        help=msg("testimonies.option.categories"),
                        required=False,
                        max_length=200,
                    ),
                ),
                permission=Permission.ORGANISER,
            ),
        )

    def buttons(self) -> Sequence[ButtonAction]:
        return (
            ButtonAction("testimony.approve", self.approve_pressed),
            ButtonAction("testimony.reject", self.reject_pressed),
            ButtonAction("testimony.feature", self.feature_pressed),
            ButtonAction("testimonies.page", self.page_pressed),
        )

    # --- the queue ---------------------------------------------------------------------
    async def queue(self, context: Context, args: Arguments) -> Reply:
        """Testimonies waiting for review, five a page, with their decision buttons."""
        return self._queue_reply(await self._review.queue(context, args.integer("page") or 1))

    async def page_pressed(self, context: Context, key: str) -> Reply:
        """Another page of the queue (`key` is `<campaign>.<page>`)."""
        campaign, _, page = key.partition(".")
        if not campaign.isdigit() or not page.isdigit():
            raise refuse("error.unknown_button")
        return self._queue_reply(await self._review.queue(context, int(page), int(campaign)))

    def _queue_reply(self, page: QueuePage) -> Reply:
        blocks: list[Block | Msg] = []
        buttons: list[Button] = []
        if page.total == 0:
            blocks.append(msg("testimonies.queue.empty"))
        else:
            blocks.append(
                msg("testimonies.queue.title", total=page.total, page=page.page, pages=page.pages)
            )
            for item in page.items:
                blocks.extend(texts.card(item, self._pseudonyms, excerpt=True))
                buttons.extend(texts.decision_buttons(item.reference, labelled=True))
            if page.page < page.pages:
                next_page = f"{page.campaign_id}.{page.page + 1}"
                buttons.append(Button("testimonies.page", msg("testimonies.queue.next"), next_page))
        if not page.has_review_place:
            blocks.append(
                msg("testimonies.queue.no_review_place", command=Code("/testimonies review here"))
            )
        return Reply(doc(*blocks), buttons=tuple(buttons), confidential=True)

    async def show(self, context: Context, args: Arguments) -> Reply:
        """One testimony in full, with its state and every decision taken on it."""
        testimony, decisions = await self._review.show(context, args.text("ref"))
        zone = _zone(context)
        state = msg(
            "testimonies.show.state",
            status=texts.status(testimony),
            when=Moment(testimony.created_at, zone),
        )
        pending = testimony.status == Status.PENDING
        return Reply(
            (
                *texts.card(testimony, self._pseudonyms),
                Para((state,)),
                *texts.history(decisions, zone),
            ),
            buttons=texts.decision_buttons(testimony.reference) if pending else (),
            confidential=True,
        )

    # --- decisions ---------------------------------------------------------------------
    async def approve_pressed(self, context: Context, key: str) -> Reply:
        """Approve the testimony `key`."""
        decided = await self._review.decide(context, key, "approve")
        return _private(msg("testimonies.decided.approve", reference=Code(decided.reference)))

    async def feature_pressed(self, context: Context, key: str) -> Reply:
        """Feature the testimony `key` (approving it if it was waiting)."""
        decided = await self._review.decide(context, key, "feature")
        return _private(msg("testimonies.decided.feature", reference=Code(decided.reference)))

    async def reject_pressed(self, context: Context, key: str) -> Reply:
        """Say how to reject `key`: a reason is needed, and a button cannot ask for one."""
        waiting = await self._review.pending(context, key)
        command = Code(f"/testimonies reject {waiting.reference}")
        return _private(msg("testimonies.reject.how", command=command))

    async def reject(self, context: Context, args: Arguments) -> Reply:
        """Reject a testimony with a reason, which its author receives privately."""
        decided = await self._review.decide(
            context, args.text("ref"), "reject", args.text("reason")
        )
        return _private(msg("testimonies.decided.reject", reference=Code(decided.reference)))

    async def review_place(self, context: Context, args: Arguments) -> Reply:
        """Make this moderators-only chat the review place (`here`), or stop (`off`)."""
        here = args.text("where") == "here"
        waiting = await self._review.set_review_place(context, here=here)
        if not here:
            return Reply(doc(msg("testimonies.review.off")))
        return Reply(
            doc(msg("testimonies.review.set", waiting=waiting), msg("testimonies.review.warning"))
        )

    # --- exports -----------------------------------------------------------------------
    async def export(self, context: Context, args: Arguments) -> Reply:
        """A file of the campaign's testimonies: anonymised, approved ones by default."""
        return await self._export(context, args, identities=False)

    async def export_identities(self, context: Context, args: Arguments) -> Reply:
        """A file that also names each author: personal data, for organisers only."""
        return await self._export(context, args, identities=True)

    async def _export(self, context: Context, args: Arguments, *, identities: bool) -> Reply:
        if context.campaign is None:
            raise refuse("error.not_set_up")
        request = ExportRequest(
            campaign_id=context.campaign.id,
            form=ExportFormat(args.text("format") or ExportFormat.CSV.value),
            status=args.text("status") or "approved",
            since=start_of(args.text("since"), _zone(context)),
            identities=identities,
            actor=context.actor.key,
            bom=args.text("bom") == "yes",
            place_id=context.place.id if context.place else None,
        )
        export = await self._exports.prepare(request)
        attachment: Attachment | None = await self._exports.attachment(export, CHAT_FILE_LIMIT)
        if attachment is None:
            raise refuse("testimonies.export.too_big", megabytes=CHAT_FILE_LIMIT // 1_000_000)
        notice = (
            "testimonies.export.identities_notice"
            if identities
            else "testimonies.export.anonymised_notice"
        )
        return Reply(
            doc(msg("testimonies.export.ready", count=export.count), msg(notice)),
            attachment=attachment,
            confidential=True,
        )

    # --- settings ----------------------------------------------------------------------
    async def settings(self, context: Context, args: Arguments) -> Reply:
        """Show or change the campaign's testimony settings: posting, quotas, categories."""
        changes: dict[str, object] = {}
        if "post_approved" in args:
            changes["post_approved"] = args.text("post_approved") == "yes"
        for name in ("daily_limit", "pending_limit"):
            if name in args:
                changes[name] = args.integer(name)
        if "categories" in args:
            changes["categories"] = args.text("categories")
        if changes:
            current = await self._review.change_settings(context, **changes)
        else:
            current = await self._review.settings(context)
        return Reply(_settings(current), private=True)


def _settings(current: TestimonySettings) -> tuple[Block, ...]:
    review: Inline = (
        Code(f"{current.review_platform}:{current.review_chat_id}")
        if current.review_chat_id
        else msg("testimonies.settings.none")
    )

    def limit(value: int | None) -> Inline:
        return (
            msg("testimonies.settings.default")
            if value is None
            else msg("testimonies.settings.number", value=value)
        )

    categories = ", ".join(current.categories)
    return (
        Para((msg("testimonies.settings.title"),)),
        Bullets(
            (
                (msg("testimonies.settings.review_place", place=review),),
                (
                    msg(
                        "testimonies.settings.post_approved",
                        value=msg(f"testimonies.choice.{'yes' if current.post_approved else 'no'}"),
                    ),
                ),
                (msg("testimonies.settings.daily_limit", value=limit(current.daily_limit)),),
                (msg("testimonies.settings.pending_limit", value=limit(current.pending_limit)),),
                (msg("testimonies.settings.categories", value=categories),),
            )
        ),
    )


def _zone(context: Context) -> str:
    return context.place.timezone if context.place else "UTC"


def _private(message: Msg) -> Reply:
    return Reply(doc(message), private=True)
