"""A small cog for the adapter tests: a form, a reply with buttons, a moderator action."""

from __future__ import annotations

import asyncio
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
from bot.core.replies import Attachment, Button, Reply
from bot.core.richtext import Code, Para, Quote, Text, bold, msg, para

STORY_FORM = Form(
    title=msg("test.story.title"),
    fields=(
        FormField("name", msg("test.story.name"), min_length=2, max_length=40),
        FormField("story", msg("test.story.text"), kind=FieldKind.LONG, max_length=3000),
        FormField(
            "consent",
            msg("test.story.consent"),
            kind=FieldKind.CHOICE,
            choices=(("named", msg("test.named")), ("anonymous", msg("test.anonymous"))),
        ),
    ),
)


class Stories:
    """`/story` asks for a story in a form; a moderator approves it with a button."""

    name = "stories"

    def __init__(self, *, slow: float = 0.0) -> None:
        self.slow = slow
        self.approved: list[str] = []

    def commands(self) -> Sequence[Command]:
        return (
            Command(
                "story",
                msg("help.help"),
                self.story,
                form=STORY_FORM,
                scope=Scope.GROUP,
                needs_campaign=False,
            ),
            Command(
                "review",
                msg("help.help"),
                self.story,
                form=STORY_FORM,
                permission=Permission.MODERATOR,
                needs_campaign=False,
            ),
            Command("slow", msg("help.help"), self.slow_reply, needs_campaign=False),
            Command("secret", msg("help.help"), self.secret, needs_campaign=False),
            Command("export", msg("help.help"), self.export, needs_campaign=False),
            Command("long", msg("help.help"), self.long, needs_campaign=False),
        )

    def buttons(self) -> Sequence[ButtonAction]:
        return (ButtonAction("story.approve", self.approve, permission=Permission.MODERATOR),)

    async def story(self, context: Context, args: Arguments) -> Reply:
        return Reply(
            (
                para(bold(args.text("name")), Text(" ("), Text(args.text("consent")), Text(")")),
                Quote((Text(args.text("story")),)),
            ),
            buttons=(Button("story.approve", msg("test.approve"), key="S-1"),),
        )

    async def approve(self, context: Context, key: str) -> Reply:
        self.approved.append(key)
        return Reply((Para((Text("approved "), Code(key))),))

    async def slow_reply(self, context: Context, args: Arguments) -> Reply:
        await asyncio.sleep(self.slow)
        return Reply((para("done slowly"),))

    async def secret(self, context: Context, args: Arguments) -> Reply:
        await asyncio.sleep(self.slow)
        return Reply((para("for your eyes only"),), private=True)

    async def export(self, context: Context, args: Arguments) -> Reply:
        return Reply(
            (para("your export"),),
            attachment=Attachment("stories.csv", b"name,story\nAda,hello\n", "text/csv"),
            private=True,
        )

    async def long(self, context: Context, args: Arguments) -> Reply:
        return Reply(tuple(para("word " * 300) for _ in range(4)))
