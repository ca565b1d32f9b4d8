"""Form answers checked field by field, and refusals that say which field to ask again."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.app import Core
from bot.core.actors import Platform
from bot.core.commands import (
    Arguments,
    ButtonAction,
    Command,
    Context,
    FieldKind,
    Form,
    FormField,
    FormInput,
)
from bot.core.dispatcher import Call, Response
from bot.core.errors import FieldRefused, UserError
from bot.core.forms import resume_at
from bot.core.options import TextOption
from bot.core.replies import Reply
from bot.core.richtext import doc, msg
from tests.dialogue import group, person


class Notes:
    """A form whose body has its own check, and a handler that refuses some signatures."""

    name = "notes"

    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []
        self.form = Form(
            msg("help.help"),
            (
                FormField("title", msg("option.campaign_name"), max_length=20),
                FormField("body", msg("option.hashtag"), FieldKind.LONG, check=self.no_digits),
                FormField("sign", msg("option.timezone"), required=False),
            ),
        )

    def no_digits(self, value: str, around: FormInput) -> None:
        """The body's own check; it records what it could see around it."""
        self.seen.append({name: around.args.text(name) for name in ("mood", "title", "body")})
        if any(ch.isdigit() for ch in value):
            raise UserError(msg("form.too_long", field=msg("option.hashtag"), max=0))

    def commands(self) -> Sequence[Command]:
        mood = TextOption(name="mood", help=msg("help.help"), required=False)
        return (
            Command(
                "note", msg("help.help"), self.note, (mood,), form=self.form, needs_campaign=False
            ),
        )

    def buttons(self) -> Sequence[ButtonAction]:
        return ()

    async def note(self, context: Context, args: Arguments) -> Reply:
        if args.text("sign") == "taken":
            raise FieldRefused(msg("form.required", field=msg("option.timezone")), "sign")
        if args.text("sign") == "boom":
            raise RuntimeError("unexpected")
        if args.text("sign") == "no":
            raise UserError(msg("form.cancelled"))
        return Reply(doc(msg("campaign.title", name=args.text("body"))))


@pytest.fixture
def notes(core: Core) -> Notes:
    cog = Notes()
    core.registry.add(cog)
    return cog


async def submit(core: Core, answers: dict[str, str]) -> Response:
    command = core.registry.get("note")
    assert command is not None
    where = group(Platform.CONSOLE, "console")
    call = Call(person(Platform.CONSOLE, "operator", admin=True), where, command, {"mood": "calm"})
    return await core.dispatcher.run(call, answers)


async def test_a_fields_check_sees_the_options_and_the_answers_before_it(
    core: Core, notes: Notes
) -> None:
    accepted = await submit(core, {"title": " Hello ", "body": "no numbers", "sign": ""})

    assert not accepted.refused
    assert notes.seen == [{"mood": "calm", "title": "Hello", "body": ""}]


async def test_a_refusal_of_a_fields_check_names_that_field(core: Core, notes: Notes) -> None:
    refused = await submit(core, {"title": "Hello", "body": "4000 words", "sign": ""})

    assert (refused.refused, refused.field) == (True, "body")


async def test_a_field_too_long_is_refused_by_name_before_any_check(
    core: Core, notes: Notes
) -> None:
    refused = await submit(core, {"title": "x" * 21, "body": "4000 words", "sign": ""})

    assert (refused.refused, refused.field) == (True, "title")
    assert notes.seen == []


@pytest.mark.parametrize(("sign", "field"), [("taken", "sign"), ("no", None), ("boom", None)])
async def test_a_refusal_once_the_answers_are_in_says_which_field_if_any(
    core: Core, notes: Notes, sign: str, field: str | None
) -> None:
    refused = await submit(core, {"title": "Hello", "body": "words", "sign": sign})

    assert (refused.refused, refused.field) == (True, field)


def test_a_refusal_resumes_at_its_field_else_at_the_last_one() -> None:
    form = Notes().form
    assert resume_at(form, "body") == 1
    assert resume_at(form, None) == 2
    assert resume_at(form, "mood") == 2  # an option: answering the last field sends again
