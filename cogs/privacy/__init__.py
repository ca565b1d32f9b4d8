"""Privacy: what Chorus keeps about a member, their data as a file, and forgetting them."""

from cogs.privacy.core_data import CampaignData
from cogs.privacy.feature import Privacy

__all__ = ["CampaignData", "Privacy"]
