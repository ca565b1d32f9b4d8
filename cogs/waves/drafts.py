"""A wave as typed (form answers and options) → checked values for the service.

Everything is read and checked here, before any transaction: a refusal names its field and
nothing is created or changed half-way. The `/wave create` form's fields run the same checks
(`CreateChecks`) as each is answered, so a time that cannot be read or a text too long for a
network is asked again before the form closes, the other answers kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.commands import Arguments, Context, FieldKind, Form, FormField, FormInput
from bot.core.richtext import msg
from bot.core.scheduling.rules import WEEKDAYS
from cogs.waves.inputs import (
    Targets,
    check_lengths,
    check_offsets_fit,
    pledge_deadline,
    read_link,
    read_offsets,
    read_targets,
    read_texts,
    recurrence,
)
from cogs.waves.planning import first_start
from cogs.waves.problems import bad
from cogs.waves.timeparse import When, parse_when
from storage.repositories.waves import Wave


@dataclass(frozen=True, slots=True)
class DraftRules:
    """What the operator allows: the networks waves may target, the default grace."""

    networks: tuple[str, ...]
    grace_minutes: int


@dataclass(frozen=True, slots=True)
class NewWave:
    title: str
    when: When
    start: datetime  # the first start: `when`, or the rule's first day after it
    rule: dict[str, Any]
    networks: tuple[str, ...]
    hashtags: tuple[str, ...]
    brief: str
    texts: tuple[str, ...]
    link: str
    offsets: tuple[int, ...]
    grace_seconds: int
    pledge_target: int | None
    pledge_deadline: datetime | None


@dataclass(frozen=True, slots=True)
class WaveEdit:
    """What an edit changes; None leaves it as it is."""

    title: str | None = None
    brief: str | None = None
    when: When | None = None
    rule: dict[str, Any] | None = None
    link: str | None = None
    offsets: tuple[int, ...] | None = None
    texts: tuple[str, ...] | None = None
    pledge_deadline: datetime | None = None

    def changes(self) -> dict[str, Any]:
        """The wave's columns this edit sets (the time is the service's to move)."""
        found: dict[str, Any] = {}
        if self.title is not None:
            found["title"] = self.title
        if self.brief is not None:
            found["brief"] = self.brief
        if self.link is not None:
            found["link"] = self.link
        if self.offsets is not None:
            found["offsets"] = list(self.offsets)
        return found

    @property
    def empty(self) -> bool:
        return (
            not self.changes()
            and self.when is None
            and self.texts is None
            and (self.pledge_deadline is None)
        )


@dataclass(frozen=True, slots=True)
class CreateChecks:
    """The `/wave create` form's own field checks: each field as soon as it is answered,
    with the options typed with the command and the answers before it."""

    rules: DraftRules

    def when(self, value: str, around: FormInput) -> None:
        """A time that can be read, still ahead, that fits the repetition, the reminders
        and the pledge deadline asked for."""
        _timing(around.args, around.context, value)

    def networks(self, value: str, around: FormInput) -> None:
        """Networks this installation allows, hashtags that can be posted."""
        _targets(value, around.context, self.rules)

    def texts(self, value: str, around: FormInput) -> None:
        """At most ten texts, each fitting every chosen network with its hashtags and link."""
        targets = _targets(around.args.text("networks"), around.context, self.rules)
        texts = read_texts(value)
        check_lengths(
            texts, targets.hashtags, read_link(around.args.text("link")), targets.networks
        )


def create_form(checks: CreateChecks) -> Form:
    """The `/wave create` form; the time, networks and texts are checked as they are answered
    (against the options typed with the command), before the form closes."""
    return Form(
        msg("wave.form.title"),
        (
            FormField("title", msg("wave.form.name"), min_length=2, max_length=80),
            FormField(
                "when", msg("wave.form.when"), min_length=3, max_length=80, check=checks.when
            ),
            FormField(
                "networks",
                msg("wave.form.networks"),
                required=False,
                max_length=200,
                check=checks.networks,
            ),
            FormField(
                "brief", msg("wave.form.brief"), FieldKind.LONG, required=False, max_length=500
            ),
            FormField(
                "texts",
                msg("wave.form.texts"),
                FieldKind.LONG,
                required=False,
                max_length=4000,
                check=checks.texts,
            ),
        ),
    )


@dataclass(frozen=True, slots=True)
class _Timing:
    when: When
    start: datetime
    rule: dict[str, Any]
    offsets: tuple[int, ...]
    pledge_deadline: datetime | None


def _timing(args: Arguments, context: Context, raw_when: str) -> _Timing:
    """When a new wave starts, how it repeats, its reminders and its pledge deadline."""
    place = context.place
    zone = args.text("timezone") or (place.timezone if place else "UTC")
    when = parse_when(raw_when, zone, context.now)
    offsets = read_offsets(args.text("reminders"))
    rule = recurrence(args.text("repeat"), args.text("days"), when)
    check_offsets_fit(rule, offsets)
    start = first_start(rule, when.zone, when.at)
    deadline = None
    if args.integer("pledge") is not None:
        given = _pledge_by(args, when.zone, context.now)
        deadline = pledge_deadline(start, given, context.now)
    elif args.text("pledge_by"):
        raise bad("pledge_by", "wave.pledge.by_without_pledge")
    return _Timing(when, start, rule, offsets, deadline)


def _targets(raw: str, context: Context, rules: DraftRules) -> Targets:
    campaign = context.campaign
    return read_targets(raw, rules.networks, campaign.hashtag if campaign else "")


def read_new(args: Arguments, context: Context, rules: DraftRules) -> NewWave:
    """The `/wave create` form and options, checked."""
    timing = _timing(args, context, args.text("when"))
    targets = _targets(args.text("networks"), context, rules)
    texts = read_texts(args.text("texts"))
    link = read_link(args.text("link"))
    check_lengths(texts, targets.hashtags, link, targets.networks)
    grace = args.integer("grace") or rules.grace_minutes
    return NewWave(
        title=args.text("title"),
        when=timing.when,
        start=timing.start,
        rule=timing.rule,
        networks=targets.networks,
        hashtags=targets.hashtags,
        brief=args.text("brief"),
        texts=texts,
        link=link,
        offsets=timing.offsets,
        grace_seconds=grace * 60,
        pledge_target=args.integer("pledge"),
        pledge_deadline=timing.pledge_deadline,
    )


def read_edit(
    args: Arguments, context: Context, wave: Wave, current_texts: Sequence[str]
) -> WaveEdit:
    """The `/wave edit` options, checked against the wave as it is (a new link must fit
    with the texts it keeps, new texts with the link it keeps)."""
    zone = args.text("timezone") or wave.timezone
    when = rule = None
    if args.text("when") or args.text("timezone"):
        if not args.text("when"):
            raise bad("when", "wave.edit.zone_needs_when")
        when = parse_when(args.text("when"), zone, context.now)
        rule = _same_repeat(wave, when)
    texts = read_texts(args.text("texts")) if "texts" in args else None
    link = read_link(args.text("link")) if "link" in args else None
    check_lengths(
        texts if texts is not None else current_texts,
        wave.hashtags,
        link if link is not None else wave.link,
        wave.networks,
    )
    offsets = read_offsets(args.text("reminders")) if "reminders" in args else None
    check_offsets_fit(rule or wave.rule, offsets if offsets is not None else wave.offsets)
    deadline = None
    if args.text("pledge_by"):
        if wave.pledge_state != "open":
            raise bad("pledge_by", "wave.pledge.by_without_pledge")
        given = parse_when(args.text("pledge_by"), zone, context.now, field="pledge_by")
        start = first_start(rule, zone, when.at) if rule and when else None
        deadline = pledge_deadline(start or given.at, given, context.now)
    return WaveEdit(
        title=args.text("title") or None,
        brief=args.text("brief") if "brief" in args else None,
        when=when,
        rule=rule,
        link=link,
        offsets=offsets,
        texts=texts,
        pledge_deadline=deadline,
    )


def _pledge_by(args: Arguments, zone: str, now: datetime) -> When | None:
    raw = args.text("pledge_by")
    return parse_when(raw, zone, now, field="pledge_by") if raw else None


def _same_repeat(wave: Wave, when: When) -> dict[str, Any]:
    """The wave's repetition, moved to the new time (a single weekday moves with it)."""
    kind = wave.rule["type"]
    if kind == "once":
        return recurrence("none", "", when)
    if kind == "weekly" and len(wave.rule["weekdays"]) > 1:
        return recurrence("weekly", ",".join(wave.rule["weekdays"]), when)
    if kind == "weekly":
        return recurrence("weekly", WEEKDAYS[when.local.weekday()], when)
    return recurrence(kind, "", when)
