"""Small cells, and what their table's total gives away about them.

Aggregates shown to COMEX hide every cell of fewer than ``MIN_CELL`` people. Hiding is not
enough when the table's total is published too: the hidden cells are then the total minus the
cells shown. With one hidden cell of one person (a family status given by one applicant), a
COMEX reader got that person's decision and probability of default by subtraction, in one set
of API calls. So the hidden cells are *pooled*, and when the pool itself holds fewer than
``MIN_CELL`` people the smallest shown cells join it until it holds ``MIN_CELL`` or more
(complementary suppression, as statistical offices do): what a reader can derive is then a
group of at least ``MIN_CELL`` people, never fewer.

Pure arithmetic on counts: ``backend.portfolio`` (segments) and ``ml.monitoring`` (backtest
rows) use it.
"""

from __future__ import annotations

from collections.abc import Sequence

MIN_CELL = 10


def pooled_cells(counts: Sequence[int], min_cell: int = MIN_CELL) -> tuple[list[int], list[int]]:
    """The indices of the cells to show and of the cells to pool (a cell of 0 people is neither).

    Every cell holding 1 to ``min_cell - 1`` people is pooled; if the pool then holds fewer than
    ``min_cell`` people, the smallest shown cells (first in order on a tie) join it until it
    holds ``min_cell`` or more, or nothing is left to show. The pool is therefore empty or holds
    at least ``min_cell`` people, unless the whole table does not.
    """
    shown = [i for i, count in enumerate(counts) if count >= min_cell]
    pooled = [i for i, count in enumerate(counts) if 0 < count < min_cell]
    size = sum(counts[i] for i in pooled)
    by_size = sorted(shown, key=lambda i: (counts[i], i))
    while pooled and size < min_cell and by_size:
        smallest = by_size.pop(0)
        pooled.append(smallest)
        size += counts[smallest]
    pooled_set = set(pooled)
    return [i for i in shown if i not in pooled_set], sorted(pooled)
