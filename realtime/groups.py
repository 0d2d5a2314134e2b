"""The one place where channel-layer group names are built."""


def campaign_group(campaign_id: int) -> str:
    return f"campaign.{int(campaign_id)}"
