"""Business cost, the cost-optimal threshold and how stable it is.

Decision rule everywhere: refuse when ``probability >= threshold``.
Business cost = ``cost_fn x FN + cost_fp x FP`` where a false negative is an approved
defaulter and a false positive a refused good client. The figures shown to people (grades,
0-1000 score, borderline flag) live in ``ml.grades`` and never move with the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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


def threshold_interval(
    y: np.ndarray, p: np.ndarray, cost_fn: float, cost_fp: float, *, n_boot: int = 200, level: float = 0.90, seed: int = 0
) -> dict[str, float | int]:
    """Bootstrap the cost-optimal threshold: resample (y, p) with replacement ``n_boot``
    times and take the optimum of each resample.

    -> {low, high, median, mean, n_boot, level}: ``low``/``high`` are the central ``level``
    quantiles of the resampled optima (the "borderline" zone of ``ml.grades``); ``median`` is
    the threshold of the bootstrap-smoothed cost curve a validator can compare with the
    single-sample optimum and with the analytic optimum ``analytic_threshold``.
    """
    optima = bootstrap_thresholds(y, p, cost_fn, cost_fp, n_boot=n_boot, seed=seed)
    tail = (1.0 - level) / 2.0
    return {
        "low": float(np.quantile(optima, tail)),
        "high": float(np.quantile(optima, 1.0 - tail)),
        "median": float(np.median(optima)),
        "mean": float(optima.mean()),
        "n_boot": int(n_boot),
        "level": float(level),
    }


def bootstrap_thresholds(
    y: np.ndarray, p: np.ndarray, cost_fn: float, cost_fp: float, *, n_boot: int = 200, seed: int = 0
) -> np.ndarray:
    """The cost-optimal threshold of each of ``n_boot`` resamples (with replacement) of (y, p)."""
    y = np.asarray(y).astype(np.int64)
    p = np.asarray(p, dtype=np.float64)
    rng = np.random.default_rng(seed)
    optima = np.empty(n_boot)
    for b in range(n_boot):
        idx = rng.integers(0, len(y), len(y))
        optima[b] = optimal_threshold(y[idx], p[idx], cost_fn, cost_fp).threshold
    return optima


def analytic_threshold(cost_fn: float, cost_fp: float) -> float:
    """The Bayes-optimal threshold for calibrated probabilities: refuse when
    ``p x cost_fn >= (1 - p) x cost_fp``, i.e. ``p >= cost_fp / (cost_fp + cost_fn)``."""
    return cost_fp / (cost_fp + cost_fn)


def cost_curve(y: np.ndarray, p: np.ndarray, cost_fn: float, cost_fp: float, grid: np.ndarray) -> np.ndarray:
    """Business cost per client at each threshold of ``grid`` (refuse when p >= t)."""
    y = np.asarray(y).astype(bool)
    p = np.asarray(p, dtype=np.float64)
    pos = np.sort(p[y])
    neg = np.sort(p[~y])
    fn = np.searchsorted(pos, grid, side="left")  # defaulters approved (p < t)
    fp = len(neg) - np.searchsorted(neg, grid, side="left")  # good clients refused
    return (cost_fn * fn + cost_fp * fp) / len(y)
