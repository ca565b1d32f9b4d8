"""Petitions: count sources, readings, milestones and live counters."""

from __future__ import annotations
