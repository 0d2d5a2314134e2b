"""Building the vote matrix: ids indexed without np.unique, bad votes refused."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consultation.opinion.matrix import _index, build_vote_matrix


@settings(max_examples=80, deadline=None, database=None)
@given(
    n=st.integers(1, 3000),
    low=st.integers(-(2**40), 2**40),
    width=st.sampled_from([1, 10, 1_000, 10**6, 2**60]),
    seed=st.integers(0, 2**32 - 1),
)
def test_ids_are_indexed_as_np_unique_does(n, low, width, seed):
    # Narrow ranges go through the table, wide ones (2**60) through the sort.
    ids = low + np.random.default_rng(seed).integers(0, width, size=n)
    distinct, positions = _index(ids)
    expected_distinct, expected_positions = np.unique(ids, return_inverse=True)
    assert np.array_equal(distinct, expected_distinct)
    assert np.array_equal(positions, expected_positions)
    assert positions.dtype == np.int32


def test_rows_and_columns_follow_the_ids_in_order():
    matrix = build_vote_matrix([30, 10, 30, 20], [7, 7, 5, 5], [1, -1, 0, 1])
    assert matrix.participant_ids.tolist() == [10, 20, 30]
    assert matrix.statement_ids.tolist() == [5, 7]
    assert np.array_equal(
        matrix.dense(), np.array([[np.nan, -1], [1, np.nan], [0, 1]]), equal_nan=True
    )


def test_a_repeated_vote_is_refused_whatever_the_id_range():
    with pytest.raises(ValueError, match="more than one vote"):
        build_vote_matrix([1, 2, 1], [5, 5, 5], [1, 1, -1])
    with pytest.raises(ValueError, match="more than one vote"):
        build_vote_matrix([1, 2**50, 1], [5, 2**55, 5], [1, 1, -1])
    # 5,000 x 5,000 cells: too many for the table of cells, found by sorting them instead.
    people = np.append(np.arange(5000), 4999)
    with pytest.raises(ValueError, match="more than one vote"):
        build_vote_matrix(people, people, np.ones(5001))
    assert build_vote_matrix(people[:-1], people[:-1], np.ones(5000)).n_votes == 5000


@pytest.mark.parametrize("values", [[1, 2], [1, 257], [1, -129], [0.5, 1]])
def test_a_vote_other_than_1_0_or_minus_1_is_refused_before_any_cast(values):
    # 257 would wrap to 1 in int8 and 0.5 truncate to 0: checked on the values as given.
    with pytest.raises(ValueError, match="votes must be 1, -1 or 0"):
        build_vote_matrix([1, 2], [5, 5], np.array(values))


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="same length"):
        build_vote_matrix([1, 2], [5], [1, 1])
