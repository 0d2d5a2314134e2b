"""Fixtures of the realtime tests."""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers, get_channel_layer


@pytest.fixture
def fresh_layer():
    """A new, empty channel layer for the test, emptied again after it.

    New, not only flushed: each test runs its sockets in event loops of its own, and a Redis
    layer keeps per-process receive locks bound to the loop that took them. A listener still
    waiting when an earlier test's loop ended leaves such a lock taken and bound to a dead loop,
    and the next test's sockets then fail ("bound to a different event loop") or wait forever;
    a new instance has its own channel prefix and locks."""
    channel_layers.backends.pop(DEFAULT_CHANNEL_LAYER, None)
    layer = get_channel_layer()
    async_to_sync(layer.flush)()
    yield layer
    async_to_sync(layer.flush)()
