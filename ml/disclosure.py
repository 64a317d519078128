"""Small cells, and what their table's total gives away about them.

Aggregates shown to COMEX hide every cell of fewer than ``MIN_CELL`` people. Hiding is not
enough when the table's total is published too: the hidden cells are then the total minus the
cells shown. With one hidden cell of one person (a family status given by one applicant), a
COMEX reader got that person's decision and probability of default by subtraction, in one set
of API calls. So the hidden cells are *pooled*, and when the pool itself holds fewer than
``MIN_CELL`` people the smallest shown cells join it until it holds ``MIN_CELL`` or more
(complementary suppression, as statistical offices do): what a reader can derive is then a
group of at least ``MIN_CELL`` people, never fewer.

The same holds across time: two results published around one import or one erasure differ
by that one person, and a reader who kept the first reads the person's figures off the second
(the backtest's history served both at once). A batch job therefore publishes a result only
when its population differs from every published one by no one or by at least ``MIN_CELL``
people (``changed_people``); in between, the result is held and the published one stays
served. Populations are compared through a digest of each row's content (``row_digests``): no
pseudonym or id is kept, a key rotation changes nothing, and confirming that a given person was
counted takes that person's whole row.

Pure arithmetic on counts: ``backend.portfolio`` (segments), ``ml.monitoring`` (backtest
rows) and ``backend.jobs`` (publication) use it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import numpy as np

MIN_CELL = 10
# The one row of the cells pooled by ``pooled_cells`` (portfolio segments, fairness groups): never a level.
POOLED = "pooled"


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


def row_digests(rows: Iterable[str]) -> np.ndarray:
    """One 64-bit digest of each row's content (uint64, in the rows' order)."""
    return np.fromiter(
        (int.from_bytes(hashlib.blake2b(row.encode(), digest_size=8).digest(), "little") for row in rows),
        dtype=np.uint64,
    )


def changed_people(before: np.ndarray, after: np.ndarray) -> int:
    """A lower bound on how many people differ between two populations given as row digests.

    A row only in ``before`` is someone gone or changed, a row only in ``after`` someone new or
    changed; one person changed counts on both sides, so the larger side is the bound (exact
    for imports alone or erasures alone). Rows are a multiset: two people with the same row
    count twice.
    """
    keys_before, counts_before = np.unique(np.asarray(before, dtype=np.uint64), return_counts=True)
    keys_after, counts_after = np.unique(np.asarray(after, dtype=np.uint64), return_counts=True)
    keys = np.union1d(keys_before, keys_after)
    n_before = np.zeros(keys.size, dtype=np.int64)
    n_after = np.zeros(keys.size, dtype=np.int64)
    n_before[np.searchsorted(keys, keys_before)] = counts_before
    n_after[np.searchsorted(keys, keys_after)] = counts_after
    gone = int(np.clip(n_before - n_after, 0, None).sum())
    new = int(np.clip(n_after - n_before, 0, None).sum())
    return max(gone, new)


def publishable(changes: Iterable[int], min_cell: int = MIN_CELL) -> bool:
    """May a result be published beside results whose populations differ from its own by
    ``changes`` people (one figure per published result)? Only if none differs by 1 to
    ``min_cell - 1``: a subtraction between the two would give those few people's figures."""
    return all(change == 0 or change >= min_cell for change in changes)
