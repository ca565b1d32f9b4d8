"""Petitions: the live signature count, milestones announced everywhere once, and charts."""

from cogs.petitions.feature import Petitions
from cogs.petitions.runtime import PetitionConfig, PetitionRuntime, build_petitions

__all__ = ["PetitionConfig", "PetitionRuntime", "Petitions", "build_petitions"]
