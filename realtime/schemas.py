"""Every message a client may send on a board socket (protocol v1), as one table.

`validate_message` checks a decoded message against its schema: unknown type, missing, extra or
wrongly typed fields are refused with the protocol's error code and a French message that names
the field. The consumer calls it before any action: actions receive only well-formed commands
(their own checks of rights, state and text content still apply).
"""

import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from consultation.models.boards import CARD_TEXT_MAX, CardColour, HideReason, Step

PROTOCOL_VERSION = 1
NAME_MAX = 120
# Canonical text form of a UUID version 4 (RFC 9562), as crypto.randomUUID() writes it.
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", re.I)


class SchemaError(Exception):
    """A refused message: `code` is the protocol's error code, `message` is for the person."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Field:
    """One field of a message: its kind, bounds and whether it may be left out or null."""

    kind: str  # "id", "uuid", "int", "bool", "text", "str", "choice", "ids"
    optional: bool = False
    nullable: bool = False
    low: int | None = None
    high: int | None = None
    choices: tuple[str, ...] = ()


def _id(**options) -> Field:
    return Field("id", **options)


def _text(high: int, **options) -> Field:
    return Field("text", low=1, high=high, **options)


def _choice(choices, **options) -> Field:
    return Field("choice", choices=tuple(str(c) for c in choices), **options)


COMMAND_ID = Field("uuid")
COLOURS = CardColour.values
NO_FIELDS: dict[str, Field] = {}

# type -> fields besides "type" (every command also has "id", added below).
COMMANDS: dict[str, dict[str, Field]] = {
    "card.add": {
        "column": _id(),
        "text": _text(CARD_TEXT_MAX),
        "colour": _choice(COLOURS, optional=True),
    },
    "card.edit": {"card": _id(), "text": _text(CARD_TEXT_MAX)},
    "card.delete": {"card": _id()},
    "card.move": {
        "card": _id(),
        "column": _id(),
        "position": Field("int", optional=True, low=0, high=100_000),
        "cluster": _id(optional=True, nullable=True),
    },
    "dot.add": {"card": _id()},
    "dot.remove": {"card": _id()},
    "ping": NO_FIELDS,
    "card.colour": {"card": _id(), "colour": _choice(COLOURS)},
    "card.hide": {"card": _id(), "reason": _choice(HideReason.values)},
    "card.restore": {"card": _id()},
    "card.spotlight": {"card": _id(nullable=True)},
    "cluster.create": {
        "name": _text(NAME_MAX),
        "cards": Field("ids", optional=True, high=500),
        "colour": _choice(COLOURS, optional=True),
    },
    "cluster.rename": {"cluster": _id(), "name": _text(NAME_MAX)},
    "cluster.delete": {"cluster": _id()},
    "session.step": {"step": _choice(Step.values)},
    "session.lock": NO_FIELDS,
    "session.unlock": NO_FIELDS,
    "session.anonymous": {"anonymous": Field("bool")},
    "votes.reveal": NO_FIELDS,
    "votes.hide": NO_FIELDS,
    "timer.start": {
        "seconds": Field("int", low=10, high=7_200),
        "closes_input": Field("bool", optional=True),
    },
    "timer.pause": NO_FIELDS,
    "timer.resume": NO_FIELDS,
    "timer.end": NO_FIELDS,
    "timer.add": {"seconds": Field("int", low=-3_600, high=3_600)},
    "participant.remove": {"participant": _id()},
}
COMMANDS = {name: {"id": COMMAND_ID, **fields} for name, fields in COMMANDS.items()}

HELLO: dict[str, Field] = {
    "protocol": Field("int", low=PROTOCOL_VERSION, high=PROTOCOL_VERSION),
    "last_seq": Field("int", optional=True, nullable=True, low=0, high=2**53),
    "token": Field("str", optional=True, nullable=True, low=1, high=200),
}

MESSAGES: dict[str, dict[str, Field]] = {"hello": HELLO, **COMMANDS}


def validate_message(message: Any) -> dict:
    """Return the message with only its known fields, or raise SchemaError."""
    if not isinstance(message, dict):
        raise SchemaError("bad_json", _("Le message doit être un objet JSON."))
    kind = message.get("type")
    if not isinstance(kind, str) or kind not in MESSAGES:
        raise SchemaError(
            "unknown_type", _("Type de message inconnu : « %(type)s ».") % {"type": kind}, "type"
        )
    fields = MESSAGES[kind]
    extra = sorted(set(message) - set(fields) - {"type"})
    if extra:
        raise SchemaError(
            "invalid",
            _("Champ « %(field)s » inconnu pour « %(type)s ».") % {"field": extra[0], "type": kind},
            extra[0],
        )
    clean = {"type": kind}
    for name, field in fields.items():
        if name not in message:
            if not field.optional:
                raise SchemaError(
                    "invalid", _("Champ « %(field)s » manquant.") % {"field": name}, name
                )
            continue
        clean[name] = _check(name, field, message[name])
    return clean


def command_id_of(message: Any) -> str | None:
    """The command id of a message, if it has a well-formed one (to name it in an error)."""
    value = message.get("id") if isinstance(message, dict) else None
    return value.lower() if isinstance(value, str) and UUID4.match(value) else None


def _check(name: str, field: Field, value: Any) -> Any:
    if value is None:
        if field.nullable:
            return None
        raise _invalid(name, _("ne peut pas être vide (null)"))
    checker = _CHECKERS[field.kind]
    return checker(name, field, value)


def _invalid(name: str, reason: str) -> SchemaError:
    return SchemaError(
        "invalid", _("Champ « %(field)s » : %(reason)s.") % {"field": name, "reason": reason}, name
    )


def _is_int(value: Any) -> bool:
    # JSON true/false decode to bool, a subclass of int: an id is never a boolean.
    return isinstance(value, int) and not isinstance(value, bool)


def _check_id(name: str, field: Field, value: Any) -> int:
    if not _is_int(value) or value < 1:
        raise _invalid(name, _("un identifiant (nombre entier positif) est attendu"))
    return value


def _check_int(name: str, field: Field, value: Any) -> int:
    if not _is_int(value):
        raise _invalid(name, _("un nombre entier est attendu"))
    if not field.low <= value <= field.high:
        raise _invalid(
            name,
            _("un nombre entre %(low)s et %(high)s est attendu")
            % {"low": field.low, "high": field.high},
        )
    return value


def _check_uuid(name: str, field: Field, value: Any) -> str:
    if not isinstance(value, str) or not UUID4.match(value):
        raise _invalid(name, _("un identifiant UUID version 4 est attendu"))
    return value.lower()


def _check_bool(name: str, field: Field, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _invalid(name, _("vrai ou faux (true/false) est attendu"))
    return value


def _check_text(name: str, field: Field, value: Any) -> str:
    if not isinstance(value, str):
        raise _invalid(name, _("un texte est attendu"))
    if len(value) < field.low:
        raise _invalid(name, _("ne peut pas être vide"))
    if len(value) > field.high:
        raise SchemaError(
            "too_long",
            _("Champ « %(field)s » : %(high)s caractères au maximum (actuellement %(length)s).")
            % {"field": name, "high": field.high, "length": len(value)},
            name,
        )
    return value


def _check_str(name: str, field: Field, value: Any) -> str:
    if not isinstance(value, str) or not field.low <= len(value) <= field.high:
        raise _invalid(
            name, _("un texte de %(high)s caractères au plus est attendu") % {"high": field.high}
        )
    return value


def _check_choice(name: str, field: Field, value: Any) -> str:
    if not isinstance(value, str) or value not in field.choices:
        raise _invalid(
            name, _("valeurs possibles : %(choices)s") % {"choices": ", ".join(field.choices)}
        )
    return value


def _check_ids(name: str, field: Field, value: Any) -> list[int]:
    if not isinstance(value, list) or not all(_is_int(item) and item > 0 for item in value):
        raise _invalid(name, _("une liste d'identifiants (nombres entiers positifs) est attendue"))
    if len(value) > field.high:
        raise _invalid(name, _("%(high)s éléments au plus") % {"high": field.high})
    return list(dict.fromkeys(value))


_CHECKERS = {
    "id": _check_id,
    "int": _check_int,
    "uuid": _check_uuid,
    "bool": _check_bool,
    "text": _check_text,
    "str": _check_str,
    "choice": _check_choice,
    "ids": _check_ids,
}
