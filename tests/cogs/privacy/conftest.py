"""The testimonies' cast (a campaign, its moderator and members) serves these dialogues too."""

from __future__ import annotations

from tests.cogs.testimonies.conftest import cast

__all__ = ["cast"]
