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

Counting changed people in the whole population is not enough either: an import of 10
applicants, one of them the only newcomer aged 65 or more, moved the *65+* row by that one
person, and its count, approvals and summed probability gave that applicant's decision and
probability. So each row's cells (its segment in every published table, its cohort) are kept
beside its digest, and a job counts who moved in each cell since each published result
(``cell_moves``): a cell that moved by 1 to 9 people is pooled like a small one, and the pool
grows until it too moved by 0 or at least ``MIN_CELL`` (``pooled_cells(..., moves=...)``).
The result is still published; only the rows a subtraction would open are pooled.

A row of 10 people or more can still hold fewer than 10 with an outcome: a backtest segment of
151 with 3 defaults, a fairness group with 8 refused defaulters, a challenger day with 2 flips.
Its rate times its size gives that count, so the rate is withheld like a small cell, and the
table's total minus the rows shown must not give it back either (``withheld_rows``; the
portfolio's approval rates follow the same rule).

Pure arithmetic on counts: ``backend.portfolio`` (segments), ``ml.monitoring`` (backtest
rows), ``ml.fairness`` (the model card's groups), ``backend.registry`` (challenger days) and
``backend.jobs`` (publication) use it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

MIN_CELL = 10
# Under this share of the known values, a client's answer (a category level, a yes/no) is rare:
# atypical on the comparison.
RARE_SHARE = 0.01
# The one row of the cells pooled by ``pooled_cells`` (portfolio segments, fairness groups): never a level.
POOLED = "pooled"


# (gone, new): people a cell lost and gained since one published result.
Move = tuple[int, int]


def pooled_cells(
    counts: Sequence[int], min_cell: int = MIN_CELL, moves: Sequence[Sequence[Move]] | None = None
) -> tuple[list[int], list[int]]:
    """The indices of the cells to show and of the cells to pool (a cell of 0 people is neither).

    Every cell holding 1 to ``min_cell - 1`` people is pooled; if the pool then holds fewer than
    ``min_cell`` people, the smallest shown cells (first in order on a tie) join it until it
    holds ``min_cell`` or more, or nothing is left to show. The pool is therefore empty or holds
    at least ``min_cell`` people, unless the whole table does not.

    With ``moves`` (for each cell, its ``(gone, new)`` since each published result, in the same
    order for every cell), a cell that moved by 1 to ``min_cell - 1`` people since any of them
    is pooled too, whatever its size: the published result and this one would give those
    people's figures by subtraction. The pool is everything not shown (the total minus the rows
    shown), empty cells included, so it must have moved by 0 or at least ``min_cell`` as well:
    the smallest shown cell that moved since a result the pool fails joins it (the smallest
    shown cell when none did) until it has. Showing nothing is always safe when the whole
    population moved by 0 or at least ``min_cell`` (the publication gate)."""
    n = len(counts)
    earlier = len(moves[0]) if moves and n else 0
    if moves is not None and len(moves) != n:
        raise ValueError("one list of moves per cell")

    def changes(cells: Iterable[int]) -> list[int]:
        cells = list(cells)
        return [max(sum(moves[i][k][0] for i in cells), sum(moves[i][k][1] for i in cells))  # type: ignore[index]
                for k in range(earlier)]

    def fine(changed: list[int]) -> bool:
        return all(c == 0 or c >= min_cell for c in changed)

    shown = [i for i in range(n) if counts[i] >= min_cell and fine(changes([i]))]
    while shown:
        rest = [i for i in range(n) if i not in shown]
        size = sum(counts[i] for i in rest)
        changed = changes(rest)
        if (size == 0 or size >= min_cell) and fine(changed):
            break
        candidates = shown
        if size == 0 or size >= min_cell:  # the pool's change is what fails: a cell that moved helps
            failing = [k for k, c in enumerate(changed) if 0 < c < min_cell]
            candidates = [i for i in shown if any(max(moves[i][k]) > 0 for k in failing)] or shown  # type: ignore[index]
        shown.remove(min(candidates, key=lambda i: (counts[i], i)))
    return shown, [i for i in range(n) if i not in shown and counts[i] > 0]


def crossed_width(moves: Mapping[str, Mapping[str, Sequence[Move]]] | None, by: str) -> int | None:
    """How many columns of a table's moves count its people, when the table is crossed with
    ``by`` (the side of the threshold, or the outcome): ``by``'s own table has one column per
    published result, and a crossed table three times as many (its people, then those of each
    kind); None when that cannot be told (nothing moved in ``by``)."""
    widths = {len(columns) for columns in ((moves or {}).get(by) or {}).values()}
    return widths.pop() if len(widths) == 1 else None


def pooled_apart(counts: Sequence[int], min_cell: int, moves: Sequence[Sequence[Move]] | None, people: int | None,
                 pool_row: bool = False) -> tuple[list[int], list[int], set[int], bool]:
    """``pooled_cells`` when each cell's ``moves`` hold ``people`` columns of people, then as many
    of the same people of each of two kinds (approved and refused, or repaid and defaulted): cells
    are pooled on their people only, and a shown cell whose people moved by 0 or at least
    ``min_cell`` but whose kinds moved by 1 to ``min_cell - 1`` keeps its size and loses its
    split by kind (a rate, a count of defaults). What loses its split (those cells, the pooled
    ones, and the pool's row unless ``pool_row`` shows it with its own split) must have moved
    by 0 or at least ``min_cell`` of each kind too: the smallest cell that moved joins it until
    it has. Returns (shown, pooled, shown cells without their split, the pool's row without its
    split). Without such columns (``people`` None), ``pooled_cells`` as is, nothing split."""
    if not moves or not people or len(moves[0]) != 3 * people:
        shown, pooled = pooled_cells(counts, min_cell, moves)
        return shown, pooled, set(), False
    shown, pooled = pooled_cells(counts, min_cell, [row[:people] for row in moves])
    rest = [i for i in range(len(counts)) if i not in shown]
    pool_size = sum(counts[i] for i in pooled)

    def summed(cells: list[int]) -> list[Move]:
        return [(sum(moves[i][k][0] for i in cells), sum(moves[i][k][1] for i in cells))
                for k in range(people, len(moves[0]))]

    # The pool as one more entry: kept with its split only where its row is shown.
    sizes = [counts[i] for i in shown] + [pool_size if pool_row and pool_size >= min_cell else 0]
    kept, _ = pooled_cells(sizes, min_cell, [summed([i]) for i in shown] + [summed(rest)])
    return shown, pooled, {i for j, i in enumerate(shown) if j not in kept}, len(shown) not in kept


class Population:
    """Row digests as a multiset: the distinct digests (sorted), how many rows carry each and
    the first row of each (for its cells). Built once and compared with many: a job compares
    today's population with every published one. Digests already in order (as stored) take one
    pass, not a sort."""

    def __init__(self, digests: np.ndarray) -> None:
        digests = np.asarray(digests, dtype=np.uint64)
        order = None
        if digests.size > 1 and not bool(np.all(digests[1:] >= digests[:-1])):
            order = np.argsort(digests, kind="stable")
            digests = digests[order]
        starts = np.flatnonzero(np.r_[True, digests[1:] != digests[:-1]]) if digests.size else np.zeros(0, np.int64)
        self.keys = digests[starts]
        self.counts = np.diff(np.r_[starts, digests.size])
        self.first = starts if order is None else order[starts]

    def surplus_over(self, other: Population) -> np.ndarray:
        """For each distinct digest here, how many of its rows ``other`` lacks."""
        if not other.keys.size:
            return self.counts
        at = np.minimum(np.searchsorted(other.keys, self.keys), other.keys.size - 1)
        there = np.where(other.keys[at] == self.keys, other.counts[at], 0)
        return np.clip(self.counts - there, 0, None)


def compare(before: Population, after: Population, before_cells: np.ndarray | None = None,
            after_cells: np.ndarray | None = None, derive: Callable[[np.ndarray], np.ndarray] | None = None,
            ) -> tuple[int, dict[str, dict[int, Move]] | None]:
    """``changed_people`` between two populations and, given both sides' cells (each row's
    cells, in its digests' order), ``cell_moves``: one pass for both. ``derive`` adds cells
    computed from the stored ones (tables crossed with an outcome) to the rows that moved."""
    gone, new = before.surplus_over(after), after.surplus_over(before)
    changed = max(int(gone.sum()), int(new.sum()))
    if before_cells is None or after_cells is None:
        return changed, None
    # Only the rows that moved are read (a few among hundreds of thousands).
    sides = [(before_cells[before.first[gone > 0]], gone[gone > 0]), (after_cells[after.first[new > 0]], new[new > 0])]
    if derive is not None:
        sides = [(derive(rows), weights) for rows, weights in sides]
    tables = [name for name in (sides[1][0].dtype.names or ()) if name in (sides[0][0].dtype.names or ())]
    out: dict[str, dict[int, Move]] = {}
    for name in tables:
        cells: dict[int, list[int]] = {}
        for side, (rows, weights) in enumerate(sides):
            codes, where = np.unique(rows[name], return_inverse=True)
            for code, people in zip(codes.tolist(), np.bincount(where, weights=weights).tolist(), strict=True):
                cells.setdefault(int(code), [0, 0])[side] += int(people)
        out[name] = {code: (pair[0], pair[1]) for code, pair in cells.items()}
    return changed, out


def cell_moves(before: np.ndarray, before_cells: np.ndarray, after: np.ndarray, after_cells: np.ndarray
               ) -> dict[str, dict[int, Move]]:
    """Who moved in each cell of each table between two populations: ``{table: {cell: (gone,
    new)}}`` for the cells that moved. Populations are row digests (as ``changed_people``)
    with each row's cells beside it (a structured array, one field per table, in the digests'
    order); a person whose row changed counts as gone from their old cells and new in their new
    ones. Fields only one side has are left out."""
    _, moves = compare(Population(before), Population(after), before_cells, after_cells)
    return moves or {}


def moved_under(piece_moves: Mapping[str, Any] | None) -> dict[float, list[Move | None]]:
    """Under each edge of the probability scale, who moved since each published result (gone,
    new), from a job's ``piece_moves`` (``{"edges": [...], "moves": {piece index: [(gone, new)
    per published result]}, "blind": {result index: [edges]}}``, the pieces lying between
    neighbouring edges); None under an edge a result did not cut at (``blind``: it was cut
    otherwise, its people are known on each side of its own edges only); empty without them."""
    if not piece_moves or not piece_moves["moves"]:
        return {}
    width = len(next(iter(piece_moves["moves"].values())))
    running: list[Move] = [(0, 0)] * width
    under: dict[float, list[Move | None]] = {float(piece_moves["edges"][0]): list(running)}
    for index, high in enumerate(piece_moves["edges"][1:]):
        moved = piece_moves["moves"].get(str(index))
        if moved:
            running = [(g + a, n + b) for (g, n), (a, b) in zip(running, moved, strict=True)]
        under[float(high)] = list(running)
    for column, edges in (piece_moves.get("blind") or {}).items():
        for edge in edges:
            if float(edge) in under:
                under[float(edge)][int(column)] = None
    return under


def range_moves(under: Mapping[float, Sequence[Move | None]], low: float, high: float) -> list[Move | None] | None:
    """Who moved between two edges of ``moved_under`` since each published result (gone, new;
    None for a result that did not cut at one of them); None when either edge was not counted
    (a result stored before it was)."""
    if low not in under or high not in under:
        return None
    low, high = min(low, high), max(low, high)
    return [None if a is None or b is None else (b[0] - a[0], b[1] - a[1])
            for a, b in zip(under[low], under[high], strict=True)]


def summed_moves(parts: Sequence[Sequence[Move | None] | None]) -> list[Move | None] | None:
    """Who moved in ranges taken together, per published result (None for a result one of them
    does not know); None for no range, or one not counted."""
    if not parts or any(part is None for part in parts):
        return None
    columns = zip(*parts, strict=True)  # type: ignore[misc]
    return [None if any(m is None for m in column) else (sum(m[0] for m in column), sum(m[1] for m in column))
            for column in columns]


def moved_few(moves: Iterable[Move | None] | None, min_cell: int = MIN_CELL) -> bool:
    """Did some published result see 1 to ``min_cell - 1`` people move (``max(gone, new)``)?"""
    return any(move is not None and 0 < max(move) < min_cell for move in moves or ())


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
    changed, _ = compare(Population(before), Population(after))
    return changed


def publishable(changes: Iterable[int], min_cell: int = MIN_CELL) -> bool:
    """May a result be published beside results whose populations differ from its own by
    ``changes`` people (one figure per published result)? Only if none differs by 1 to
    ``min_cell - 1``: a subtraction between the two would give those few people's figures."""
    return all(change == 0 or change >= min_cell for change in changes)


def withheld_rows(cells: Sequence[Sequence[int] | None], total: Sequence[int], min_cell: int = MIN_CELL) -> set[int]:
    """The rows of a table whose outcome counts may not be shown, from each row's counts
    (``cells``: one tuple per row, e.g. its defaults and its non-defaults; None for a row not
    shown anyway, whose counts the reader lacks) and the table's published ``total`` (the same
    counts over everyone).

    A count of 1 to ``min_cell - 1`` people is withheld with its row: shown, it says that so few
    people of the row had that outcome (a rate times the row's size gives it). The total minus
    the rows shown gives everything withheld, together, so that must hold 0 or at least
    ``min_cell`` people in each count as well: the smallest shown row (by people, first on a
    tie) that holds some of a failing count joins the withheld ones until it does, or until no
    row is shown. Idempotent: applied again to what it shows, it withholds nothing more."""
    if any(row is not None and len(row) != len(total) for row in cells):
        raise ValueError("one count per column of the total")
    # The same rule as across two tables, against a table of no one (every count its own change).
    nothing = [0] * len(total)
    return withheld_changes(cells, [nothing] * len(cells), total, nothing, min_cell)


# ----------------------------------------------------------------- the training population
# The advisor compares a client with the training population (``ml.train._population``): per
# numeric feature a histogram of defaulters and repaid clients, per category each level's count
# and default rate, both beside the population's published size and default rate. A bin or a
# level holding 1 to 9 people of one outcome gives them, and so does the missing-value group by
# subtraction from the totals.
DISCLOSED = "disclosed"  # the key a population reference already disclosed carries


def coarsened_bins(defaulters: Sequence[int], repaid: Sequence[int], min_cell: int = MIN_CELL) -> int | None:
    """How many adjacent equal bins of a histogram to merge (a divisor of its length, smallest
    first) so that every merged bin holds 0 or at least ``min_cell`` defaulters and repaid
    clients; None when even one bin over everything does not (its widths stay equal, so its
    shape reads as before, only coarser)."""
    n = len(defaulters)
    for step in (s for s in range(1, n + 1) if n % s == 0):
        merged = [(sum(defaulters[i:i + step]), sum(repaid[i:i + step])) for i in range(0, n, step)]
        if all(publishable(counts, min_cell) for counts in merged):
            return step
    return None


def disclosed_population(population: dict[str, Any], min_cell: int = MIN_CELL) -> dict[str, Any]:
    """The training population reference with no outcome count of 1 to ``min_cell - 1`` people
    shown or left to subtract (a copy; one already disclosed is returned as is).

    - a numeric feature's histogram keeps equal bins, merged (``coarsened_bins``) until each
      holds 0 or at least ``min_cell`` of each outcome; then the missing-value group, which the
      totals give, is a row of ``withheld_rows``: when it fails, its ``missing_rate`` and the
      smallest bins the rule picks are withheld (None). A median by outcome needs ``min_cell``
      people of that outcome;
    - a category's levels and its missing group are the rows of ``withheld_rows``, twice: on
      their outcomes (a level failing it loses its default rate) and on their people alone (a
      level of 1 to 9 people, or one the sizes left to subtract need, loses its count and rate;
      the missing group its ``missing_rate``). A level of 50 people with 3 defaulters keeps its
      count. ``rare`` (under 1 % of the known values, what makes a client's level atypical) is
      kept per level from the counts as they were.

    What needs the rows themselves (quantiles kept between the 10th smallest and the 10th
    largest value, a yes/no share withheld when 1 to 9 people gave one answer) is done at
    training (``ml.train._population``); this part also applies to a bundle trained before."""
    if population.get(DISCLOSED):
        return population
    rows = int(population["rows"])
    total_defaulters = round(rows * float(population["default_rate"]))
    total = (total_defaulters, rows - total_defaulters)
    features = {}
    for name, ref in population["features"].items():
        ref = dict(ref)
        if ref.get("kind") == "category":
            counts = list(ref["counts"])
            defaulters = [round((rate or 0.0) * count) for rate, count in zip(ref["default_rate"], counts, strict=True)]
            known = sum(counts) or 1
            ref.setdefault("rare", [count / known < RARE_SHARE for count in counts])
            cells = [(d, c - d) for d, c in zip(defaulters, counts, strict=True)]
            cells.append((total[0] - sum(d for d, _ in cells), total[1] - sum(r for _, r in cells)))
            split = withheld_rows(cells, total, min_cell)
            # A level's size alone says nothing of its outcomes: it goes only when it, or what the
            # rows less the sizes shown leave, holds 1 to 9 people (the missing group a row too).
            whole = withheld_rows([(d + r,) for d, r in cells], (rows,), min_cell)
            ref["counts"] = [None if i in whole else c for i, c in enumerate(counts)]
            ref["default_rate"] = [None if i in split | whole else r for i, r in enumerate(ref["default_rate"])]
            if len(counts) in whole:
                ref["missing_rate"] = None
        elif ref.get("hist_defaulters") is not None:
            hist_d, hist_r = list(ref["hist_defaulters"]), list(ref["hist_repaid"])
            if sum(hist_d) < min_cell:
                ref["median_defaulters"] = None
            if sum(hist_r) < min_cell:
                ref["median_repaid"] = None
            step = coarsened_bins(hist_d, hist_r, min_cell)
            if step is None:
                ref.update(hist_edges=None, hist_defaulters=None, hist_repaid=None, default_rate_by_bin=None)
            else:
                edges = list(ref["hist_edges"])[::step]
                d = [sum(hist_d[i:i + step]) for i in range(0, len(hist_d), step)]
                r = [sum(hist_r[i:i + step]) for i in range(0, len(hist_r), step)]
                cells = [*zip(d, r, strict=True), (total[0] - sum(d), total[1] - sum(r))]
                withheld = withheld_rows(cells, total, min_cell)
                ref.update(
                    hist_edges=edges,
                    hist_defaulters=[None if i in withheld else c for i, c in enumerate(d)],
                    hist_repaid=[None if i in withheld else c for i, c in enumerate(r)],
                    default_rate_by_bin=[None if i in withheld or not dd + rr else dd / (dd + rr)
                                         for i, (dd, rr) in enumerate(zip(d, r, strict=True))],
                )
                if len(d) in withheld:
                    ref["missing_rate"] = None
        features[name] = ref
    return {**population, "features": features, DISCLOSED: min_cell}


# ------------------------------------------------------ the training population across retrainings
# The registry keeps every bundle, each with its population reference, and ``GET /model/versions``
# lists each one's training rows. Two bundles trained on populations 1 to 9 people apart (a
# retraining after one erasure) gave those people's outcomes by subtraction: the totals, a bin or
# a level that moved by them. A new reference is therefore compared with every one published
# before it, on what a reader can subtract: the totals, each category level, and each numeric
# histogram on the edges both share (the outer bins are open-ended, so the values seen are
# always comparable as one bin). Differences are net, what two published tables give.


def population_totals(population: dict[str, Any]) -> tuple[int, int]:
    """(defaulters, repaid) of a population reference, as its size and default rate give them."""
    rows = int(population["rows"])
    defaulters = round(rows * float(population["default_rate"]))
    return defaulters, rows - defaulters


def too_close(totals: Sequence[int], earlier: Sequence[tuple[str, dict[str, Any]]], min_cell: int = MIN_CELL
              ) -> str | None:
    """Why a training population of ``totals`` (defaulters, repaid) may not be published beside
    the references of ``earlier`` (``(version, population)`` pairs): the first one whose totals
    differ by 1 to ``min_cell - 1`` of either outcome; None when none does."""
    for version, population in earlier:
        before = population_totals(population)
        moved = [abs(now - then) for now, then in zip(totals, before, strict=True)]
        if not publishable(moved, min_cell):
            return (f"the training population is {moved[0]} defaulter(s) and {moved[1]} repaid client(s) away from "
                    f"version {version}'s: published beside it, the difference would give those people's outcomes; "
                    f"train on the same population or on one at least {min_cell} people of each outcome away")
    return None


def withheld_changes(new: Sequence[Sequence[int] | None], old: Sequence[Sequence[int] | None],
                     total_new: Sequence[int], total_old: Sequence[int], min_cell: int = MIN_CELL) -> set[int]:
    """The rows of a new table to withhold so that no difference with an older one is 1 to
    ``min_cell - 1`` people (rows in the same order in both; None: not shown). A reader subtracts
    the rows both show, and the totals minus those rows (everything else, together): each row
    shown in both that moved by 1 to 9 of a count is withheld, then, while what is left moved by
    1 to 9, the row shown in both that moved least and holds some of the failing count joins it.
    With totals that moved by 0 or at least ``min_cell`` (``too_close``), withholding everything
    is always safe. Rows withheld within one table already are kept withheld."""
    def moved(i: int) -> list[int]:
        return [a - b for a, b in zip(new[i], old[i], strict=True)]  # type: ignore[arg-type]

    def small(values: Iterable[int]) -> list[int]:
        return [k for k, v in enumerate(values) if 0 < abs(v) < min_cell]

    withheld = {i for i, row in enumerate(new) if row is None}
    while True:
        both = [i for i in range(len(new)) if i not in withheld and old[i] is not None]
        failing_rows = {i for i in both if small(moved(i))}
        if failing_rows:
            withheld |= failing_rows
            continue
        rest = [tn - to - sum(moved(i)[k] for i in both)
                for k, (tn, to) in enumerate(zip(total_new, total_old, strict=True))]
        failing = small(rest)
        if not failing or not both:
            return withheld
        helping = [i for i in both if any(moved(i)[k] for k in failing)] or both
        withheld.add(min(helping, key=lambda i: (sum(abs(v) for v in moved(i)), i)))


def _category_rows(ref: dict[str, Any], levels: Sequence[str]) -> list[tuple[int, int] | None]:
    """Each level's (defaulters, repaid) as published: None for a level withheld, or whose
    count is shown without its default rate; (0, 0) for a level the reference does not have."""
    by_level = dict(zip(ref["levels"], zip(ref["counts"], ref["default_rate"], strict=True), strict=True))
    rows: list[tuple[int, int] | None] = []
    for level in levels:
        count, rate = by_level.get(level, (None, None))
        if count is None or (rate is None and count):
            rows.append(None if level in by_level else (0, 0))
        else:
            defaulters = round((rate or 0.0) * count)
            rows.append((defaulters, count - defaulters))
    return rows


def _category_counts(ref: dict[str, Any], levels: Sequence[str]) -> list[int | None]:
    """Each level's count as published (with or without its default rate); None where withheld,
    0 for a level the reference does not have."""
    by_level = dict(zip(ref["levels"], ref["counts"], strict=True))
    return [by_level[level] if level in by_level else 0 for level in levels]


def _shared_bins(new: dict[str, Any], old: dict[str, Any]) -> tuple[list[int], list[int], int]:
    """Each bin's cell on the edges both histograms share (their interior edges in common; the
    outer bins are open-ended), for the new one and the old one, and how many cells."""
    common = sorted(set(new["hist_edges"][1:-1]) & set(old["hist_edges"][1:-1]))

    def cells(edges: list[float]) -> list[int]:
        return [0] + [int(np.searchsorted(common, edge, side="right")) for edge in edges[1:-1]]

    return cells(new["hist_edges"]), cells(old["hist_edges"]), len(common) + 1


def _in_cells(d: Sequence[int | None], r: Sequence[int | None], cell_of: list[int], n: int
              ) -> list[tuple[int, int] | None]:
    out: list[list[int] | None] = [[0, 0] for _ in range(n)]
    for dd, rr, cell in zip(d, r, cell_of, strict=True):
        if dd is None or rr is None or out[cell] is None:
            out[cell] = None
        else:
            out[cell][0] += dd  # type: ignore[index]
            out[cell][1] += rr  # type: ignore[index]
    return [None if row is None else (row[0], row[1]) for row in out]


def _level_drop(ref: dict[str, Any], old: dict[str, Any], total: tuple[int, int], total_before: tuple[int, int],
                min_cell: int) -> tuple[set[str], set[str]]:
    """What of ``ref``'s levels a subtraction from ``old`` opens: the levels whose outcomes
    ``withheld_changes`` withholds keep their count when their people moved by 0 or at least
    ``min_cell`` (only their default rate goes), and go whole otherwise; a level shown without
    its rate whose people moved by 1 to 9 goes whole too. Returns (whole, rate only)."""
    levels = list(dict.fromkeys([*ref["levels"], *old["levels"]]))
    rows = _category_rows(ref, levels)
    rates = withheld_changes(rows, _category_rows(old, levels), total, total_before, min_cell)
    people, before = _category_counts(ref, levels), _category_counts(old, levels)
    whole: set[str] = set()
    rate_only: set[str] = set()
    for i, level in enumerate(levels):
        if people[i] is None or (i not in rates and rows[i] is not None):
            continue  # withheld already, or shown whole
        if people[i] == 0 or (before[i] is not None and 0 < abs(people[i] - before[i]) < min_cell):  # type: ignore[operator]
            whole.add(level)  # a count of 0 would give its outcomes: none
        elif rows[i] is not None:
            rate_only.add(level)
    # The sizes alone: the rows less the counts both show (the levels withheld whole and the
    # missing group, together) must not have moved by 1 to 9 people either, unless that is the
    # rows' own move (the totals say it; the gate holds each outcome's move to 0 or 10+).
    shown = [i for i, level in enumerate(levels) if level not in whole and people[i] is not None and before[i] is not None]
    while shown:
        moved = sum(people[i] - before[i] for i in shown)  # type: ignore[operator]
        if not moved or not 0 < abs(sum(total) - sum(total_before) - moved) < min_cell:
            break
        helping = [i for i in shown if people[i] != before[i]]
        joining = min(helping, key=lambda i: (abs(people[i] - before[i]), i))  # type: ignore[operator]
        whole.add(levels[joining])
        shown.remove(joining)
    return whole, rate_only - whole


def _bin_drop(ref: dict[str, Any], old: dict[str, Any], total: tuple[int, int], total_before: tuple[int, int],
              min_cell: int) -> set[int]:
    """The bins of ``ref``'s histogram a subtraction from ``old``'s opens, on the edges both share."""
    new_cell, old_cell, n = _shared_bins(ref, old)
    rows = _in_cells(ref["hist_defaulters"], ref["hist_repaid"], new_cell, n)
    withheld = withheld_changes(rows, _in_cells(old["hist_defaulters"], old["hist_repaid"], old_cell, n),
                                total, total_before, min_cell)
    drop = {cell for cell in withheld if rows[cell] is not None}
    return {i for i, cell in enumerate(new_cell) if cell in drop}


def same_people(population: dict[str, Any], other: dict[str, Any]) -> bool:
    """Whether two population references give the same counts wherever both can be compared
    (totals, each level, each histogram on the edges both share; withheld cells aside): what two
    trainings on the same people publish, whatever their features."""
    if population_totals(population) != population_totals(other):
        return False
    for name, ref in population["features"].items():
        old = other["features"].get(name)
        if old is None or old.get("kind") != ref.get("kind"):
            continue
        if ref.get("kind") == "category":
            levels = list(dict.fromkeys([*ref["levels"], *old["levels"]]))
            pairs = zip([*_category_rows(ref, levels), *_category_counts(ref, levels)],
                        [*_category_rows(old, levels), *_category_counts(old, levels)], strict=True)
        elif ref.get("hist_defaulters") is not None and old.get("hist_defaulters") is not None:
            new_cell, old_cell, n = _shared_bins(ref, old)
            pairs = zip(_in_cells(ref["hist_defaulters"], ref["hist_repaid"], new_cell, n),
                        _in_cells(old["hist_defaulters"], old["hist_repaid"], old_cell, n), strict=True)
        else:
            continue
        if any(a is not None and b is not None and a != b for a, b in pairs):
            return False
    return True


def _merged_bins(ref: dict[str, Any], step: int) -> dict[str, Any]:
    """The histogram with each ``step`` adjacent bins merged (a bin withheld withholds its merge)."""
    def merge(counts: list[int | None]) -> list[int | None]:
        return [None if any(c is None for c in counts[i:i + step]) else sum(counts[i:i + step])  # type: ignore[misc]
                for i in range(0, len(counts), step)]

    d, r = merge(ref["hist_defaulters"]), merge(ref["hist_repaid"])
    return {**ref, "hist_edges": list(ref["hist_edges"])[::step], "hist_defaulters": d, "hist_repaid": r,
            "default_rate_by_bin": [None if dd is None or rr is None or not dd + rr else dd / (dd + rr)
                                    for dd, rr in zip(d, r, strict=True)]}


def _withheld_across(ref: dict[str, Any], olds: list[tuple[str, tuple[int, int], dict[str, Any]]],
                     total: tuple[int, int], min_cell: int) -> tuple[dict[str, Any], list[str]]:
    """``ref`` (a copy, changed) with the levels or bins withheld that a subtraction from any of
    ``olds`` (version, its totals, its reference of the feature) opens, until none opens
    anything; and the versions that made it withhold."""
    versions: list[str] = []
    changed = True
    while changed:
        changed = False
        for version, total_before, old in olds:
            if ref.get("kind") == "category":
                whole, rate_only = _level_drop(ref, old, total, total_before, min_cell)
                counts = [None if level in whole else c for level, c in zip(ref["levels"], ref["counts"], strict=True)]
                rates = [None if level in whole | rate_only else r
                         for level, r in zip(ref["levels"], ref["default_rate"], strict=True)]
                opened = (counts, rates) != (ref["counts"], ref["default_rate"])
                ref["counts"], ref["default_rate"] = counts, rates
            else:
                at = sorted(_bin_drop(ref, old, total, total_before, min_cell))
                for key in ("hist_defaulters", "hist_repaid", "default_rate_by_bin"):
                    ref[key] = [None if i in at else v for i, v in enumerate(ref[key])]
                opened = bool(at)
            if opened:
                changed = True
                versions.append(version)
    return ref, sorted(set(versions))


def _coarsened_across(ref: dict[str, Any], olds: list[tuple[str, tuple[int, int], dict[str, Any]]],
                      total: tuple[int, int], min_cell: int) -> dict[str, Any] | None:
    """The histogram merged into the finest coarser equal bins that no subtraction from any of
    ``olds`` opens; None when even one bin does."""
    n = len(ref["hist_defaulters"])
    for step in (s for s in range(2, n + 1) if n % s == 0):
        merged = _merged_bins(ref, step)
        if not any(_bin_drop(merged, old, total, total_before, min_cell) for _, total_before, old in olds):
            return merged
    return None


def disclosed_across(population: dict[str, Any], earlier: Sequence[tuple[str, dict[str, Any]]],
                     min_cell: int = MIN_CELL) -> tuple[dict[str, Any], list[str]]:
    """A disclosed population reference (``disclosed_population``) with what a subtraction from
    any of the ``earlier`` references (``(version, disclosed population)``, published before it)
    would give of 1 to ``min_cell - 1`` people taken away too: the levels and histogram bins of
    ``withheld_changes`` are withheld until none of the earlier references opens anything, or a
    histogram is merged into coarser equal bins (20 -> 10 -> 5 ...), the finest that opens
    nothing beside any of them, when that shows as many bins (each whole, the shape unbroken).
    Returns the new reference (a copy, naming the versions it was compared with in
    ``compared_with``) and what it changed (``"feature (version)"``), empty when it was already
    safe to publish beside them. The totals must already pass ``too_close``."""
    total = population_totals(population)
    features = {}
    changes: list[str] = []
    for name, ref in population["features"].items():
        olds = [(version, population_totals(before), before["features"][name]) for version, before in earlier
                if name in before["features"] and before["features"][name].get("kind") == ref.get("kind")]
        histogram = ref.get("kind") != "category" and ref.get("hist_defaulters") is not None
        if ref.get("kind") != "category":
            olds = [o for o in olds if histogram and o[2].get("hist_defaulters") is not None]
        withheld, withheld_from = _withheld_across(dict(ref), olds, total, min_cell)
        best, changed_from = withheld, withheld_from
        if histogram and withheld_from:
            coarser = _coarsened_across(ref, olds, total, min_cell)
            shown = [sum(c is not None for c in r["hist_defaulters"]) for r in (coarser, withheld) if r is not None]
            if coarser is not None and shown[0] >= shown[1]:  # as many bins shown or more, each whole
                best, changed_from = coarser, sorted({version for version, _, _ in olds})
        features[name] = best
        changes += [f"{name} ({version})" for version in changed_from]
    compared = sorted({*population.get("compared_with", ()), *(version for version, _ in earlier)})
    return {**population, "features": features, "compared_with": compared}, changes
