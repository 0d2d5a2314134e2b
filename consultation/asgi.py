"""ASGI entry point, served by Daphne: HTTP through Django (API votes with a token answered
first by consultation.api.fastvotes), websockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consultation.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddleware  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from channels.sessions import CookieMiddleware, SessionMiddleware  # noqa: E402

from consultation.api.fastvotes import VoteFastPath  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402
from realtime.wire import DirectWriteMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": VoteFastPath(django_asgi_app),
        # Outermost: it must see Daphne's own `send` (realtime.wire).
        "websocket": DirectWriteMiddleware(
            AllowedHostsOriginValidator(
                CookieMiddleware(
                    SessionMiddleware(AuthMiddleware(URLRouter(websocket_urlpatterns)))
                )
            )
        ),
    }
)
