import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from realtime.groups import campaign_group
from realtime.publish import publish_on_commit


def _listen(group: str) -> str:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)
    return channel


def _next_message(channel: str, timeout: float = 1.0):
    async def receive():
        try:
            return await asyncio.wait_for(get_channel_layer().receive(channel), timeout)
        except TimeoutError:
            return None

    return async_to_sync(receive)()


@pytest.mark.django_db(transaction=True)
def test_an_event_is_delivered_after_commit():
    channel = _listen(campaign_group(7))
    with transaction.atomic():
        publish_on_commit(campaign_group(7), {"type": "contribution.created", "id": 1})
    assert _next_message(channel) == {
        "type": "domain.event",
        "event": {"type": "contribution.created", "id": 1},
    }


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_publishes_nothing():
    channel = _listen(campaign_group(8))
    with pytest.raises(RuntimeError), transaction.atomic():
        publish_on_commit(campaign_group(8), {"type": "contribution.created", "id": 2})
        raise RuntimeError("rollback")
    assert _next_message(channel, timeout=0.3) is None


def test_group_names_are_built_in_one_place():
    assert campaign_group("12") == "campaign.12"
    with pytest.raises(ValueError):
        campaign_group("12; other")
