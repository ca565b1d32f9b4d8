"""What a cog declares: commands, forms, button actions, and the context a handler gets.

Declarations are static values, so every adapter can build its native UI at start-up and
check it against its platform's limits before any user sees it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING, Protocol

from bot.core.actors import Actor, PlaceRef
from bot.core.options import Option, UserRef, parse_user
from bot.core.probe import PlaceProbe
from bot.core.replies import Reply
from bot.core.richtext import Msg

if TYPE_CHECKING:
    from storage.records import Campaign, Place

MAX_FORM_FIELDS = 5


class Permission(IntEnum):
    """Who may run a command. Place administrators and campaign roles are separate powers."""

    MEMBER = 0
    PLACE_ADMIN = 1
    MODERATOR = 2
    ORGANISER = 3
    OWNER = 4


class Scope(StrEnum):
    """Where a command may run."""

    GROUP = "group"
    PRIVATE = "private"
    BOTH = "both"


class CampaignRole(StrEnum):
    MODERATOR = "moderator"
    ORGANISER = "organiser"


@dataclass(frozen=True, slots=True)
class Authority:
    """What the caller may do here: operator, place administrator, campaign role."""

    is_owner: bool = False
    is_place_admin: bool = False
    role: CampaignRole | None = None

    def allows(self, needed: Permission) -> bool:
        if self.is_owner:
            return True
        match needed:
            case Permission.MEMBER:
                return True
            case Permission.PLACE_ADMIN:
                return self.is_place_admin
            case Permission.MODERATOR:
                return self.role is not None
            case Permission.ORGANISER:
                return self.role is CampaignRole.ORGANISER
            case Permission.OWNER:
                return False


class FieldKind(StrEnum):
    SHORT = "short"
    LONG = "long"
    CHOICE = "choice"


@dataclass(frozen=True, slots=True)
class FormField:
    """One question of a form.

    `check` is the field's own rule beyond length and choices (no link in a title, a time
    that can be read): it runs as soon as the field is answered, before the form closes, on
    every platform, and refuses by raising a `UserError` whose one line names the field.
    """

    name: str
    label: Msg
    kind: FieldKind = FieldKind.SHORT
    required: bool = True
    min_length: int = 1
    max_length: int = 100
    choices: tuple[tuple[str, Msg], ...] = ()
    check: FieldCheck | None = None


@dataclass(frozen=True, slots=True)
class Form:
    """A few questions asked together: a modal, a private conversation, console prompts."""

    title: Msg
    fields: tuple[FormField, ...]

    def __post_init__(self) -> None:
        if not 1 <= len(self.fields) <= MAX_FORM_FIELDS:
            raise ValueError(f"a form has 1 to {MAX_FORM_FIELDS} fields")


class Arguments:
    """The validated options (and form answers) of one invocation."""

    def __init__(self, values: Mapping[str, object], actor: Actor) -> None:
        self._values = dict(values)
        self._actor = actor

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def text(self, name: str, default: str = "") -> str:
        value = self._values.get(name, default)
        return value if isinstance(value, str) else default

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self._values.get(name, default)
        return value if isinstance(value, int) else default

    def moment(self, name: str) -> datetime | None:
        value = self._values.get(name)
        return value if isinstance(value, datetime) else None

    def user(self, name: str) -> UserRef | None:
        raw = self._values.get(name)
        return parse_user(raw, self._actor.platform) if isinstance(raw, str) else None


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a handler may know about its invocation. Read-only; services do the work."""

    actor: Actor
    where: PlaceRef
    place: Place | None
    campaign: Campaign | None
    authority: Authority
    now: datetime
    probe: PlaceProbe


@dataclass(frozen=True, slots=True)
class FormInput:
    """What a field's `check` may look at: the invocation's context, and in `args` the
    command's options with the answers to the fields before this one (cleaned)."""

    context: Context
    args: Arguments


# A field's own rule: the answer (cleaned; empty when an optional field is skipped) and what
# surrounds it; a refusal is a `UserError` naming the field.
FieldCheck = Callable[[str, FormInput], None]
Handler = Callable[[Context, Arguments], Awaitable[Reply]]
# Checks a command with a form makes before the form is shown (raising `UserError`).
Precheck = Callable[[Context], Awaitable[None]]
ButtonHandler = Callable[[Context, str], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class Quota:
    """At most `limit` uses per caller in each window of `window_seconds` (kept in storage)."""

    name: str
    limit: int
    window_seconds: int


@dataclass(frozen=True, slots=True)
class Command:
    """A command as users type it: `path` is `setup` or `campaign invite`.

    `default` marks the subcommand that a bare group name runs (`/campaign` → `campaign
    show`) on platforms where that is possible. `precheck` runs when a form is about to be
    shown: a `UserError` it raises refuses the command there, before anyone types a long
    answer that could not be accepted (a member over quota).
    """

    path: str
    help: Msg
    handler: Handler
    options: tuple[Option, ...] = ()
    permission: Permission = Permission.MEMBER
    scope: Scope = Scope.BOTH
    form: Form | None = None
    default: bool = False
    needs_campaign: bool = True
    quota: Quota | None = None
    precheck: Precheck | None = None

    @property
    def group(self) -> str:
        return self.path.split(" ", 1)[0]

    @property
    def sub(self) -> str:
        parts = self.path.split(" ", 1)
        return parts[1] if len(parts) > 1 else ""


@dataclass(frozen=True, slots=True)
class ButtonAction:
    """What a button with this `action` id does, and who may press it."""

    action: str
    handler: ButtonHandler
    permission: Permission = Permission.MEMBER


class Cog(Protocol):
    """A feature written once for every platform."""

    name: str

    def commands(self) -> Sequence[Command]:
        """The commands it offers."""
        ...

    def buttons(self) -> Sequence[ButtonAction]:
        """The button actions it answers."""
        ...
