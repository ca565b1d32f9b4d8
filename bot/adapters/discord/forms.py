"""Forms as Discord modals: shown as the first response, checked on submit, retried on error.

Every refusal of a submitted form (a field's check, or the handler's once the answers are in)
comes back privately with a "Try again" button whose press reopens the modal with what was
typed: a modal can only be the first response to an interaction, so the press is the way.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Iterator, Mapping
from typing import Any

import discord

from bot.adapters.discord.interactions import Bridge, place_of
from bot.core.commands import Command, FieldKind, FormField
from bot.core.dispatcher import Response
from bot.core.i18n import DEFAULT_LOCALE, Translator
from bot.core.render import PlainRenderer
from bot.core.replies import Reply
from bot.core.richtext import Quote, Text, doc, msg

log = logging.getLogger(__name__)

FORM_PREFIX = "chorus-form:"
MAX_TITLE = 45
MAX_LABEL = 45
MAX_VALUE = 4000
MAX_CHOICE_TEXT = 100
# A modal waits this long for its submit (a testimony can take a while to write); past it
# discord.py forgets the modal and `rescue` hands the answers back to the user.
MODAL_TIMEOUT = 3600.0
# "Try again" holds the answers of a refused form (in memory) as long as a modal holds them.
RETRY_TIMEOUT = MODAL_TIMEOUT
# Why prepare() runs *before* the modal: a form must only be shown to someone allowed to
# submit it, and prepare() is what knows (scope, campaign, campaign role). It is one read
# transaction: measured on SQLite, median 1.8 ms, p99 10.5 ms, max 13 ms over 200 calls, far
# inside Discord's 3 s. Should the database stall, this budget gives up in time to still
# answer (with "try again") instead of letting the interaction expire. prepare() runs again
# on submit, so a role revoked while the modal was open is still refused.
PREPARE_BUDGET = 2.0


def form_custom_id(command: Command) -> str:
    """`chorus-form:<command.path>:<random>`: the command survives in the id for `rescue`."""
    return f"{FORM_PREFIX}{command.path.replace(' ', '.')}:{secrets.token_hex(8)}"


class Forms:
    """Opens modals for form commands and runs them on submit."""

    def __init__(self, bridge: Bridge) -> None:
        self._bridge = bridge
        self._open: dict[str, float] = {}

    async def open(
        self,
        interaction: discord.Interaction,
        command: Command,
        raw: Mapping[str, str],
        answers: Mapping[str, str] | None = None,
    ) -> None:
        """Check the call, then show the form as the first response to `interaction`."""
        dispatcher = self._bridge.dispatcher
        call = self._bridge.call(interaction, command, raw)
        try:
            prepared = await asyncio.wait_for(dispatcher.prepare(call), PREPARE_BUDGET)
        except TimeoutError:
            await self._bridge.say(interaction, msg("discord.busy"), DEFAULT_LOCALE)
            return
        if isinstance(prepared, Response):
            await self._bridge.send(interaction, prepared)
            return
        place = prepared.context.place
        translator = self._bridge.catalogues.translator(place.locale if place else None)
        modal = FormModal(self, command, raw, translator, answers or {})
        self._remember(modal.custom_id)
        await interaction.response.send_modal(modal)

    async def submit(
        self,
        interaction: discord.Interaction,
        command: Command,
        raw: Mapping[str, str],
        answers: Mapping[str, str],
    ) -> None:
        """Run the command with the answers; a refusal comes back with "Try again"."""
        dispatcher = self._bridge.dispatcher

        async def run() -> Response:
            # Checked again: the submit may come long after the modal was opened.
            call = self._bridge.call(interaction, command, raw)
            prepared = await dispatcher.prepare(call, answered=True)
            if isinstance(prepared, Response):
                return prepared
            return await dispatcher.execute(prepared, answers)

        def retry(response: Response) -> discord.ui.View | None:
            if not response.refused:
                return None
            translator = self._bridge.catalogues.translator(response.locale)
            label = PlainRenderer(translator).message(msg("discord.try_again"))
            return RetryView(self, command, raw, answers, label)

        await self._bridge.respond(interaction, run(), retry)

    async def rescue(self, interaction: discord.Interaction) -> None:
        """A submit for a form Chorus no longer knows (it restarted, or an hour passed).

        The answers cannot be saved without the command's options, so they are handed back
        privately, to be pasted into the form again, instead of being lost.
        """
        data: Any = interaction.data or {}
        custom_id = str(data.get("custom_id", ""))
        if not custom_id.startswith(FORM_PREFIX) or self._is_open(custom_id):
            return
        path = custom_id[len(FORM_PREFIX) :].rsplit(":", 1)[0].replace(".", " ")
        answers = [Quote((Text(value),)) for value in _submitted_values(data.get("components"))]
        locale = await self._bridge.dispatcher.locale_for(place_of(interaction))
        reply = Reply(doc(msg("discord.form_expired", command=path), *answers), private=True)
        await self._bridge.send(interaction, Response(reply, locale))

    def _remember(self, custom_id: str) -> None:
        now = time.monotonic()
        self._open = {key: until for key, until in self._open.items() if until > now}
        # A minute longer than discord.py keeps the modal, so the two never both answer.
        self._open[custom_id] = now + MODAL_TIMEOUT + 60

    def _is_open(self, custom_id: str) -> bool:
        return self._open.get(custom_id, 0.0) > time.monotonic()


class FormModal(discord.ui.Modal):
    """A form's fields as labelled inputs: short, paragraph, or a select for a choice."""

    def __init__(
        self,
        forms: Forms,
        command: Command,
        raw: Mapping[str, str],
        translator: Translator,
        answers: Mapping[str, str],
    ) -> None:
        # Only a form command opens a modal (`run`, and the retry of a form it opened).
        assert command.form is not None
        text = PlainRenderer(translator)
        super().__init__(
            title=text.message(command.form.title)[:MAX_TITLE],
            custom_id=form_custom_id(command),
            timeout=MODAL_TIMEOUT,
        )
        self._forms = forms
        self._command = command
        self._raw = dict(raw)
        self._inputs: dict[str, discord.ui.TextInput[Any] | discord.ui.Select[Any]] = {}
        for form_field in command.form.fields:
            component = _input(form_field, text, answers.get(form_field.name))
            self._inputs[form_field.name] = component
            label = text.message(form_field.label)[:MAX_LABEL]
            self.add_item(discord.ui.Label(text=label, component=component))

    def answers(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for name, component in self._inputs.items():
            if isinstance(component, discord.ui.Select):
                values[name] = component.values[0] if component.values else ""
            else:
                values[name] = component.value
        return values

    async def on_submit(self, interaction: discord.Interaction, /) -> None:
        await self._forms.submit(interaction, self._command, self._raw, self.answers())

    async def on_error(  # type: ignore[override]  # a Modal's has no item argument
        self, interaction: discord.Interaction, error: Exception, /
    ) -> None:
        log.error("discord: form /%s failed", self._command.path, exc_info=error)


class RetryView(discord.ui.View):
    """ "Try again": reopens the form with what the user typed, after a fresh check."""

    def __init__(
        self,
        forms: Forms,
        command: Command,
        raw: Mapping[str, str],
        answers: Mapping[str, str],
        label: str,
    ) -> None:
        super().__init__(timeout=RETRY_TIMEOUT)
        self._forms = forms
        self._command = command
        self._raw = dict(raw)
        self._answers = dict(answers)
        button: discord.ui.Button[RetryView] = discord.ui.Button(
            label=label[:80], style=discord.ButtonStyle.primary
        )
        button.callback = self._again  # type: ignore[method-assign]
        self.add_item(button)

    async def _again(self, interaction: discord.Interaction) -> None:
        await self._forms.open(interaction, self._command, self._raw, self._answers)


def _input(
    form_field: FormField, text: PlainRenderer, previous: str | None
) -> discord.ui.TextInput[Any] | discord.ui.Select[Any]:
    if form_field.kind is FieldKind.CHOICE:
        return discord.ui.Select(
            custom_id=form_field.name,
            options=[
                discord.SelectOption(
                    label=text.message(label)[:MAX_CHOICE_TEXT],
                    value=value,
                    default=value == previous,
                )
                for value, label in form_field.choices
            ],
            min_values=1 if form_field.required else 0,
            max_values=1,
            required=form_field.required,
        )
    long = form_field.kind is FieldKind.LONG
    return discord.ui.TextInput(
        custom_id=form_field.name,
        style=discord.TextStyle.paragraph if long else discord.TextStyle.short,
        required=form_field.required,
        min_length=form_field.min_length if form_field.required else None,
        max_length=min(form_field.max_length, MAX_VALUE),
        default=previous[: min(form_field.max_length, MAX_VALUE)] if previous else None,
    )


def _submitted_values(components: Any) -> Iterator[str]:
    """Every value in a modal submit payload: text inputs, selects, in labels or rows."""
    for component in components or ():
        if not isinstance(component, dict):
            continue
        if "component" in component:
            yield from _submitted_values([component["component"]])
        if "components" in component:
            yield from _submitted_values(component["components"])
        if isinstance(component.get("value"), str) and component["value"]:
            yield component["value"]
        for value in component.get("values", ()) or ():
            yield str(value)
