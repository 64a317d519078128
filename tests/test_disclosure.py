"""``ml.disclosure``: what is hidden can never be a group of fewer than ten, not even as the
table's total minus the cells shown (``pooled_cells``) or as one published result minus another
(``changed_people``, ``publishable``)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from ml.disclosure import (
    MIN_CELL,
    Population,
    changed_people,
    compare,
    pooled_apart,
    pooled_cells,
    publishable,
    row_digests,
)


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


def _population(rows: dict[int, str]) -> np.ndarray:
    return row_digests(f"{who}:{row}" for who, row in rows.items())


def test_changed_people_counts_imports_erasures_and_updates_not_the_order_of_rows():
    base = {i: "a" for i in range(50)}
    assert changed_people(_population(base), _population(dict(reversed(base.items())))) == 0
    assert changed_people(_population(base), _population({**base, 50: "b", 51: "c"})) == 2  # two imported
    assert changed_people(_population(base), _population({i: "a" for i in range(47)})) == 3  # three erased
    assert changed_people(_population(base), _population({**base, 7: "changed"})) == 1  # one updated
    # The same row twice (two people alike) is two people: erasing one of them is a change.
    twins = np.concatenate([_population(base), row_digests(["0:a"])])
    assert changed_people(twins, _population(base)) == 1
    assert changed_people(np.zeros(0, dtype=np.uint64), _population(base)) == 50


def test_a_result_is_publishable_only_if_every_published_one_is_zero_or_ten_people_apart():
    assert publishable([]) and publishable([0]) and publishable([MIN_CELL, 0, 500])
    assert not publishable([MIN_CELL, 1]) and not publishable([MIN_CELL - 1])


@given(st.integers(0, 40), st.integers(0, 12), st.integers(0, 12), st.integers(0, 12))
def test_changed_people_never_counts_more_people_than_changed(size, erased, imported, updated):
    """A lower bound (never more than the people who changed): publishing at 10 or more is then
    safe; exact when only imports or only erasures happened."""
    erased, updated = min(erased, size), min(updated, max(size - erased, 0))
    before = {i: "row" for i in range(size)}
    after = {i: "row" for i in range(erased, size)}
    after.update({i: "updated" for i in range(erased, erased + updated)})
    after.update({size + i: "new" for i in range(imported)})
    bound = changed_people(_population(before), _population(after))
    assert max(erased + updated, imported + updated) == bound <= erased + imported + updated


@given(
    st.lists(st.tuples(st.integers(0, 30), st.integers(0, 3)), max_size=60),
    st.lists(st.tuples(st.integers(0, 30), st.integers(0, 3)), max_size=60),
    st.booleans(),
)
def test_one_pass_comparison_agrees_with_counting_row_by_row(before_rows, after_rows, stored_sorted):
    """``compare`` (today's population indexed once, a stored one read in its stored order)
    gives what counting rows one by one gives: people gone and new, and in which cell. Rows
    are (digest, cell); twins (one digest twice) count twice; a digest keeps its cell."""
    from collections import Counter

    cell_of = {digest: cell for digest, cell in before_rows + after_rows}  # same row, same cells

    def side(rows):
        digests = np.array([d for d, _ in rows], dtype=np.uint64)
        cells = np.array([(cell_of[d],) for d, _ in rows], dtype=[("segment", np.uint16)])
        if stored_sorted:
            order = np.argsort(digests, kind="stable")
            digests, cells = digests[order], cells[order]
        return digests, cells

    (b, bc), (a, ac) = side(before_rows), side(after_rows)
    changed, moves = compare(Population(b), Population(a), bc, ac)
    before, after = Counter(d for d, _ in before_rows), Counter(d for d, _ in after_rows)
    gone, new = before - after, after - before
    assert changed == max(sum(gone.values()), sum(new.values())) == changed_people(b, a)
    expected: dict[int, list[int]] = {}
    for counts, index in ((gone, 0), (new, 1)):
        for digest, people in counts.items():
            expected.setdefault(cell_of[digest], [0, 0])[index] += people
    assert moves == {"segment": {cell: tuple(pair) for cell, pair in expected.items()}}


# A cell's people by kind (approved/refused, or repaid/defaulted) before, and how many of each
# kind came (an import) or left (erasures). One direction at a time, so that a difference a reader
# takes (net) is the number of people who moved.
_kinds = st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(0, 12), st.integers(0, 12))


@given(st.lists(_kinds, min_size=1, max_size=8), st.booleans(), st.booleans())
def test_a_split_withheld_across_time_gives_no_one_by_subtraction(cells, arrivals, pool_row):
    """``pooled_apart`` against a reader who kept every figure of the result before (worst case)
    and subtracts: every size shown, every split shown, the pool's row, and the totals minus the
    rows shown (of people and of each kind) moved by 0 or at least 10 people."""
    before = [(a, b) for a, b, _, _ in cells]
    if arrivals:
        gone, new = [(0, 0)] * len(cells), [(x, y) for _, _, x, y in cells]
    else:
        gone, new = [(min(x, a), min(y, b)) for a, b, x, y in cells], [(0, 0)] * len(cells)
    after = [(a - ga + na, b - gb + nb) for (a, b), (ga, gb), (na, nb) in zip(before, gone, new, strict=True)]
    moves = [[(ga + gb, na + nb), (ga, na), (gb, nb)] for (ga, gb), (na, nb) in zip(gone, new, strict=True)]
    for column in range(3):  # the publication gate: each column of the whole moved by 0 or at least 10
        whole = max(sum(m[column][0] for m in moves), sum(m[column][1] for m in moves))
        if 0 < whole < MIN_CELL:
            return
    counts = [a + b for a, b in after]
    shown, pooled, split_withheld, pool_withheld = pooled_apart(counts, MIN_CELL, moves, 1, pool_row=pool_row)

    def fine(x: int) -> bool:
        return x == 0 or abs(x) >= MIN_CELL

    def moved(cells: list[int], k: int | None = None) -> int:
        kinds = (0, 1) if k is None else (k,)
        return sum(after[i][j] - before[i][j] for i in cells for j in kinds)

    for i in shown:
        assert counts[i] >= MIN_CELL and fine(moved([i]))
        if i not in split_withheld:
            assert fine(moved([i], 0)) and fine(moved([i], 1)), (cells, i)
    rest = [i for i in range(len(cells)) if i not in shown]
    assert fine(moved(rest))
    split_shown = [i for i in shown if i not in split_withheld]
    if pool_row and not pool_withheld and sum(counts[i] for i in pooled) >= MIN_CELL:
        assert fine(moved(rest, 0)) and fine(moved(rest, 1))
        split_shown += rest
    hidden = [i for i in range(len(cells)) if i not in split_shown]
    assert fine(moved(hidden, 0)) and fine(moved(hidden, 1)), (cells, arrivals, pool_row)
