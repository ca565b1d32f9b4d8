"""A source that cannot be read is refused with the reason, and nothing changes."""

from __future__ import annotations

import gzip
import math

import httpx
import pytest

from bot.app import Core
from bot.core.i18n import Catalogues
from bot.core.render import PlainRenderer
from bot.core.richtext import doc
from cogs.petitions.sources import (
    MAX_BYTES,
    MAX_COUNT,
    Fetcher,
    SourceError,
    SourceSpec,
    count_in_html,
    count_in_json,
    resolve_pointer,
    to_count,
)
from storage.database import Database
from tests.cogs.petitions.conftest import Meet, PetitionSite, make_poller, poll, start_campaign
from tests.cogs.petitions.test_health import alerts, the_source
from tests.cogs.petitions.test_signatures import milestone_rows, text_of
from tests.fakes import FakeClock

POINTER = "pointer:/data/attributes/signature_count"


async def sources_of(db: Database) -> list[str]:
    async with db.read() as tx:
        return [s.name for s in await tx.petitions.sources(1)]


@pytest.mark.parametrize(
    ("url", "extra", "reason"),
    [
        (
            "ftp://127.0.0.1/petition.json",
            POINTER,
            "Only http and https addresses can be read, not ftp.",
        ),
        ("file:///etc/passwd", POINTER, "Only http and https addresses can be read, not file."),
        ("{base}/huge.json", POINTER, "The page is larger than 2,000,000 bytes."),
        ("{base}/page.html", POINTER, "The page is HTML, not JSON"),
        (
            "{base}/petition.json",
            "pointer:/data/attributes/count",
            "The JSON has nothing at /data/attributes/count.",
        ),
        (
            "{base}/petition.json",
            "pointer:/data/attributes/state",
            "What was found is not a count: “open”.",
        ),
        ("{base}/petition.json", "pointer:data", "“data” is not a JSON Pointer"),
        ("{base}/page.html", 'kind:html pattern:"(\\d+"', "The regular expression is not valid"),
        ("{base}/page.html", 'kind:html pattern:"\\d+ signatures"', "exactly one group"),
        ("{base}/page.html", 'kind:html pattern:"(\\d+) votes"', "finds nothing on the page"),
        ("{base}/nowhere.json", POINTER, "The site answered with HTTP status 404."),
        ("http://" + "a" * 64 + ".example/x.json", POINTER, ".example/x.json” is not a web"),
        ("http://xn--zz.example/x.json", POINTER, "“http://xn--zz.example/x.json” is not a web"),
        ("http://a..example/x.json", POINTER, "“http://a..example/x.json” is not a web address"),
        ("http://example.org:99999/x", POINTER, "“http://example.org:99999/x” is not a web"),
        ("{base}/petition.json", POINTER + " link:http://xn--zz.example/", "is not a web address"),
    ],
)
async def test_a_source_that_cannot_be_read_is_refused_with_the_reason(
    meet: Meet, db: Database, site: PetitionSite, url: str, extra: str, reason: str
) -> None:
    alice = await start_campaign(meet)
    kind = "" if "kind:" in extra else "kind:json "

    answer = await alice.says(
        f"/signatures source add {kind}name:bad url:{url.format(base=site.base)} {extra}"
    )

    assert "The source was not added:" in answer
    assert reason in answer
    assert "Nothing was changed." in answer
    assert await sources_of(db) == []


async def test_a_private_address_is_refused_unless_the_operator_allows_it(
    site: PetitionSite,
) -> None:
    async def private_dns(host: str, port: int) -> list[str]:
        return {"petition.example": ["93.184.216.34", "10.0.0.7"]}.get(host, ["127.0.0.1"])

    strict = Fetcher(allow_private=False, resolver=private_dns)
    spec = SourceSpec("json", "http://petition.example/x.json", "/count")
    with pytest.raises(SourceError) as refused:
        await strict.read(spec)
    assert refused.value.message.key == "petitions.error.private_address"
    assert refused.value.message.args["address"].value == "10.0.0.7"  # type: ignore[union-attr]

    for address in ("http://127.0.0.1:9/x", "http://[::1]/x", "http://169.254.169.254/latest"):
        with pytest.raises(SourceError, match="private_address"):
            await Fetcher(allow_private=False).check_url(address)

    # The loopback site itself, when the operator allows it, is read (tests rely on that).
    assert (
        await Fetcher(allow_private=True).read(
            SourceSpec("json", site.url(), "/data/attributes/signature_count")
        )
    ).count == 900


async def test_a_page_in_a_charset_that_is_no_text_encoding_is_read_as_utf_8() -> None:
    async def public_dns(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]

    def page(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": "text/html; charset=base64"}
        return httpx.Response(200, headers=headers, content=b"<p>1,520 signatures</p>")

    fetcher = Fetcher(allow_private=False, resolver=public_dns, transport=httpx.MockTransport(page))
    spec = SourceSpec("html", "http://petition.example/", pattern="([0-9,]+) signatures")

    assert (await fetcher.read(spec)).count == 1_520


async def test_a_compressed_page_is_capped_at_its_size_once_decompressed() -> None:
    async def public_dns(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]

    bomb = gzip.compress(b"1" * (MAX_BYTES + 1))  # a few kilobytes on the wire

    def page(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
        return httpx.Response(200, headers=headers, content=bomb)

    fetcher = Fetcher(allow_private=False, resolver=public_dns, transport=httpx.MockTransport(page))
    spec = SourceSpec("html", "http://petition.example/", pattern="(\\d+)+x")

    with pytest.raises(SourceError) as refused:
        await fetcher.read(spec)

    assert len(bomb) < 10_000
    assert "The page is larger than 2,000,000 bytes." in rendered(refused.value)


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://" + "a" * 64 + ".example/", ".example/” is not a web address."),
        ("ftp://petition.example/", "Only http and https addresses can be read, not ftp."),
    ],
)
async def test_a_redirect_to_no_address_is_refused_naming_it(location: str, reason: str) -> None:
    async def public_dns(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]

    def moved(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": location})

    fetcher = Fetcher(
        allow_private=False, resolver=public_dns, transport=httpx.MockTransport(moved)
    )

    with pytest.raises(SourceError) as refused:
        await fetcher.read(SourceSpec("json", "http://petition.example/", "/count"))

    assert reason in rendered(refused.value)


async def test_organisers_in_a_chat_cannot_reach_a_private_address(
    meet: Meet, core: Core, db: Database, settings: object, tmp_path: object
) -> None:
    from bot.app import build_core
    from bot.settings import Settings
    from tests.cogs.petitions.conftest import ORGANISER, TG_GROUP
    from tests.dialogue import Member

    assert isinstance(settings, Settings)
    strict = build_core(
        settings.model_copy(update={"allow_private_sources": False}), db, core.clock
    )
    alice = Member(strict, ORGANISER, TG_GROUP, core.settings.data_dir)
    await alice.says('/setup name:"Keep 4o"')

    answer = await alice.says(
        f"/signatures source add kind:json url:http://127.0.0.1:9/x.json {POINTER}"
    )

    assert "127.0.0.1 is a private or local address (127.0.0.1)" in answer
    assert await sources_of(db) == []


def test_json_pointers_follow_rfc_6901() -> None:
    document = {
        "foo": ["bar", "baz"],
        "": 0,
        "a/b": 1,
        "c%d": 2,
        "e^f": 3,
        "g|h": 4,
        "i\\j": 5,
        'k"l': 6,
        " ": 7,
        "m~n": 8,
    }
    assert resolve_pointer(document, "") == document
    assert resolve_pointer(document, "/foo") == ["bar", "baz"]
    assert resolve_pointer(document, "/foo/0") == "bar"
    for pointer, value in [
        ("/", 0),
        ("/a~1b", 1),
        ("/c%d", 2),
        ("/e^f", 3),
        ("/g|h", 4),
        ("/i\\j", 5),
        ('/k"l', 6),
        ("/ ", 7),
        ("/m~0n", 8),
    ]:
        assert resolve_pointer(document, pointer) == value
    for missing in ("/foo/2", "/foo/01", "/foo/-", "/nope", "/foo/0/x"):
        with pytest.raises(SourceError, match="pointer_missing"):
            resolve_pointer(document, missing)
    with pytest.raises(SourceError, match="bad_pointer"):
        resolve_pointer(document, "/m~2n")


@pytest.mark.parametrize(
    ("value", "count"),
    [
        (12345, 12345),
        (12345.0, 12345),
        ("12,345", 12345),
        ("12.345", 12345),
        ("12 345", 12345),
        ("12\u202f345", 12345),
        ("12\u00a0345", 12345),
        ("12\u2009345", 12345),
        ("12'345", 12345),
        ("1,234,567", 1_234_567),
        ("1,23,456", 123_456),  # Indian grouping
        (" 1520 ", 1520),
        (0, 0),
        (MAX_COUNT, MAX_COUNT),
        (f"{MAX_COUNT:,}", MAX_COUNT),
    ],
)
def test_counts_with_thousands_separators(value: object, count: int) -> None:
    assert to_count(value) == count


def rendered(error: SourceError) -> str:
    return PlainRenderer(Catalogues.load().translator("en")).render(doc(error.message))


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (True, "What was found is not a count: “true”."),
        (None, "What was found is not a count: “null”."),
        ([1], "What was found is not a count: “list”."),
        (1.5, "What was found is not a count: “1.5”."),
        (12.7, "What was found is not a count: “12.7”."),
        ("12.7", "What was found is not a count: “12.7”."),  # not 127
        ("1,2345", "What was found is not a count: “1,2345”."),
        ("12,345.678", "What was found is not a count: “12,345.678”."),
        ("abc", "What was found is not a count: “abc”."),
        ("", "What was found is not a count: “”."),
        ("1e99", "What was found is not a count: “1e99”."),
        ("-5", "What was found is not a count: “-5”."),
        ("²³", "What was found is not a count: “²³”."),
        (math.nan, "What was found is not a count: “nan”."),
        ("NaN", "What was found is not a count: “NaN”."),
        (-3, "The count found, -3, is not between 0 and 1,000,000,000."),
        (MAX_COUNT + 1, "The count found, 1,000,000,001, is not between 0 and 1,000,000,000."),
        (10**12, "The count found, 1,000,000,000,000, is not between 0 and 1,000,000,000."),
        (1e30, "The count found, 1E30, is not between 0 and 1,000,000,000."),
        (10**30, "The count found, 1E30, is not between 0 and 1,000,000,000."),
        (math.inf, "The count found, ∞, is not between 0 and 1,000,000,000."),
        (-math.inf, "The count found, -∞, is not between 0 and 1,000,000,000."),
        ("99,999,999,999", "The count found, 99,999,999,999, is not between 0 and 1,000,000,000."),
        ("9" * 5000, "The count found, 99999999999999999999…, is not between 0 and 1,000,000,000."),
        ("x" * 5000, "What was found is not a count: “xxxxxxxxxxxxxxxxxxxx…”."),
    ],
)
def test_what_is_not_a_count_is_refused_naming_it_and_the_range(value: object, reason: str) -> None:
    with pytest.raises(SourceError) as refused:
        to_count(value)

    assert reason in rendered(refused.value)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"n": 1e30}', "The count found, 1E30, is not between 0 and 1,000,000,000."),
        (b'{"n": Infinity}', "The count found, ∞, is not between 0 and 1,000,000,000."),
        (b'{"n": NaN}', "What was found is not a count: “nan”."),
        (b'{"n": -1}', "The count found, -1, is not between 0 and 1,000,000,000."),
        (b'{"n": ' + b"9" * 5000 + b"}", "The count found, 99999999999999999999…, is not"),
        (b'{"n": "1\\u00a0520"}', ""),
        (b'{"n": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "The page is not JSON."),
    ],
)
def test_a_json_count_past_the_range_is_refused_with_the_range(body: bytes, reason: str) -> None:
    if not reason:
        assert count_in_json(body, "/n") == 1520
        return
    with pytest.raises(SourceError) as refused:
        count_in_json(body, "/n")

    assert reason in rendered(refused.value)


def test_a_huge_run_of_digits_on_a_page_is_out_of_range() -> None:
    with pytest.raises(SourceError) as refused:
        count_in_html("<p>" + "7" * 1_000_000 + " signatures</p>", "(\\d+) signatures")

    assert "is not between 0 and 1,000,000,000" in rendered(refused.value)
    assert len(rendered(refused.value)) < 200


async def test_a_polled_count_of_1e30_is_refused_with_the_range_and_the_alert_is_sent(
    meet: Meet, core: Core, db: Database, site: PetitionSite, clock: FakeClock
) -> None:
    alice = await start_campaign(meet)
    await alice.says(f"/signatures source add kind:json name:UK url:{site.url()} {POINTER}")
    poller = make_poller(db, clock)

    site.body = b'{"data": {"attributes": {"signature_count": 1e30}}}'
    await poll(core, poller, clock)

    source = await the_source(db)
    assert (source.healthy, source.last_count) == (False, 900)
    shown = await alice.says("/signatures source")
    assert "The count found, 1E30, is not between 0 and 1,000,000,000." in shown
    [alert] = await alerts(db)
    assert "is not between 0 and 1,000,000,000" in text_of(alert)
    assert await milestone_rows(db) == []


async def test_an_endless_etag_is_not_kept(
    meet: Meet, core: Core, db: Database, site: PetitionSite, clock: FakeClock
) -> None:
    alice = await start_campaign(meet)
    await alice.says(f"/signatures source add kind:json name:UK url:{site.url()} {POINTER}")
    poller = make_poller(db, clock)
    site.etag = '"' + "e" * 5000 + '"'
    site.count = 950

    await poll(core, poller, clock)
    await poll(core, poller, clock)

    source = await the_source(db)
    assert (source.healthy, source.last_count, source.etag) == (True, 950, "")
    assert "If-None-Match" not in site.requests[-1]


GARBAGE = [
    b"",
    b"{",
    b'{"data": {"attributes": {"signature_count": "12.7"}}}',
    b'{"data": {"attributes": {"signature_count": 1e30}}}',
    b'{"data": {"attributes": {"signature_count": true}}}',
    b'{"data": {"attributes": {"signature_count": NaN}}}',
    b'{"data": {"attributes": {"signature_count": -1001}}}',
    b'{"data": {"attributes": {"signature_count": ' + b"1" * 5000 + b"}}}",
    b"\xff\xfe garbage",
]


@pytest.mark.parametrize("garbage", GARBAGE)
async def test_garbage_between_readings_posts_nothing_and_the_next_good_reading_counts(
    meet: Meet, core: Core, db: Database, site: PetitionSite, clock: FakeClock, garbage: bytes
) -> None:
    alice = await start_campaign(meet)
    await alice.says(f"/signatures source add kind:json name:UK url:{site.url()} {POINTER}")
    poller = make_poller(db, clock)

    site.count = 999
    await poll(core, poller, clock)
    site.body = garbage
    await poll(core, poller, clock)
    assert (await the_source(db)).healthy is False
    assert await milestone_rows(db) == []

    site.body = None
    for count in (1_001, 998, 1_003):
        site.count = count
        await poll(core, poller, clock)

    assert [r.dedupe_key for r in await milestone_rows(db)] == ["milestone:1:1000:1"]
    assert (await the_source(db)).healthy is True


async def test_a_site_that_answers_not_modified_to_a_first_reading_is_refused(
    meet: Meet, db: Database, site: PetitionSite
) -> None:
    # "Not modified" since nothing (no validators were sent): a broken server, not a count.
    alice = await start_campaign(meet)
    site.status = 304
    url = site.url()

    answer = await alice.says(f"/signatures source add kind:json name:UK url:{url} {POINTER}")

    assert answer == (
        "The source was not added: The site answered with HTTP status 304. Nothing was changed."
    )
    assert await sources_of(db) == []
