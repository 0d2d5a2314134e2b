"""Fixtures of the realtime tests."""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


@pytest.fixture
def fresh_layer():
    """An empty channel layer before and after: no membership leaks between tests."""
    layer = get_channel_layer()
    _forget_receives_of_ended_loops(layer)
    async_to_sync(layer.flush)()
    yield layer
    async_to_sync(layer.flush)()


def _forget_receives_of_ended_loops(layer) -> None:
    """Each test runs its sockets in event loops of its own, one after another; a Redis layer
    (channels_redis) keeps per-process receive locks and cleanup tasks bound to the loop that
    made them. One left taken when an earlier test's loop ended (a listener still waiting)
    made the next test's socket fail ("bound to a different event loop") and the one after
    wait 300 s in a loaded CI run. Daphne runs one loop per process for its whole life, so
    this only concerns tests."""
    if hasattr(layer, "receive_clean_locks"):
        from channels_redis.core import ChannelLock

        layer.receive_cleaners = []
        layer.receive_clean_locks = ChannelLock()
