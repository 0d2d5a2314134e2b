import uuid

import pytest

from realtime.schemas import COMMANDS, SchemaError, command_id_of, validate_message

ID = str(uuid.uuid4())


def refusal(message) -> SchemaError:
    with pytest.raises(SchemaError) as refused:
        validate_message(message)
    return refused.value


def test_a_well_formed_command_comes_back_with_only_its_fields():
    message = {"type": "card.add", "id": ID.upper(), "column": 3, "text": "Un banc"}
    assert validate_message(message) == {
        "type": "card.add",
        "id": ID,
        "column": 3,
        "text": "Un banc",
    }


def test_every_command_of_the_protocol_has_a_schema_with_an_id():
    documented = {
        "card.add", "card.edit", "card.delete", "card.move", "dot.add", "dot.remove", "ping",
        "card.colour", "card.hide", "card.restore", "card.spotlight", "cluster.create",
        "cluster.rename", "cluster.delete", "session.step", "session.lock", "session.unlock",
        "session.anonymous", "votes.reveal", "votes.hide", "timer.start", "timer.pause",
        "timer.resume", "timer.end", "timer.add", "participant.remove",
    }  # fmt: skip
    assert set(COMMANDS) == documented
    assert all(fields["id"].kind == "uuid" for fields in COMMANDS.values())


@pytest.mark.parametrize("message", [[1, 2], "card.add", 3, None])
def test_a_message_that_is_not_an_object_is_bad_json(message):
    assert refusal(message).code == "bad_json"


@pytest.mark.parametrize("kind", ["card.burn", "", None, 3, "HELLO"])
def test_an_unknown_type_is_named(kind):
    refused = refusal({"type": kind, "id": ID})
    assert refused.code == "unknown_type"
    assert "inconnu" in refused.message


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"type": "card.add", "id": ID, "text": "x"}, "column"),
        ({"type": "card.add", "column": 1, "text": "x"}, "id"),
        ({"type": "card.add", "id": ID, "column": 1, "text": "x", "author": 9}, "author"),
        ({"type": "card.add", "id": ID, "column": "1", "text": "x"}, "column"),
        ({"type": "card.add", "id": ID, "column": True, "text": "x"}, "column"),
        ({"type": "card.add", "id": ID, "column": 1.0, "text": "x"}, "column"),
        ({"type": "card.add", "id": ID, "column": 0, "text": "x"}, "column"),
        ({"type": "card.add", "id": ID, "column": 1, "text": 12}, "text"),
        ({"type": "card.add", "id": ID, "column": 1, "text": ""}, "text"),
        ({"type": "card.add", "id": ID, "column": 1, "text": "x", "colour": "black"}, "colour"),
        ({"type": "card.add", "id": "not-a-uuid", "column": 1, "text": "x"}, "id"),
        ({"type": "card.add", "id": str(uuid.uuid1()), "column": 1, "text": "x"}, "id"),
        ({"type": "card.move", "id": ID, "card": 1, "column": 2, "cluster": "3"}, "cluster"),
        ({"type": "card.hide", "id": ID, "card": 1, "reason": "boring"}, "reason"),
        ({"type": "card.hide", "id": ID, "card": None, "reason": "spam"}, "card"),
        ({"type": "session.anonymous", "id": ID, "anonymous": "yes"}, "anonymous"),
        ({"type": "session.anonymous", "id": ID, "anonymous": 1}, "anonymous"),
        ({"type": "timer.start", "id": ID, "seconds": 5}, "seconds"),
        ({"type": "timer.start", "id": ID, "seconds": 7201}, "seconds"),
        ({"type": "timer.add", "id": ID, "seconds": -3601}, "seconds"),
        ({"type": "cluster.create", "id": ID, "name": "Eau", "cards": [1, "2"]}, "cards"),
        ({"type": "cluster.create", "id": ID, "name": "Eau", "cards": 1}, "cards"),
        ({"type": "session.step", "id": ID, "step": "party"}, "step"),
        ({"type": "ping", "id": ID, "at": 3}, "at"),
        ({"type": "hello", "protocol": 2}, "protocol"),
        ({"type": "hello"}, "protocol"),
        ({"type": "hello", "protocol": 1, "last_seq": -1}, "last_seq"),
        ({"type": "hello", "protocol": 1, "token": 42}, "token"),
    ],
)
def test_a_missing_extra_or_wrongly_typed_field_is_invalid_and_named(message, field):
    refused = refusal(message)
    assert (refused.code, refused.field) == ("invalid", field)
    assert f"« {field} »" in refused.message


@pytest.mark.parametrize(
    ("kind", "field", "limit"), [("card.add", "text", 500), ("cluster.create", "name", 120)]
)
def test_text_over_its_limit_is_too_long(kind, field, limit):
    message = {"type": kind, "id": ID, "column": 1, "text": "x", "name": "x"}
    message = {k: v for k, v in message.items() if k in COMMANDS[kind] or k == "type"}
    validate_message({**message, field: "é" * limit})
    refused = refusal({**message, field: "é" * (limit + 1)})
    assert refused.code == "too_long"
    assert f"{limit} caractères au maximum" in refused.message


def test_optional_and_nullable_fields():
    move = {"type": "card.move", "id": ID, "card": 1, "column": 2}
    assert "cluster" not in validate_message(move)
    assert validate_message({**move, "cluster": None})["cluster"] is None
    assert validate_message({"type": "card.spotlight", "id": ID, "card": None})["card"] is None
    hello = validate_message({"type": "hello", "protocol": 1, "last_seq": 41, "token": "abc"})
    assert hello == {"type": "hello", "protocol": 1, "last_seq": 41, "token": "abc"}


def test_the_command_id_is_found_only_when_well_formed():
    assert command_id_of({"id": ID}) == ID
    assert command_id_of({"id": "1234"}) is None
    assert command_id_of(["id"]) is None
