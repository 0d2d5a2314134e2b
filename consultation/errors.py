"""Errors raised by actions. Each carries a French message a person can act on."""


class ActionRefused(Exception):
    """The input or the state forbids the change. Nothing was written."""

    status_code = 400

    def __init__(self, message, code: str = "invalid", field: str | None = None):
        super().__init__(str(message))
        self.message = str(message)
        self.code = code
        self.field = field


class PermissionRefused(ActionRefused):
    """The person may not do this, here, now. Nothing was written."""

    status_code = 403

    def __init__(self, message, code: str = "permission_denied", needs_login: bool = False):
        super().__init__(message, code=code)
        self.needs_login = needs_login
