"""``ml.disclosure.pooled_cells``: what is hidden can never be a group of fewer than ten, not
even as the table's total minus the cells shown."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ml.disclosure import MIN_CELL, pooled_cells


def test_small_cells_are_pooled_and_the_pool_is_completed_by_the_smallest_shown_cells():
    assert pooled_cells([100, 50, 0]) == ([0, 1], [])  # nothing small: nothing pooled, empty cells neither
    assert pooled_cells([100, 50, 12, 3, 8]) == ([0, 1, 2], [3, 4])  # 3 + 8 people: a pool of 11
    # One person alone (a family status given by one applicant): the smallest shown cell joins.
    assert pooled_cells([4399, 1888, 1493, 551, 1]) == ([0, 1, 2], [3, 4])
    assert pooled_cells([30, 5]) == ([], [0, 1])  # shown alone, the 30 would give the 5 away
    assert pooled_cells([20, 12, 1]) == ([0], [1, 2])  # ties go to the first in order: [12, 1] is 13
    assert pooled_cells([3, 2]) == ([], [0, 1])  # the whole table is under ten: everything pooled


@given(st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=12))
def test_no_subtraction_gives_fewer_than_ten_people(counts):
    shown, pooled = pooled_cells(counts)
    assert not set(shown) & set(pooled)
    assert sorted(shown + pooled) == [i for i, count in enumerate(counts) if count > 0]
    assert all(counts[i] >= MIN_CELL for i in shown)
    left_over = sum(counts) - sum(counts[i] for i in shown)  # what the total minus the table gives
    assert left_over == 0 or left_over >= MIN_CELL or not shown, (counts, shown, pooled)
    if pooled and sum(counts) >= MIN_CELL:
        assert sum(counts[i] for i in pooled) >= MIN_CELL
