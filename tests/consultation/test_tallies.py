"""Support and vote tallies (migration 0011): per-item counters split over TALLY_SHARDS rows by
user_id, written only by database triggers. Whatever writes the support and vote rows (the
actions, bulk_create, plain SQL, merges, cascades), each tally row must equal COUNT(*) of the
rows of its item and shard, on SQLite and on PostgreSQL."""

import threading
from collections import Counter
from contextlib import suppress

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count, ProtectedError
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from consultation.actions.merges import merge_contributions, undo_merge
from consultation.actions.statements import cast_vote
from consultation.actions.supports import add_support, remove_support
from consultation.errors import ActionRefused
from consultation.models import (
    Contribution,
    Merge,
    Statement,
    StatementVote,
    Support,
    SupportTally,
    User,
    VoteTally,
)
from consultation.models.contributions import TALLY_SHARDS, supports_count
from consultation.models.statements import vote_counts
from tests import factories
from tests.conftest import require_postgresql

CHOICES = list(StatementVote.Choice)
COLUMNS = {
    StatementVote.Choice.AGREE: "agree",
    StatementVote.Choice.DISAGREE: "disagree",
    StatementVote.Choice.PASS: "passed",
}


def supports_by_shard() -> Counter:
    rows = Support.objects.values_list("contribution_id", "user_id")
    return Counter((item, user % TALLY_SHARDS) for item, user in rows)


def votes_by_shard() -> Counter:
    rows = StatementVote.objects.values_list("statement_id", "user_id", "choice")
    return Counter((item, user % TALLY_SHARDS, COLUMNS[choice]) for item, user, choice in rows)


def assert_tallies_exact() -> None:
    """Every tally row equals COUNT(*) of its item and shard, no tally is negative, and the
    counts the pages read (with_counts, with_vote_counts) equal COUNT(*) per item."""
    support_tallies = SupportTally.objects.values_list("contribution_id", "shard", "n")
    assert all(n >= 0 for _, _, n in support_tallies)
    assert {(c, s): n for c, s, n in support_tallies if n} == dict(supports_by_shard())

    vote_tallies = Counter()
    for row in VoteTally.objects.values("statement_id", "shard", "agree", "disagree", "passed"):
        for column in COLUMNS.values():
            assert row[column] >= 0
            vote_tallies[(row["statement_id"], row["shard"], column)] += row[column]
    assert +vote_tallies == votes_by_shard()

    shown = dict(Contribution.objects.with_counts().values_list("pk", "supports_count"))
    counted = Contribution.objects.annotate(n=Count("supports")).values_list("pk", "n")
    assert shown == dict(counted)
    for statement in Statement.objects.with_vote_counts():
        votes = Counter(statement.votes.values_list("choice", flat=True))
        assert (statement.agree_count, statement.disagree_count, statement.pass_count) == (
            votes[StatementVote.Choice.AGREE],
            votes[StatementVote.Choice.DISAGREE],
            votes[StatementVote.Choice.PASS],
        )


# --- Random sequences of every kind of writer ---------------------------------------------

# Explicit ids, far above the sequences, chosen so that several people share a shard.
FIRST_ID = 900_000 - 900_000 % TALLY_SHARDS
PEOPLE = [FIRST_ID, FIRST_ID + 32, FIRST_ID + 64, FIRST_ID + 1, FIRST_ID + 33, FIRST_ID + 2]

people = st.sampled_from(PEOPLE)
choices = st.sampled_from(CHOICES)


class TallyMachine(RuleBasedStateMachine):
    """Each run happens in a savepoint rolled back at the end, so every run starts from the
    same campaign: 6 people, 3 proposals, 2 statements, one moderator."""

    campaign = moderator = None
    proposals: list[int] = []
    statements: list[int] = []

    def __init__(self):
        super().__init__()
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()

    def teardown(self):
        transaction.set_rollback(True)
        self.savepoint.__exit__(None, None, None)

    @staticmethod
    def _get(model, pk):
        return model.objects.filter(pk=pk).first()

    @rule(person=people, item=st.integers(0, 2))
    def support(self, person, item):
        user, contribution = self._get(User, person), self._get(Contribution, self.proposals[item])
        if user and contribution:
            with suppress(ActionRefused):  # e.g. a merged contribution takes no support
                add_support(user, contribution)

    @rule(person=people, item=st.integers(0, 2))
    def withdraw_support(self, person, item):
        user, contribution = self._get(User, person), self._get(Contribution, self.proposals[item])
        if user and contribution:
            with suppress(ActionRefused):
                remove_support(user, contribution)

    @rule(person=people, item=st.integers(0, 1), choice=choices)
    def vote(self, person, item, choice):
        user, statement = self._get(User, person), self._get(Statement, self.statements[item])
        if user and statement:
            cast_vote(user, statement, choice)

    @rule(person=people)
    def delete_person(self, person):
        User.objects.filter(pk=person).delete()

    @rule(item=st.integers(0, 2))
    def delete_contribution(self, item):
        # A contribution in a merge is protected: the deletion is refused as a whole.
        with suppress(ProtectedError), transaction.atomic():
            Contribution.objects.filter(pk=self.proposals[item]).delete()

    @rule(item=st.integers(0, 1))
    def delete_statement(self, item):
        Statement.objects.filter(pk=self.statements[item]).delete()

    @rule(result=st.integers(0, 2), merged=st.integers(0, 2))
    def merge(self, result, merged):
        target = self._get(Contribution, self.proposals[result])
        duplicate = self._get(Contribution, self.proposals[merged])
        if target and duplicate:
            with suppress(ActionRefused):
                merge_contributions(
                    self.moderator, self.campaign, result=target, merged=[duplicate]
                )

    @rule(index=st.integers(0, 2))
    def undo_a_merge(self, index):
        merges = list(Merge.objects.filter(undone_at__isnull=True).order_by("pk"))
        if merges:
            undo_merge(self.moderator, merges[index % len(merges)])

    @rule(item=st.integers(0, 2), supporters=st.sets(people, min_size=1))
    def bulk_create_supports(self, item, supporters):
        rows = [Support(contribution_id=self.proposals[item], user_id=pk) for pk in supporters]
        with suppress(IntegrityError), transaction.atomic():  # a deleted person or item
            Support.objects.bulk_create(rows, ignore_conflicts=True)

    @rule(item=st.integers(0, 1), voters=st.sets(people, min_size=1), choice=choices)
    def import_votes(self, item, voters, choice):
        """As the Pol.is importer does: bulk_create the missing rows, then a plain UPDATE."""
        statement_id = self.statements[item]
        rows = [StatementVote(statement_id=statement_id, user_id=pk, choice=0) for pk in voters]
        with suppress(IntegrityError), transaction.atomic():
            StatementVote.objects.bulk_create(rows, ignore_conflicts=True)
            with connection.cursor() as cursor:
                cursor.executemany(
                    "UPDATE consultation_statementvote SET choice = %s "
                    "WHERE statement_id = %s AND user_id = %s",
                    [(int(choice), statement_id, pk) for pk in voters],
                )

    @rule(item=st.integers(0, 1), choice=choices)
    def set_every_vote(self, item, choice):
        StatementVote.objects.filter(statement_id=self.statements[item]).update(choice=choice)

    @rule(item=st.integers(0, 2), to=st.integers(0, 2), person=people)
    def move_a_support(self, item, to, person):
        rows = Support.objects.filter(contribution_id=self.proposals[item], user_id=person)
        with suppress(IntegrityError), transaction.atomic():
            rows.update(contribution_id=self.proposals[to])

    @rule(item=st.integers(0, 1), person=people, to=people, to_item=st.integers(0, 1))
    def move_a_vote(self, item, person, to, to_item):
        rows = StatementVote.objects.filter(statement_id=self.statements[item], user_id=person)
        with suppress(IntegrityError), transaction.atomic():
            rows.update(user_id=to, statement_id=self.statements[to_item])

    @invariant()
    def tallies_equal_the_rows(self):
        assert_tallies_exact()


@pytest.mark.django_db
def test_every_writer_keeps_the_tallies_equal_to_count(campaign, moderator):
    for pk in PEOPLE:
        factories.UserFactory(pk=pk)
    TallyMachine.campaign, TallyMachine.moderator = campaign, moderator
    TallyMachine.proposals = [factories.ContributionFactory(campaign=campaign).pk for _ in "abc"]
    TallyMachine.statements = [factories.StatementFactory(campaign=campaign).pk for _ in "ab"]
    run_state_machine_as_test(
        TallyMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=25,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


# --- The tallies as the endpoints read them -------------------------------------------------


def test_the_counts_read_after_a_vote_follow_each_change(
    resident, other_resident, proposal, statement
):
    add_support(resident, proposal)
    add_support(other_resident, proposal)
    remove_support(resident, proposal)
    cast_vote(resident, statement, StatementVote.Choice.AGREE)
    cast_vote(other_resident, statement, StatementVote.Choice.AGREE)
    cast_vote(resident, statement, StatementVote.Choice.PASS)

    assert supports_count(proposal) == 1
    assert vote_counts(statement) == {"agree_count": 1, "disagree_count": 0, "pass_count": 1}
    other_resident.delete()
    assert supports_count(proposal) == 0
    assert vote_counts(statement) == {"agree_count": 0, "disagree_count": 0, "pass_count": 1}


def _tally_row_version(statement) -> object:
    """Something that changes whenever the statement's one tally row is written."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # every write makes a new row version
            cursor.execute(
                "SELECT ctid::text FROM consultation_votetally WHERE statement_id = %s",
                [statement.pk],
            )
            return cursor.fetchone()[0]
        cursor.execute("SELECT total_changes()")  # counts the triggers' writes too
        return cursor.fetchone()[0]


def test_a_same_choice_re_vote_writes_no_tally_row(resident, statement):
    cast_vote(resident, statement, StatementVote.Choice.AGREE)
    before = _tally_row_version(statement)
    cast_vote(resident, statement, StatementVote.Choice.AGREE)
    after_same = _tally_row_version(statement)
    cast_vote(resident, statement, StatementVote.Choice.DISAGREE)
    after_change = _tally_row_version(statement)

    if connection.vendor == "postgresql":
        assert after_same == before
        assert after_change != after_same
    else:  # the vote row itself is rewritten each time; the tally row only on a change
        assert after_same - before == 1
        assert after_change - after_same == 3  # the vote, the decrement, the upsert
    assert vote_counts(statement) == {"agree_count": 0, "disagree_count": 1, "pass_count": 0}


# --- The migration -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_counts_the_rows_that_were_there_before_it(campaign):
    before_tallies = [("consultation", "0010_opinion_groups_publication")]
    proposals = [factories.ContributionFactory(campaign=campaign) for _ in "ab"]
    statement = factories.StatementFactory(campaign=campaign)
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(before_tallies)
    # Rows written at 0010 through the models as they were then (later migrations add columns).
    old = executor.loader.project_state(before_tallies).apps
    OldUser, OldSupport, OldVote = (
        old.get_model("consultation", name) for name in ("User", "Support", "StatementVote")
    )

    # Inserting works at 0010: reversing 0011 dropped the triggers along with the tallies.
    earlier = OldUser.objects.bulk_create(
        OldUser(email=f"avant{n}@exemple.fr", display_name=f"Avant {n}") for n in range(70)
    )
    OldSupport.objects.bulk_create(
        OldSupport(contribution_id=proposals[n % 2].pk, user_id=person.pk)
        for n, person in enumerate(earlier)
    )
    OldVote.objects.bulk_create(
        OldVote(statement_id=statement.pk, user_id=person.pk, choice=CHOICES[n % 3])
        for n, person in enumerate(earlier)
    )

    executor = MigrationExecutor(connection)
    executor.migrate(latest)

    assert_tallies_exact()
    assert [supports_count(p) for p in proposals] == [35, 35]
    assert vote_counts(statement) == {"agree_count": 24, "disagree_count": 23, "pass_count": 23}
    # and the triggers run from then on
    add_support(factories.UserFactory(), proposals[0])
    assert supports_count(proposals[0]) == 36
    assert_tallies_exact()


# --- PostgreSQL under concurrent writers ----------------------------------------------------


def _at_once(jobs) -> list[BaseException]:
    """Run every job in its own thread (own database connection), released together."""
    barrier = threading.Barrier(len(jobs))
    errors = []

    def run(job):
        try:
            barrier.wait()
            job()
        except Exception as error:  # reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "deadlock or stuck writer"
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sixty_four_people_on_one_hot_item_at_once_leave_exact_tallies(campaign):
    require_postgresql(connection)
    proposal = factories.ContributionFactory(campaign=campaign)
    statement = factories.StatementFactory(campaign=campaign)
    verified = timezone.now()
    created = User.objects.bulk_create(
        User(email=f"foule{n}@exemple.fr", display_name=f"Foule {n}", email_verified_at=verified)
        for n in range(128)
    )
    # 32 people over 8 shards: four writers on each tally row, and its first insert raced.
    crowd = [u for u in created if u.pk % TALLY_SHARDS < 8]
    assert len(crowd) == 32
    for person in crowd[::2]:  # half of them had voted already
        cast_vote(person, statement, StatementVote.Choice.AGREE)

    def supporter(n, person):
        def job():
            add_support(person, proposal)
            if n % 4 == 0:  # changes their mind twice
                remove_support(person, proposal)
                add_support(person, proposal)

        return job

    def voter(n, person):
        choices = [StatementVote.Choice.DISAGREE, StatementVote.Choice.PASS]
        if n % 4 == 0:  # a same-choice re-vote at the end
            choices.append(StatementVote.Choice.PASS)
        if n % 2:
            choices = [StatementVote.Choice.AGREE]

        def job():
            for choice in choices:
                cast_vote(person, statement, choice)

        return job

    jobs = [supporter(n, p) for n, p in enumerate(crowd)] + [
        voter(n, p) for n, p in enumerate(crowd)
    ]
    errors = _at_once(jobs)

    assert errors == []
    assert supports_count(proposal) == 32
    assert vote_counts(statement) == {"agree_count": 16, "disagree_count": 0, "pass_count": 16}
    assert SupportTally.objects.filter(contribution=proposal).count() == 8
    assert_tallies_exact()
