"""Testimonies: members' stories, their consent, and moderators' decisions."""

from __future__ import annotations
