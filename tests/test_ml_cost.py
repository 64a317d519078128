"""The cost-optimal threshold and the display scales derived from it."""

from __future__ import annotations

import numpy as np
import pytest

from ml.cost import business_cost, confidence, display_score, optimal_threshold, risk_band


def test_threshold_minimises_cost_on_a_hand_computed_example():
    # p sorted: 0.8 (default), 0.4 (good), 0.35 (default), 0.1 (good); FN costs 10, FP 1.
    # Refuse none: 2 FN = 20.  Refuse {0.8}: 1 FN = 10.  Refuse {0.8, 0.4}: 1 FN + 1 FP = 11.
    # Refuse {0.8, 0.4, 0.35}: 1 FP = 1.  Refuse all: 2 FP = 2.  Best: refuse p >= 0.35.
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.4, 0.35, 0.8])
    choice = optimal_threshold(y, p, cost_fn=10, cost_fp=1)
    assert choice.cost == 1
    assert (choice.false_negatives, choice.false_positives, choice.refused) == (0, 1, 3)
    assert choice.threshold == pytest.approx((0.35 + 0.1) / 2)
    assert business_cost(y, p, choice.threshold, 10, 1) == 1


def test_equal_costs_move_the_threshold_up():
    # With FN and FP equally costly, refusing 0.4 and 0.35 costs more than it saves.
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.4, 0.35, 0.8])
    choice = optimal_threshold(y, p, cost_fn=1, cost_fp=1)
    assert choice.cost == 1
    assert choice.refused == 1  # among equal costs, the fewest refusals
    assert 0.4 < choice.threshold < 0.8


def test_tied_probabilities_are_never_split():
    y = np.array([1, 0, 0, 0])
    p = np.array([0.5, 0.5, 0.5, 0.1])
    choice = optimal_threshold(y, p, cost_fn=10, cost_fp=1)
    assert choice.refused in (0, 3)
    assert business_cost(y, p, choice.threshold, 10, 1) == choice.cost


def test_threshold_matches_brute_force_on_random_data():
    rng = np.random.default_rng(0)
    p = rng.random(500).round(2)
    y = (rng.random(500) < p).astype(int)
    choice = optimal_threshold(y, p, 10, 1)
    brute = min(business_cost(y, p, t, 10, 1) for t in np.r_[np.unique(p), 1.01])
    assert choice.cost == brute


def test_confidence_is_zero_on_the_threshold_and_one_at_the_extremes():
    t = 0.2
    c = confidence(np.array([0.0, 0.1, 0.2, 0.6, 1.0]), t)
    assert c.tolist() == pytest.approx([1.0, 0.5, 0.0, 0.5, 1.0])


def test_risk_bands_and_display_score_follow_the_threshold():
    t = 0.09
    p = np.array([0.01, 0.04, 0.07, 0.1, 0.5])
    assert risk_band(p, t).tolist() == ["A", "B", "C", "D", "E"]
    scores = display_score(p, t)
    assert display_score(np.array([t]), t)[0] == 500
    assert list(scores) == sorted(scores, reverse=True)
    assert all(s > 500 for s in scores[:3]) and all(s < 500 for s in scores[3:])
    assert 0 <= scores.min() and scores.max() <= 1000
