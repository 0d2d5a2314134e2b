"""Staff must prove a second factor before any staff page.

Two ways count: a TOTP device verified in this session (django-otp), or a ProConnect sign-in
whose `acr` meets PROCONNECT_STAFF_ACR (the provider did the second factor). The identity
providers' code calls `mark_second_factor(request, "proconnect")`; the staff middleware calls
`has_second_factor(request)`.
"""

SESSION_KEY = "second_factor"


def mark_second_factor(request, method: str) -> None:
    """Record in the session that this sign-in passed a second factor (`method`: "totp" or
    "proconnect"). Call after `login()`: logging in cycles the session."""
    request.session[SESSION_KEY] = method


def has_second_factor(request) -> bool:
    return bool(request.session.get(SESSION_KEY))
