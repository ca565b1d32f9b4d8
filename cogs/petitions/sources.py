"""Reading a petition's count from the web: fetching with httpx, parsing JSON or HTML.

Fetching is careful because the address comes from organisers in a chat, not from the
operator: only http and https; every address the host name resolves to is checked, and
loopback, private, link-local, reserved and multicast addresses are refused unless the
operator allows them (`CHORUS_ALLOW_PRIVATE_SOURCES`); redirects are followed by hand, each
hop checked the same way; the whole exchange has a deadline and the body a size cap; the
request names Chorus in its User-Agent and sends `If-None-Match` / `If-Modified-Since`.
(A host whose DNS answer changes between our check and httpx's own lookup could still
reach a private address; the operator's firewall is the last word there.)

Parsing is as careful: a count is a whole number from 0 to `MAX_COUNT` written the way pages
write one; anything else (1e30, 12.7, NaN, a run of a million digits) is refused with the
range, quoting only the first characters of what was found. An HTML source's pattern is read
by RE2 (`patterns`), in linear time, in a worker thread, on at most `MAX_BYTES` of page.

Every refusal is a `SourceError` carrying a catalogue message that names what was wrong, and
whether trying again later may help (`transient`: timeouts, 5xx, 429, connection errors).
"""

from __future__ import annotations

import asyncio
import html
import ipaddress
import json
import math
import re
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from bot.core.richtext import msg
from cogs.petitions.patterns import CountPattern, first_group
from cogs.petitions.patterns import check_pattern as check_pattern
from cogs.petitions.source_errors import SourceError as SourceError

# The largest count believed: more than any petition has had, far below what the BigInteger
# columns hold. Every path that takes a count in (polls, `/signatures set`, imports) uses it.
MAX_COUNT = 1_000_000_000
# A source's name, on every path that names one (chat options, the CLI import).
MAX_SOURCE_NAME = 60
MAX_BYTES = 2_000_000
TIMEOUT_SECONDS = 10.0
MAX_REDIRECTS = 3
# Validators longer than their columns are not kept: that server just loses 304s.
MAX_ETAG = 200
MAX_LAST_MODIFIED = 100
USER_AGENT = "Chorus/0.1 (self-hosted campaign bot; reads a petition's public count)"
# Thousands separators seen on petition pages: comma, dot, apostrophes, underscore, and the
# ordinary, no-break, thin and narrow no-break spaces.
_SEPARATOR = "[,.'’_ \u00a0\u2009\u202f]"
_SEPARATORS = re.compile(_SEPARATOR)
# One kind of separator throughout, between groups of three digits ("12,345,678") or the
# Indian two-then-three ("1,23,45,678"); so "12.7" is not read as 127.
_WRITTEN = (
    re.compile(r"\d+"),
    re.compile(rf"\d{{1,3}}(?P<sep>{_SEPARATOR})\d{{3}}(?:(?P=sep)\d{{3}})*"),
    re.compile(rf"\d{{1,2}}(?P<sep>{_SEPARATOR})\d{{2}}(?:(?P=sep)\d{{2}})*(?P=sep)\d{{3}}"),
)
# More digits than this is past MAX_COUNT whatever they say (and never handed to int()).
_MAX_DIGITS = 12
# How much of a refused value is quoted back.
_SHOWN = 20

Resolver = Callable[[str, int], Awaitable[list[str]]]


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """What to read: `kind` json (url + JSON Pointer) or html (url + one-group regex)."""

    kind: str
    url: str
    pointer: str = ""
    pattern: str = ""


@dataclass(frozen=True, slots=True)
class Fetched:
    """A reading: `count` None means "not modified since the last one"."""

    count: int | None
    etag: str = ""
    last_modified: str = ""


# --- parsing ---------------------------------------------------------------------------


def parse_count_text(text: str) -> int:
    """A count as pages write it: "12345", "12,345", "12 345", "12.345", "1,23,456".

    A SourceError otherwise: not a count (letters, a sign, a decimal point, separators
    that do not group thousands), or past MAX_COUNT, naming the range.
    """
    written = text.strip()
    digits = _SEPARATORS.sub("", written)
    if not digits.isdecimal() or not any(form.fullmatch(written) for form in _WRITTEN):
        raise SourceError(msg("petitions.error.not_a_number", found=shorten(written)))
    if len(digits) > _MAX_DIGITS:
        raise _out_of_range(shorten(written))
    return _bounded(int(digits))


def to_count(value: object) -> int:
    """A JSON value as a count: a whole number from 0 to MAX_COUNT, or a string holding one."""
    if isinstance(value, bool) or value is None:
        raise SourceError(msg("petitions.error.not_a_number", found=json.dumps(value)))
    if isinstance(value, _LongInteger):
        raise _out_of_range(shorten(value.digits))
    if isinstance(value, int):
        return _bounded(value)
    if isinstance(value, float):
        if math.isnan(value) or (math.isfinite(value) and not value.is_integer()):
            raise SourceError(msg("petitions.error.not_a_number", found=repr(value)))
        if math.isinf(value):
            raise _out_of_range(value)
        return _bounded(int(value), shown=value)
    if isinstance(value, str):
        return parse_count_text(value)
    raise SourceError(msg("petitions.error.not_a_number", found=type(value).__name__))


def shorten(text: str, most: int = _SHOWN) -> str:
    """`text` as quoted back in a refusal: its first `most` characters."""
    return text if len(text) <= most else text[:most] + "…"


def _bounded(count: int, *, shown: int | float | None = None) -> int:
    if not 0 <= count <= MAX_COUNT:
        raise _out_of_range(count if shown is None else shown)
    return count


def _out_of_range(found: int | float | str) -> SourceError:
    return SourceError(msg("petitions.error.out_of_range", found=found, max=MAX_COUNT))


@dataclass(frozen=True, slots=True)
class _LongInteger:
    """A JSON integer too long to be any count, kept as written (int() refuses past 4,300
    digits, and the work to convert grows with the square of the length)."""

    digits: str


def _json_integer(digits: str) -> int | _LongInteger:
    return int(digits) if len(digits) <= _MAX_DIGITS + 6 else _LongInteger(digits)


def check_pointer(pointer: str) -> list[str]:
    """The reference tokens of an RFC 6901 JSON Pointer ("" is the whole document)."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise SourceError(msg("petitions.error.bad_pointer", pointer=pointer))
    tokens = pointer[1:].split("/")
    for token in tokens:
        if re.search(r"~(?![01])", token):
            raise SourceError(msg("petitions.error.bad_pointer", pointer=pointer))
    # ~1 first, then ~0: "~01" is "~1" literally, not "/" (RFC 6901, section 4).
    return [token.replace("~1", "/").replace("~0", "~") for token in tokens]


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The value `pointer` names in `document`; a SourceError naming where it stopped."""
    value = document
    walked = ""
    for token in check_pointer(pointer):
        walked += "/" + token.replace("~", "~0").replace("/", "~1")
        if isinstance(value, dict) and token in value:
            value = value[token]
        elif isinstance(value, list) and re.fullmatch(r"0|[1-9]\d*", token):
            index = int(token)
            if index >= len(value):
                raise SourceError(msg("petitions.error.pointer_missing", pointer=walked))
            value = value[index]
        else:
            raise SourceError(msg("petitions.error.pointer_missing", pointer=walked))
    return value


def count_in_json(body: bytes, pointer: str) -> int:
    try:
        document = json.loads(body, parse_int=_json_integer)
    except (ValueError, RecursionError):
        if body.lstrip()[:1] == b"<":
            raise SourceError(msg("petitions.error.html_not_json")) from None
        raise SourceError(msg("petitions.error.not_json")) from None
    return to_count(resolve_pointer(document, pointer))


def count_in_html(text: str, pattern: str) -> int:
    """The count `pattern`'s group catches in `text` (time linear in `text`)."""
    return count_in_group(first_group(check_pattern(pattern), text))


def count_in_group(group: str | None) -> int:
    """What a pattern's group caught, as a count (HTML entities such as &nbsp; read)."""
    if group is None:
        raise SourceError(msg("petitions.error.no_match"))
    return parse_count_text(html.unescape(group))


def check_link(url: str) -> None:
    """A public link to show people (never fetched): it must be an http(s) address."""
    try:
        parse_web_address(url)
    except SourceError:
        raise SourceError(msg("petitions.error.bad_url", url=shorten(url, 200))) from None


def parse_web_address(url: str) -> httpx.URL:
    """`url` parsed: http or https, a host name that can be written in DNS, a port that
    exists. A SourceError naming what is wrong otherwise."""
    bad = SourceError(msg("petitions.error.bad_url", url=shorten(url, 200)))
    try:
        parsed = httpx.URL(url)
        host = parsed.host  # decoding an IDNA host ("xn--…") can fail here
        # What the resolver will do with it; labels of 64 or more, or empty ones, fail.
        host.encode("idna")
    except (httpx.InvalidURL, TypeError, ValueError):  # UnicodeError is a ValueError
        raise bad from None
    if parsed.scheme not in ("http", "https"):
        raise SourceError(msg("petitions.error.scheme", scheme=parsed.scheme or "—"))
    if not host or (parsed.port is not None and not 0 < parsed.port < 65536):
        raise bad
    return parsed


# --- fetching --------------------------------------------------------------------------


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (the operating system's resolver)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


class Fetcher:
    """Reads sources over HTTP, with the checks above."""

    def __init__(
        self,
        *,
        allow_private: bool,
        timeout: float = TIMEOUT_SECONDS,
        max_bytes: int = MAX_BYTES,
        resolver: Resolver = system_resolver,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._allow_private = allow_private
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._resolver = resolver
        self._transport = transport
        # One page matched at a time: RE2 is linear and lets go of the GIL, but a long
        # pattern on a page at the size cap still takes seconds of a worker thread, and
        # those threads are shared with the rest of the bot.
        self._matching = asyncio.Semaphore(1)

    def _client(self) -> httpx.AsyncClient:
        # A client per read: polls are minutes apart, and nothing stays open between them.
        return httpx.AsyncClient(
            timeout=httpx.Timeout(self._timeout),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
            transport=self._transport,
            trust_env=False,  # no proxy from the environment: the address check is ours
        )

    async def read(self, spec: SourceSpec, etag: str = "", last_modified: str = "") -> Fetched:
        """The count at `spec` now; Fetched(None) when the server says it has not changed."""
        pattern: CountPattern | None = None
        if spec.kind == "json":
            check_pointer(spec.pointer)
        else:
            # Checked again at each read: one saved by an older Chorus may not be RE2.
            pattern = check_pattern(spec.pattern)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            async with asyncio.timeout(self._timeout * 2):
                response, body = await self._get(spec.url, headers)
        except TimeoutError:
            raise SourceError(msg("petitions.error.timeout"), transient=True) from None
        except httpx.TimeoutException:
            raise SourceError(msg("petitions.error.timeout"), transient=True) from None
        except httpx.HTTPError as error:
            raise SourceError(
                msg("petitions.error.network", error=type(error).__name__), transient=True
            ) from None
        new_etag = _validator(response.headers.get("ETag", ""), MAX_ETAG)
        new_modified = _validator(response.headers.get("Last-Modified", ""), MAX_LAST_MODIFIED)
        if response.status_code == 304:
            if not (etag or last_modified):
                # "Not modified" since nothing: a broken server, not a reading.
                raise SourceError(msg("petitions.error.status", status=304))
            return Fetched(None, new_etag or etag, new_modified or last_modified)
        if pattern is None:
            count = count_in_json(body, spec.pointer)
        else:
            # At most MAX_BYTES characters: the body is capped before it is decoded.
            text = _decoded(body, response.encoding)
            async with self._matching:
                count = count_in_group(await asyncio.to_thread(first_group, pattern, text))
        return Fetched(count, new_etag, new_modified)

    async def check_url(self, url: str) -> httpx.URL:
        """`url` parsed, if it is http(s) and its host is one we may reach."""
        parsed = parse_web_address(url)
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            addresses = await self._resolver(parsed.host, port)
        except OSError:
            raise SourceError(
                msg("petitions.error.unknown_host", host=parsed.host), transient=True
            ) from None
        if not addresses:
            raise SourceError(msg("petitions.error.unknown_host", host=parsed.host))
        if not self._allow_private:
            for address in addresses:
                if not is_public(address):
                    raise SourceError(
                        msg("petitions.error.private_address", host=parsed.host, address=address)
                    )
        return parsed

    async def _get(self, url: str, headers: dict[str, str]) -> tuple[httpx.Response, bytes]:
        target = await self.check_url(url)
        async with self._client() as client:
            for _hop in range(MAX_REDIRECTS + 1):
                async with client.stream("GET", target, headers=headers) as response:
                    if response.is_redirect and "Location" in response.headers:
                        location = response.headers["Location"]
                        target = await self.check_url(str(target.join(location)))
                        continue
                    self._check_status(response.status_code)
                    return response, await self._body(response)
        raise SourceError(msg("petitions.error.redirects", max=MAX_REDIRECTS))

    @staticmethod
    def _check_status(status: int) -> None:
        if status == 304 or 200 <= status < 300:
            return
        transient = status == 429 or status >= 500
        raise SourceError(msg("petitions.error.status", status=status), transient=transient)

    async def _body(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise SourceError(msg("petitions.error.too_large", max=self._max_bytes))
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > self._max_bytes:
                raise SourceError(msg("petitions.error.too_large", max=self._max_bytes))
        return bytes(body)


def _validator(value: str, longest: int) -> str:
    return value if len(value) <= longest else ""


def _decoded(body: bytes, encoding: str | None) -> str:
    try:
        return body.decode(encoding or "utf-8", errors="replace")
    except LookupError:  # a charset that names no text encoding: base64, rot13, zlib…
        return body.decode("utf-8", errors="replace")
