"""Telegram telling us about the bot's membership, administrators, and migrated groups.

* my_chat_member: the bot was removed, kicked, or blocked by a user → the place is inactive
  (nothing more is sent there); added back → active again. Still a member but restricted
  from writing → the place stays active with a posting problem, and the people who can
  fix it are told; allowed to write again → the problem is over.
* chat_member: someone's status changed in a group → its administrator list is asked again.
* a group that became a supergroup has a new id → the place moves to it.
"""

from __future__ import annotations

import logging

from telegram import ChatMember, ChatMemberRestricted, Update
from telegram.constants import ChatType

from bot.adapters.telegram.admins import Administrators
from bot.core.actors import Platform
from bot.core.places import PlaceEvents

log = logging.getLogger(__name__)

GONE = frozenset({ChatMember.LEFT, ChatMember.BANNED})
# The reason kept with the place (and shown to the people told), in Telegram's own words.
MUTED = "Not enough rights to send text messages to the chat (the bot was restricted)"


def is_in(member: ChatMember) -> bool:
    """Whether the bot, with this membership, is still in the chat (allowed to write or not)."""
    if member.status in GONE:
        return False
    if isinstance(member, ChatMemberRestricted):
        return member.is_member
    return True


def can_write(member: ChatMember) -> bool:
    """Whether the bot, with this membership, is in the chat and may send messages there."""
    if member.status in GONE:
        return False
    if isinstance(member, ChatMemberRestricted):
        return member.is_member and member.can_send_messages
    return True


class MembershipEvents:
    """Keeps places and administrator lists in step with Telegram."""

    def __init__(self, place_events: PlaceEvents, admins: Administrators) -> None:
        self._places = place_events
        self._admins = admins

    async def on_my_member(self, update: Update, _context: object) -> None:
        change = update.my_chat_member
        if change is None:
            return
        chat = change.chat
        self._admins.forget(chat.id)
        old, new = change.old_chat_member, change.new_chat_member
        before, after = can_write(old), can_write(new)
        if before and not after and is_in(new) and chat.type != ChatType.PRIVATE:
            # Restricted, not removed: an administrator can give the right back.
            await self._places.cannot_post(Platform.TELEGRAM, str(chat.id), MUTED)
        elif is_in(old) and not is_in(new):
            reason = _reason(chat.type, new)
            await self._places.left(Platform.TELEGRAM, str(chat.id), reason)
        elif after and not before:
            await self._places.returned(Platform.TELEGRAM, str(chat.id))

    async def on_member(self, update: Update, _context: object) -> None:
        change = update.chat_member
        if change is not None:
            self._admins.forget(change.chat.id)

    async def on_migrate(self, update: Update, _context: object) -> None:
        message = update.message
        if message is None:
            return
        # Telegram sends both service messages (one in each chat); moving twice is harmless.
        if message.migrate_to_chat_id is not None:
            old, new = message.chat.id, message.migrate_to_chat_id
        elif message.migrate_from_chat_id is not None:
            old, new = message.migrate_from_chat_id, message.chat.id
        else:
            return
        self._admins.forget(old)
        await self._places.moved(Platform.TELEGRAM, str(old), str(new))


def _reason(chat_type: str, new: ChatMember) -> str:
    """Why the place went quiet, for the operator (stored with the place, not shown to users)."""
    status = new.status
    if chat_type == ChatType.PRIVATE:
        return "telegram: the user blocked the bot"
    if status == ChatMember.BANNED:
        return "telegram: the bot was removed from the group by an administrator"
    if status == ChatMember.LEFT:
        return "telegram: the bot is no longer a member of the group"
    return "telegram: the bot may not send messages in the group"
