"""From a platform event to a reply: find the command, check it, run it, catch what goes wrong.

Adapters call `prepare` (so that a form is only shown to someone allowed to submit it), then
`execute` with the form answers, or `run` for both at once; `press` handles button presses.
Every refusal becomes a localised, private reply; an unexpected error is logged with an
incident id that the user is given instead of a traceback.
"""

from __future__ import annotations

import logging
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.core.actors import Actor, ChatKind, PlaceRef, Platform
from bot.core.clock import Clock
from bot.core.commands import (
    Arguments,
    Authority,
    CampaignRole,
    Command,
    Context,
    Permission,
    Scope,
)
from bot.core.context_loader import ContextLoader
from bot.core.doorbell import Doorbell
from bot.core.errors import FieldRefused, PermissionDenied, UserError, refuse, storage_refusal
from bot.core.forms import check_answers
from bot.core.probe import AlwaysAllowed, PlaceProbe
from bot.core.quotas import Quotas
from bot.core.registry import Registry
from bot.core.replies import Reply
from bot.core.richtext import doc, msg
from storage.database import Database

log = logging.getLogger(__name__)

PERMISSION_REFUSALS = {
    Permission.MEMBER: msg("error.needs_member"),
    Permission.PLACE_ADMIN: msg("error.needs_place_admin"),
    Permission.MODERATOR: msg("error.needs_moderator"),
    Permission.ORGANISER: msg("error.needs_organiser"),
    Permission.OWNER: msg("error.needs_owner"),
}


@dataclass(frozen=True, slots=True)
class Call:
    """One command as received: who, where, which command, and its raw option values."""

    actor: Actor
    where: PlaceRef
    command: Command
    raw: Mapping[str, str] = field(default_factory=dict)
    probe: PlaceProbe = field(default_factory=AlwaysAllowed)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A call that passed every check; `execute` runs it."""

    call: Call
    context: Context
    values: dict[str, object]


@dataclass(frozen=True, slots=True)
class Response:
    """A reply and the language to render it in (the place's, else the default).

    `refused` marks a refusal (or an incident): nothing was done, so an adapter that took
    a form's answers hands them back; `field` is the form field the refusal names, if any.
    """

    reply: Reply
    locale: str
    refused: bool = False
    field: str | None = None


class Dispatcher:
    """Validates, authorises and runs commands and button presses for every platform."""

    def __init__(
        self,
        *,
        registry: Registry,
        database: Database,
        clock: Clock,
        owners: frozenset[str],
        doorbell: Doorbell,
        default_locale: str = "en",
    ) -> None:
        self.registry = registry
        self._database = database
        self._clock = clock
        self._owners = owners
        self._default_locale = default_locale
        self._doorbell = doorbell
        self._contexts = ContextLoader(database)
        self._quotas = Quotas(database, clock)

    # --- commands --------------------------------------------------------------------
    async def prepare(self, call: Call, *, answered: bool = False) -> Prepared | Response:
        """Check scope, campaign, permission and options; a Response is a refusal.

        Before a form is shown (`answered` False) the command's `precheck` runs too; once
        its answers are in, `execute` and the handler check what matters again."""
        try:
            context = await self.context(call.actor, call.where, call.probe)
        except Exception:
            return self._incident(call, "prepare")
        locale = self._locale(context)
        try:
            self._check_scope(call.command, call.where)
            self._check_campaign(call.command, context)
            self._check_permission(call.command.permission, context.authority)
            values = {
                option.name: option.parse(call.raw[option.name])
                for option in call.command.options
                if option.name in call.raw and call.raw[option.name].strip() != ""
            }
            unknown = set(call.raw) - {option.name for option in call.command.options}
            if unknown:
                raise refuse("error.unknown_option", option=sorted(unknown)[0])
            missing = [
                option.name
                for option in call.command.options
                if option.required and option.name not in values
            ]
            if missing:
                raise refuse("error.missing_option", option=missing[0])
            precheck = call.command.precheck
            if precheck is not None and call.command.form is not None and not answered:
                await precheck(context)
            if call.command.form is not None and not answered:
                await self._quotas.check_left(call.command.quota, call.actor, context)
        except UserError as error:
            return self._refusal(error, locale)
        except Exception:
            return self._incident(call, "prepare")
        return Prepared(call, context, values)

    async def execute(
        self, prepared: Prepared, answers: Mapping[str, str] | None = None
    ) -> Response:
        """Run a prepared call, with its form's answers when it has a form."""
        call = prepared.call
        locale = self._locale(prepared.context)
        try:
            values = dict(prepared.values)
            if call.command.form is not None:
                form, context = call.command.form, prepared.context
                values.update(check_answers(form, answers or {}, context, prepared.values))
            taken = await self._quotas.take(call.command.quota, call.actor, prepared.context)
            try:
                reply = await call.command.handler(prepared.context, Arguments(values, call.actor))
            except UserError:
                # A refusal changed nothing (see `UserError`): it must not spend the quota.
                await self._quotas.give_back(taken)
                raise
        except UserError as error:
            return self._refusal(error, locale)
        except Exception:
            return self._incident(call, "execute")
        self._doorbell.ring()
        return Response(reply, locale)

    async def run(self, call: Call, answers: Mapping[str, str] | None = None) -> Response:
        prepared = await self.prepare(call, answered=answers is not None)
        if isinstance(prepared, Response):
            return prepared
        return await self.execute(prepared, answers)

    # --- buttons ---------------------------------------------------------------------
    async def press(
        self,
        actor: Actor,
        where: PlaceRef,
        action: str,
        key: str,
        probe: PlaceProbe | None = None,
    ) -> Response:
        """A button press: permissions are checked again, at the moment of the press."""
        button = self.registry.button(action)
        locale = self._default_locale
        try:
            locale = await self.locale_for(where)
            context = await self.context(actor, where, probe)
            if button is None:
                raise refuse("error.unknown_button")
            self._check_permission(button.permission, context.authority)
            reply = await button.handler(context, key)
        except UserError as error:
            return self._refusal(error, locale)
        except Exception as error:
            if (known := storage_refusal(error)) is not None:
                log.error("button %s refused: %s", action, error)
                return Response(Reply(doc(known), private=True), locale)
            incident = _incident_id()
            log.exception("incident %s: button %s failed", incident, action)
            return Response(Reply(doc(msg("error.incident", id=incident)), private=True), locale)
        self._doorbell.ring()
        return Response(reply, self._locale(context))

    # --- context ---------------------------------------------------------------------
    async def context(
        self, actor: Actor, where: PlaceRef, probe: PlaceProbe | None = None
    ) -> Context:
        """Who the caller is here: the place, its campaign and the caller's authority."""
        place, campaign, role = await self._contexts.load(
            where.platform.value, where.external_id, actor.key
        )
        authority = Authority(
            is_owner=actor.key in self._owners,
            is_place_admin=actor.is_place_admin,
            role=CampaignRole(role) if role else None,
        )
        return Context(
            actor, where, place, campaign, authority, self._clock.now(), probe or AlwaysAllowed()
        )

    async def locale_for(self, where: PlaceRef) -> str:
        async with self._database.read() as tx:
            place = await tx.places.find(where.platform.value, where.external_id)
        return place.locale if place else self._default_locale

    # --- checks ----------------------------------------------------------------------
    def _check_scope(self, command: Command, where: PlaceRef) -> None:
        if where.platform is Platform.CONSOLE or command.scope is Scope.BOTH:
            return
        if command.scope is Scope.GROUP and where.kind is not ChatKind.GROUP:
            raise refuse("error.group_only", command=command.path)
        if command.scope is Scope.PRIVATE and where.kind is not ChatKind.PRIVATE:
            raise refuse("error.private_only", command=command.path)

    def _check_campaign(self, command: Command, context: Context) -> None:
        if command.needs_campaign and context.campaign is None:
            raise refuse("error.not_set_up")

    def _check_permission(self, needed: Permission, authority: Authority) -> None:
        if not authority.allows(needed):
            raise PermissionDenied(PERMISSION_REFUSALS[needed])

    # --- replies for refusals --------------------------------------------------------
    def unknown_command(self, name: str, locale: str) -> Response:
        """The answer to a command nobody declared: a pointer to /help."""
        return self._refusal(refuse("error.unknown_command", command=name), locale)

    def _refusal(self, error: UserError, locale: str) -> Response:
        field = error.field if isinstance(error, FieldRefused) else None
        return Response(Reply(doc(error.message), private=True), locale, refused=True, field=field)

    def _incident(self, call: Call, stage: str) -> Response:
        if (known := storage_refusal(sys.exception())) is not None:
            # The database is busy, full or read-only: the operator's fix, not a bug.
            log.error("/%s refused during %s: %s", call.command.path, stage, sys.exception())
            return Response(Reply(doc(known), private=True), self._default_locale)
        incident = _incident_id()
        log.exception("incident %s: /%s failed during %s", incident, call.command.path, stage)
        return Response(
            Reply(doc(msg("error.incident", id=incident)), private=True),
            self._default_locale,
            refused=True,
        )

    def _locale(self, context: Context) -> str:
        return context.place.locale if context.place else self._default_locale


def _incident_id() -> str:
    return secrets.token_hex(4)
