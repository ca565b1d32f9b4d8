"""Campaigns: set a place up, join places into one campaign, share its settings and roles."""

from cogs.campaigns.feature import Campaigns
from cogs.campaigns.service import CampaignService

__all__ = ["CampaignService", "Campaigns"]
