"""Model monitoring computations: drift, data quality and backtesting (pure, no DB, no web).

Drift is measured against a *training reference* written into the bundle at training time
(``training_reference``): for the score and for each raw input column, the bins of the
training distribution and their shares, the observed range, the missing share and the
categories seen. A later population is summarised into counts in those same bins
(``count_partition``, summable across partitions, so a batch job can compute it piece by
piece on a cluster) and compared with the reference (``drift_report``).

Population stability index: ``PSI = sum_i (c_i - r_i) * ln(c_i / r_i)`` over the bins, with
shares floored at ``SHARE_FLOOR`` so an empty bin does not make it infinite. The same formula
on an input column is the characteristic stability index (CSI). Conventional thresholds:
below 0.10 stable, 0.10-0.25 watch, 0.25 and above act.

Backtesting (``backtest``) compares predicted probabilities with realised outcomes: AUC with
a DeLong confidence interval, Gini = 2 AUC - 1, predicted vs observed default rate per risk
grade with a Jeffreys interval and the one-sided Jeffreys test (ECB instructions for
reporting the validation of internal models: p-value = Beta(D + 1/2, N - D + 1/2) CDF at the
predicted PD; small means the PD underestimates risk), and calibration-in-the-large (total
observed defaults against the sum of probabilities, normal approximation of the
Poisson-binomial). Every cell that holds fewer than ``MIN_CELL`` people is suppressed, with the
smallest others when needed (``ml.disclosure``: the totals minus the cells shown never give
fewer people's outcomes). A cell of ``MIN_CELL`` people or more whose defaults or non-defaults
number 1 to ``MIN_CELL - 1`` keeps its size and mean probability but not its outcomes
(``disclosed_outcomes``: 3 defaults in a segment of 151 were those 3 people's outcome), with the
smallest others when the total's defaults minus the rows shown would give them back.

Performance before outcomes arrive (``expected_auc``): the probabilities are calibrated, so a
client with probability p defaults with probability p, and the AUC the current population
should show is ``sum_{i != j} p_i (1 - p_j) [s_i > s_j] / sum_{i != j} p_i (1 - p_j)`` (ties
count one half). It is computed from additive moments of the score in ``AUC_BINS`` fine bins
(pairs inside a bin count as ties). A realised AUC well below it, once outcomes arrive, means
the relation between inputs and default has changed, not only the population.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ml.disclosure import (
    MIN_CELL,
    Move,
    crossed_width,
    moved_few,
    moved_under,
    pooled_apart,
    pooled_cells,
    range_moves,
    summed_moves,
    withheld_rows,
)
from ml.grades import GRADE_NAMES, grade
from ml.schema import COLUMN_BY_NAME

WATCH = 0.10
ACT = 0.25
SHARE_FLOOR = 1e-4
SCORE_BINS = 10
INPUT_BINS = 10
AUC_BINS = 1000
CONFIDENCE = 0.95
MISSING = "__missing__"
REFERENCE_FORMAT = "octroi-monitoring-reference/1"


# ----------------------------------------------------------------------------- reference


def _quantile_edges(values: np.ndarray, bins: int) -> list[float]:
    """Inner bin edges at the training quantiles (duplicates dropped: ties make fewer bins)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return []
    inner = np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1])
    return [float(v) for v in np.unique(inner)]


def _numeric_counts(values: np.ndarray, edges: Sequence[float]) -> np.ndarray:
    """Counts per bin (len(edges) + 1 bins), then one last count for missing values."""
    values = np.asarray(values, dtype=np.float64)
    missing = ~np.isfinite(values)
    bins = np.searchsorted(np.asarray(edges, dtype=np.float64), values[~missing], side="right")
    counts = np.bincount(bins, minlength=len(edges) + 1).astype(np.int64)
    return np.append(counts, int(missing.sum()))


def training_reference(raw: pd.DataFrame, probabilities: np.ndarray, columns: Sequence[str]) -> dict[str, Any]:
    """The reference a later population is compared with (shares, ranges, levels; no rows)."""
    p = np.asarray(probabilities, dtype=np.float64)
    score_edges = _quantile_edges(p, SCORE_BINS)
    score_counts = _numeric_counts(p, score_edges)[:-1]
    inputs: dict[str, Any] = {}
    n = len(raw)
    for name in columns:
        spec = COLUMN_BY_NAME[name]
        series = raw[name]
        if spec.is_categorical:
            keys = series.astype(object).where(series.notna(), MISSING)
            counts = keys.value_counts()
            inputs[name] = {
                "kind": "category",
                "levels": sorted(str(k) for k in counts.index if k != MISSING),
                "shares": {str(k): float(v) / n for k, v in counts.items()},
                "missing_share": float(counts.get(MISSING, 0)) / n,
            }
        else:
            values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            edges = _quantile_edges(values, INPUT_BINS)
            counts = _numeric_counts(values, edges)
            finite = values[np.isfinite(values)]
            inputs[name] = {
                "kind": "number",
                "edges": edges,
                "shares": [float(c) / n for c in counts],  # bins, then missing
                "min": float(finite.min()) if finite.size else None,
                "max": float(finite.max()) if finite.size else None,
                "missing_share": float(counts[-1]) / n,
            }
    return {
        "format": REFERENCE_FORMAT,
        "rows": int(n),
        "score": {"edges": score_edges, "shares": [float(c) / max(1, p.size) for c in score_counts],
                  "mean": float(p.mean()) if p.size else None,
                  "source": "out-of-fold probabilities of the training rows"},
        "inputs": inputs,
    }


def score_deciles(reference: Mapping[str, Any] | None) -> list[float]:
    """The training deciles of the score a model's drift report serves (none without a reference)."""
    return [float(e) for e in ((reference or {}).get("score") or {}).get("edges") or []]


# ----------------------------------------------------------------------------- counting


def score_moments(probabilities: np.ndarray) -> dict[str, list[float]]:
    """Count, sum of p and sum of p^2 per fine score bin (additive across partitions)."""
    p = np.asarray(probabilities, dtype=np.float64)
    index = np.clip((p * AUC_BINS).astype(np.int64), 0, AUC_BINS - 1)
    return {
        "n": np.bincount(index, minlength=AUC_BINS).astype(np.float64).tolist(),
        "s1": np.bincount(index, weights=p, minlength=AUC_BINS).tolist(),
        "s2": np.bincount(index, weights=p * p, minlength=AUC_BINS).tolist(),
    }


def expected_auc(moments: Mapping[str, Sequence[float]]) -> float | None:
    """The AUC a calibrated model should reach on this population (see the module docstring)."""
    n, s1, s2 = (np.asarray(moments[k], dtype=np.float64) for k in ("n", "s1", "s2"))
    q = n - s1  # expected repaid clients per bin
    below = np.cumsum(q) - q  # expected repaid clients in lower bins
    cross = float(np.sum(s1 * below))
    within = 0.5 * float(np.sum(s1 * q - (s1 - s2)))
    pairs = float(s1.sum() * q.sum() - (s1.sum() - s2.sum()))
    return (cross + within) / pairs if pairs > 0 else None


def count_partition(reference: Mapping[str, Any], raw: pd.DataFrame, probabilities: np.ndarray) -> dict[str, Any]:
    """Counts of one partition of a population in the reference's bins (add partitions with
    ``add_counts``). Out-of-range = outside the training min-max; unseen = a level the
    training rows never held."""
    p = np.asarray(probabilities, dtype=np.float64)
    out: dict[str, Any] = {
        "rows": int(len(raw)),
        "score": _numeric_counts(p, reference["score"]["edges"])[:-1].tolist(),
        "score_sum": float(p.sum()),
        "score_moments": score_moments(p),
        "inputs": {},
    }
    for name, ref in reference["inputs"].items():
        series = raw[name]
        if ref["kind"] == "category":
            keys = series.astype(object).where(series.notna(), MISSING)
            counts = {str(k): int(v) for k, v in keys.value_counts().items()}
            unseen = sum(v for k, v in counts.items() if k != MISSING and k not in ref["shares"])
            out["inputs"][name] = {"counts": counts, "missing": counts.get(MISSING, 0), "out_of_range": 0,
                                   "unseen": int(unseen)}
        else:
            values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            counts = _numeric_counts(values, ref["edges"])
            finite = values[np.isfinite(values)]
            outside = 0
            if finite.size and ref["min"] is not None:
                outside = int(((finite < ref["min"]) | (finite > ref["max"])).sum())
            out["inputs"][name] = {"counts": counts.tolist(), "missing": int(counts[-1]),
                                   "out_of_range": outside, "unseen": 0}
    return out


def add_counts(parts: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] | None = None
    for part in parts:
        if total is None:
            total = {"rows": 0, "score": [0] * len(part["score"]), "score_sum": 0.0, "inputs": {},
                     "score_moments": {k: [0.0] * AUC_BINS for k in ("n", "s1", "s2")}}
        total["rows"] += part["rows"]
        for key, values in part["score_moments"].items():
            total["score_moments"][key] = [a + b for a, b in zip(total["score_moments"][key], values, strict=True)]
        total["score"] = [a + b for a, b in zip(total["score"], part["score"], strict=True)]
        total["score_sum"] += part["score_sum"]
        for name, entry in part["inputs"].items():
            into = total["inputs"].setdefault(
                name, {"counts": {} if isinstance(entry["counts"], dict) else [0] * len(entry["counts"]),
                       "missing": 0, "out_of_range": 0, "unseen": 0})
            if isinstance(entry["counts"], dict):
                for key, value in entry["counts"].items():
                    into["counts"][key] = into["counts"].get(key, 0) + value
            else:
                into["counts"] = [a + b for a, b in zip(into["counts"], entry["counts"], strict=True)]
            for key in ("missing", "out_of_range", "unseen"):
                into[key] += entry[key]
    if total is None:
        raise ValueError("no partition to add")
    return total


# ----------------------------------------------------------------------------- drift


def psi(reference_shares: Sequence[float], current_shares: Sequence[float]) -> float:
    """Population stability index between two share vectors over the same bins."""
    r = np.maximum(np.asarray(reference_shares, dtype=np.float64), SHARE_FLOOR)
    c = np.maximum(np.asarray(current_shares, dtype=np.float64), SHARE_FLOOR)
    return float(np.sum((c - r) * np.log(c / r)))


def status(value: float | None) -> str:
    if value is None:
        return "unknown"
    return "act" if value >= ACT else "watch" if value >= WATCH else "ok"


def _shares(entry: Mapping[str, Any], reference: Mapping[str, Any], rows: int) -> tuple[list[float], list[float]]:
    """(reference shares, current shares) over the same bins, missing included as a bin."""
    if reference["kind"] == "category":
        keys = sorted(set(reference["shares"]) | set(entry["counts"]))
        ref = [reference["shares"].get(k, 0.0) for k in keys]
        cur = [entry["counts"].get(k, 0) / rows for k in keys]
        return ref, cur
    return list(reference["shares"]), [c / rows for c in entry["counts"]]


def distribution(counts: Mapping[str, Any]) -> dict[str, Any]:
    """Shares of a counted population (what is stored to compare the next period with)."""
    rows = max(1, counts["rows"])
    inputs: dict[str, Any] = {}
    for name, entry in counts["inputs"].items():
        if isinstance(entry["counts"], dict):
            inputs[name] = {k: v / rows for k, v in entry["counts"].items()}
        else:
            inputs[name] = [c / rows for c in entry["counts"]]
    return {"rows": counts["rows"], "score": [c / rows for c in counts["score"]], "inputs": inputs}


def _period_psi(previous: Any, current: Any) -> float | None:
    if previous is None:
        return None
    if isinstance(current, dict):
        keys = sorted(set(previous) | set(current))
        return psi([previous.get(k, 0.0) for k in keys], [current.get(k, 0.0) for k in keys])
    if len(previous) != len(current):
        return None
    return psi(previous, current)


# Each input's shares of people, and the flag saying one is not served exactly (``served_share``).
SMALL_SHARES = (("missing_share", "missing_suppressed"), ("out_of_range_share", "out_of_range_suppressed"),
                ("unseen_category_share", "unseen_category_suppressed"))


def served_share(count: int, rows: int, min_cell: int = MIN_CELL) -> tuple[float | None, bool]:
    """(share, suppressed) of ``count`` people among ``rows``: 0 and ``min_cell`` or more people
    exactly; 1 to ``min_cell - 1`` people not at all (None, True), since "1 / 8,333 outside the
    training range" points at one person."""
    if 0 < count < min_cell:
        return None, True
    return round(count / rows, 6), False


def protected_input(row: Mapping[str, Any], rows: int, min_cell: int = MIN_CELL,
                    training_rows: int | None = None) -> dict[str, Any]:
    """A drift report's input row as it may be served, also when it was stored before small
    shares were suppressed: a share of 1 to ``min_cell - 1`` people (read back from the share
    and ``rows``) becomes None with its flag set; an unseen level held by fewer than
    ``min_cell`` people is not named. A stored row that did not count its levels names none
    unless one level holds the whole unseen count (their counts are gone; the next drift run
    names them again). The training share of missing values likewise, read back with
    ``training_rows`` (None: unknown, and then no share under ``min_cell`` in 1,000 is served,
    the fewest training rows a report could stand on being unknown too). Idempotent."""
    out = dict(row)
    training = out.get("missing_share_training")
    if training is not None and training > 0:
        people = training * training_rows if training_rows else training * 1_000
        if round(people) < min_cell:
            out["missing_share_training"] = None
    moved = out.get("moved_shares") or []
    for share_key, flag_key in SMALL_SHARES:
        share = out.get(share_key)
        if share is not None and share > 0 and round(share * rows) < min_cell:
            out[share_key], out[flag_key] = None, True
        else:
            out[flag_key] = bool(out.get(flag_key)) or (share is None and share_key not in moved)
    if "unseen_categories_suppressed" not in out:
        levels = list(out.get("unseen_categories") or [])
        if out["unseen_category_suppressed"] or len(levels) > 1:
            out["unseen_categories"], out["unseen_categories_suppressed"] = [], len(levels)
    return out


# An earlier published report, as ``apart_inputs`` compares with it: (rows, its input rows by
# name as stored, each input's ``definition`` then: empty for a report stored before they were kept).
Earlier = tuple[int, Mapping[str, Mapping[str, Any]], Mapping[str, str]]


def definition(ref: Mapping[str, Any]) -> str:
    """What defines an input's out-of-range and unseen shares in a training reference: its range
    (a number) or its levels (a category), as a short digest stored with each report (the
    training minimum and maximum are one person's values each: not copied out of the bundle)."""
    text = f"{ref.get('min')!r}..{ref.get('max')!r}" if ref["kind"] == "number" else "\n".join(ref.get("levels") or [])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def apart_inputs(inputs: Sequence[dict[str, Any]], rows: int, earlier: Sequence[Earlier],
                 definitions: Mapping[str, str] | None = None, min_cell: int = MIN_CELL) -> list[dict[str, Any]]:
    """Input rows with each share of people (missing, out of range, unseen) withheld when it
    moved by 1 to ``min_cell - 1`` people since a published report that showed it: 10 newcomers,
    3 of them without a value, moved the missing share by 3, and the two reports said so. The
    shares split the rows (missing, out of range or unseen, and the rest): the rest beside the
    shares both reports show must not have moved by 1 to 9 either when they moved (10 newcomers,
    7 blank: 3 with a value), or the share that moved least goes too. A withheld share is None
    and named in ``moved_shares`` (its ``_suppressed`` flag, which means 1 to 9 people, stays
    False). Missing values are compared with every report; out of range and unseen with the
    reports whose training range or levels were the same (``definitions``, today's by input; a
    report stored before they were kept is compared as if they were)."""
    out = []
    for row in inputs:
        row = dict(row)
        moved = list(row.get("moved_shares") or [])
        for then_rows, then_inputs, then_definitions in earlier:
            then = then_inputs.get(row["input"]) or {}
            same = then_definitions.get(row["input"]) in (None, (definitions or {}).get(row["input"]))
            while True:
                both = [key for key, _ in SMALL_SHARES if key not in moved and row.get(key) is not None
                        and then.get(key) is not None and (same or key == "missing_share")]
                change = {key: round(row[key] * rows) - round(then[key] * then_rows) for key in both}
                failing = [key for key in both if 0 < abs(change[key]) < min_cell]
                rest = (rows - then_rows) - sum(change.values())
                if not failing and any(change.values()) and 0 < abs(rest) < min_cell:
                    failing = [min((key for key in both if change[key]), key=lambda key: abs(change[key]))]
                if not failing:
                    break
                for key in failing:
                    row[key] = None
                    moved.append(key)
        row["moved_shares"] = moved
        out.append(row)
    return out


# What a stored drift report keeps for the next job and never serves: the population's shares
# (the next period's comparison), what defined each input's shares, who moved in each piece of
# the scale and where it was cut.
NEVER_SERVED = ("distribution", "definitions", "piece_moves", "piece_edges")


# Why a score decile's current share is not served (``protected_score``).
SMALL = "small"  # 1 to MIN_CELL - 1 people
COMPLEMENT = "complement"  # withheld with the small ones: the shares add up to 1
MOVED = "moved"  # its people moved by 1 to MIN_CELL - 1 since a published report


def protected_score(score: Mapping[str, Any], rows: int, min_cell: int = MIN_CELL,
                    beside: Mapping[float, int] | None = None, moved: Mapping[str, Any] | None = None
                    ) -> dict[str, Any]:
    """A drift report's score block as it may be served, also when it was stored before: the
    current share of a training decile held by 1 to ``min_cell - 1`` people is None
    (``current_withheld`` says ``"small"``, as ``served_share`` does for an input). The shares
    add up to 1, so one withheld share is 1 minus the others: the smallest other deciles are
    withheld with them (``"complement"``) until the withheld ones hold ``min_cell`` people or
    more (``ml.disclosure.pooled_cells``). Counts are read back from the shares and ``rows``.
    Idempotent: a block that says what it withheld is served as is. The PSI is kept (the
    operator's ``octroi monitor drift`` prints it); ``served_score`` withholds it.

    ``beside``: probabilities another served figure gives with the count under each (the
    portfolio's published threshold and its approved applicants): a decile edge whose count
    under it is 1 to ``min_cell - 1`` away from one of them would give those people by
    difference, so the deciles on both sides of that edge are withheld too (``"complement"``),
    with the smallest others until the withheld hold ``min_cell`` or more.

    ``moved``: the report's ``piece_moves`` (who moved in each piece of the probability scale
    since each published report, the pieces cut at the deciles and at the portfolio's edges):
    a decile whose people moved by 1 to ``min_cell - 1`` since one of them is withheld (``"moved"``:
    the two reports' shares would say how many of the newcomers lie in it), and with it the
    smallest others until the withheld ones moved by 0 or ``min_cell`` or more together; so are
    the deciles beside an edge whose range to one of ``beside`` moved by 1 to ``min_cell - 1``."""
    out = dict(score)
    if "current_withheld" not in out and rows:
        shares: list[float | None] = list(out["current_shares"])
        counts = [round(share * rows) for share in shares]
        _, pooled = pooled_cells(counts, min_cell)
        withheld: list[str | None] = [None] * len(shares)
        for i in pooled:
            withheld[i] = SMALL if counts[i] < min_cell else COMPLEMENT
            shares[i] = None
        out["current_shares"], out["current_withheld"] = shares, withheld
    out.setdefault("current_withheld", [None] * len(out["current_shares"]))
    return _apart_from(out, rows, beside or {}, moved_under(moved), min_cell) if (beside or moved) and rows else out


def known_under(score: Mapping[str, Any], rows: int) -> dict[float, int]:
    """What a served score block tells of the same population's probabilities: how many lie
    under each training decile edge (a decile ``i`` holds [edge ``i - 1``, edge ``i``), as the
    portfolio histogram's bars do), as far as the withheld deciles let a reader work it out."""
    counts = [None if share is None else round(share * rows) for share in score["current_shares"]]
    return _known_under([float(e) for e in score["edges"]], counts, rows)


def _known_under(edges: Sequence[float], counts: Sequence[int | None], rows: int) -> dict[float, int]:
    """The count under each decile edge a reader works out from the shares served: from the
    bottom up to the first withheld decile, from the top down to the last."""
    known: dict[float, int] = {}
    below = 0
    for j, edge in enumerate(edges):
        if counts[j] is None:
            break
        below += counts[j]
        known[float(edge)] = below
    above = 0
    for j in range(len(edges), 0, -1):
        if counts[j] is None:
            break
        above += counts[j]
        known[float(edges[j - 1])] = rows - above
    return known


def _apart_from(score: dict[str, Any], rows: int, beside: Mapping[float, int],
                under: Mapping[float, Sequence[Move | None]],
                min_cell: int) -> dict[str, Any]:
    shares = list(score["current_shares"])
    withheld = list(score["current_withheld"])
    counts: list[int | None] = [None if share is None else round(share * rows) for share in shares]
    edges = [float(e) for e in score["edges"]]
    bounds = [0.0, *edges, 1.0]  # decile j holds [bounds[j], bounds[j + 1])

    def moves(j: int) -> list[Move | None] | None:
        return range_moves(under, bounds[j], bounds[j + 1])

    def hide(i: int, why: str) -> None:
        counts[i], shares[i], withheld[i] = None, None, why

    while True:
        shown = [i for i, c in enumerate(counts) if c is not None]
        # A decile shown whose people moved by 1 to 9 since a published report.
        few = [i for i in shown if moved_few(moves(i), min_cell)]
        if few:
            for i in few:
                hide(i, MOVED)
            continue
        # What the withheld hold together (the rows minus the shown): 0 or at least min_cell
        # people, who moved by 0 or at least min_cell since each published report.
        together = summed_moves([moves(i) for i, c in enumerate(counts) if c is None])
        short = 0 < rows - sum(counts[i] for i in shown) < min_cell
        if shown and (short or moved_few(together, min_cell)):
            # Any decile adds to their size; to their change, one whose people moved there.
            failing = [k for k, move in enumerate(together or []) if move is not None and 0 < max(move) < min_cell]
            helping = [i for i in shown
                       if any(max(move or (0, 0)) > 0 for k, move in enumerate(moves(i) or []) if k in failing)]
            hide(min(helping if helping and not short else shown, key=lambda i: (counts[i], i)), COMPLEMENT)
            continue
        # An edge whose count is within 9 of one ``beside`` gives, or whose range to one moved by 1 to 9.
        near = [edge for edge, count in _known_under(edges, counts, rows).items()
                if any(0 < abs(count - other) < min_cell or moved_few(range_moves(under, edge, at), min_cell)
                       for at, other in beside.items())]
        if not near:
            break
        j = edges.index(near[0])
        for i in (j, j + 1):
            if counts[i] is not None:
                hide(i, COMPLEMENT)
    return {**score, "current_shares": shares, "current_withheld": withheld}


def served_score(score: Mapping[str, Any], rows: int, min_cell: int = MIN_CELL,
                 beside: Mapping[float, int] | None = None, moved: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The score block as COMEX may read it: ``protected_score``, and with a decile's share
    withheld, the PSI withheld too (``psi`` and ``psi_previous_period`` None). With the shares
    shown and the withheld ones' total, the PSI is one more equation, and two withheld deciles are
    two unknowns (a decile of 1 person and one of 2 give PSIs 0.07 apart). Their levels are served
    instead (``psi_level``, ``psi_previous_level``, always given: the range each lies in).
    Idempotent."""
    out = protected_score(score, rows, min_cell, beside, moved)
    for value, level in (("psi", "psi_level"), ("psi_previous_period", "psi_previous_level")):
        if level not in out:
            out[level] = None if out.get(value) is None else status(out[value])
    if any(out["current_withheld"]):
        out["psi"] = out["psi_previous_period"] = None
    return out


def drift_report(
    reference: Mapping[str, Any], counts: Mapping[str, Any], previous: Mapping[str, Any] | None = None,
    piece_moves: Mapping[str, Any] | None = None, earlier: Sequence[Earlier] = (), previous_withheld: bool = False,
) -> dict[str, Any]:
    """PSI of the score, CSI and data quality of every input, against the training reference
    and (when ``previous`` is a stored ``distribution``) against the previous period; the
    score's PSI against it is withheld (its level given) when that report served a decile
    withheld (``previous_withheld``): with today's deciles shown, it would solve for
    the withheld one (3 newcomers in a decile withheld as "moved"). With
    ``piece_moves`` (the job's, kept in the report and never served), a decile whose people moved
    by 1 to 9 since a published report is withheld (``protected_score(..., moved=)``); with
    ``earlier`` (the published reports), so is an input's share that did (``apart_inputs``)."""
    rows = counts["rows"]
    if rows == 0:
        raise ValueError("the population is empty: nothing to compare")
    current = distribution(counts)
    score_psi = psi(reference["score"]["shares"], current["score"])
    score_prev = _period_psi(previous["score"], current["score"]) if previous else None
    hidden_prev = bool(previous) and previous_withheld
    inputs = []
    for name, ref in reference["inputs"].items():
        entry = counts["inputs"][name]
        ref_shares, cur_shares = _shares(entry, ref, rows)
        csi = psi(ref_shares, cur_shares)
        prev = _period_psi(previous["inputs"].get(name), current["inputs"][name]) if previous else None
        unseen_levels = (
            {k: v for k, v in entry["counts"].items() if k != MISSING and k not in ref["shares"]}
            if ref["kind"] == "category" else {}
        )
        # Shares of 1 to MIN_CELL - 1 people, and levels held by so few, are not served (served_share).
        shares = {}
        for (share_key, flag_key), count in zip(
            SMALL_SHARES, (entry["missing"], entry["out_of_range"], entry["unseen"]), strict=True
        ):
            shares[share_key], shares[flag_key] = served_share(count, rows)
        inputs.append({
            "input": name,
            "kind": ref["kind"],
            "csi": round(csi, 6),
            "csi_previous_period": None if prev is None else round(prev, 6),
            "status": status(max(csi, prev or 0.0)),
            # Training's share too: 3 of 50,000 training rows without a value is 3 people.
            "missing_share_training": served_share(round(ref["missing_share"] * reference["rows"]),
                                                   reference["rows"])[0],
            **shares,
            "unseen_categories": sorted(k for k, v in unseen_levels.items() if v >= MIN_CELL),
            "unseen_categories_suppressed": sum(1 for v in unseen_levels.values() if v < MIN_CELL),
        })
    inputs.sort(key=lambda row: -max(row["csi"], row["csi_previous_period"] or 0.0))
    definitions = {name: definition(ref) for name, ref in reference["inputs"].items()}
    inputs = apart_inputs(inputs, rows, earlier, definitions)
    alerts = []
    if status(score_psi) != "ok":
        alerts.append({"subject": "score", "measure": "psi", "value": round(score_psi, 6),
                       "level": status(score_psi), "against": "training"})
    if score_prev is not None and status(score_prev) != "ok":
        alerts.append({"subject": "score", "measure": "psi", "value": round(score_prev, 6),
                       "level": status(score_prev), "against": "previous_period"})
    for row in inputs:
        for value, against in ((row["csi"], "training"), (row["csi_previous_period"], "previous_period")):
            if value is not None and status(value) != "ok":
                alerts.append({"subject": row["input"], "measure": "csi", "value": value,
                               "level": status(value), "against": against})
    level = "act" if any(a["level"] == "act" for a in alerts) else "watch" if alerts else "ok"
    return {
        "rows": rows,
        "training_rows": reference["rows"],
        "thresholds": {"watch": WATCH, "act": ACT},
        # Deciles of 1 to MIN_CELL - 1 people, and the smallest others with them, not served.
        "score": protected_score({
            "psi": round(score_psi, 6),
            "psi_previous_period": None if score_prev is None or hidden_prev else round(score_prev, 6),
            **({"psi_previous_level": status(score_prev)} if score_prev is not None and hidden_prev else {}),
            "status": status(max(score_psi, score_prev or 0.0)),
            "edges": reference["score"]["edges"],
            "reference_shares": reference["score"]["shares"],
            "current_shares": [round(s, 6) for s in current["score"]],
            "mean_probability_training": reference["score"]["mean"],
            "mean_probability": round(counts["score_sum"] / rows, 6),
            "expected_auc": _round(expected_auc(counts["score_moments"])),
        }, rows, moved=piece_moves),
        "inputs": inputs,
        "alerts": alerts,
        "level": level,
        "distribution": current,
        "definitions": definitions,  # what defined each input's shares: the next report compares by them
        **({"piece_moves": dict(piece_moves)} if piece_moves else {}),
    }


# ----------------------------------------------------------------------------- backtesting


def auc_delong(y: np.ndarray, p: np.ndarray, confidence: float = CONFIDENCE) -> dict[str, float] | None:
    """AUC with its DeLong standard error and confidence interval (None without both classes)."""
    y = np.asarray(y, dtype=np.int64)
    p = np.asarray(p, dtype=np.float64)
    positives, negatives = p[y == 1], p[y == 0]
    m, n = positives.size, negatives.size
    if m == 0 or n == 0:
        return None
    # Midranks (DeLong, DeLong & Clarke-Pearson 1988; Sun & Xu 2014's fast algorithm).
    all_ranks = stats.rankdata(np.concatenate([positives, negatives]))
    pos_ranks = stats.rankdata(positives)
    neg_ranks = stats.rankdata(negatives)
    v10 = (all_ranks[:m] - pos_ranks) / n  # per positive: share of negatives ranked below
    v01 = 1.0 - (all_ranks[m:] - neg_ranks) / m  # per negative: share of positives ranked above
    auc = float(v10.mean())
    s10 = float(v10.var(ddof=1)) if m > 1 else 0.0
    s01 = float(v01.var(ddof=1)) if n > 1 else 0.0
    se = math.sqrt(s10 / m + s01 / n)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    low, high = max(0.0, auc - z * se), min(1.0, auc + z * se)
    return {"auc": auc, "se": se, "low": low, "high": high,
            "gini": 2 * auc - 1, "gini_low": 2 * low - 1, "gini_high": 2 * high - 1}


def jeffreys(defaults: int, n: int, predicted: float, confidence: float = CONFIDENCE) -> dict[str, float]:
    """Jeffreys interval of the observed default rate and the one-sided test of the PD."""
    a, b = defaults + 0.5, n - defaults + 0.5
    tail = (1 - confidence) / 2
    return {
        "low": float(stats.beta.ppf(tail, a, b)) if defaults > 0 else 0.0,
        "high": float(stats.beta.ppf(1 - tail, a, b)) if defaults < n else 1.0,
        # Probability of seeing a default rate this high if the PD were right; under (1 - confidence) / 2
        # exactly when ``predicted`` lies below ``low``: the PD is underestimated.
        "p_value": float(stats.beta.cdf(predicted, a, b)),
    }


def calibration_in_the_large(y: np.ndarray, p: np.ndarray) -> dict[str, float] | None:
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    if y.size == 0:
        return None
    expected = float(p.sum())
    variance = float((p * (1 - p)).sum())
    observed = float(y.sum())
    z = (observed - expected) / math.sqrt(variance) if variance > 0 else 0.0
    return {
        "predicted_rate": expected / y.size,
        "observed_rate": observed / y.size,
        "difference": (observed - expected) / y.size,
        "ratio": observed / expected if expected > 0 else None,
        "z": z,
        "p_value": float(2 * stats.norm.sf(abs(z))),
    }


def _rates(y: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    n = int(y.size)
    if n < MIN_CELL:
        return {"n": None, "suppressed": True}  # even the size of a small cell is withheld
    defaults = int(y.sum())
    predicted = float(p.mean())
    return {"n": n, "suppressed": False, "defaults": defaults, "observed_rate": defaults / n,
            "predicted_rate": predicted}


def _round(obj: Any) -> Any:
    if isinstance(obj, float):
        return round(obj, 6)
    if isinstance(obj, dict):
        return {k: _round(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_round(v) for v in obj]
    return obj


def _protected(labels: Sequence[Any], values: np.ndarray, moves: Mapping[str, Sequence[Move]] | None = None,
               people: int | None = None) -> list[tuple[Any, np.ndarray, bool]]:
    """Each label with the mask of its people and whether its outcomes are withheld; a cell
    ``ml.disclosure`` pools (under ``MIN_CELL``, or the smallest others its pool needs) gets an
    empty mask, which ``_rates`` suppresses: the overall count and defaults minus the cells shown
    never give fewer than ``MIN_CELL`` people's outcomes. With ``moves`` (label: its (gone, new)
    since each published result), a cell that moved by 1 to 9 people is pooled too, and the pool
    until it moved by 0 or at least ``MIN_CELL``; a label that emptied counts in the pool,
    without a row. When the first ``people`` columns of ``moves`` count people and the rest their
    repaid and defaulters (``ml.disclosure.pooled_apart``), a cell is pooled on its people only,
    and one whose people moved by 0 or at least ``MIN_CELL`` but its repaid or defaulters by 1
    to 9 keeps its size and loses its outcomes: its size moved by as many people as a reader
    cannot tell apart."""
    masks = [values == label for label in labels]
    counts = [int(mask.sum()) for mask in masks]
    emptied = sorted(set(moves or {}) - {str(label) for label in labels})
    by_cell = None
    if moves:
        earlier = len(next(iter(moves.values())))
        by_cell = [list(moves.get(str(label), [(0, 0)] * earlier)) for label in [*labels, *emptied]]
    _, pooled, hidden, _ = pooled_apart([*counts, *[0] * len(emptied)], MIN_CELL, by_cell, people)
    empty = np.zeros(len(values), dtype=bool)
    return [(label, empty if i in pooled else mask, i in hidden)
            for i, (label, mask) in enumerate(zip(labels, masks, strict=True))]


def backtest(
    y: np.ndarray,
    p: np.ndarray,
    cohorts: Sequence[str] | np.ndarray,
    segments: Mapping[str, Sequence[str] | np.ndarray] | None = None,
    moves: Mapping[str, Mapping[str, Sequence[Move]]] | None = None,
) -> dict[str, Any]:
    """Discrimination and calibration of ``p`` against outcomes ``y``, overall, per grade of
    the PD master scale (``ml.grades``), per cohort and per segment; cells under ``MIN_CELL`` people hold only their size.
    ``moves`` (per table, "grade", "cohort" or a segmentation: each label's (gone, new) since
    each published result, in as many columns as kinds of people counted apart) pools the
    grades, cohorts and segments that moved by 1 to 9 people; when the table's columns are
    crossed with the outcome (its people, then its repaid, then its defaulters, as many columns
    each as "outcome" has), a row whose people moved by 0 or at least 10 but whose repaid or
    defaulters moved by 1 to 9 keeps its size and loses its outcomes (``_protected``);
    "outcome" ("default", "repaid") moved by 1 to 9 withholds the overall outcomes
    (``disclosed_outcomes``)."""
    moves = moves or {}
    y = np.asarray(y, dtype=np.int64)
    p = np.asarray(p, dtype=np.float64)
    cohorts = np.asarray(cohorts, dtype=object)
    n = int(y.size)
    if n < MIN_CELL:
        return {"n": None, "suppressed": True, "min_cell": MIN_CELL, "grades": [], "cohorts": [], "segments": {}}
    grades_of = grade(p)
    people = crossed_width(moves, "outcome")

    def protected(labels: Sequence[Any], values: np.ndarray, table: str) -> list[tuple[Any, np.ndarray, bool]]:
        return _protected(labels, values, moves.get(table), people)

    grades = []
    for name, mask, hidden in protected(GRADE_NAMES, grades_of, "grade"):
        row = {"grade": name, **_rates(y[mask], p[mask])}
        if hidden and not row["suppressed"]:
            row["outcomes_withheld"] = True
        if not row["suppressed"]:
            row.update(jeffreys(row["defaults"], row["n"], row["predicted_rate"]))
            # The predicted rate below the interval drawn beside it (one-sided at half the
            # complement: 2.5 %), so the flag and the chart never disagree about a grade.
            row["underestimated"] = row["p_value"] < (1 - CONFIDENCE) / 2
        grades.append(row)
    cohort_rows = []
    for cohort, mask, hidden in protected(sorted(set(cohorts.tolist())), cohorts, "cohort"):
        row = {"cohort": cohort, **_rates(y[mask], p[mask])}
        if hidden and not row["suppressed"]:
            row["outcomes_withheld"] = True
        if not row["suppressed"]:
            row["auc"] = auc_delong(y[mask], p[mask])
            row["calibration"] = calibration_in_the_large(y[mask], p[mask])
        cohort_rows.append(row)
    segment_tables: dict[str, list[dict[str, Any]]] = {}
    for name, labels in (segments or {}).items():
        labels = np.asarray(labels, dtype=object)
        rows = []
        for label, mask, hidden in protected(sorted(set(labels.tolist())), labels, name):
            row = {"segment": str(label), **_rates(y[mask], p[mask])}
            if hidden and not row["suppressed"]:
                row["outcomes_withheld"] = True
            if not row["suppressed"]:
                row["auc"] = auc_delong(y[mask], p[mask])
                row["calibration"] = calibration_in_the_large(y[mask], p[mask])
            rows.append(row)
        # A segment's predicted rate off its observed one beyond chance, each segmentation's
        # rows tested together (Bonferroni: 6 segmentations of 2 to 8 rows at 5 % each would
        # flag one segment in most runs by chance alone).
        tested = [row for row in rows if row.get("calibration")]
        for row in tested:
            row["miscalibrated"] = row["calibration"]["p_value"] < (1 - CONFIDENCE) / len(tested)
        segment_tables[name] = rows
    # The defaulters or the repaid moved by 1 to 9 since a published result: the two overall
    # counts would give those people's outcomes by difference.
    moved = any(0 < max(move) < MIN_CELL for people in (moves.get("outcome") or {}).values() for move in people)
    return disclosed_outcomes(_round({
        "outcomes_withheld": moved,
        "n": n,
        "suppressed": False,
        "min_cell": MIN_CELL,
        "confidence": CONFIDENCE,
        "defaults": int(y.sum()),
        "auc": auc_delong(y, p),
        "expected_auc": expected_auc(score_moments(p)),
        "calibration": calibration_in_the_large(y, p),
        "grades": grades,
        "cohorts": cohort_rows,
        "segments": segment_tables,
    }))


# What a row says about its people's outcomes; its size and mean probability stay.
_OUTCOME_FIELDS = ("defaults", "observed_rate", "low", "high", "p_value", "underestimated", "auc", "calibration",
                   "miscalibrated")


def disclosed_outcomes(result: Mapping[str, Any], min_cell: int = MIN_CELL) -> dict[str, Any]:
    """A backtest as anyone may read it: no count of 1 to ``min_cell - 1`` defaults or
    non-defaults, in a row or by subtraction (``ml.disclosure.withheld_rows``), in each table
    (grades, cohorts, every segmentation) against the overall defaults. A row withheld keeps
    ``n`` and ``predicted_rate``, its outcome figures are None and ``outcomes_withheld`` is true;
    when the overall defaults are themselves 1 to 9 (or the non-defaults), the overall outcome
    figures are withheld too (``outcomes_withheld`` at the top) and every row's with them.
    Applied where the result is computed and again where it is served, so a result stored
    before the rule is served by it. Idempotent."""
    out = dict(result)
    n = out.get("n")
    if out.get("suppressed") or not n:
        return out
    if out.get("outcomes_withheld"):
        total = None
    else:
        total = (int(out["defaults"]), int(n) - int(out["defaults"]))
    if total is None or any(0 < c < min_cell for c in total):
        out.update({"outcomes_withheld": True, "defaults": None, "auc": None, "calibration": None})
    else:
        out["outcomes_withheld"] = False

    def table(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        rows = [dict(r) for r in rows]
        cells = [None if r.get("suppressed") or r.get("outcomes_withheld") or r.get("defaults") is None
                 else (int(r["defaults"]), int(r["n"]) - int(r["defaults"])) for r in rows]
        withheld = set(range(len(rows))) if out["outcomes_withheld"] else withheld_rows(cells, total, min_cell)
        for i, row in enumerate(rows):
            if row.get("suppressed"):
                continue
            row["outcomes_withheld"] = i in withheld
            if i in withheld:
                row.update({key: None for key in _OUTCOME_FIELDS if key in row})
        return rows

    out["grades"] = table(out.get("grades") or [])
    out["cohorts"] = table(out.get("cohorts") or [])
    out["segments"] = {name: table(rows) for name, rows in (out.get("segments") or {}).items()}
    return out
