"""One vocabulary for every figure shown to a person: the PD master scale, the 0-1000 score,
the decision words and the "borderline" flag. Nothing else keeps a copy: the API sends these
labels and the dashboard, the PDF and the portfolio read them from the API.

**PD master scale** (``GRADES``). A grade is a fixed range of probability of default (PD),
the same for every model version: retraining moves clients between grades, never the meaning
of a grade. The bounds double from grade to grade (1 %, 2 %, 4 %, 8 %, 16 %, 32 %), the usual
geometric shape of a bank's master scale, so each grade is "about twice as risky" as the one
before. A grade describes risk; the decision is taken separately, against the cost-optimal
threshold, which can fall inside any grade.

**Octroi score (0-1000)** (``display_score``). A fixed scorecard mapping of the PD, not tied to
the threshold: 600 points at odds of 50 good clients for 1 defaulter (PD 1/51 ≈ 1.96 %),
40 points more each time those odds double; higher is safer; clipped to 0-1000. So
PD 1 % ≈ 640, 5 % ≈ 546, 10 % ≈ 506, 20 % ≈ 466, 50 % ≈ 374.

**Borderline** (``borderline``). True when the probability falls inside the bootstrap interval
of the cost-optimal threshold (``ml.cost.threshold_interval``): on resamples of the validation
data, the cost-optimal threshold itself lands on both sides of this client often enough
(outside the central 90 %), so the recommendation depends on sampling noise and a human
review is due. It is a flag with that one meaning, not a "confidence" percentage.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from typing import Any

import numpy as np

# (grade, lower PD bound inclusive, upper PD bound exclusive, French label, English label)
GRADES: tuple[tuple[str, float, float, str, str], ...] = (
    ("A", 0.00, 0.01, "Risque minimal", "Minimal risk"),
    ("B", 0.01, 0.02, "Risque très faible", "Very low risk"),
    ("C", 0.02, 0.04, "Risque faible", "Low risk"),
    ("D", 0.04, 0.08, "Risque modéré", "Moderate risk"),
    ("E", 0.08, 0.16, "Risque élevé", "High risk"),
    ("F", 0.16, 0.32, "Risque très élevé", "Very high risk"),
    ("G", 0.32, 1.00, "Risque critique", "Critical risk"),
)
GRADE_NAMES: tuple[str, ...] = tuple(g[0] for g in GRADES)
_UPPER_EDGES = np.array([g[2] for g in GRADES[:-1]])
_GRADE_ARRAY = np.asarray(GRADE_NAMES, dtype=object)  # indexed, never written
_UPPER_EDGE_LIST: list[float] = _UPPER_EDGES.tolist()
MASTER_SCALE_VERSION = "octroi-master-scale/1"

SCORE_ANCHOR = 600.0  # points at the anchor odds
SCORE_ANCHOR_ODDS = 50.0  # good clients per defaulter at the anchor
POINTS_TO_DOUBLE_ODDS = 40.0

DECISION_LABELS: dict[str, dict[str, str]] = {
    "approve": {"fr": "Accord recommandé", "en": "Approval recommended"},
    "refuse": {"fr": "Refus recommandé", "en": "Refusal recommended"},
}
BORDERLINE_LABEL = {"fr": "Cas limite : revue humaine", "en": "Borderline: human review"}


def grade(p: np.ndarray) -> np.ndarray:
    """The master-scale grade of each probability (``A`` lowest risk ... ``G`` highest)."""
    p = np.asarray(p, dtype=np.float64)
    return _GRADE_ARRAY[np.searchsorted(_UPPER_EDGES, p, side="right")]


def grade_of(p: float) -> str:
    """``grade`` for one probability (a float): the same grade, without arrays."""
    return GRADE_NAMES[bisect_right(_UPPER_EDGE_LIST, p)]


def grade_label(name: str, lang: str) -> str:
    for g in GRADES:
        if g[0] == name:
            return g[3] if lang == "fr" else g[4]
    raise ValueError(f"unknown grade {name!r}")


def grade_range(name: str) -> tuple[float, float]:
    for g in GRADES:
        if g[0] == name:
            return g[1], g[2]
    raise ValueError(f"unknown grade {name!r}")


def master_scale(lang: str = "fr") -> list[dict[str, Any]]:
    """The scale as data, for legends, the model card and the API."""
    return [
        {"grade": g, "pd_min": lo, "pd_max": hi, "label": fr if lang == "fr" else en}
        for g, lo, hi, fr, en in GRADES
    ]


def display_score(p: np.ndarray) -> np.ndarray:
    """0-1000, higher is safer: 600 at odds 50:1, +40 points per doubling of the odds."""
    # np.minimum/np.maximum and np.rint: the values np.clip and np.round(decimals=0) give
    # (NaN propagates alike, halves to even), without their Python-level wrappers, which cost
    # more than the arithmetic on the one row of a request (tests/test_ml_figures.py).
    p = np.minimum(np.maximum(np.asarray(p, dtype=np.float64), 1e-9), 1 - 1e-9)
    odds_good = (1 - p) / p
    score = SCORE_ANCHOR + POINTS_TO_DOUBLE_ODDS * np.log2(odds_good / SCORE_ANCHOR_ODDS)
    return np.minimum(np.maximum(np.rint(score), 0), 1000).astype(np.int64)


def display_score_of(p: float) -> int:
    """``display_score`` for one probability (a float), the same integer: the same IEEE
    operations in the same order, numpy's own log2 (not the C library's), round half to even."""
    p = min(max(p, 1e-9), 1 - 1e-9)
    score = SCORE_ANCHOR + POINTS_TO_DOUBLE_ODDS * float(np.log2((1 - p) / p / SCORE_ANCHOR_ODDS))
    return int(min(max(round(score), 0), 1000))


def borderline(p: np.ndarray, interval: tuple[float, float]) -> np.ndarray:
    """True where ``interval[0] <= p < interval[1]`` (see the module docstring)."""
    p = np.asarray(p, dtype=np.float64)
    low, high = interval
    return (p >= low) & (p < high)


def decision_label(decision: str, lang: str) -> str:
    return DECISION_LABELS[decision][lang]


def probability_of_score(score: float) -> float:
    """The PD a score stands for (inverse of :func:`display_score`, before rounding)."""
    odds_good = SCORE_ANCHOR_ODDS * 2 ** ((score - SCORE_ANCHOR) / POINTS_TO_DOUBLE_ODDS)
    return 1.0 / (1.0 + odds_good) if math.isfinite(odds_good) else 0.0


def distinct_digits(a: float, b: float, digits: int = 1, most: int = 4) -> int:
    """The fewest decimals from ``digits`` (up to ``most``) at which two probabilities shown as
    percentages read differently: 8,33 % against a threshold of 8,33 %, never 8,3 % against 8,3 %
    (the one refused, the other approved, at the same figure)."""
    while digits < most and round(100 * a, digits) == round(100 * b, digits) and a != b:
        digits += 1
    return digits


# Which side of the threshold, in words (the recommendation turns on it).
THRESHOLD_SIDE: dict[str, dict[str, str]] = {
    "above": {"fr": "au-dessus du seuil de {threshold}", "en": "above the threshold of {threshold}"},
    "at": {"fr": "égal au seuil de {threshold}", "en": "equal to the threshold of {threshold}"},
    "below": {"fr": "sous le seuil de {threshold}", "en": "below the threshold of {threshold}"},
}


def threshold_side(p: float, threshold: float) -> str:
    return "at" if p == threshold else "above" if p > threshold else "below"
