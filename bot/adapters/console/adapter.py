"""The console platform: one place (`console`), its operator, commands typed on stdin.

It is a real platform for local use and for tests: replies print as plain text, forms ask
their fields as prompts, buttons are numbered and pressed with `/press N`, and announcements
from the outbox print as they are sent. At the end of input it asks the app to stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.adapters.console.lines import LineSource
from bot.core.actors import Actor, ChatKind, PlaceRef, Platform
from bot.core.command_line import bind_arguments, split_command_line
from bot.core.commands import Arguments, FieldKind, Form, FormInput
from bot.core.delivery import Delivery, Outcome, RateLimits, Sent
from bot.core.dispatcher import Call, Dispatcher, Prepared, Response
from bot.core.errors import UserError
from bot.core.forms import check_field, resume_at
from bot.core.i18n import Catalogues
from bot.core.render import PlainRenderer
from bot.core.replies import Button, Reply
from bot.core.richtext import Document, Msg, doc, msg

log = logging.getLogger(__name__)

CONSOLE_PLACE = PlaceRef(Platform.CONSOLE, "console", "console", ChatKind.GROUP, "Console")
OPERATOR = Actor(Platform.CONSOLE, "operator", "operator", is_place_admin=True)


class ConsoleAdapter:
    """Commands from a text stream, replies to another."""

    platform = Platform.CONSOLE

    def __init__(
        self,
        *,
        dispatcher: Dispatcher,
        catalogues: Catalogues,
        lines: LineSource,
        stdout: TextIO,
        attachments_dir: Path,
        on_end_of_input: Callable[[], None],
        interactive: bool = False,
        actor: Actor = OPERATOR,
        place: PlaceRef = CONSOLE_PLACE,
    ) -> None:
        self._dispatcher = dispatcher
        self._catalogues = catalogues
        self._reader = lines
        self._actor = actor
        self._place = place
        self._out = stdout
        self._attachments_dir = attachments_dir
        self._on_end_of_input = on_end_of_input
        self._interactive = interactive
        self._buttons: list[Button] = []
        self._task: asyncio.Task[None] | None = None
        self._courier = ConsoleCourier(self)

    @property
    def courier(self) -> ConsoleCourier:
        return self._courier

    async def start(self) -> None:
        self._reader.start()
        self._task = asyncio.create_task(self._serve(), name="console")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _serve(self) -> None:
        while True:
            self._prompt()
            line = await self._reader.next()
            if line is None:
                self._on_end_of_input()
                return
            try:
                await self.handle_line(line)
            except Exception:
                # handle_line answers every expected failure; this keeps the console alive.
                log.exception("console: unexpected error for one line")

    async def handle_line(self, line: str) -> None:
        """Run one typed line: a command, `/press N`, or a hint for anything else."""
        text = line.strip()
        if not text:
            return
        try:
            parsed = split_command_line(text)
            if parsed is None:
                self.print_document(doc(msg("console.not_a_command")), "en")
                return
            words = parsed.words
            if words[0].lower() == "press":
                await self._press(words[1:])
                return
            command, used = self._dispatcher.registry.resolve(words)
            if command is None:
                locale = await self._dispatcher.locale_for(self._place)
                self.show(self._dispatcher.unknown_command(words[0], locale))
                return
            raw = bind_arguments(command, words[used:])
        except UserError as error:
            self.print_document(doc(error.message), await self._dispatcher.locale_for(self._place))
            return
        call = Call(self._actor, self._place, command, raw.named)
        prepared = await self._dispatcher.prepare(call)
        if isinstance(prepared, Response):
            self.show(prepared)
            return
        if command.form is None:
            self.show(await self._dispatcher.execute(prepared))
            return
        await self._fill(command.form, prepared)

    async def _fill(self, form: Form, prepared: Prepared) -> None:
        """Ask the form, then submit it; a refusal asks its field again, the other answers
        kept, and submits again, until it is accepted or /cancel leaves."""
        locale = self._locale(prepared)
        self.print_document(doc(form.title, msg("form.cancel_hint")), locale)
        answers: dict[str, str] = {}
        for index in range(len(form.fields)):
            if not await self._ask(form, index, prepared, answers):
                self.print_document(doc(msg("form.cancelled")), locale)
                return
        while True:
            response = await self._dispatcher.execute(prepared, answers)
            self.show(response)
            if not response.refused:
                return
            # Checked afresh: time passed, and the caller's rights may have changed.
            again = await self._dispatcher.prepare(prepared.call, answered=True)
            if isinstance(again, Response):
                self.show(again)
                return
            prepared = again
            if not await self._ask(form, resume_at(form, response.field), prepared, answers):
                self.print_document(doc(msg("form.cancelled")), locale)
                return

    async def _ask(
        self, form: Form, index: int, prepared: Prepared, answers: dict[str, str]
    ) -> bool:
        """Ask field `index` until its answer passes its checks (then kept, cleaned, in
        `answers`); False when the person cancels (or input ends)."""
        locale = self._locale(prepared)
        context = prepared.context
        form_field = form.fields[index]
        earlier = {f.name: answers[f.name] for f in form.fields[:index] if f.name in answers}
        around = FormInput(context, Arguments({**prepared.values, **earlier}, context.actor))
        while True:
            question = [form_field.label]
            if form_field.kind is FieldKind.CHOICE:
                question.append(
                    msg("form.choices", choices=", ".join(v for v, _ in form_field.choices))
                )
            elif not form_field.required:
                question.append(msg("form.optional"))
            self.print_document(doc(*question), locale)
            answer = await self._reader.next()
            if answer is None or answer.strip().lower() == "/cancel":
                return False
            try:
                answers[form_field.name] = check_field(form_field, answer, around)
            except UserError as error:
                self.print_document(doc(error.message), locale)
                continue
            return True

    async def _press(self, words: tuple[str, ...]) -> None:
        locale = await self._dispatcher.locale_for(self._place)
        if (
            len(words) != 1
            or not words[0].isdigit()
            or not 1 <= int(words[0]) <= len(self._buttons)
        ):
            self.print_document(doc(msg("console.no_such_button")), locale)
            return
        button = self._buttons[int(words[0]) - 1]
        self.show(await self._dispatcher.press(self._actor, self._place, button.action, button.key))

    def show(self, response: Response) -> None:
        """Print a reply: its text, its buttons (numbered), where its attachment went."""
        self.print_reply(response.reply, response.locale)

    def print_reply(self, reply: Reply, locale: str) -> None:
        self.print_document(reply.body, locale)
        renderer = PlainRenderer(self._catalogues.translator(locale))
        if reply.buttons:
            self._buttons = list(reply.buttons)
            labels = "  ".join(
                f"[{index}] {renderer.message(button.label)}"
                for index, button in enumerate(reply.buttons, start=1)
            )
            self._write(labels + "\n" + renderer.message(msg("console.press_hint")))
        if reply.attachment is not None:
            path = self._save(reply.attachment.filename, reply.attachment.data)
            self._write(renderer.message(msg("console.attachment_saved", path=str(path))))

    def print_document(self, document: Document, locale: str) -> None:
        renderer = PlainRenderer(self._catalogues.translator(locale))
        self._write(renderer.render(document))

    def _save(self, filename: str, data: bytes) -> Path:
        self._attachments_dir.mkdir(parents=True, exist_ok=True)
        path = self._attachments_dir / Path(filename).name
        path.write_bytes(data)
        return path

    def _write(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()

    def _prompt(self) -> None:
        if self._interactive:
            self._out.write("chorus> ")
            self._out.flush()

    def _locale(self, prepared: Prepared) -> str:
        place = prepared.context.place
        return place.locale if place else "en"


class ConsoleCourier:
    """Delivers outbox messages to the console by printing them."""

    platform = Platform.CONSOLE
    # The console has no limits worth pacing for; these keep the sender's arithmetic simple.
    limits = RateLimits(global_per_second=1000.0, per_chat_interval=0.0)

    def __init__(self, adapter: ConsoleAdapter) -> None:
        self._adapter = adapter

    async def deliver(self, delivery: Delivery) -> Outcome:
        header: Msg = msg("console.announcement")
        self._adapter.print_document(doc(header), delivery.locale)
        self._adapter.print_reply(delivery.reply, delivery.locale)
        return Sent(f"console-{delivery.outbox_id}")

    async def edit(self, chat_id: str, message_id: str, reply: Reply, locale: str) -> Outcome:
        """A live message changed: print its new text (a terminal cannot edit lines above)."""
        self._adapter.print_reply(reply, locale)
        return Sent(message_id)

    async def pin(self, chat_id: str, message_id: str) -> bool:
        """The console has nothing to pin a message to."""
        return False
