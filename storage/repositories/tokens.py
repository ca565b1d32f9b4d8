"""Short tokens that stand for something kept server-side until they expire.

A chat platform gives little room for state: a Telegram deep link carries 64 characters and a
button 64 bytes. Adapters keep the rest here, under a token: the command a deep link opens,
a form conversation in progress, the action and key of a button whose data would not fit.
Rows outlive a restart; expired rows are never returned and are purged from time to time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from storage.errors import Conflict
from storage.repositories.base import Repository
from storage.schema import chat_tokens


@dataclass(frozen=True, slots=True)
class ChatToken:
    """What a token stands for: `kind` says how to read `payload`; `user_key` who may use it."""

    token: str
    kind: str
    payload: dict[str, Any]
    user_key: str | None
    created_at: datetime
    expires_at: datetime


def _token(row: Any) -> ChatToken:
    return ChatToken(
        token=row.token,
        kind=row.kind,
        payload=dict(row.payload),
        user_key=row.user_key,
        created_at=row.created_at,
        expires_at=row.expires_at,
    )


class ChatTokenRepository(Repository):
    """The chat_tokens table."""

    async def create(
        self,
        *,
        token: str,
        kind: str,
        payload: dict[str, Any],
        user_key: str | None,
        now: datetime,
        expires_at: datetime,
    ) -> ChatToken:
        """A new token; `Conflict` when it is already taken."""
        statement = (
            insert(chat_tokens)
            .values(
                token=token,
                kind=kind,
                payload=payload,
                user_key=user_key,
                created_at=now,
                expires_at=expires_at,
            )
            .returning(*chat_tokens.c)
        )
        try:
            async with self._connection.begin_nested():
                result = await self._connection.execute(statement)
        except IntegrityError:
            raise Conflict(f"token {token!r} is taken") from None
        return _token(result.one())

    async def put(
        self,
        *,
        token: str,
        kind: str,
        payload: dict[str, Any],
        user_key: str | None,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        """Write the token, replacing what it stood for if it exists (same or other kind)."""
        values = {
            "token": token,
            "kind": kind,
            "payload": payload,
            "user_key": user_key,
            "created_at": now,
            "expires_at": expires_at,
        }
        changed = {name: value for name, value in values.items() if name != "token"}
        if self.dialect == "postgresql":
            pg_statement = postgresql.insert(chat_tokens).values(**values)
            await self._connection.execute(
                pg_statement.on_conflict_do_update(index_elements=["token"], set_=changed)
            )
            return
        lite_statement = sqlite.insert(chat_tokens).values(**values)
        await self._connection.execute(
            lite_statement.on_conflict_do_update(index_elements=["token"], set_=changed)
        )

    async def get(self, token: str, kind: str, now: datetime) -> ChatToken | None:
        """The token of that kind, or None when it is unknown or has expired."""
        result = await self._connection.execute(
            select(chat_tokens).where(
                chat_tokens.c.token == token,
                chat_tokens.c.kind == kind,
                chat_tokens.c.expires_at > now,
            )
        )
        row = result.one_or_none()
        return _token(row) if row else None

    async def delete(self, token: str) -> bool:
        result = await self._connection.execute(
            delete(chat_tokens).where(chat_tokens.c.token == token)
        )
        return result.rowcount > 0

    async def delete_expired(self, now: datetime) -> int:
        """Forget every token past its expiry; how many there were."""
        result = await self._connection.execute(
            delete(chat_tokens).where(chat_tokens.c.expires_at <= now)
        )
        return result.rowcount
