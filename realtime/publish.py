"""The only function the domain calls to reach live clients.

Events are sent after the transaction commits, never before: a client must not learn of rows
that roll back. Outside a transaction, on_commit runs the send at once.
"""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def publish_on_commit(group: str, event: dict) -> None:
    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(group, {"type": "domain.event", "event": event})

    transaction.on_commit(send)
