"""Rich text: a small tree that every adapter renders and escapes for its own markup.

Cogs build replies from these nodes and never from pre-formatted strings. User text always
travels as `Text`, so a renderer can escape it; template text comes from the catalogue through
`Msg`, so it is localised where it is rendered (for the place's language, at send time).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeAlias


@dataclass(frozen=True, slots=True)
class Text:
    """Literal text, usually from a user: rendered exactly as typed, never as markup."""

    value: str


@dataclass(frozen=True, slots=True)
class Num:
    """A number, formatted for the reader's locale (thousands separators and so on)."""

    value: int | float


@dataclass(frozen=True, slots=True)
class Msg:
    """A message from the catalogue: `key` names it, `args` fill its `{placeholders}`."""

    key: str
    args: Mapping[str, Inline] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Bold:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Italic:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Code:
    value: str


@dataclass(frozen=True, slots=True)
class Link:
    """A hyperlink; `url` is checked to be http(s) before it becomes markup."""

    url: str
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Moment:
    """A point in time: a Discord timestamp where readers see it locally, else `tz` time."""

    at: datetime
    tz: str = "UTC"


@dataclass(frozen=True, slots=True)
class Mention:
    """A user named so that their own platform notifies them (`platform` is "discord",
    "telegram", …). A renderer for any other platform shows `fallback_name` as plain text, and
    a platform only lets the mention ping that one user (never roles or everyone)."""

    platform: str
    user_id: str
    fallback_name: str


Inline: TypeAlias = Text | Num | Msg | Bold | Italic | Code | Link | Moment | Mention


@dataclass(frozen=True, slots=True)
class Para:
    """A paragraph: one line of inline content."""

    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Quote:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Bullets:
    items: tuple[tuple[Inline, ...], ...]


Block: TypeAlias = Para | Quote | Bullets
Document: TypeAlias = tuple[Block, ...]

ArgValue: TypeAlias = Inline | str | int | float


def inline(value: ArgValue) -> Inline:
    """Lift a plain value into a node: `str` is user text, numbers are `Num`."""
    if isinstance(value, str):
        return Text(value)
    if isinstance(value, bool):
        return Text(str(value))
    if isinstance(value, int | float):
        return Num(value)
    return value


def msg(key: str, **args: ArgValue) -> Msg:
    """A catalogue message with its arguments, e.g. `msg("setup.created", name=name)`."""
    return Msg(key, {name: inline(value) for name, value in args.items()})


def para(*children: ArgValue) -> Para:
    return Para(tuple(inline(child) for child in children))


def bold(*children: ArgValue) -> Bold:
    return Bold(tuple(inline(child) for child in children))


def doc(*blocks: Block | Msg) -> Document:
    """A document; a bare `Msg` becomes its own paragraph."""
    return tuple(Para((block,)) if isinstance(block, Msg) else block for block in blocks)


def mentioned_users(document: Sequence[Block], platform: str) -> list[str]:
    """The ids of the users of `platform` that `document` mentions, once each, in order."""
    found: dict[str, None] = {}

    def walk(nodes: Sequence[Inline]) -> None:
        for node in nodes:
            match node:
                case Mention(node_platform, user_id, _name) if node_platform == platform:
                    found[user_id] = None
                case Msg(args=args):
                    walk(tuple(args.values()))
                case Bold(children) | Italic(children) | Link(children=children):
                    walk(children)
                case _:
                    pass

    for block in document:
        match block:
            case Para(children) | Quote(children):
                walk(children)
            case Bullets(items):
                for item in items:
                    walk(item)
    return list(found)


# --- serialisation (outbox payloads keep the tree, so they are rendered at send time) ---


def to_data(document: Sequence[Block]) -> list[dict[str, Any]]:
    """The document as JSON-ready data."""
    return [_block_to_data(block) for block in document]


def from_data(data: Sequence[Mapping[str, Any]]) -> Document:
    """Inverse of `to_data`; raises `ValueError` on an unknown node."""
    return tuple(_block_from_data(item) for item in data)


def _block_to_data(block: Block) -> dict[str, Any]:
    match block:
        case Para(children):
            return {"t": "p", "c": _inlines_to_data(children)}
        case Quote(children):
            return {"t": "quote", "c": _inlines_to_data(children)}
        case Bullets(items):
            return {"t": "ul", "items": [_inlines_to_data(item) for item in items]}


def _inlines_to_data(children: Sequence[Inline]) -> list[dict[str, Any]]:
    return [_inline_to_data(child) for child in children]


def _inline_to_data(node: Inline) -> dict[str, Any]:
    match node:
        case Text(value):
            return {"t": "text", "v": value}
        case Num(value):
            return {"t": "num", "v": value}
        case Msg(key, args):
            return {"t": "msg", "k": key, "a": {n: _inline_to_data(v) for n, v in args.items()}}
        case Bold(children):
            return {"t": "b", "c": _inlines_to_data(children)}
        case Italic(children):
            return {"t": "i", "c": _inlines_to_data(children)}
        case Code(value):
            return {"t": "code", "v": value}
        case Link(url, children):
            return {"t": "a", "url": url, "c": _inlines_to_data(children)}
        case Moment(at, tz):
            return {"t": "time", "v": at.astimezone(UTC).isoformat(), "tz": tz}
        case Mention(platform, user_id, name):
            return {"t": "mention", "p": platform, "id": user_id, "n": name}


def _block_from_data(item: Mapping[str, Any]) -> Block:
    kind = item.get("t")
    if kind == "p":
        return Para(_inlines_from_data(item["c"]))
    if kind == "quote":
        return Quote(_inlines_from_data(item["c"]))
    if kind == "ul":
        return Bullets(tuple(_inlines_from_data(entry) for entry in item["items"]))
    raise ValueError(f"unknown block {kind!r}")


def _inlines_from_data(items: Sequence[Mapping[str, Any]]) -> tuple[Inline, ...]:
    return tuple(_inline_from_data(item) for item in items)


def _inline_from_data(item: Mapping[str, Any]) -> Inline:
    kind = item.get("t")
    if kind == "text":
        return Text(str(item["v"]))
    if kind == "num":
        return Num(item["v"])
    if kind == "msg":
        return Msg(str(item["k"]), {n: _inline_from_data(v) for n, v in item["a"].items()})
    if kind == "b":
        return Bold(_inlines_from_data(item["c"]))
    if kind == "i":
        return Italic(_inlines_from_data(item["c"]))
    if kind == "code":
        return Code(str(item["v"]))
    if kind == "a":
        return Link(str(item["url"]), _inlines_from_data(item["c"]))
    if kind == "time":
        return Moment(datetime.fromisoformat(item["v"]), str(item["tz"]))
    if kind == "mention":
        return Mention(str(item["p"]), str(item["id"]), str(item["n"]))
    raise ValueError(f"unknown inline {kind!r}")
