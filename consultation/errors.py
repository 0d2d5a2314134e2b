"""Errors raised by actions. Each carries a French message a person can act on."""


class ActionRefused(Exception):
    """The input or the state forbids the change. Nothing was written."""

    status_code = 400

    def __init__(
        self,
        message,
        code: str = "invalid",
        field: str | None = None,
        field_errors: dict[str, list[str]] | None = None,
    ):
        super().__init__(str(message))
        self.message = str(message)
        self.code = code
        self.field = field
        # Every refused field at once (sign-up shows them all), keyed by field; `message`,
        # `code` and `field` are then the first of them, for callers that show one.
        self.field_errors = field_errors or {}


class PermissionRefused(ActionRefused):
    """The person may not do this, here, now. Nothing was written."""

    status_code = 403

    def __init__(self, message, code: str = "permission_denied", needs_login: bool = False):
        super().__init__(message, code=code)
        self.needs_login = needs_login
