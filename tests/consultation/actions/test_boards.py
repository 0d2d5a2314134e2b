import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone

from consultation.actions import boards as actions
from consultation.actions.boards import (
    add_paper_notes,
    close_session,
    join_session,
    open_session,
    promote_cards,
    resolve_participant,
    run_command,
)
from consultation.errors import ActionRefused, PermissionRefused
from consultation.live import board_events_since, board_snapshot
from consultation.models import BoardEvent, Card, CommandReceipt, Contribution, DotVote
from consultation.models.contributions import Provenance, Visibility
from realtime.groups import board_group


@pytest.fixture
def published(monkeypatch):
    """What the actions hand to realtime, in the order it would be sent after commit."""
    sent = []

    def record(group, event):
        transaction.on_commit(lambda: sent.append((group, event)))

    monkeypatch.setattr(actions, "publish_on_commit", record)
    return sent


def command(kind, **fields):
    return {"type": kind, "id": str(uuid.uuid4()), **fields}


def add_card(participant, board, text="Curer les fossés avant l'hiver", **extra):
    column = board.columns.first()
    message = command("card.add", column=column.pk, text=text, **extra)
    return run_command(participant, board, message)


@pytest.fixture
def host(live_session, facilitator):
    return resolve_participant(live_session, user=facilitator)


# --- opening, joining -----------------------------------------------------------------------


def test_a_facilitator_opens_a_session_with_the_template_columns(facilitator, workshop):
    session = open_session(facilitator, workshop, template="swot", tables=3)
    assert len(session.join_code) == 6
    assert [b.name for b in session.boards.all()] == ["Table 1", "Table 2", "Table 3"]
    titles = list(session.boards.first().columns.values_list("title", flat=True))
    assert titles == ["Atouts", "Faiblesses", "Opportunités", "Menaces"]


@pytest.mark.parametrize("persona", ["resident", "moderator", "anonymous"])
def test_only_the_animation_team_opens_a_session(request, persona, workshop):
    with pytest.raises(PermissionRefused):
        open_session(request.getfixturevalue(persona), workshop)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"template": "kanban"}, "template"),
        ({"tables": 0}, "tables"),
        ({"tables": "3"}, "tables"),
        ({"dot_budget": 51}, "dot_budget"),
        ({"template": "free", "columns": []}, "columns"),
        ({"template": "free", "columns": ["x" * 121]}, "columns"),
    ],
)
def test_bad_session_options_are_refused_in_french(facilitator, workshop, options, field):
    with pytest.raises(ActionRefused) as refused:
        open_session(facilitator, workshop, **options)
    assert refused.value.field == field
    assert workshop.live_sessions.count() == 0


def test_free_columns_are_kept_as_typed(facilitator, workshop):
    session = open_session(
        facilitator, workshop, template="free", columns=["Ce qui marche", " ", "À changer"]
    )
    columns = session.boards.get().columns.values_list("title", flat=True)
    assert list(columns) == ["Ce qui marche", "À changer"]


def test_a_guest_joins_with_the_code_typed_loosely(live_session):
    code = live_session.join_code.lower()
    participant, token = join_session(AnonymousUser(), f" {code[:3]}-{code[3:]} ", nickname="Léa")
    assert participant.user is None and participant.nickname == "Léa"
    assert token and participant.guest_token_hash != token
    assert resolve_participant(live_session, user=AnonymousUser(), token=token) == participant


@pytest.mark.parametrize("code", ["", "ABC", "ZZZZZZ", "0OIL10", None, 123456])
def test_a_wrong_code_is_refused(live_session, code):
    with pytest.raises(ActionRefused) as refused:
        join_session(AnonymousUser(), code, nickname="Léa")
    assert refused.value.code == "wrong_code"
    assert "code" in refused.value.message


def test_a_closed_session_cannot_be_joined(live_session, facilitator):
    close_session(facilitator, live_session)
    with pytest.raises(ActionRefused) as refused:
        join_session(AnonymousUser(), live_session.join_code, nickname="Léa")
    assert refused.value.code == "closed"


@pytest.mark.parametrize("nickname", ["", " ", "x", "y" * 41, None])
def test_a_guest_needs_a_nickname(live_session, nickname):
    with pytest.raises(ActionRefused) as refused:
        join_session(AnonymousUser(), live_session.join_code, nickname=nickname)
    assert refused.value.field == "nickname"
    assert live_session.participants.count() == 0


def test_a_bad_email_is_refused_and_no_participant_is_created(live_session):
    with pytest.raises(ActionRefused) as refused:
        join_session(AnonymousUser(), live_session.join_code, nickname="Léa", email="léa@")
    assert refused.value.field == "email"
    assert live_session.participants.count() == 0


def test_a_session_for_account_holders_refuses_guests(live_session, resident):
    live_session.guests_allowed = False
    live_session.save()
    with pytest.raises(PermissionRefused) as refused:
        join_session(AnonymousUser(), live_session.join_code, nickname="Léa")
    assert refused.value.needs_login
    participant, token = join_session(resident, live_session.join_code)
    assert participant.user == resident and token is None


def test_joining_twice_with_an_account_gives_the_same_participant(live_session, resident):
    first, _ = join_session(resident, live_session.join_code)
    again, _ = join_session(resident, live_session.join_code)
    assert first == again


def test_guests_are_spread_over_the_tables(facilitator, workshop):
    session = open_session(facilitator, workshop, tables=2)
    tables = [
        join_session(AnonymousUser(), session.join_code, nickname=f"P{i}")[0].board.name
        for i in range(4)
    ]
    assert sorted(tables) == ["Table 1", "Table 1", "Table 2", "Table 2"]


def test_staff_get_their_role_without_joining(live_session, facilitator, moderator, resident):
    assert resolve_participant(live_session, user=facilitator).role == "facilitator"
    assert resolve_participant(live_session, user=moderator).role == "moderator"
    assert resolve_participant(live_session, user=resident) is None


def test_a_removed_guest_is_not_resolved(live_session, guest, host, board):
    run_command(host, board, command("participant.remove", participant=guest.pk))
    assert resolve_participant(live_session, user=AnonymousUser(), token=guest.token) is None
    assert resolve_participant(live_session, user=AnonymousUser(), participant_id=guest.pk) is None


# --- commands -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_card_is_published_after_commit_to_the_board_group(guest, board, published):
    answer = add_card(guest, board)
    assert answer["seq"] == 1
    assert answer["result"]["card"]["mine"] is True
    [(group, event)] = published
    assert group == board_group(board.pk)
    assert event["seq"] == 1
    assert event["audiences"]["participant"]["type"] == "card.added"
    assert event["audiences"]["participant"]["card"]["text"] == "Curer les fossés avant l'hiver"
    assert event["audiences"]["staff"]["card"]["author"]["name"] == "Camille"


@pytest.mark.django_db(transaction=True)
def test_a_refused_command_publishes_nothing_and_writes_nothing(guest, board, published):
    with pytest.raises(ActionRefused):
        add_card(guest, board, text="x" * 501)
    assert published == []
    assert Card.objects.count() == 0 and BoardEvent.objects.count() == 0


def test_a_resent_command_is_applied_once(guest, board):
    column = board.columns.first()
    message = command("card.add", column=column.pk, text="Des bassins de rétention")
    first = run_command(guest, board, message)
    again = run_command(guest, board, dict(message))
    assert first == again
    assert Card.objects.count() == 1
    assert CommandReceipt.objects.count() == 1
    assert Card.objects.get().key == uuid.UUID(message["id"])


def test_sequence_numbers_have_no_holes(guest, host, board):
    card = add_card(guest, board)["result"]["card"]["id"]
    run_command(host, board, command("card.colour", card=card, colour="green"))
    run_command(host, board, command("session.lock"))
    seqs = list(BoardEvent.objects.filter(board=board).values_list("seq", flat=True))
    assert seqs == [1, 2, 3]
    board.refresh_from_db()
    assert board.seq == 3


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ({"type": "card.fly"}, "unknown_type"),
        ({"type": "card.add", "id": "not-a-uuid", "column": 1, "text": "x"}, "invalid"),
        ({"type": "card.add", "text": "sans colonne"}, "invalid"),
        ({"type": "card.add", "column": -1, "text": "colonne inconnue"}, "not_found"),
        ({"type": "card.add", "column": "COL", "text": "", "colour": "red"}, "required"),
        ({"type": "card.add", "column": "COL", "text": "salut", "colour": "red"}, "invalid_choice"),
        ({"type": "card.add", "column": "COL", "text": "bonjour", "extra": 1}, "invalid"),
        ({"type": "dot.add", "card": 999999}, "wrong_step"),
        ({"type": "session.lock"}, "forbidden"),
        ({"type": "timer.start", "seconds": 60}, "forbidden"),
    ],
)
def test_bad_commands_are_refused_with_a_code(guest, board, message, code):
    message = dict(message)
    if message.get("column") == "COL":
        message["column"] = board.columns.first().pk
    message.setdefault("id", str(uuid.uuid4()))
    with pytest.raises(ActionRefused) as refused:
        run_command(guest, board, message)
    assert refused.value.code == code
    assert refused.value.message
    assert Card.objects.count() == 0


def test_another_sessions_column_and_card_are_not_found(facilitator, workshop, guest, board):
    other = open_session(facilitator, workshop, title="Autre session")
    other_board = other.boards.get()
    host = resolve_participant(other, user=facilitator)
    foreign_card = add_card(host, other_board)["result"]["card"]["id"]
    with pytest.raises(ActionRefused) as refused:
        run_command(
            guest, board, command("card.add", column=other_board.columns.first().pk, text="ici")
        )
    assert refused.value.code == "not_found"
    with pytest.raises(ActionRefused) as refused:
        run_command(guest, board, command("card.edit", card=foreign_card, text="volé"))
    assert refused.value.code == "not_found"
    with pytest.raises(PermissionRefused):
        run_command(guest, other_board, command("card.add", column=1, text="ailleurs"))


def test_a_participant_edits_and_deletes_only_their_own_cards(live_session, guest, board):
    other, _ = join_session(AnonymousUser(), live_session.join_code, nickname="Sacha")
    card = add_card(guest, board)["result"]["card"]["id"]
    with pytest.raises(PermissionRefused):
        run_command(other, board, command("card.edit", card=card, text="modifié"))
    with pytest.raises(PermissionRefused):
        run_command(other, board, command("card.delete", card=card))
    run_command(guest, board, command("card.edit", card=card, text="Curer les fossés en octobre"))
    run_command(guest, board, command("card.delete", card=card))
    assert Card.objects.get().deleted


def test_locking_stops_participants_but_not_the_facilitator(guest, host, board):
    run_command(host, board, command("session.lock"))
    with pytest.raises(ActionRefused) as refused:
        add_card(guest, board)
    assert refused.value.code == "locked"
    add_card(host, board, text="Note de l'animatrice")
    run_command(host, board, command("session.unlock"))
    add_card(guest, board)
    assert Card.objects.count() == 2


def test_when_time_is_up_input_closes_if_so_set(guest, host, board, live_session):
    run_command(host, board, command("timer.start", seconds=60, closes_input=True))
    live_session.refresh_from_db()
    assert live_session.timer_state() == "running"
    run_command(host, board, command("timer.end"))
    with pytest.raises(ActionRefused) as refused:
        add_card(guest, board)
    assert refused.value.code == "time_up"


def test_the_timer_pauses_resumes_and_takes_extra_time(host, board, live_session):
    run_command(host, board, command("timer.start", seconds=300))
    paused = run_command(host, board, command("timer.pause"))["result"]
    assert paused["state"] == "paused" and 295 <= paused["remaining"] <= 300
    more = run_command(host, board, command("timer.add", seconds=60))["result"]
    assert 355 <= more["remaining"] <= 360
    resumed = run_command(host, board, command("timer.resume"))["result"]
    assert resumed["state"] == "running"
    with pytest.raises(ActionRefused):
        run_command(host, board, command("timer.resume"))
    with pytest.raises(ActionRefused):
        run_command(host, board, command("timer.start", seconds=5))


def test_dot_votes_respect_the_step_and_the_budget(live_session, guest, host, board):
    card = add_card(guest, board)["result"]["card"]["id"]
    with pytest.raises(ActionRefused) as refused:
        run_command(guest, board, command("dot.add", card=card))
    assert refused.value.code == "wrong_step"
    run_command(host, board, command("session.step", step="vote"))
    for expected_left in range(4, -1, -1):
        result = run_command(guest, board, command("dot.add", card=card))["result"]
        assert result["dots_left"] == expected_left
        assert result["dots"] is None  # not revealed yet
    with pytest.raises(ActionRefused) as refused:
        run_command(guest, board, command("dot.add", card=card))
    assert refused.value.code == "budget_spent"
    result = run_command(guest, board, command("dot.remove", card=card))["result"]
    assert result["my_dots"] == 4 and result["dots_left"] == 1
    assert DotVote.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_dot_counts_reach_participants_only_once_revealed(guest, host, board, published):
    card = add_card(guest, board)["result"]["card"]["id"]
    run_command(host, board, command("session.step", step="vote"))
    published.clear()
    run_command(guest, board, command("dot.add", card=card))
    [(_, event)] = published
    assert event["audiences"]["participant"] == {"type": "skip", "seq": event["seq"]}
    assert event["audiences"]["staff"]["dots"] == 1
    published.clear()
    run_command(host, board, command("votes.reveal"))
    [(_, event)] = published
    assert event["audiences"]["participant"]["dots"] == {str(card): 1}
    assert board_snapshot(guest, board)["cards"][0]["dots"] == 1


@pytest.mark.django_db(transaction=True)
def test_hidden_cards_never_reach_participants(live_session, guest, host, board, published):
    card = add_card(guest, board)["result"]["card"]["id"]
    published.clear()
    run_command(host, board, command("card.hide", card=card, reason="personal_data"))
    [(_, event)] = published
    assert event["audiences"]["participant"] == {
        "type": "card.removed",
        "seq": event["seq"],
        "card": card,
    }
    assert event["audiences"]["staff"]["card"]["hidden_reason"] == "personal_data"
    published.clear()
    run_command(host, board, command("card.edit", card=card, text="Texte corrigé"))
    [(_, event)] = published
    assert event["audiences"]["participant"]["type"] == "skip"
    assert "Texte corrigé" not in str(event["audiences"]["participant"])
    assert board_snapshot(guest, board)["cards"] == []
    assert "Texte corrigé" not in str(board_events_since(guest, board, 0))
    with pytest.raises(ActionRefused) as refused:
        run_command(guest, board, command("card.edit", card=card, text="encore"))
    assert refused.value.code == "not_found"
    run_command(host, board, command("card.restore", card=card))
    assert board_snapshot(guest, board)["cards"][0]["text"] == "Texte corrigé"


def test_a_bad_hide_reason_is_refused(guest, host, board):
    card = add_card(guest, board)["result"]["card"]["id"]
    with pytest.raises(ActionRefused) as refused:
        run_command(host, board, command("card.hide", card=card, reason="je n'aime pas"))
    assert refused.value.code == "invalid_choice"
    assert not Card.objects.get().hidden


def test_moderators_hide_cards_but_do_not_run_the_session(live_session, guest, board, moderator):
    mod = resolve_participant(live_session, user=moderator)
    card = add_card(guest, board)["result"]["card"]["id"]
    run_command(mod, board, command("card.hide", card=card, reason="spam"))
    with pytest.raises(PermissionRefused):
        run_command(mod, board, command("session.lock"))


def test_anonymous_mode_hides_authors_from_participants_only(live_session, guest, host, board):
    run_command(host, board, command("session.anonymous", anonymous=True))
    add_card(guest, board)
    other, _ = join_session(AnonymousUser(), live_session.join_code, nickname="Sacha")
    assert board_snapshot(other, board)["cards"][0]["author"] is None
    assert board_snapshot(guest, board)["cards"][0]["mine"] is True
    assert board_snapshot(host, board)["cards"][0]["author"]["name"] == "Camille"


def test_catch_up_returns_what_was_missed_or_asks_for_a_snapshot(guest, board):
    for n in range(3):
        add_card(guest, board, text=f"Idée numéro {n}")
    missed = board_events_since(guest, board, 1)
    assert [e["seq"] for e in missed] == [2, 3]
    assert board_events_since(guest, board, 3) == []
    assert board_events_since(guest, board, 4) is None
    assert board_events_since(guest, board, -1) is None


@pytest.mark.django_db(transaction=True)
def test_removing_a_participant_closes_their_sockets(guest, host, board, published):
    run_command(host, board, command("participant.remove", participant=guest.pk))
    [(_, event)] = published
    assert event["close_participant"] == guest.pk
    with pytest.raises(PermissionRefused):
        add_card(guest, board)


def test_clusters_group_cards(guest, host, board):
    first = add_card(guest, board, text="Entretenir les wateringues")["result"]["card"]["id"]
    second = add_card(guest, board, text="Curer les canaux")["result"]["card"]["id"]
    made = run_command(
        host, board, command("cluster.create", name="Entretien", cards=[first, second])
    )["result"]
    assert made["cards"] == [first, second]
    cluster = made["cluster"]["id"]
    run_command(host, board, command("cluster.rename", cluster=cluster, name="Entretien réseau"))
    assert {c["cluster"] for c in board_snapshot(guest, board)["cards"]} == {cluster}
    run_command(host, board, command("cluster.delete", cluster=cluster))
    assert {c["cluster"] for c in board_snapshot(guest, board)["cards"]} == {None}


def test_a_closed_session_refuses_every_command(live_session, facilitator, guest, board):
    close_session(facilitator, live_session)
    with pytest.raises(PermissionRefused):
        add_card(guest, board)


# --- from the board to the campaign ---------------------------------------------------------


def test_promoted_cards_and_clusters_become_workshop_contributions(
    live_session, facilitator, guest, host, board, theme
):
    lone = add_card(guest, board, text="Un numéro unique d'alerte crue")["result"]["card"]["id"]
    a = add_card(guest, board, text="Planter des haies")["result"]["card"]["id"]
    b = add_card(guest, board, text="Créer des fascines")["result"]["card"]["id"]
    grouping = command("cluster.create", name="Freiner l'eau", cards=[a, b])
    cluster = run_command(host, board, grouping)
    run_command(host, board, command("session.step", step="vote"))
    run_command(guest, board, command("dot.add", card=a))
    made = promote_cards(
        facilitator,
        live_session,
        cards=[lone, a],
        clusters=[cluster["result"]["cluster"]["id"]],
        theme=theme,
    )
    assert len(made) == 2  # the cluster, and the lone card; `a` went with its cluster
    grouped = next(c for c in made if c.title == "Freiner l'eau")
    assert grouped.provenance == Provenance.WORKSHOP and grouped.workshop == live_session.workshop
    assert grouped.origin["dots"] == 1 and grouped.origin["cards"] == 2
    assert "- Planter des haies" in grouped.body
    assert Contribution.objects.filter(provenance="workshop").count() == 2
    with pytest.raises(ActionRefused) as refused:
        promote_cards(facilitator, live_session, cards=[lone])
    assert refused.value.code == "nothing_to_promote"


def test_promotion_follows_pre_moderation(live_session, facilitator, guest, board, campaign):
    campaign.moderation_mode = campaign.ModerationMode.PRE
    campaign.save()
    card = add_card(guest, board)["result"]["card"]["id"]
    [made] = promote_cards(facilitator, live_session, cards=[card])
    assert made.visibility == Visibility.PENDING


def test_residents_cannot_promote(live_session, resident, guest, board):
    card = add_card(guest, board)["result"]["card"]["id"]
    with pytest.raises(PermissionRefused):
        promote_cards(resident, live_session, cards=[card])


def test_paper_notes_become_paper_contributions(facilitator, workshop):
    made = add_paper_notes(
        facilitator, workshop, notes=["Nettoyer les grilles avaloirs", "", "Prévenir plus tôt"]
    )
    assert [c.provenance for c in made] == [Provenance.PAPER, Provenance.PAPER]
    assert made[0].commune == workshop.commune


@pytest.mark.parametrize("notes", [[], ["  "], ["ok"], ["x" * 2001], ["note"] * 201])
def test_bad_paper_notes_are_refused_and_nothing_is_saved(facilitator, workshop, notes):
    with pytest.raises(ActionRefused):
        add_paper_notes(facilitator, workshop, notes=notes)
    assert Contribution.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_presence_is_published_to_staff_only(guest, published):
    actions.record_presence(guest, connected=True)
    [(_, event)] = published
    assert event["seq"] is None
    assert set(event["audiences"]) == {"staff"}
    assert event["audiences"]["staff"]["participant"]["present"] is True


def test_the_timer_state_follows_the_clock(live_session):
    now = timezone.now()
    live_session.timer_ends_at = now + timedelta(seconds=30)
    assert live_session.timer_state(now) == "running"
    assert live_session.timer_state(now + timedelta(seconds=31)) == "ended"


def test_adding_a_card_costs_a_fixed_number_of_queries(guest, board, django_assert_max_num_queries):
    """The hot path of a workshop (every participant's every card): lock the board and the
    participant, read the session, the receipt and the column, place, write the card, its event,
    the board's number and the receipt. Payloads read the session already loaded."""
    add_card(guest, board, "Première carte")
    message = command("card.add", column=board.columns.first().pk, text="Un bassin en amont")
    with django_assert_max_num_queries(10 + 2):  # + the savepoint of the test's transaction
        outcome = run_command(guest, board, message)
    assert outcome["result"]["card"]["text"] == "Un bassin en amont"
    assert outcome["result"]["card"]["dots"] is None  # participants: not before the reveal
    assert BoardEvent.objects.get(seq=outcome["seq"], board=board).staff["card"]["dots"] == 0
