"""The only function the domain calls to reach live clients.

Events are sent after the transaction commits, never before: a client must not learn of rows
that roll back. Outside a transaction, on_commit runs the send at once.

A board event (a dict with "audiences") is serialised here, once per audience, and sent as ONE
channel-layer message to the board's group, whose members are processes (see realtime.fanout),
not sockets. Any other event keeps the campaign shape {"type": "domain.event", "event": ...}.
"""

import json
import logging
import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from realtime.fanout import BOARD_EVENT

logger = logging.getLogger(__name__)

# Right after a Redis restart the layer's pooled connections are dead: the first send fails, a
# second one on a new connection succeeds. Beyond that, listeners catch up from the event log.
SEND_ATTEMPTS, SEND_RETRY_SECONDS = 3, 0.05


def dumps(message: dict) -> str:
    """The JSON text of a message to a browser: compact, UTF-8 as is (French text)."""
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def board_message(group: str, event: dict) -> dict:
    """The channel-layer message of a board event: each audience's text, serialised once."""
    return {
        "type": BOARD_EVENT,
        "group": group,
        "seq": event.get("seq"),
        "texts": {audience: dumps(message) for audience, message in event["audiences"].items()},
        "close_participant": event.get("close_participant"),
    }


def publish_on_commit(group: str, event: dict) -> None:
    if "audiences" in event:
        message = board_message(group, event)
    else:
        message = {"type": "domain.event", "event": event}

    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            _send_with_retries(layer, group, message)

    # robust: the change is committed whatever happens to the channel layer (Redis restarting);
    # the action still answers, and live clients catch up from the board's event log.
    transaction.on_commit(send, robust=True)


def _send_with_retries(layer, group: str, message: dict) -> None:
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            async_to_sync(layer.group_send)(group, message)
            return
        except Exception:
            if attempt == SEND_ATTEMPTS:
                raise
            logger.warning("group_send to %s failed, attempt %d", group, attempt, exc_info=True)
            time.sleep(SEND_RETRY_SECONDS * attempt)  # after commit, never inside a transaction
