"""Websocket routes. The live workshop boards add their consumer here."""

websocket_urlpatterns: list = []
