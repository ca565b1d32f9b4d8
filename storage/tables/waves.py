"""Posting waves: waves, pledges, reminders, DM opt-ins and results."""

from __future__ import annotations
