"""Websocket routes (under /ws/; consultation.asgi wraps them in Origin, cookie and auth checks)."""

from django.urls import re_path

from realtime.consumers import BoardConsumer
from realtime.dashboards import OpinionGroupsConsumer

# At most 18 digits: an id must fit the database's 64-bit integers.
websocket_urlpatterns: list = [
    re_path(
        r"^ws/sessions/(?P<session_id>\d{1,18})/boards/(?P<board_id>\d{1,18})/$",
        BoardConsumer.as_asgi(),
    ),
    re_path(
        r"^ws/campaigns/(?P<campaign_id>\d{1,18})/opinion-groups/$",
        OpinionGroupsConsumer.as_asgi(),
    ),
]
