"""Turn domain errors into JSON responses with a French message.

Every error body has the same shape: {"detail": "...", "code": "...", "field": optional}
(plus DRF's per-field dict for serializer errors).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from consultation.errors import ActionRefused, PermissionRefused


def exception_handler(exc, context):
    if isinstance(exc, ActionRefused):
        code = exc.status_code
        if isinstance(exc, PermissionRefused) and exc.needs_login:
            code = status.HTTP_401_UNAUTHORIZED
        body = {"detail": exc.message, "code": exc.code}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=code)
    if isinstance(exc, DjangoValidationError):
        return Response({"detail": " ".join(exc.messages), "code": "invalid"}, status=400)
    return drf_exception_handler(exc, context)
