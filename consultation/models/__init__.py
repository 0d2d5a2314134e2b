"""The consultation domain. One module per part of the domain; import from here."""

from consultation.models.accounts import ExternalIdentity, User
from consultation.models.boards import (
    Board,
    BoardEvent,
    Card,
    Cluster,
    Column,
    CommandReceipt,
    DotVote,
    LiveSession,
    Participant,
)
from consultation.models.campaigns import Campaign, CampaignRole, Organisation, Phase
from consultation.models.contributions import (
    Comment,
    Contribution,
    Follow,
    OfficialAnswer,
    Support,
    SupportTally,
)
from consultation.models.moderation import Merge, ModerationDecision, Report, Tag
from consultation.models.opinions import OpinionGroups
from consultation.models.statements import Statement, StatementVote, VoteTally
from consultation.models.synthesis import SynthesisSection, SynthesisVersion
from consultation.models.territories import Area, Commune, Theme
from consultation.models.topics import Topic
from consultation.models.workshops import Registration, Workshop

__all__ = [
    "Board",
    "BoardEvent",
    "Card",
    "Cluster",
    "Column",
    "CommandReceipt",
    "DotVote",
    "ExternalIdentity",
    "LiveSession",
    "Merge",
    "ModerationDecision",
    "Participant",
    "Area",
    "Campaign",
    "CampaignRole",
    "Comment",
    "Commune",
    "Contribution",
    "Follow",
    "OfficialAnswer",
    "OpinionGroups",
    "Organisation",
    "Phase",
    "Registration",
    "Report",
    "Statement",
    "StatementVote",
    "Support",
    "SupportTally",
    "SynthesisSection",
    "SynthesisVersion",
    "Tag",
    "Theme",
    "Topic",
    "User",
    "VoteTally",
    "Workshop",
]
