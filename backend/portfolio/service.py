"""Portfolio aggregates for COMEX: computed by a batch job, stored, never per client.

The portfolio job (``backend.jobs``) scores the population partition by partition on a Dask
cluster; each partition is reduced here to additive partial sums (``partial_aggregates``),
the partials are added and turned into the summary and every segmentation at once
(``finish_aggregates``). The API only reads the latest stored result: API process memory does
not depend on the number of clients. Segments with fewer than ``MIN_SEGMENT`` applicants are
pooled (``ml.disclosure``): small groups could single a person out, even by subtraction. The
histogram of probabilities is stored in fine bins and served with its small bins merged
(``disclosed_histogram``), the risk grades with a grade of 1 to 9 applicants merged with its
neighbour grade (``disclosed_bands``), and the headline figures without the approved / refused
split when one side of the threshold holds 1 to 9 applicants (``disclosed_split``): all three
applied in ``with_lgd``, where the served answer is built, so stored results are served the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ml.disclosure import (
    MIN_CELL,
    POOLED,
    Move,
    crossed_width,
    moved_few,
    moved_under,
    pooled_apart,
    pooled_cells,
    range_moves,
    withheld_rows,
)
from ml.grades import GRADE_NAMES, grade, grade_label, grade_range
from ml.schema import LEVELS

MIN_SEGMENT = MIN_CELL
HISTOGRAM_BINS = 20

SEGMENTS: dict[str, str] = {
    "contract_type": "NAME_CONTRACT_TYPE",
    "gender": "CODE_GENDER",
    "age_band": "DAYS_BIRTH",
    "income_type": "NAME_INCOME_TYPE",
    "education": "NAME_EDUCATION_TYPE",
    "family_status": "NAME_FAMILY_STATUS",
}
AGE_EDGES = (25, 35, 45, 55, 65)
AGE_LABELS = ("<25", "25-34", "35-44", "45-54", "55-64", "65+")
UNKNOWN = "unknown"


def age_bands(days_birth: np.ndarray) -> np.ndarray:
    years = -np.asarray(days_birth, dtype=np.float64) / 365.25
    return np.asarray(AGE_LABELS, dtype=object)[np.searchsorted(AGE_EDGES, years, side="right")]


def segment_labels(name: str) -> list[str]:
    """Every label a segmentation can take, fixed in advance so partitions add up."""
    if name == "age_band":
        return list(AGE_LABELS)
    return [*LEVELS[SEGMENTS[name]], UNKNOWN]


def segment_values(population: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each applicant's label in each segmentation (missing = "unknown")."""
    out: dict[str, np.ndarray] = {}
    for name, column in SEGMENTS.items():
        if name == "age_band":
            out[name] = age_bands(population[column].to_numpy())
        else:
            out[name] = population[column].astype(object).where(population[column].notna(), UNKNOWN).to_numpy()
    return out


def _codes(name: str, values: np.ndarray) -> np.ndarray:
    index = {label: i for i, label in enumerate(segment_labels(name))}
    return np.fromiter((index[v] for v in values), dtype=np.int64, count=len(values))


COHORT = "cohort"


SIDE = "side"
SIDES = ("approved", "refused")
OUTCOME = "outcome"
OUTCOMES = ("repaid", "default")
# A table crossed with a side of the threshold or an outcome ("age_band|side": ``crossed``).
CROSS = "|"
# Each row's piece of the probability scale between neighbouring edges of the histogram, the
# grades and the threshold (``pieces``): who moved under each edge the summary may show.
PIECE = "piece"
# Each row's risk grade under the model (``ml.grades``): the backtest publishes by grade.
GRADE = "grade"


def cell_codes(population: pd.DataFrame, cohorts: Sequence[str] | None = None,
               approved: np.ndarray | None = None, outcomes: np.ndarray | None = None,
               piece: np.ndarray | None = None, grades: np.ndarray | None = None) -> np.ndarray:
    """Each row's cell in every table a job publishes by segment, stored beside its row digest
    so the next job can count who moved in each cell (``ml.disclosure.cell_moves``): a
    structured array with one uint16 field per segmentation (the index of its label in
    ``segment_labels``), given ``cohorts`` (YYYY-MM) the cohort as months since year 0, given
    ``approved`` its side of the threshold (0 approved, 1 refused) and given ``outcomes`` its
    outcome (0 repaid, 1 default), given ``piece`` its piece of the probability scale
    (``pieces``) and given ``grades`` its risk grade (a name of ``GRADE_NAMES``). No pseudonym,
    no id."""
    fields = [*SEGMENTS, *([COHORT] if cohorts is not None else []), *([SIDE] if approved is not None else []),
              *([OUTCOME] if outcomes is not None else []), *([PIECE] if piece is not None else []),
              *([GRADE] if grades is not None else [])]
    out = np.zeros(len(population), dtype=[(name, np.uint16) for name in fields])
    if len(population):
        for name, values in segment_values(population).items():
            out[name] = _codes(name, values)
    if cohorts is not None:
        out[COHORT] = [int(c[:4]) * 12 + int(c[5:7]) - 1 for c in cohorts]
    if approved is not None:
        out[SIDE] = np.where(np.asarray(approved, dtype=bool), 0, 1)
    if outcomes is not None:
        out[OUTCOME] = np.asarray(outcomes, dtype=np.int64) != 0
    if piece is not None:
        out[PIECE] = piece
    if grades is not None:
        index = {name: i for i, name in enumerate(GRADE_NAMES)}
        out[GRADE] = [index[g] for g in grades]
    return out


def pieces(threshold: float, deciles: Sequence[float] = ()) -> np.ndarray:
    """The edges of every range the portfolio summary or the drift report may show a count for:
    the histogram's (the threshold among them), the grades' upper bounds and the model's
    training deciles of the score (the drift report's; ``ml.monitoring.score_deciles``)."""
    inner = [float(d) for d in deciles if 0.0 < float(d) < 1.0]
    return np.union1d(histogram_edges(threshold), [*(grade_range(g)[1] for g in GRADE_NAMES[:-1]), *inner])


def piece_of(probabilities: np.ndarray, threshold: float, deciles: Sequence[float] = ()) -> np.ndarray:
    """Each probability's piece between neighbouring ``pieces`` (as ``np.histogram`` bins them:
    1.0 in the last)."""
    edges = pieces(threshold, deciles)
    return np.clip(np.searchsorted(edges, probabilities, side="right") - 1, 0, len(edges) - 2)


def piece_edges(threshold: float, deciles: Sequence[float] = ()) -> list[float]:
    """``pieces`` as stored beside a result's ``piece_moves``: the equal edges read as such (0.15,
    not 0.15000000000000002), the threshold and the deciles exactly (the served edges they meet)."""
    exact = {float(threshold), *(float(d) for d in deciles)}
    return [float(e) if float(e) in exact else round(float(e), 6) for e in pieces(threshold, deciles)]


def piece_cells(piece: np.ndarray) -> np.ndarray:
    """``cell_codes`` holding each row's piece only (the drift job's rows)."""
    out = np.zeros(len(piece), dtype=[(PIECE, np.uint16)])
    out[PIECE] = piece
    return out


def piece_moves(moves: Moves | None, threshold: float, deciles: Sequence[float] = (),
                blind: Sequence[Sequence[float]] = ()) -> dict[str, Any] | None:
    """Who moved in each piece of the probability scale since each published result, as a
    result stores it (never served): its edges, per piece (gone, new) per result and, per result
    cut otherwise (another threshold or model, or stored before the deciles were a cut), the
    edges it did not cut at (``blind``: who moved is unknown there, ``ml.disclosure.moved_under``)."""
    moved = (moves or {}).get(PIECE)
    if not moved:
        return None
    out: dict[str, Any] = {"edges": piece_edges(threshold, deciles),
                           "moves": {label: [list(move) for move in per] for label, per in moved.items()}}
    if any(blind):
        out["blind"] = {str(k): list(edges) for k, edges in enumerate(blind) if edges}
    return out


def recut(codes: np.ndarray, cut: Sequence[float], into: Sequence[float]) -> tuple[np.ndarray, list[float]]:
    """Pieces of one cut of the scale (``piece_edges``) given in another: each piece goes to the
    piece of ``into`` holding its top (its people are known to lie under its upper edge, not
    where inside), and the edges of ``into`` that ``cut`` lacks are blind (returned)."""
    old, new = np.round(np.asarray(cut, dtype=np.float64), 9), np.round(np.asarray(into, dtype=np.float64), 9)
    tops = np.clip(np.searchsorted(new, old[1:], side="left") - 1, 0, len(new) - 2)
    known = set(old.tolist())
    blind = [float(e) for e, rounded in zip(into, new.tolist(), strict=True) if 0.0 < rounded < 1.0 and rounded not in known]
    return tops[np.clip(codes.astype(np.int64), 0, len(tops) - 1)].astype(codes.dtype), blind


def crossed(cells: np.ndarray) -> np.ndarray:
    """``cells`` with each table crossed with the side of the threshold or the outcome they
    hold (``CROSS``: "age_band|side", the table's code times 2 plus the side): who moved in
    each segment on each side, so a segment 10 newcomers joined, 3 of them refused, is seen as
    3 refused people, not only 10 people. Derived when populations are compared, for the rows
    that moved only, never stored: results stored before are crossed the same way."""
    names = list(cells.dtype.names or ())
    by = [name for name in (SIDE, OUTCOME) if name in names]
    tables = [name for name in names if name not in (SIDE, OUTCOME, PIECE) and CROSS not in name]
    if not by:
        return cells
    extra = [f"{table}{CROSS}{name}" for name in by for table in tables]
    out = np.zeros(len(cells), dtype=[(name, np.uint16) for name in [*names, *extra]])
    for name in names:
        out[name] = cells[name]
    for name in by:
        for table in tables:
            out[f"{table}{CROSS}{name}"] = cells[table].astype(np.int64) * 2 + cells[name]
    return out


def cell_label(table: str, code: int) -> str:
    """The label a ``cell_codes`` code stands for in its table (a crossed table's: its table's)."""
    base, cross, _ = table.partition(CROSS)
    if cross:
        return cell_label(base, int(code) // 2)
    if table == COHORT:
        year, month = divmod(int(code), 12)
        return f"{year:04d}-{month + 1:02d}"
    if table == SIDE:
        return SIDES[int(code)]
    if table == PIECE:
        return str(int(code))
    if table == OUTCOME:
        return OUTCOMES[int(code)]
    if table == GRADE:
        return GRADE_NAMES[int(code)]
    return segment_labels(table)[int(code)]


def histogram_edges(threshold: float) -> np.ndarray:
    """HISTOGRAM_BINS equal bins over [0, 1], the threshold added as an edge: every bin is then
    wholly approved (below it) or wholly refused (at or above it), so the chart's split agrees
    with the approval count."""
    return np.union1d(np.linspace(0.0, 1.0, HISTOGRAM_BINS + 1), [min(max(float(threshold), 0.0), 1.0)])


def disclosed_histogram(histogram: dict[str, Any], threshold: float, min_cell: int = MIN_CELL) -> dict[str, Any]:
    """A stored histogram as COMEX may see it: no non-empty bin holds fewer than ``min_cell``
    applicants. The counts still add up to the portfolio and each bin keeps its true edges (a
    merged bin is wider; the chart draws applicants per percentage point, so it does not look
    taller).

    The rule, deterministic: while some bin holds 1 to ``min_cell - 1`` applicants, the smallest
    such bin (leftmost on a tie) is merged with its nearer non-empty neighbour on each side,
    whichever holds fewer (the left one on a tie), the empty bins between them included: a
    sparse tail is thus walked inward until it holds ``min_cell``. The threshold stays an edge
    (no bin holds both approved and refused applicants) unless one side of it holds fewer than
    ``min_cell`` applicants in all: that side then joins its neighbour across the threshold,
    whose bin straddles it. Empty bins with no small bin beyond them stay as they are (an
    empty tail is shown empty). A portfolio of fewer than ``min_cell`` applicants is one bin
    over the whole range. Idempotent: a histogram served merged is served the same."""
    if len(histogram["counts"]) != len(histogram["edges"]) - 1:
        raise ValueError("a histogram has one count fewer than edges")
    # A threshold on a grid edge (0.35) was stored twice once rounded: a bin of no width, dropped.
    edges, counts = [float(histogram["edges"][0])], []
    for high, count in zip(histogram["edges"][1:], histogram["counts"], strict=True):
        if float(high) > edges[-1] or not counts:
            edges.append(float(high))
            counts.append(int(count))
        else:
            counts[-1] += int(count)
    total = sum(counts)
    if 0 < total < min_cell:
        return {"edges": [edges[0], edges[-1]], "counts": [total]}
    # Groups of adjacent bins: [first bin, last bin + 1, applicants].
    groups = [[i, i + 1, c] for i, c in enumerate(counts)]
    barrier = next((i for i in range(1, len(edges) - 1) if edges[i] == threshold), None)

    def crosses(start: int, end: int) -> bool:
        return barrier is not None and start < barrier < end

    def neighbour(i: int, step: int, across: bool) -> int | None:
        j = i + step
        while 0 <= j < len(groups) and groups[j][2] == 0:
            j += step
        if not 0 <= j < len(groups):
            return None
        span = (min(groups[i][0], groups[j][0]), max(groups[i][1], groups[j][1]))
        return j if across or not crosses(*span) else None

    for across in (False, True):
        while True:
            small = sorted((g[2], i) for i, g in enumerate(groups) if 0 < g[2] < min_cell)
            merge = None
            for _, i in small:
                sides = [j for j in (neighbour(i, -1, across), neighbour(i, 1, across)) if j is not None]
                if sides:
                    merge = (i, min(sides, key=lambda j: (groups[j][2], j)))
                    break
            if merge is None:
                break
            low, high = sorted(merge)
            groups[low:high + 1] = [[groups[low][0], groups[high][1], sum(g[2] for g in groups[low:high + 1])]]
    return {"edges": [edges[g[0]] for g in groups] + [edges[-1]], "counts": [g[2] for g in groups]}


def _adjacent_groups(counts: list[int], min_cell: int = MIN_CELL) -> list[tuple[int, int, int]]:
    """Ordered cells as groups of adjacent cells, (first, last + 1, people), by the histogram's
    rule (``disclosed_histogram`` without a threshold): no non-empty group under ``min_cell``."""
    merged = disclosed_histogram({"edges": list(range(len(counts) + 1)), "counts": counts}, -1.0, min_cell)
    edges = [int(e) for e in merged["edges"]]
    return list(zip(edges, edges[1:], merged["counts"], strict=False))


def band_grades(band: dict[str, Any]) -> list[str]:
    """The master-scale grades a served risk-band row covers ("F-G": F and G)."""
    if band.get("grades"):
        return list(band["grades"])
    first, _, last = str(band["band"]).partition("-")
    names = list(GRADE_NAMES)
    return names[names.index(first):names.index(last or first) + 1]


def disclosed_bands(bands: list[dict[str, Any]], applicants: int, min_cell: int = MIN_CELL) -> list[dict[str, Any]]:
    """The risk grades as COMEX may see them: a grade of 1 to ``min_cell - 1`` applicants is
    merged with its neighbour grade (the one holding fewer, the lower grade on a tie; empty grades
    between them included) until every row holds 0 or at least ``min_cell``; a merged row is
    named by its first and last grade ("F-G") and lists them in ``grades``.

    Adjacent grades, not a pool: the grades are ordered ranges of default risk, so "F-G" is
    still a range of the scale (16 % to 100 %) an executive can read, where a pool of the
    smallest grades ("A, D, G") would mean nothing. The rows add up to the portfolio, so no
    subtraction from its total gives fewer than ``min_cell`` people. Idempotent."""
    counts = [int(b["count"]) for b in bands]
    rows = []
    for start, end, count in _adjacent_groups(counts, min_cell):
        grades = [g for b in bands[start:end] for g in band_grades(b)]
        rows.append({"band": grades[0] if len(grades) == 1 else f"{grades[0]}-{grades[-1]}", "grades": grades,
                     "count": count, "share": round(count / applicants, 6) if applicants else 0.0})
    return rows


APPROVED_FIGURES = ("expected_default_rate_approved", "expected_loss", "approved_credit")


def disclosed_split(summary: dict[str, Any], min_cell: int = MIN_CELL) -> dict[str, Any]:
    """The headline figures as COMEX may see them: when a side of the threshold holds 1 to
    ``min_cell - 1`` applicants, the approval rate is withheld (None; ``split_withheld`` names
    the side), since it times the applicants gives that side's exact count; when that side is
    the approved one, the figures over the approved (expected default rate, expected loss,
    approved credit: one approved applicant's PD and credit amount) are withheld too. The same
    rule as the histogram, which merges across the threshold when a side holds fewer than
    ``min_cell``. A portfolio of fewer than ``min_cell`` applicants is withheld the same way
    (the publication gate holds such results anyway). Idempotent."""
    n, rate = summary["applicants"], summary["approval_rate"]
    if summary.get("split_withheld") or not n or rate is None:
        return {**summary, "split_withheld": summary.get("split_withheld")}
    approved = round(rate * n)
    small = [side for side, count in (("approved", approved), ("refused", n - approved)) if 0 < count < min_cell]
    if not small:
        return {**summary, "split_withheld": None}
    out = {**summary, "approval_rate": None, "split_withheld": "both" if len(small) == 2 else small[0]}
    if "approved" in small:
        out.update(dict.fromkeys(APPROVED_FIGURES))
    return out


def apart_from(summary: dict[str, Any], elsewhere: dict[float, int] | None, min_cell: int = MIN_CELL) -> dict[str, Any]:
    """The summary with its split withheld (``split_withheld`` "beside") when another result
    served on the same people and published first gives a count under one of its edges within 1
    to ``min_cell - 1`` of the approved applicants (a drift report's training decile, read before
    this result existed): the two counts together give the few people between that edge and the
    threshold. A bar or grade edge gives way (``aligned_cells``); the threshold cannot, so the
    approval rate goes, and with it every figure that adds up to the approved count (the
    threshold as a bar edge, the segments' rates). So it does ("moved") when the people between
    such an edge and the threshold moved by 1 to ``min_cell - 1`` since a published result: the
    two results' counts, each with its drift report's, would give how those people lie. Idempotent."""
    served = disclosed_split(summary, min_cell)
    if served["split_withheld"] or served["approval_rate"] is None or not elsewhere:
        return summary
    approved = round(served["approval_rate"] * served["applicants"])
    if any(0 < abs(count - approved) < min_cell for count in elsewhere.values()):
        return {**summary, "approval_rate": None, "split_withheld": "beside"}
    under, threshold = moved_under(summary.get("piece_moves")), float(summary["threshold"])
    if any(moved_few(range_moves(under, threshold, edge), min_cell) for edge in elsewhere):
        return {**summary, "approval_rate": None, "split_withheld": "moved"}
    return summary


def partial_aggregates(population: pd.DataFrame, probabilities: np.ndarray, threshold: float,
                       cells: np.ndarray | None = None) -> dict[str, Any]:
    """Additive sums over one partition of the population (no row survives this function);
    ``cells``: its ``cell_codes`` when the caller has them already (the portfolio task)."""
    p = np.asarray(probabilities, dtype=np.float64)
    credit = population["AMT_CREDIT"].to_numpy(dtype=np.float64, na_value=np.nan)
    approved = p < threshold
    # Grades of the fixed PD master scale (ml.grades), not bands around the threshold.
    bands = grade(p) if p.size else np.zeros(0, dtype=object)
    segments: dict[str, Any] = {}
    if cells is None:
        cells = cell_codes(population)
    for name in SEGMENTS:
        codes = cells[name].astype(np.int64)
        size = len(segment_labels(name))
        segments[name] = {
            "count": np.bincount(codes, minlength=size).tolist(),
            "approved": np.bincount(codes, weights=approved.astype(np.float64), minlength=size).tolist(),
            "probability_sum": np.bincount(codes, weights=p, minlength=size).tolist(),
        }
    return {
        "applicants": int(p.size),
        "approved": int(approved.sum()),
        "probability_sum_approved": float(p[approved].sum()),
        "expected_loss": float(np.nansum(p[approved] * credit[approved])),
        "approved_credit": float(np.nansum(credit[approved])),
        "histogram": np.histogram(p, bins=histogram_edges(threshold))[0].tolist(),
        "bands": [int((bands == band).sum()) for band in GRADE_NAMES],
        "segments": segments,
    }


def add_partials(parts: Iterable[dict[str, Any]], threshold: float) -> dict[str, Any]:
    total: dict[str, Any] | None = None
    for part in parts:
        if total is None:
            total = part
            continue
        for key in ("applicants", "approved", "probability_sum_approved", "expected_loss", "approved_credit"):
            total[key] += part[key]
        for key in ("histogram", "bands"):
            total[key] = [a + b for a, b in zip(total[key], part[key], strict=True)]
        for name, sums in part["segments"].items():
            into = total["segments"][name]
            for key, values in sums.items():
                into[key] = [a + b for a, b in zip(into[key], values, strict=True)]
    if total is None:
        return partial_aggregates(pd.DataFrame(columns=["AMT_CREDIT", *SEGMENTS.values()]), np.zeros(0), threshold)
    return total


# For each table, each label that moved: its (gone, new) since each published result.
Moves = dict[str, dict[str, list[Move]]]


def finish_aggregates(total: dict[str, Any], threshold: float, model_version: str, moves: Moves | None = None,
                      deciles: Sequence[float] = (), blind: Sequence[Sequence[float]] = ()) -> dict[str, Any]:
    """Everything COMEX can ask for, from the added partials (aggregates only); with ``moves``
    (``backend.monitoring.service.publication``), a segment that moved by 1 to 9 people since a
    published result is pooled (``ml.disclosure.pooled_cells``). ``deciles``: the model's
    training deciles, pieces of the scale as the rows were cut (``piece_of``)."""
    n = total["applicants"]
    n_approved = total["approved"]
    edges = histogram_edges(threshold)
    if len(total["histogram"]) != len(edges) - 1:
        raise ValueError("the partial histograms were not counted on this threshold's bins")
    summary = {
        "model_version": model_version,
        "applicants": n,
        "threshold": threshold,
        "approval_rate": round(n_approved / n, 6) if n else None,
        "expected_default_rate_approved": round(total["probability_sum_approved"] / n_approved, 6) if n_approved else None,
        "expected_loss": round(total["expected_loss"], 2) if n_approved else 0.0,
        "approved_credit": round(total["approved_credit"], 2) if n_approved else 0.0,
        # The equal edges read as such (0.15, not 0.15000000000000002); the threshold exactly.
        "histogram": {"edges": [float(e) if e == threshold else round(float(e), 6) for e in edges],
                      "counts": [int(c) for c in total["histogram"]]},
        "risk_bands": [
            {"band": band, "count": count, "share": round(count / n, 6) if n else 0.0}
            for band, count in zip(GRADE_NAMES, total["bands"], strict=True)
        ],
    }
    # The approved changed by 1 to 9 people since a published result: the two results' figures
    # over the approved would give those people's probability and credit by subtraction.
    side_moves = (moves or {}).get(SIDE, {})
    if any(0 < max(move) < MIN_CELL for move in side_moves.get("approved", [])):
        summary.update(dict.fromkeys(APPROVED_FIGURES), approved_figures_moved=True)
    # The approved or the refused changed by 1 to 9 people since a published result: the two
    # approval rates times their applicants would give how those few people were decided (10
    # newcomers, 3 refused). The split is withheld ("moved"), and with it every figure that adds
    # up to it (the threshold as an edge, the segments' rates: ``aligned_cells``, ``disclosed_rates``).
    if summary["approval_rate"] is not None and any(
        0 < max(move) < MIN_CELL for side in SIDES for move in side_moves.get(side, [])
    ):
        summary.update(approval_rate=None, split_withheld="moved")
    moved = piece_moves(moves, threshold, deciles, blind)
    if moved:
        # Who moved in each piece of the probability scale since each published result: the bars
        # and grades whose count moved by 1 to 9 are merged where they are served (``aligned_cells``).
        summary["piece_moves"] = moved
    people = crossed_width(moves, SIDE)
    tables = {name: _segments(name, sums, (moves or {}).get(name), people) for name, sums in total["segments"].items()}
    return {"summary": summary, "segments": tables}


def compute_aggregates(
    population: pd.DataFrame, probabilities: np.ndarray, threshold: float, model_version: str
) -> dict[str, Any]:
    """One population in one piece (tests, small installations): the job's arithmetic."""
    return finish_aggregates(partial_aggregates(population, probabilities, threshold), threshold, model_version)


def _segments(name: str, sums: dict[str, list[float]], moves: dict[str, list[Move]] | None = None,
              people: int | None = None) -> dict[str, Any]:
    """A segmentation's rows, in its own order (age bands youngest first, the schema's levels,
    "unknown" last: sorting the labels as text put "<25" after "65+"), then the pooled row.

    Segments under ``MIN_SEGMENT`` applicants are not shown on their own but pooled under
    ``POOLED``, with the smallest shown segments when needed, so the pool holds at least
    ``MIN_SEGMENT`` applicants (``ml.disclosure``): the rows add up to the portfolio, and no
    subtraction from its total gives the figures of fewer people. With ``moves``, a segment
    that moved by 1 to 9 people since a published result is pooled too, and the pool grows until
    it moved by 0 or at least ``MIN_SEGMENT``; ``moved`` counts the segments pooled for that
    reason alone. When the moves also count each segment's approved and refused (``people``
    columns of people first, ``ml.disclosure.pooled_apart``), a segment is pooled on its people
    only, and one whose people moved by 0 or at least ``MIN_SEGMENT`` but whose approved or
    refused moved by 1 to 9 keeps its count and loses its approval rate (the pool's row too)."""
    labels = segment_labels(name)
    counts = [int(c) for c in sums["count"]]
    shown, pooled, split_moved, pool_split_moved = pooled_apart(counts, MIN_SEGMENT, _by_cell(labels, moves), people,
                                                                pool_row=True)
    moved = len(set(pooled_cells(counts, MIN_SEGMENT)[0]) - set(shown)) if moves else 0

    def row(label: str, cells: list[int], split: bool = True) -> dict[str, Any]:
        count = sum(counts[i] for i in cells)
        return {
            "segment": label,
            "count": count,
            "approval_rate": round(float(sum(sums["approved"][i] for i in cells) / count), 6) if split else None,
            "mean_probability": round(float(sum(sums["probability_sum"][i] for i in cells) / count), 6),
        }

    rows = [row(labels[i], [i], i not in split_moved) for i in shown]
    if sum(counts[i] for i in pooled) >= MIN_SEGMENT:
        rows.append(row(POOLED, pooled, not pool_split_moved))
    return {"by": name, "segments": rows, "suppressed": len(pooled), "moved": moved}


def _by_cell(labels: Sequence[str], moves: dict[str, list[Move]] | None) -> list[list[Move]] | None:
    """``moves`` of one table as ``pooled_cells`` takes them: one list per label, in order."""
    if not moves:
        return None
    earlier = len(next(iter(moves.values())))
    return [list(moves.get(label, [(0, 0)] * earlier)) for label in labels]


def protect_stored(table: dict[str, Any], applicants: int) -> dict[str, Any]:
    """A stored segmentation as it may be served. One computed before small segments were
    pooled dropped them, and the portfolio's total minus its rows gives them: the smallest rows
    go too until what is left to subtract holds ``MIN_SEGMENT`` applicants (its pool cannot be
    rebuilt from the stored rows; the next job run stores it). Anything else is served as is."""
    rows = list(table["segments"])
    left = applicants - sum(r["count"] for r in rows)
    suppressed = table["suppressed"]
    while 0 < left < MIN_SEGMENT and rows:
        smallest = min(rows, key=lambda r: r["count"])
        rows.remove(smallest)
        left += smallest["count"]
        suppressed += 1
    return {**table, "segments": rows, "suppressed": suppressed}


def disclosed_rates(table: dict[str, Any], summary: dict[str, Any], min_cell: int = MIN_CELL) -> dict[str, Any]:
    """A segmentation's approval rates as COMEX may see them. A rate times its segment's count is
    that segment's exact approved (and refused) count: a rate is withheld (None) when either
    holds 1 to ``min_cell - 1`` applicants. The rows add up to the portfolio, whose approved
    count the headline gives, so one withheld rate would come back by subtraction: the smallest
    shown rows holding some of the failing side are withheld with it until the withheld rows'
    approved and refused applicants are each 0 or at least ``min_cell`` (or no row is left):
    ``ml.disclosure.withheld_rows``, the one rule. When the headline split itself is
    withheld (``disclosed_split``), so is every rate (the rows would add up to it).
    ``rates_withheld`` counts the rows concerned. Idempotent."""
    rows = [dict(r) for r in table["segments"]]
    if disclosed_split(summary, min_cell)["split_withheld"] or summary["approval_rate"] is None:
        withheld = set(range(len(rows)))
    else:
        def split(count: int, rate: float) -> tuple[int, int]:
            approved = round(rate * count)
            return approved, count - approved

        # The rows add up to the headline (approved, refused); a rate already withheld (the
        # rule applied before) leaves its row's counts unknown, as served.
        cells = [None if r["approval_rate"] is None else split(r["count"], r["approval_rate"]) for r in rows]
        withheld = withheld_rows(cells, split(summary["applicants"], summary["approval_rate"]), min_cell)
    for i in withheld:
        rows[i]["approval_rate"] = None
    return {**table, "segments": rows, "rates_withheld": len(withheld)}


def aligned_cells(
    histogram: dict[str, Any], bands: list[dict[str, Any]], summary: dict[str, Any], min_cell: int = MIN_CELL,
    elsewhere: dict[float, int] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The served histogram and risk grades, merged further until no range of probabilities
    the two give together holds 1 to ``min_cell - 1`` applicants.

    Each is safe alone, but their edges differ: the grades give how many applicants lie under
    32 % (F's upper edge), the histogram how many under 30 %, so their difference is the count
    in [30 %, 32 %), a few people in a sparse tail. The threshold is an edge of both readings
    whenever the approval rate is published. The rule, deterministic: over all the edges
    (histogram, grades, threshold), while some range between neighbouring edges holds 1 to
    ``min_cell - 1`` applicants, the smallest (the lowest on a tie) loses one of its bounding
    edges: a histogram edge before a grade edge (a wider bar costs a reader less than two grades
    read as one), then the one whose range on the other side holds fewer; the range [0, 1] and
    the published threshold keep theirs (a side of the threshold under ``min_cell`` already
    withholds the split). Counts only merge, so every bin and grade still holds 0 or at least
    ``min_cell``. Idempotent.

    ``elsewhere``: edges another served result gives for the same applicants with the count
    under each (the drift report's training deciles, ``ml.monitoring.known_under``): fixed edges too, so
    a bar edge 0.017 points from a decile edge (6 applicants between them in the demo) goes."""
    cumulative: dict[float, int] = {0.0: 0}
    total = 0
    for high, count in zip(histogram["edges"][1:], histogram["counts"], strict=True):
        total += int(count)
        cumulative[float(high)] = total
    uppers = []
    total = 0
    for band in bands:
        total += int(band["count"])
        uppers.append(grade_range(band_grades(band)[-1])[1])
        cumulative.setdefault(uppers[-1], total)  # the histogram's own count at a shared edge
    bins = {float(e) for e in histogram["edges"][1:-1]}
    grades = set(uppers[:-1])
    fixed = {0.0, 1.0}
    threshold = float(summary["threshold"])
    if disclosed_split(summary, min_cell)["split_withheld"] is None and summary["approval_rate"] is not None:
        fixed.add(threshold)
        cumulative.setdefault(threshold, round(summary["approval_rate"] * summary["applicants"]))
    elif 0.0 < threshold < 1.0:
        # The split withheld: no bar or grade edge at the threshold gives it back.
        bins.discard(threshold)
        grades.discard(threshold)
    for edge, count in (elsewhere or {}).items():
        if 0.0 < edge < 1.0:
            fixed.add(edge)
            cumulative.setdefault(edge, count)

    under = moved_under(summary.get("piece_moves"))

    def small(low: float, high: float, count: int) -> bool:
        # A range moved by 1 to 9 since a published result, a decile edge's included (pieces are
        # cut there too); an edge not counted (a result stored before) is left to its own result.
        return 0 < count < min_cell or moved_few(range_moves(under, low, high), min_cell)

    while True:
        edges = sorted(fixed | bins | grades)
        ranges = [cumulative[high] - cumulative[low] for low, high in zip(edges, edges[1:], strict=False)]
        options = []
        failing = (k for k, count in enumerate(ranges) if small(edges[k], edges[k + 1], count))
        for i in sorted(failing, key=lambda k: (ranges[k], k)):
            options = [(edge in grades and edge not in bins, ranges[j], edge)
                       for edge, j in ((edges[i], i - 1), (edges[i + 1], i + 1)) if edge not in fixed]
            if options:
                break
        if not options:
            break  # none, or only a whole side of the threshold, whose split is then withheld
        _, _, edge = min(options)
        bins.discard(edge)
        grades.discard(edge)

    kept = [0.0, *sorted(bins), float(histogram["edges"][-1])]
    served_histogram = {"edges": [e for e in histogram["edges"] if float(e) in kept],
                        "counts": [cumulative[high] - cumulative[low] for low, high in zip(kept, kept[1:], strict=False)]}
    applicants = sum(int(b["count"]) for b in bands)
    served_bands: list[dict[str, Any]] = []
    group: list[str] = []
    count = 0
    for band, upper in zip(bands, uppers, strict=True):
        group += band_grades(band)
        count += int(band["count"])
        if upper in grades or upper == uppers[-1]:
            served_bands.append({"band": group[0] if len(group) == 1 else f"{group[0]}-{group[-1]}", "grades": group,
                                 "count": count, "share": round(count / applicants, 6) if applicants else 0.0})
            group, count = [], 0
    return served_histogram, served_bands


def with_lgd(summary: dict[str, Any], lgd: float, elsewhere: dict[float, int] | None = None) -> dict[str, Any]:
    """The summary as served: expected loss = sum over approved applicants of PD x LGD x exposure,
    the histogram's small bins merged (``disclosed_histogram``), the risk grades' small ones
    merged with their neighbours (``disclosed_bands``) and the approved / refused split withheld
    when a side holds 1 to 9 applicants (``disclosed_split``).

    The job stores the LGD-free sum of PD x exposure (credit amount) under ``expected_loss``;
    the loss given default (``OCTROI_LGD``) is applied here, when the figure is read, so
    changing the setting needs no job run and every stored run is read with the same LGD. The
    job stores the histogram in its fine bins; they are merged here too, so a result stored
    before bins were merged is served merged as well; so are the grades and the split.
    """
    summary = apart_from(summary, elsewhere)
    served = disclosed_split(summary)
    loss = served["expected_loss"]
    histogram, bands = aligned_cells(disclosed_histogram(summary["histogram"], summary["threshold"]),
                                     disclosed_bands(summary["risk_bands"], summary["applicants"]), summary,
                                     elsewhere=elsewhere)
    served = {key: value for key, value in served.items() if key != "piece_moves"}  # who moved: never served
    return {**served, "expected_loss": None if loss is None else round(loss * lgd, 2), "lgd": lgd,
            "histogram": histogram, "risk_bands": bands}


def served_edges(summary: dict[str, Any]) -> dict[float, int]:
    """What a served summary tells by itself of its applicants' probabilities: how many lie under
    each edge of its histogram and of its risk grades, and under its threshold when the split is
    published (as ``with_lgd`` serves it with no other result's edges to give way to)."""
    served = with_lgd(summary, 1.0)
    under: dict[float, int] = {}
    total = 0
    for high, count in zip(served["histogram"]["edges"][1:], served["histogram"]["counts"], strict=True):
        total += int(count)
        under[float(high)] = total
    total = 0
    for band in served["risk_bands"]:
        total += int(band["count"])
        under.setdefault(grade_range(band_grades(band)[-1])[1], total)
    if served["approval_rate"] is not None:
        under[float(served["threshold"])] = round(served["approval_rate"] * served["applicants"])
    return under


def comparable(current: dict[str, Any], candidate: dict[str, Any]) -> bool:
    """May COMEX see ``candidate`` (an earlier run's summary) beside ``current``?

    Another model version: the change is the model's, over the whole population. The same
    model: only when the population changed by at least ``MIN_SEGMENT`` applicants, since two
    runs around one import or one erasure would give that one person's figures by subtraction
    (|A Δ B| ≥ ||A| − |B||, so the change is a group of ten or more). A rerun on the same
    population changes nothing and is skipped for the same reason. A run over no applicant at all
    (the jobs after a model is registered, before any import) has no figure to compare with: the
    first import would read "+8,333 applicants, +60 M EUR of expected loss".
    """
    if not candidate["applicants"]:
        return False
    if candidate["model_version"] != current["model_version"]:
        return True
    return abs(candidate["applicants"] - current["applicants"]) >= MIN_SEGMENT


def executive_summary(summary: dict[str, Any], lang: str) -> str:
    n = summary["applicants"]
    if not n:
        return "Aucun dossier en portefeuille." if lang == "fr" else "No applicants in the portfolio."
    summary = disclosed_split(summary)
    lgd = summary.get("lgd", 1.0) * 100
    # The served rows (disclosed_bands): the highest one holding anyone, merged when small.
    bands = disclosed_bands(summary["risk_bands"], n)
    worst = [b for b in bands if b["count"]][-1]
    grades = band_grades(worst)

    def meaning(language: str) -> str:
        labels = [grade_label(g, language).lower() for g in (grades[0], grades[-1])]
        return labels[0] if len(grades) == 1 else f" {'à' if language == 'fr' else 'to'} ".join(labels)

    withheld = summary["split_withheld"]
    if lang == "fr":
        # French typography: a (narrow) space between thousands, a comma for decimals.
        def fr(value: float, decimals: int = 0) -> str:
            return f"{value:,.{decimals}f}".replace(",", "\u202f").replace(".", ",")

        threshold = f"{fr(summary['threshold'] * 100, 1)} %"
        if withheld == "beside":
            split = (f"{fr(n)} dossiers au seuil de {threshold} : le taux d'accord n'est pas publié, car avec le "
                     f"rapport de dérive publié avant il désignerait moins de {MIN_CELL} personnes. ")
        elif withheld == "moved":
            split = (f"{fr(n)} dossiers au seuil de {threshold} : le taux d'accord n'est pas publié, car les accordés "
                     f"ou les refusés (ou ceux entre le seuil et un décile du rapport de dérive) ont changé de moins "
                     f"de {MIN_CELL} personnes depuis un calcul publié. ")
        elif withheld:
            side = {"approved": "accordés", "refused": "refusés", "both": "accordés ou refusés"}[withheld]
            split = (f"{fr(n)} dossiers au seuil de {threshold} : moins de {MIN_CELL} seraient {side}, "
                     f"le taux d'accord n'est pas publié pour ne désigner personne. ")
        else:
            split = f"{fr(n)} dossiers : {fr(summary['approval_rate'] * 100, 1)} % seraient acceptés au seuil de {threshold}. "
        if summary["expected_loss"] is not None:
            default = (summary["expected_default_rate_approved"] or 0.0) * 100
            split += (f"Taux de défaut attendu parmi les acceptés : {fr(default, 1)} %. Perte attendue (probabilité × "
                      f"perte en cas de défaut de {fr(lgd)} % × crédit, acceptés) : {fr(summary['expected_loss'])} €. ")
        elif summary.get("approved_figures_moved") and withheld not in ("approved", "both"):
            split += ("Défaut et perte attendus des acceptés non publiés : les acceptés ont changé de moins de "
                      f"{MIN_CELL} personnes depuis un calcul publié. ")
        return f"{split}Bande de risque la plus élevée représentée : {worst['band']} ({meaning('fr')})."
    threshold = f"{summary['threshold'] * 100:.1f}%"
    if withheld == "beside":
        split = (f"{n:,} applicants at the {threshold} threshold: the approval rate is not published, since with "
                 f"the drift report published before it would single out fewer than {MIN_CELL} people. ")
    elif withheld == "moved":
        split = (f"{n:,} applicants at the {threshold} threshold: the approval rate is not published, since the "
                 f"approved or refused (or those between the threshold and a decile of the drift report) changed by "
                 f"fewer than {MIN_CELL} people since a published computation. ")
    elif withheld:
        side = {"approved": "approved", "refused": "refused", "both": "approved or refused"}[withheld]
        split = (f"{n:,} applicants at the {threshold} threshold: fewer than {MIN_CELL} would be {side}, so the "
                 f"approval rate is not published (no one is singled out). ")
    else:
        split = f"{n:,} applicants: {summary['approval_rate'] * 100:.1f}% would be approved at the {threshold} threshold. "
    if summary["expected_loss"] is not None:
        default = (summary["expected_default_rate_approved"] or 0.0) * 100
        split += (f"Expected default rate among approved: {default:.1f}%. Expected loss (probability x {lgd:.0f}% "
                  f"loss given default x credit, approved): €{summary['expected_loss']:,.0f}. ")
    elif summary.get("approved_figures_moved") and withheld not in ("approved", "both"):
        split += (f"Expected default and loss of the approved not published: the approved changed by fewer than "
                  f"{MIN_CELL} people since a published computation. ")
    return f"{split}Highest risk band present: {worst['band']} ({meaning('en')})."
