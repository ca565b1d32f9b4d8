"""A source that cannot be read is refused with the reason, and nothing changes."""

from __future__ import annotations

import pytest

from bot.app import Core
from cogs.petitions.sources import Fetcher, SourceError, SourceSpec, resolve_pointer, to_count
from storage.database import Database
from tests.cogs.petitions.conftest import Meet, PetitionSite, start_campaign

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
    ],
)
def test_counts_with_thousands_separators(value: object, count: int) -> None:
    assert to_count(value) == count


@pytest.mark.parametrize("value", [True, None, 1.5, -3, "abc", "1e99", 10**12, [1]])
def test_what_is_not_a_count(value: object) -> None:
    with pytest.raises(SourceError):
        to_count(value)
