"""Repness, consensus and uncertainty against small cases computed by hand."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consultation.opinion.matrix import build_vote_matrix
from consultation.opinion.repness import (
    PICK_MAX,
    Z_90,
    GroupCounts,
    _best_agree,
    _finalize,
    _metric,
    count_by_group,
    group_aware_consensus,
    prop_test,
    repness_stats,
    select_representative,
    two_prop_test,
    uncertain_statements,
)


def test_prop_test_is_pol_is_one_proportion_z():
    # 8 agrees out of 10 seen: 2 * sqrt(11) * (9/11 - 1/2)
    assert prop_test(8, 10) == pytest.approx(2 * math.sqrt(11) * (9 / 11 - 0.5))
    # Nothing seen: the +1 smoothing alone gives 2 * 1 * (1 - 1/2).
    assert prop_test(0, 0) == pytest.approx(1.0)


def test_two_prop_test_by_hand():
    # in-group 8/10, rest 2/10, each count + 1: 9/11 against 3/11, pooled 12/22.
    pooled = 12 / 22
    expected = (9 / 11 - 3 / 11) / math.sqrt(pooled * (1 - pooled) * (2 / 11))
    assert two_prop_test(8, 2, 10, 10) == pytest.approx(expected)
    # Everyone agreeing in both populations is not "more representative": Pol.is returns 0.
    assert two_prop_test(3, 2, 3, 2) == pytest.approx(0.0)


def two_groups():
    """Group 0 (3 people) agrees with statement 10, group 1 (2 people) disagrees; statement 20
    is agreed by all; statement 30 is passed by most."""
    votes = [
        (1, 10, 1), (2, 10, 1), (3, 10, 1), (4, 10, -1), (5, 10, -1),
        (1, 20, 1), (2, 20, 1), (3, 20, 1), (4, 20, 1), (5, 20, 1),
        (1, 30, 0), (2, 30, 0), (4, 30, 0), (5, 30, 1),
    ]  # fmt: skip
    people, statements, values = zip(*votes, strict=True)
    matrix = build_vote_matrix(people, statements, values)
    groups = np.array([0, 0, 0, 1, 1])  # rows are people 1..5 in id order
    return matrix, groups


def test_counts_and_repness_of_a_dividing_statement():
    matrix, groups = two_groups()
    stats = repness_stats(count_by_group(matrix, groups, 2, zero_moderated=True))
    # Group 0 on statement 10: na 3, ns 3 -> pa 4/5; rest: na 0, ns 2 -> 1/4; ra 3.2.
    assert stats["na"][0, 0] == 3 and stats["ns"][0, 0] == 3
    assert stats["pa"][0, 0] == pytest.approx(4 / 5)
    assert stats["ra"][0, 0] == pytest.approx((4 / 5) / (1 / 4))
    # Group 1 disagrees: nd 2 of 2 -> pd 3/4; rest nd 0 of 3 -> 1/5; rd 3.75.
    assert stats["rd"][1, 0] == pytest.approx((3 / 4) / (1 / 5))
    assert stats["rat"][0, 0] == pytest.approx(two_prop_test(3, 0, 3, 2))


def test_each_group_is_represented_by_its_own_side_of_the_divide():
    matrix, groups = two_groups()
    stats = repness_stats(count_by_group(matrix, groups, 2, zero_moderated=True))
    candidates = [0, 1, 2]
    group0 = select_representative(stats, 0, matrix.statement_ids, candidates)
    group1 = select_representative(stats, 1, matrix.statement_ids, candidates)
    assert group0[0]["statement"] == 10 and group0[0]["repful_for"] == "agree"
    assert {item["statement"] for item in group1} >= {10}
    assert next(i for i in group1 if i["statement"] == 10)["repful_for"] == "disagree"


def test_a_moderated_out_statement_is_never_representative():
    matrix, groups = two_groups()
    stats = repness_stats(count_by_group(matrix, groups, 2, zero_moderated=True))
    chosen = select_representative(stats, 0, matrix.statement_ids, [1, 2])
    assert all(item["statement"] != 10 for item in chosen)


def test_group_aware_consensus_is_the_product_over_groups():
    matrix, groups = two_groups()
    agree, disagree = group_aware_consensus(count_by_group(matrix, groups, 2, False))
    # Statement 20: group 0 3/3 -> 4/5, group 1 2/2 -> 3/4.
    assert agree[1] == pytest.approx(4 / 5 * 3 / 4)
    # Statement 10 divides: 4/5 x 1/4 for agreement, 1/5 x 3/4 for disagreement.
    assert agree[0] == pytest.approx(4 / 5 * 1 / 4)
    assert disagree[0] == pytest.approx(1 / 5 * 3 / 4)
    assert agree[1] > agree[0]


def test_consensus_of_one_group_with_no_votes_is_its_prior():
    counts = GroupCounts(np.array([[0]]), np.array([[0]]), np.array([[0]]))
    agree, _ = group_aware_consensus(counts)
    assert agree[0] == pytest.approx(1 / 2)


def test_uncertainty_lists_the_statements_people_pass_on():
    matrix, _ = two_groups()
    uncertain = uncertain_statements(matrix, [0, 1, 2])
    assert uncertain == [{"statement": 30, "passes": 3, "seen": 4, "pass_share": 0.75}]


# --- The vectorised selection against the loops it replaced --------------------------------


def plain_best_agree(stats: dict, g: int, candidates) -> int | None:
    """Pol.is's best-agree scan, one candidate after the other (the code before vectorising)."""
    s = {key: stats[key][g] for key in ("na", "nd", "ra", "rat", "pa", "pat")}
    best = None
    for c in candidates:
        if s["na"][c] == 0 and s["nd"][c] == 0:
            continue
        if best is not None and s["ra"][best] > 1.0:
            metric = s["ra"] * s["rat"] * s["pa"] * s["pat"]
            beats = metric[c] > metric[best]
        elif best is not None:
            beats = s["pa"][c] * s["pat"][c] > s["pa"][best] * s["pat"][best]
        else:
            beats = s["pat"][c] > Z_90 or (s["ra"][c] > 1.0 and s["pa"][c] > 0.5)
        if beats:
            best = c
    return best


def plain_select_representative(stats: dict, g: int, statement_ids, candidates) -> list[dict]:
    significant = ((stats["rat"][g] > Z_90) & (stats["pat"][g] > Z_90)) | (
        (stats["rdt"][g] > Z_90) & (stats["pdt"][g] > Z_90)
    )
    best_agree = plain_best_agree(stats, g, candidates)
    head = []
    if best_agree is not None:
        head = [_finalize(stats, g, best_agree, statement_ids[best_agree])]
        head[0].update(best_agree=True, n_agree=int(stats["na"][g, best_agree]))
    sufficient = [c for c in candidates if significant[c]]
    if not sufficient:
        if head or not len(candidates):
            return head
        strength = np.maximum(stats["rat"][g], stats["rdt"][g])[candidates]
        best = candidates[int(np.argmax(strength))]
        return [_finalize(stats, g, best, statement_ids[best])]
    rest = [_finalize(stats, g, c, statement_ids[c]) for c in sufficient if c != best_agree]
    chosen = (head + sorted(rest, key=_metric, reverse=True))[:PICK_MAX]
    return [i for i in chosen if i["repful_for"] == "agree"] + [
        i for i in chosen if i["repful_for"] == "disagree"
    ]


def plain_count_by_group(matrix, groups, n_groups, zero_moderated) -> GroupCounts:
    """Three bincounts over the votes, as before the one-pass count."""
    n_statements = matrix.shape[1]
    row_group = groups[matrix.rows]
    keep = row_group >= 0
    if zero_moderated:
        keep &= ~matrix.moderated_out[matrix.cols]
    cell = row_group[keep] * n_statements + matrix.cols[keep]
    values = matrix.values[keep]
    size = n_groups * n_statements

    def count(mask):
        return np.bincount(cell[mask], minlength=size).reshape(n_groups, n_statements)

    agree, disagree = count(values == 1), count(values == -1)
    seen = count(np.ones(len(values), dtype=bool))
    if zero_moderated:
        members = np.bincount(groups[groups >= 0], minlength=n_groups)
        seen[:, matrix.moderated_out] = members[:, None]
    return GroupCounts(agree, disagree, seen)


@st.composite
def voted_groups(draw):
    """Random votes of random groups (some people unclustered), some statements moderated."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_people, n_statements = draw(st.integers(2, 120)), draw(st.integers(1, 60))
    n_groups = draw(st.integers(1, 5))
    seen = rng.random((n_people, n_statements)) < draw(st.floats(0.05, 1.0))
    people, statements = np.nonzero(seen)
    leaning = rng.random((n_groups, n_statements))
    groups = rng.integers(-1, n_groups, size=n_people)
    odds = leaning[np.maximum(groups, 0)[people], statements]
    draw_ = rng.random(len(people))
    values = np.where(draw_ < 0.15, 0, np.where(rng.random(len(people)) < odds, 1, -1))
    moderated = np.flatnonzero(rng.random(n_statements) < draw(st.floats(0, 0.3)))
    matrix = build_vote_matrix(people, statements, values, moderated_out_ids=moderated)
    return matrix, groups[matrix.participant_ids], n_groups


@settings(max_examples=150, deadline=None, database=None)
@given(case=voted_groups())
def test_one_pass_counts_equal_the_three_bincounts(case):
    matrix, groups, n_groups = case
    for zero in (True, False):
        got = count_by_group(matrix, groups, n_groups, zero)
        expected = plain_count_by_group(matrix, groups, n_groups, zero)
        for field in ("agree", "disagree", "seen"):
            assert np.array_equal(getattr(got, field), getattr(expected, field))


@settings(max_examples=150, deadline=None, database=None)
@given(case=voted_groups())
def test_vectorised_selection_equals_the_loop_on_votes(case):
    matrix, groups, n_groups = case
    stats = repness_stats(count_by_group(matrix, groups, n_groups, True))
    candidates = np.flatnonzero(~matrix.moderated_out).tolist()
    for g in range(n_groups):
        assert select_representative(
            stats, g, matrix.statement_ids, candidates
        ) == plain_select_representative(stats, g, matrix.statement_ids, candidates)


@settings(max_examples=300, deadline=None, database=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 80), levels=st.integers(2, 50))
def test_best_agree_scan_equals_the_loop_on_arbitrary_scores(seed, n, levels):
    # Scores drawn from few levels (ties), ra around 1 so that the scan switches rule often.
    rng = np.random.default_rng(seed)

    def level(low, high):
        return rng.integers(levels, size=(1, n)) / (levels - 1) * (high - low) + low

    stats = {
        "na": rng.integers(0, 3, size=(1, n)),
        "nd": rng.integers(0, 3, size=(1, n)),
        "ra": level(0.5, 1.5),
        "rat": level(-3, 3),
        "pa": level(0, 1),
        "pat": level(-3, 3),
    }
    candidates = np.sort(rng.choice(n, size=rng.integers(0, n + 1), replace=False))
    assert _best_agree(stats, 0, candidates) == plain_best_agree(stats, 0, candidates.tolist())
