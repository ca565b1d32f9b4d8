"""What the core tables hold about one user, for `/privacy export` and `/privacy forget`.

Campaign roles name their holder and who granted them; campaigns and invites name who made
them; chat tokens hold a form's answers until it is finished (a story being typed on
Telegram); the audit log names who did what, and whom a role was granted to. Outbox rows
have their own `cancel_for_user`.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select, update

from storage.records import RoleGrant
from storage.repositories.base import Repository
from storage.schema import audit_log, campaigns, chat_tokens, invites, roles

# Stands where a forgotten user's key was, in records that must keep a value.
FORGOTTEN = "forgotten"


class PersonalDataRepository(Repository):
    """One user's traces in the roles, campaigns, invites and chat_tokens tables."""

    async def roles_of(self, user_key: str) -> list[RoleGrant]:
        result = await self._connection.execute(
            select(roles).where(roles.c.user_key == user_key).order_by(roles.c.campaign_id)
        )
        return [
            RoleGrant(r.campaign_id, r.user_key, r.role, r.granted_by, r.granted_at) for r in result
        ]

    async def open_forms(self, user_key: str) -> int:
        """How many form conversations and deep links are kept for the user."""
        result = await self._connection.execute(
            select(func.count()).where(chat_tokens.c.user_key == user_key)
        )
        return int(result.scalar_one())

    async def forget(self, user_key: str) -> int:
        """Drop the user's roles and chat tokens; where they made, granted or did something,
        or were granted a role, say `forgotten` instead. Returns how many roles were
        dropped."""
        dropped = await self._connection.execute(delete(roles).where(roles.c.user_key == user_key))
        await self._connection.execute(
            update(roles).where(roles.c.granted_by == user_key).values(granted_by=FORGOTTEN)
        )
        await self._connection.execute(
            update(campaigns).where(campaigns.c.created_by == user_key).values(created_by=FORGOTTEN)
        )
        await self._connection.execute(
            update(invites).where(invites.c.created_by == user_key).values(created_by=FORGOTTEN)
        )
        await self._connection.execute(
            delete(chat_tokens).where(chat_tokens.c.user_key == user_key)
        )
        await self._forget_in_audit_log(user_key)
        return dropped.rowcount

    async def _forget_in_audit_log(self, user_key: str) -> None:
        # The entries stay (what was done, when); only the person leaves them.
        await self._connection.execute(
            update(audit_log).where(audit_log.c.actor == user_key).values(actor=FORGOTTEN)
        )
        subject = audit_log.c.detail["user"].as_string()
        result = await self._connection.execute(
            select(audit_log.c.id, audit_log.c.detail).where(subject == user_key)
        )
        for entry_id, detail in result.all():
            await self._connection.execute(
                update(audit_log)
                .where(audit_log.c.id == entry_id)
                .values(detail={**detail, "user": FORGOTTEN})
            )
