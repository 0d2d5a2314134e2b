"""The one place where channel-layer group names are built."""


def campaign_group(campaign_id: int) -> str:
    return f"campaign.{int(campaign_id)}"


def board_group(board_id: int) -> str:
    """Every process with a socket on the board is in this group (one member per process)."""
    return f"board.{int(board_id)}"


def opinion_group(campaign_id: int) -> str:
    """The moderators' opinion-groups dashboards of a campaign (one member per socket)."""
    return f"opinion-groups.{int(campaign_id)}"
