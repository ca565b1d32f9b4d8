"""Stored replies read back: what was written comes back; anything else is named, not asserted."""

from __future__ import annotations

import pytest

from bot.core.replies import Button, Reply, UnreadableReply, reply_from_data, reply_to_data
from bot.core.richtext import doc, msg


def test_a_stored_reply_with_buttons_reads_back_as_it_was_written() -> None:
    reply = Reply(doc(msg("test.announce", text="hi")), buttons=(Button("a.b", msg("x"), "7"),))

    assert reply_from_data(reply_to_data(reply)) == reply


@pytest.mark.parametrize(
    ("label", "problem"),
    [
        ({"t": "ul", "items": []}, "not a catalogue message"),
        ({"t": "p", "c": []}, "not a catalogue message"),
        ({"t": "p", "c": [{"t": "text", "v": "plain"}]}, "not a catalogue message"),
        ({"t": "sparkle"}, "unknown block"),
    ],
)
def test_a_button_label_that_is_not_a_message_is_refused_by_name(
    label: dict[str, object], problem: str
) -> None:
    data = reply_to_data(Reply(doc(msg("x")), buttons=(Button("a.b", msg("x")),)))
    data["buttons"][0]["label"] = label

    with pytest.raises(UnreadableReply, match=problem):
        reply_from_data(data)


@pytest.mark.parametrize(
    "data",
    [
        {},
        [],
        {"body": [{"t": "p"}]},
        {"body": [], "attachment": {"filename": "a", "data": "not base64!", "media_type": "x"}},
        {"body": [], "buttons": [{"label": {"t": "p", "c": [{"t": "msg", "k": "x", "a": {}}]}}]},
    ],
)
def test_a_reply_that_cannot_be_read_raises_one_typed_error(data: object) -> None:
    with pytest.raises(UnreadableReply):
        reply_from_data(data)  # type: ignore[arg-type]
