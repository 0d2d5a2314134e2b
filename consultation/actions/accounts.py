from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from consultation.actions._validation import require_text
from consultation.errors import ActionRefused
from consultation.models import User


def sign_up(*, email: str, password: str, display_name: str, postal_code: str = "") -> User:
    display_name = require_text(
        display_name, field="display_name", label="Nom affiché", min_length=2, max_length=60
    )
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ActionRefused(
            "Adresse électronique invalide.", code="invalid_email", field="email"
        ) from exc
    if User.objects.filter(email=email).exists():
        raise ActionRefused(
            "Un compte existe déjà avec cette adresse électronique.",
            code="email_taken",
            field="email",
        )
    postal_code = _postal_code(postal_code)
    candidate = User(email=email, display_name=display_name)
    try:
        validate_password(password, candidate)
    except ValidationError as exc:
        raise ActionRefused(" ".join(exc.messages), code="weak_password", field="password") from exc
    return User.objects.create_user(
        email=email, password=password, display_name=display_name, postal_code=postal_code
    )


def _postal_code(value) -> str:
    postal_code = (value or "").strip()
    if postal_code and not (postal_code.isdigit() and len(postal_code) == 5):
        raise ActionRefused(
            "Le code postal doit comporter 5 chiffres.", code="invalid", field="postal_code"
        )
    return postal_code


def update_profile(user: User, *, display_name: str, postal_code: str = "") -> User:
    """Change what the person shows publicly (display name) and their optional postal code."""
    display_name = require_text(
        display_name, field="display_name", label="Nom affiché", min_length=2, max_length=60
    )
    postal_code = _postal_code(postal_code)
    user.display_name, user.postal_code = display_name, postal_code
    user.save(update_fields=["display_name", "postal_code"])
    return user
