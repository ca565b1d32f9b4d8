"""One-click share links and post lengths for the networks a wave targets.

Chorus never posts for anyone: a share link only opens the network's own composer with the
text filled in, and the member decides. Only https links are ever made or accepted.

Lengths are counted the way each network counts them, closely enough to refuse a text that
would not fit before anyone tries:
- X counts with twitter-text's weights: code points in the Latin, Greek, Cyrillic, Hebrew,
  Arabic … ranges and general punctuation (U+0000–U+10FF, U+2000–U+200D, U+2010–U+201F,
  U+2032–U+2037) count 1, every other code point (CJK, most emoji) counts 2, and any URL
  counts 23 whatever its length. Approximation: an emoji sequence (a skin tone, a ZWJ family,
  a flag) counts 2 for its first code point and 0 for the modifiers, joiners and variation
  selectors that follow it, as X does for the common cases; rare sequences may count a
  little more here than on X, never less.
- Bluesky counts graphemes (300): here code points, without combining marks and with emoji
  sequences counted once.
- Mastodon counts characters (500), any URL as 23; Threads 500 characters; Reddit a title of
  300 characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from urllib.parse import quote, urlsplit

NETWORKS = ("x", "bluesky", "mastodon", "threads", "reddit")
ALIASES = {
    "twitter": "x",
    "x.com": "x",
    "bsky": "bluesky",
    "bluesky": "bluesky",
    "mastodon": "mastodon",
    "fediverse": "mastodon",
    "threads": "threads",
    "reddit": "reddit",
    "x": "x",
}
LIMITS = {"x": 280, "bluesky": 300, "mastodon": 500, "threads": 500, "reddit": 300}
URL_WEIGHT = 23
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$", re.IGNORECASE)
# twitter-text v3: ranges whose code points weigh 1; all others weigh 2.
_LIGHT = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
_ZWJ = 0x200D
_VARIATION = range(0xFE00, 0xFE10)
_SKIN_TONES = range(0x1F3FB, 0x1F400)
_TAGS = range(0xE0020, 0xE0080)  # subdivision flags (England, Scotland, …)


def normalise_network(raw: str) -> str | None:
    """The network id for a name as people write it (`Twitter`, `bsky`), or None."""
    return ALIASES.get(raw.strip().lower())


def is_https(url: str) -> bool:
    """Only https links with a host are allowed (no javascript:, data:, http:, mailto:)."""
    parts = urlsplit(url.strip())
    return parts.scheme == "https" and bool(parts.netloc) and not any(c.isspace() for c in url)


def is_hostname(value: str) -> bool:
    return bool(_HOST.match(value))


def compose(text: str, hashtags: Sequence[str], link: str = "") -> str:
    """The post as a member would share it: the text, the hashtags it lacks, the link."""
    lowered = text.lower()
    missing = [f"#{tag}" for tag in hashtags if f"#{tag.lower()}" not in lowered]
    post = text
    if missing:
        post += ("\n\n" if post else "") + " ".join(missing)
    if link and link not in post:
        post += ("\n" if post else "") + link
    return post


def _weight(code: int) -> int:
    return 1 if any(low <= code <= high for low, high in _LIGHT) else 2


def _units(text: str, heavy: int) -> int:
    """Length with emoji sequences counted once: `heavy` for a code point outside the light
    ranges (2 on X, 1 elsewhere), 1 for a light one, 0 for what extends the sequence."""
    total = 0
    joined = False
    for char in text:
        code = ord(char)
        if code in _VARIATION or code in _SKIN_TONES or code in _TAGS:
            continue
        if code == _ZWJ:
            joined = True
            continue
        if joined:
            joined = False
            if _weight(code) == 2:
                continue  # the next emoji of a ZWJ sequence
        if unicodedata.combining(char):
            continue
        total += heavy if _weight(code) == 2 else 1
    return total


def _without_urls(text: str) -> tuple[str, int]:
    urls = _URL.findall(text)
    return _URL.sub("", text), len(urls)


def length_on(network: str, post: str) -> int:
    """How long `post` is as `network` counts it (see the module docstring)."""
    text = unicodedata.normalize("NFC", post)
    if network == "x":
        rest, urls = _without_urls(text)
        return _units(rest, 2) + urls * URL_WEIGHT
    if network == "mastodon":
        rest, urls = _without_urls(text)
        return len(rest) + urls * URL_WEIGHT
    if network == "bluesky":
        return _units(text, 1)
    return len(text)


def post_for(network: str, text: str, hashtags: Sequence[str], link: str) -> str:
    """What a member shares on `network`: on Reddit the title (the link goes separately)."""
    return compose(text, hashtags, "" if network == "reddit" else link)


def share_url(
    network: str, text: str, hashtags: Sequence[str], link: str, mastodon_instance: str
) -> str:
    """The https link that opens `network`'s composer with the post filled in."""
    text = quote(post_for(network, text, hashtags, link), safe="")
    if network == "x":
        return f"https://x.com/intent/post?text={text}"
    if network == "bluesky":
        return f"https://bsky.app/intent/compose?text={text}"
    if network == "mastodon":
        return f"https://{mastodon_instance}/share?text={text}"
    if network == "threads":
        return f"https://www.threads.net/intent/post?text={text}"
    if network == "reddit":
        url = f"https://www.reddit.com/submit?title={text}"
        return url + (f"&url={quote(link, safe='')}" if link else "")
    raise ValueError(f"unknown network {network!r}")
