"""The moderators' opinion-groups dashboard socket (docs/realtime-protocol.md, « Opinion
groups dashboard »): ws/campaigns/<campaign_id>/opinion-groups/.

It only pushes. When a computation is stored, published or withdrawn, the action publishes an
event after commit to `opinion_group(campaign_id)`; every dashboard socket of the campaign
forwards it, and the page fetches its fragment again over HTTP, where the permissions are
checked once more. Events carry ids, counts and dates only: never a statement's text nor who
voted what, so a socket whose person lost the role meanwhile learns nothing that matters before
it reconnects and is refused.

A Channels consumer (one channel per socket) is enough here: a campaign has a handful of
moderators, not the hundreds of participants a live board fans out to (realtime.fanout).
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.translation import gettext as _

from consultation.identity import second_factor
from consultation.models import Campaign, OpinionGroups
from consultation.rules import is_moderator
from realtime.groups import opinion_group
from realtime.publish import dumps

CLOSE_NOT_LOGGED_IN, CLOSE_FORBIDDEN, CLOSE_NOT_FOUND = 4401, 4403, 4404


class OpinionGroupsConsumer(AsyncJsonWebsocketConsumer):
    """One moderator's dashboard: `ready` on connection, then the campaign's events."""

    group: str | None = None

    async def connect(self) -> None:
        # Accepted first so that a refusal reaches the browser as a close code (a handshake
        # refused before acceptance is only an HTTP 403, the same for every reason).
        await self.accept()
        campaign_id = int(self.scope["url_route"]["kwargs"]["campaign_id"])
        refusal = await database_sync_to_async(self._refusal)(campaign_id)
        if refusal is not None:
            await self.close(code=refusal)
            return
        self.group = opinion_group(campaign_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        # Read after joining the group: a computation stored in between is announced twice at
        # worst, never missed. The page compares the id with the one it shows.
        latest = await database_sync_to_async(self._latest_id)(campaign_id)
        await self.send_json({"type": "ready", "computation": latest})

    def _refusal(self, campaign_id: int) -> int | None:
        """None for the campaign's moderators and organisers; a close code for anyone else."""
        user = second_factor.scope_user(self.scope)  # staff without it: as if signed out
        if user is None or not user.is_authenticated:
            return CLOSE_NOT_LOGGED_IN
        campaign = Campaign.objects.filter(pk=campaign_id).first()
        if campaign is None:
            return CLOSE_NOT_FOUND
        if not (user.is_active and is_moderator.test(user, campaign)):
            return CLOSE_FORBIDDEN
        return None

    @staticmethod
    def _latest_id(campaign_id: int) -> int | None:
        # The id only: the row's result JSON weighs megabytes at 100,000 participants.
        return (
            OpinionGroups.objects.filter(campaign_id=campaign_id)
            .order_by("-computed_at", "-id")
            .values_list("pk", flat=True)
            .first()
        )

    async def disconnect(self, code) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        # Nothing to read: answered without parsing, whatever was sent.
        await self.send_json(
            {
                "type": "error",
                "code": "read_only",
                "message": _("Ce canal transmet les nouveaux calculs et n'accepte aucun message."),
            }
        )

    async def domain_event(self, message: dict) -> None:
        """An event of `consultation.actions.opinions`, as published after commit."""
        await self.send_json(message["event"])

    @classmethod
    async def encode_json(cls, content) -> str:
        return dumps(content)
