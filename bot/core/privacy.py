"""What a cog that keeps data about people must offer (DESIGN §4).

`/privacy` shows every cog's statement, `/privacy export` gathers every cog's data about the
caller, and `/privacy forget` erases it from every cog in one transaction: a member is never
left half-forgotten.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from bot.core.richtext import Msg
from storage.unit import Tx


@runtime_checkable
class KeepsPersonalData(Protocol):
    """A cog that stores something about users (identified by `platform:id` user keys)."""

    name: str

    def data_statement(self) -> Msg:
        """One short paragraph: what this cog stores about a member, and why."""
        ...

    async def export_user_data(self, tx: Tx, user_key: str) -> dict[str, Any]:
        """Everything this cog holds about `user_key`, as JSON-ready data."""
        ...

    async def forget_user(self, tx: Tx, user_key: str) -> None:
        """Erase what this cog holds about `user_key`, inside the caller's transaction."""
        ...
