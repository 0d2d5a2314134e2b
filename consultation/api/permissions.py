"""DRF permission classes. Rules about roles and phases live in consultation.rules and are
checked by the actions; these only ask for a login where an action has no rule of its own."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from consultation.api.errors import LOGIN_NEEDED
from consultation.errors import PermissionRefused


class LoggedIn(BasePermission):
    """Every method needs a logged-in, active account (answered with a French 401)."""

    def has_permission(self, request, view) -> bool:
        if not (request.user.is_authenticated and request.user.is_active):
            raise PermissionRefused(LOGIN_NEEDED, needs_login=True)
        return True


class LoggedInToWrite(LoggedIn):
    """Reading is open to all; writing needs a login."""

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or super().has_permission(request, view)
