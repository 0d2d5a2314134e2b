"""Repness, consensus and uncertainty against small cases computed by hand."""

import math

import numpy as np
import pytest

from consultation.opinion.matrix import build_vote_matrix
from consultation.opinion.repness import (
    GroupCounts,
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
