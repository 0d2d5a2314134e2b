"""Input checks shared by actions. Each raises ActionRefused with a French message."""

from consultation.errors import ActionRefused
from consultation.text import clean_plain_text


def require_text(value, *, field: str, label: str, min_length: int, max_length: int) -> str:
    if value is None or not isinstance(value, str):
        raise ActionRefused(f"{label} : un texte est attendu.", code="invalid", field=field)
    cleaned = clean_plain_text(value)
    if not cleaned:
        raise ActionRefused(f"{label} : ce champ est obligatoire.", code="required", field=field)
    if len(cleaned) < min_length:
        raise ActionRefused(
            f"{label} : {min_length} caractères au minimum (actuellement {len(cleaned)}).",
            code="too_short",
            field=field,
        )
    if len(cleaned) > max_length:
        raise ActionRefused(
            f"{label} : {max_length} caractères au maximum (actuellement {len(cleaned)}).",
            code="too_long",
            field=field,
        )
    return cleaned


def require_choice(value, choices, *, field: str, label: str):
    valid = {str(c.value): c.value for c in choices}
    if str(value) not in valid:
        allowed = ", ".join(str(c.label) for c in choices)
        raise ActionRefused(
            f"{label} : valeur « {value} » inconnue (valeurs possibles : {allowed}).",
            code="invalid_choice",
            field=field,
        )
    return valid[str(value)]
