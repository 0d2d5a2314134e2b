"""Fixtures of the realtime tests."""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


@pytest.fixture
def fresh_layer():
    """An empty in-memory channel layer before and after: no membership leaks between tests."""
    layer = get_channel_layer()
    async_to_sync(layer.flush)()
    yield layer
    async_to_sync(layer.flush)()
