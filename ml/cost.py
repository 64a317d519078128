"""Business cost, the cost-optimal threshold and the display scales derived from it.

Decision rule everywhere: refuse when ``probability >= threshold``.
Business cost = ``cost_fn x FN + cost_fp x FP`` where a false negative is an approved
defaulter and a false positive a refused good client.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Display score: 500 at the threshold, 50 points per doubling of the odds of repaying
# (the usual "points to double the odds" of credit scorecards), clipped to 0-1000.
SCORE_AT_THRESHOLD = 500.0
POINTS_TO_DOUBLE_ODDS = 50.0
RISK_BANDS = ("A", "B", "C", "D", "E")


@dataclass(frozen=True)
class ThresholdChoice:
    threshold: float
    cost: float
    false_negatives: int
    false_positives: int
    refused: int


def confusion_at(y: np.ndarray, p: np.ndarray, threshold: float) -> tuple[int, int, int, int]:
    """(tp, fp, tn, fn) for the rule refuse = p >= threshold (positive = default)."""
    y = np.asarray(y).astype(bool)
    refuse = np.asarray(p) >= threshold
    tp = int(np.sum(refuse & y))
    fp = int(np.sum(refuse & ~y))
    fn = int(np.sum(~refuse & y))
    tn = int(np.sum(~refuse & ~y))
    return tp, fp, tn, fn


def business_cost(y: np.ndarray, p: np.ndarray, threshold: float, cost_fn: float, cost_fp: float) -> float:
    _, fp, _, fn = confusion_at(y, p, threshold)
    return float(cost_fn * fn + cost_fp * fp)


def optimal_threshold(y: np.ndarray, p: np.ndarray, cost_fn: float, cost_fp: float) -> ThresholdChoice:
    """The threshold minimising ``cost_fn x FN + cost_fp x FP`` on (y, p).

    Every distinct cut is tried in one vectorised pass (sort by p descending, cumulative
    counts). The threshold returned is the midpoint between the lowest refused and the
    highest approved probability, so a new probability equal to neither falls on the side
    the data supports. Ties in p are never split. Among equal costs the fewest refusals win.
    """
    y = np.asarray(y).astype(np.int64)
    p = np.asarray(p, dtype=np.float64)
    if len(y) != len(p) or len(y) == 0:
        raise ValueError("y and p must be non-empty and of the same length")
    if cost_fn <= 0 or cost_fp <= 0:
        raise ValueError("cost_fn and cost_fp must be positive")
    order = np.argsort(-p, kind="stable")
    ps, ys = p[order], y[order]
    # Cut after position k-1 (refuse the k highest): only where p changes.
    boundaries = np.flatnonzero(np.r_[ps[1:] != ps[:-1], True]) + 1  # k values, ends at n
    k = np.r_[0, boundaries]
    tp = np.r_[0, np.cumsum(ys)][k]
    positives = int(ys.sum())
    fn = positives - tp
    fp = k - tp
    cost = cost_fn * fn + cost_fp * fp
    best = int(np.argmin(cost))  # first minimum = fewest refusals
    kb = int(k[best])
    upper = 1.0 if kb == 0 else ps[kb - 1]  # lowest refused probability
    lower = 0.0 if kb == len(ps) else ps[kb]  # highest approved probability
    if kb == 0:
        threshold = (ps[0] + 1.0) / 2.0 if ps[0] < 1.0 else np.nextafter(1.0, 2.0)
    else:
        threshold = (upper + lower) / 2.0
    return ThresholdChoice(
        threshold=float(threshold),
        cost=float(cost[best]),
        false_negatives=int(fn[best]),
        false_positives=int(fp[best]),
        refused=kb,
    )


def confidence(p: np.ndarray, threshold: float) -> np.ndarray:
    """0-1: how far p is from the threshold, relative to the room on its side.

    Refused: (p - t) / (1 - t); approved: (t - p) / t. 0 = on the threshold (a coin flip
    between decisions), 1 = as far as a probability can be.
    """
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(p >= threshold, (p - threshold) / (1.0 - threshold), (threshold - p) / threshold)
    return np.clip(np.nan_to_num(out, nan=0.0), 0.0, 1.0)


def risk_band(p: np.ndarray, threshold: float) -> np.ndarray:
    """A (p < t/3), B (< 2t/3), C (< t): approved; D (< 2t), E (>= 2t): refused."""
    p = np.asarray(p, dtype=np.float64)
    edges = np.array([threshold / 3.0, 2.0 * threshold / 3.0, threshold, 2.0 * threshold])
    return np.asarray(RISK_BANDS, dtype=object)[np.searchsorted(edges, p, side="right")]


def display_score(p: np.ndarray, threshold: float) -> np.ndarray:
    """0-1000, higher is safer; 500 at the threshold, approved above 500."""
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-9, 1 - 1e-9)
    logit = np.log(p / (1 - p))
    t_logit = np.log(threshold / (1 - threshold))
    score = SCORE_AT_THRESHOLD - POINTS_TO_DOUBLE_ODDS / np.log(2.0) * (logit - t_logit)
    return np.clip(np.round(score), 0, 1000).astype(np.int64)
