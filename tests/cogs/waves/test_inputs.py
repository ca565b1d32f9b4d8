"""The readers behind the form: times as people type them, post lengths as networks count
them, share links, reminder offsets, and the UTC one-off rule reminders are scheduled with."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.core.errors import UserError
from bot.core.scheduling import next_occurrence, parse_rule, zone
from bot.core.scheduling.rules import rule_to_json
from cogs.waves.inputs import DEFAULT_OFFSETS, read_offsets, read_targets, read_texts
from cogs.waves.sharelinks import compose, is_https, length_on, share_url
from cogs.waves.timeparse import parse_when

# Monday 1 June 2026, 14:00 in Paris.
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def local(text: str, zone_name: str = "Europe/Paris") -> str:
    when = parse_when(text, zone_name, NOW)
    return f"{when.local:%a %Y-%m-%d %H:%M} {when.zone}"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-12-04 20:00", "Fri 2026-12-04 20:00 Europe/Paris"),
        ("2026-12-04T20:00", "Fri 2026-12-04 20:00 Europe/Paris"),
        ("friday 20:00", "Fri 2026-06-05 20:00 Europe/Paris"),
        ("Fri 8pm", "Fri 2026-06-05 20:00 Europe/Paris"),
        ("monday 15:00", "Mon 2026-06-01 15:00 Europe/Paris"),  # today, still ahead
        ("monday 13:00", "Mon 2026-06-08 13:00 Europe/Paris"),  # today's has passed
        ("next tuesday 9:30 am", "Tue 2026-06-02 09:30 Europe/Paris"),
        ("tomorrow 07:05", "Tue 2026-06-02 07:05 Europe/Paris"),
        ("4 December 20:00", "Fri 2026-12-04 20:00 Europe/Paris"),
        ("Dec 4th 2027 20:00", "Sat 2027-12-04 20:00 Europe/Paris"),
        ("1 May 20:00", "Sat 2027-05-01 20:00 Europe/Paris"),  # this year's has passed
        ("friday 20:00 America/New_York", "Fri 2026-06-05 20:00 America/New_York"),
        ("friday 20:00 utc", "Fri 2026-06-05 20:00 UTC"),
    ],
)
def test_times_are_read_in_the_places_zone_unless_another_is_named(
    typed: str, expected: str
) -> None:
    assert local(typed) == expected


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("30 February 2027 20:00", "wave.when.no_such_day"),
        ("2026-02-30 20:00", "wave.when.no_such_day"),
        ("2026-13-01 20:00", "wave.when.no_month"),
        ("friday", "wave.when.no_time"),
        ("friday 25:00", "wave.when.no_time"),
        ("13pm", "wave.when.no_time"),
        ("the day after 20:00", "wave.when.unreadable"),
        ("2026-06-01 13:59", "wave.when.past"),
    ],
)
def test_impossible_times_are_refused_by_what_is_wrong(typed: str, problem: str) -> None:
    with pytest.raises(UserError) as refused:
        parse_when(typed, "Europe/Paris", NOW)

    assert refused.value.message.key == "wave.bad_field"
    assert refused.value.message.args["problem"].key == problem  # type: ignore[union-attr]


def test_x_counts_urls_as_23_and_wide_characters_as_2() -> None:
    assert length_on("x", "hello") == 5
    assert length_on("x", "see https://example.com/" + "a" * 200) == 4 + 23
    assert length_on("x", "日本") == 4
    assert length_on("x", "👍🏽👨‍👩‍👧") == 4  # a skin tone and a family: one emoji each
    assert length_on("x", "“quotes” – dash") == 15
    assert length_on("bluesky", "👍🏽 日本") == 4
    assert length_on("mastodon", "https://example.com/" + "a" * 600) == 23


def test_a_post_carries_the_hashtags_it_lacks_and_the_link() -> None:
    post = compose("I use #Keep4o daily", ["keep4o", "AI"], "https://example.com/petition")

    assert post == "I use #Keep4o daily\n\n#AI\nhttps://example.com/petition"


def test_share_links_open_each_networks_composer_over_https() -> None:
    text, tags, link = "Keep 4o & friends", ["keep4o"], "https://example.com/p?a=1&b=2"
    urls = {
        network: share_url(network, text, tags, link, "social.example")
        for network in ("x", "bluesky", "mastodon", "threads", "reddit")
    }

    assert all(is_https(url) for url in urls.values())
    assert urls["mastodon"].startswith("https://social.example/share?text=")
    assert parse_qs(urlsplit(urls["x"]).query)["text"] == [
        "Keep 4o & friends\n\n#keep4o\nhttps://example.com/p?a=1&b=2"
    ]
    reddit = parse_qs(urlsplit(urls["reddit"]).query)
    assert reddit == {"title": ["Keep 4o & friends\n\n#keep4o"], "url": [link]}


@pytest.mark.parametrize(
    "url", ["http://example.com", "javascript:alert(1)", "data:text/html,x", "https://", "ftp://x"]
)
def test_only_https_links_are_allowed(url: str) -> None:
    assert not is_https(url)


def test_reminder_offsets_read_largest_first() -> None:
    assert read_offsets("") == DEFAULT_OFFSETS == (1440, 60, 0)
    assert read_offsets("0, 90m, 2h, 1d") == (1440, 120, 90, 0)
    assert read_offsets("30 min") == (30,)


def test_networks_and_hashtags_are_read_in_any_order() -> None:
    targets = read_targets("#keep4o Twitter, bsky #AI #keep4o", ("x", "bluesky"), "")

    assert (targets.networks, targets.hashtags) == (("x", "bluesky"), ("keep4o", "AI"))
    assert read_targets("", ("x", "reddit"), "keep4o").networks == ("x", "reddit")


def test_texts_are_one_per_line_or_separated_by_bars_on_one_line() -> None:
    assert read_texts("one\n\n two \nthree") == ("one", "two", "three")
    assert read_texts("one | two") == ("one", "two")


def test_a_utc_one_off_rule_fires_at_its_instant_whatever_the_zone() -> None:
    rule = parse_rule({"type": "once", "at_utc": "2026-10-25T00:30:00Z"})

    assert rule_to_json(rule) == {"type": "once", "at_utc": "2026-10-25T00:30:00Z"}
    slot = next_occurrence(rule, zone("Europe/London"), NOW)
    assert slot is not None
    assert (slot.local_key, slot.due_at) == (
        "2026-10-25T00:30:00Z",
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
    )
    assert next_occurrence(rule, zone("UTC"), slot.due_at) is None
    with pytest.raises(ValueError, match="not both"):
        parse_rule({"type": "once", "at": "2026-10-25T01:30", "at_utc": "2026-10-25T00:30Z"})
