"""Forms as a private conversation: one question per message, in the user's private chat.

From a group, a form command answers with a button that opens the private chat through a
deep link (`t.me/<bot>?start=<token>`); the token stands, in the database, for the command,
its options, the group and the user, and works once, for that user, for 30 minutes. From a
private chat the conversation starts at once. Each answer is checked as it arrives (its
length, and its field's own check) and a bad one is asked again with the reason; /cancel
leaves; /skip leaves an optional field empty; a form left unanswered for 30 minutes expires.
The conversation is kept in the database, so a restart does not lose it. When the last answer
arrives the command is checked again (the user's rights may have changed) and run as if typed
in the group. Should it still be refused, the conversation goes on: the refused field (else
the last one) is asked again, every other answer kept, and answering it submits again.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.adapters.telegram.admins import Administrators, Incoming
from bot.adapters.telegram.outgoing import Markup, Poster
from bot.core.actors import Actor, ChatKind, PlaceRef, Platform
from bot.core.clock import Clock
from bot.core.commands import Arguments, Command, FieldKind, Form, FormInput
from bot.core.dispatcher import Call, Dispatcher, Prepared, Response
from bot.core.errors import UserError
from bot.core.forms import check_field, resume_at
from bot.core.probe import PlaceProbe
from bot.core.replies import Reply
from bot.core.richtext import Block, Document, Msg, doc, msg
from storage.database import Database

LINK_KIND = "form_link"
CONVERSATION_KIND = "form"
FORM_TTL = timedelta(minutes=30)
# An expired conversation is kept this long after its deadline, to say "expired" rather than
# "nothing to answer" to a late answer; then it is purged.
KEEP_EXPIRED = timedelta(days=1)


def place_to_data(place: PlaceRef) -> dict[str, str]:
    return {
        "external_id": place.external_id,
        "chat_id": place.chat_id,
        "kind": place.kind.value,
        "title": place.title,
    }


def place_from_data(data: dict[str, Any]) -> PlaceRef:
    return PlaceRef(
        Platform.TELEGRAM,
        str(data["external_id"]),
        str(data["chat_id"]),
        ChatKind(data["kind"]),
        str(data.get("title", "")),
    )


@dataclass(slots=True)
class Conversation:
    """A form being answered: the command, where it was called, the answers so far."""

    path: str
    raw: dict[str, str]
    place: PlaceRef
    locale: str
    deadline: datetime
    answers: dict[str, str] = field(default_factory=dict)
    # The field asked again after the submitted form was refused; its answer submits again.
    again: str | None = None

    def position(self, form: Form) -> int:
        """The index of the question being asked."""
        if self.again is not None:
            return resume_at(form, self.again)
        return len(self.answers)

    def to_data(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "raw": self.raw,
            "place": place_to_data(self.place),
            "locale": self.locale,
            "deadline": self.deadline.isoformat(),
            "answers": self.answers,
            "again": self.again,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Conversation:
        return cls(
            path=str(data["path"]),
            raw={str(k): str(v) for k, v in data["raw"].items()},
            place=place_from_data(data["place"]),
            locale=str(data["locale"]),
            deadline=datetime.fromisoformat(data["deadline"]),
            answers={str(k): str(v) for k, v in data.get("answers", {}).items()},
            again=str(data["again"]) if data.get("again") else None,
        )


def conversation_token(user_id: int) -> str:
    return f"form:{user_id}"


class FormFlow:
    """Runs form conversations in private chats."""

    def __init__(
        self,
        *,
        dispatcher: Dispatcher,
        database: Database,
        clock: Clock,
        poster: Poster,
        admins: Administrators,
        probe: PlaceProbe,
        bot_username: Callable[[], str],
        ttl: timedelta = FORM_TTL,
    ) -> None:
        self._dispatcher = dispatcher
        self._database = database
        self._clock = clock
        self._poster = poster
        self._admins = admins
        self._probe = probe
        self._bot_username = bot_username
        self._ttl = ttl

    @property
    def minutes(self) -> int:
        return int(self._ttl.total_seconds() // 60)

    # --- starting -------------------------------------------------------------------------
    async def offer_link(self, incoming: Incoming, prepared: Prepared, form: Form) -> None:
        """From a group: a button that opens `form` (the command's) in the user's private
        chat."""
        locale = await self._dispatcher.locale_for(incoming.where)
        if incoming.user_id is None:
            await self._poster.answer(incoming, _say(locale, msg("telegram.form_anonymous")))
            return
        token = secrets.token_urlsafe(16)
        now = self._clock.now()
        async with self._database.transaction() as tx:
            await tx.tokens.delete_expired(now)
            await tx.tokens.create(
                token=token,
                kind=LINK_KIND,
                payload={
                    "path": prepared.call.command.path,
                    "raw": dict(prepared.call.raw),
                    "place": place_to_data(incoming.where),
                },
                user_key=incoming.actor.key,
                now=now,
                expires_at=now + self._ttl,
            )
        label = self._poster.plain(locale).message(msg("telegram.form_open"))
        url = f"https://t.me/{self._bot_username()}?start={token}"
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(label, url=url)]])
        body = doc(msg("telegram.form_link", title=form.title, minutes=self.minutes))
        await self._poster.answer_in(
            incoming.chat_id,
            Response(Reply(body), locale),
            markup=markup,
            reply_to=incoming.message_id,
            thread_id=incoming.thread_id,
        )

    async def open_link(self, incoming: Incoming, token: str) -> None:
        """`/start <token>` in the private chat: the form offered in a group begins."""
        locale = await self._dispatcher.locale_for(incoming.where)
        now = self._clock.now()
        async with self._database.transaction() as tx:
            record = await tx.tokens.get(token, LINK_KIND, now)
            if record is not None and record.user_key == incoming.actor.key:
                await tx.tokens.delete(token)  # a link opens one conversation, once
        if record is None:
            await self._poster.answer(incoming, _say(locale, msg("telegram.link_expired")))
            return
        if record.user_key != incoming.actor.key:
            await self._poster.answer(incoming, _say(locale, msg("telegram.link_not_yours")))
            return
        place = place_from_data(record.payload["place"])
        raw = {str(k): str(v) for k, v in record.payload["raw"].items()}
        locale = await self._dispatcher.locale_for(place)
        await self._begin(incoming, str(record.payload["path"]), raw, place, locale)

    async def start_here(self, incoming: Incoming, prepared: Prepared) -> None:
        """A form command typed in the private chat: the conversation starts at once."""
        locale = await self._dispatcher.locale_for(incoming.where)
        raw = dict(prepared.call.raw)
        await self._begin(incoming, prepared.call.command.path, raw, incoming.where, locale)

    async def _begin(
        self, incoming: Incoming, path: str, raw: dict[str, str], place: PlaceRef, locale: str
    ) -> None:
        command = self._dispatcher.registry.get(path)
        if command is None or command.form is None or incoming.user_id is None:
            await self._poster.answer(incoming, self._dispatcher.unknown_command(path, locale))
            return
        conversation = Conversation(path, raw, place, locale, self._clock.now() + self._ttl)
        await self._save(incoming.user_id, conversation)
        intro = doc(command.form.title, msg("form.cancel_hint"))
        await self._poster.document(incoming.chat_id, intro, locale)
        await self._ask(incoming, command.form, conversation)

    # --- answering --------------------------------------------------------------------------
    async def answer(self, incoming: Incoming, text: str | None) -> bool:
        """A message in the private chat (None for /skip); False when no form is open."""
        user_id = incoming.user_id
        if user_id is None:
            return False
        found = await self._load(user_id)
        if found is None:
            return False
        conversation, command, form = found
        now = self._clock.now()
        if now >= conversation.deadline:
            await self._forget(user_id)
            expired = msg("telegram.form_expired", minutes=self.minutes, command=command.path)
            await self._poster.answer(incoming, _say(conversation.locale, expired))
            return True
        index = conversation.position(form)
        question = form.fields[index]
        if text is None and question.required:
            await self._ask(
                incoming, form, conversation, doc(msg("form.required", field=question.label))
            )
            return True
        prepared = await self._prepare(incoming, user_id, conversation, command)
        if isinstance(prepared, Response):
            # Refused now (rights changed): said, and the answers kept for a later try.
            await self._poster.answer_in(incoming.chat_id, prepared)
            return True
        earlier = {f.name: conversation.answers[f.name] for f in form.fields[:index]}
        context = prepared.context
        around = FormInput(context, Arguments({**prepared.values, **earlier}, context.actor))
        try:
            answer = check_field(question, text or "", around)
        except UserError as refusal:
            await self._ask(incoming, form, conversation, doc(refusal.message))
            return True
        conversation.answers[question.name] = answer
        conversation.deadline = now + self._ttl
        if conversation.again is None and len(conversation.answers) < len(form.fields):
            await self._save(user_id, conversation)
            await self._ask(incoming, form, conversation)
            return True
        conversation.again = None
        # Forgotten while it is submitted: a second message then cannot submit it twice.
        await self._forget(user_id)
        await self._submit(incoming, user_id, conversation, prepared, form)
        return True

    async def cancel(self, incoming: Incoming) -> None:
        """/cancel: leave the open form, saving nothing."""
        locale = await self._dispatcher.locale_for(incoming.where)
        forgotten = incoming.user_id is not None and await self._forget(incoming.user_id)
        said = msg("form.cancelled") if forgotten else msg("telegram.nothing_to_cancel")
        if incoming.in_group:
            await self._poster.answer(incoming, _say(locale, said))
        else:
            await self._poster.document(incoming.chat_id, doc(said), locale, ReplyKeyboardRemove())

    async def _ask(
        self,
        incoming: Incoming,
        form: Form,
        conversation: Conversation,
        said: Document = (),
    ) -> None:
        """The current question, after what must be `said` first (why it is asked again)."""
        index = conversation.position(form)
        question = form.fields[index]
        blocks: list[Block | Msg] = list(said)
        total = len(form.fields)
        blocks.append(
            msg("telegram.form_step", step=index + 1, total=total, question=question.label)
        )
        markup: Markup = ReplyKeyboardRemove()
        if question.kind is FieldKind.CHOICE:
            values = [value for value, _label in question.choices]
            blocks.append(msg("form.choices", choices=", ".join(values)))
            markup = _choice_keyboard(values)
        elif not question.required:
            blocks.append(msg("telegram.form_optional"))
        await self._poster.document(incoming.chat_id, doc(*blocks), conversation.locale, markup)

    async def _prepare(
        self, incoming: Incoming, user_id: int, conversation: Conversation, command: Command
    ) -> Prepared | Response:
        """The command as called in its place, with the caller's rights there now."""
        place = conversation.place
        actor = incoming.actor
        if place.kind is ChatKind.GROUP:
            admin = await self._admins.is_admin(int(place.chat_id), user_id)
            actor = Actor(actor.platform, actor.user_id, actor.display_name, is_place_admin=admin)
        call = Call(actor, place, command, conversation.raw, self._probe)
        return await self._dispatcher.prepare(call, answered=True)

    async def _submit(
        self,
        incoming: Incoming,
        user_id: int,
        conversation: Conversation,
        prepared: Prepared,
        form: Form,
    ) -> None:
        """Run the command where it was called (`prepared` with the caller's rights as they
        are now); a refusal resumes the conversation at the field it names."""
        place = conversation.place
        response = await self._dispatcher.execute(prepared, conversation.answers)
        if response.refused:
            conversation.again = form.fields[resume_at(form, response.field)].name
            conversation.deadline = self._clock.now() + self._ttl
            await self._save(user_id, conversation)
            await self._ask(incoming, form, conversation, response.reply.body)
            return
        done = ReplyKeyboardRemove()
        if place.kind is ChatKind.GROUP and not response.reply.private:
            # Answered as in the group: everyone there sees it, as on Discord after a modal.
            await self._poster.answer_in(int(place.chat_id), response)
            posted = doc(msg("telegram.form_posted", group=place.title or place.chat_id))
            await self._poster.document(incoming.chat_id, posted, response.locale, done)
            return
        await self._poster.answer_in(incoming.chat_id, response, markup=done)

    # --- storage ----------------------------------------------------------------------------
    async def _load(self, user_id: int) -> tuple[Conversation, Command, Form] | None:
        async with self._database.read() as tx:
            record = await tx.tokens.get(
                conversation_token(user_id), CONVERSATION_KIND, self._clock.now()
            )
        if record is None:
            return None
        conversation = Conversation.from_data(record.payload)
        command = self._dispatcher.registry.get(conversation.path)
        if command is None or command.form is None:
            await self._forget(user_id)  # the command is gone since (an upgrade)
            return None
        return conversation, command, command.form

    async def _save(self, user_id: int, conversation: Conversation) -> None:
        now = self._clock.now()
        async with self._database.transaction() as tx:
            await tx.tokens.put(
                token=conversation_token(user_id),
                kind=CONVERSATION_KIND,
                payload=conversation.to_data(),
                user_key=f"{Platform.TELEGRAM.value}:{user_id}",
                now=now,
                expires_at=conversation.deadline + KEEP_EXPIRED,
            )

    async def _forget(self, user_id: int) -> bool:
        async with self._database.transaction() as tx:
            return await tx.tokens.delete(conversation_token(user_id))


def _choice_keyboard(values: list[str]) -> ReplyKeyboardMarkup:
    rows = [[KeyboardButton(v) for v in values[i : i + 3]] for i in range(0, len(values), 3)]
    return ReplyKeyboardMarkup(rows, one_time_keyboard=True, resize_keyboard=True)


def _say(locale: str, message: Msg) -> Response:
    """A short private answer of the adapter's own."""
    return Response(Reply(doc(message), private=True), locale)
