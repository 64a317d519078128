"""The cost-optimal threshold and the display scales derived from it."""

from __future__ import annotations

import numpy as np
import pytest

from ml.cost import (
    analytic_threshold,
    business_cost,
    cost_curve,
    optimal_threshold,
    threshold_interval,
)


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


def test_bootstrap_threshold_interval_brackets_the_optimum_and_narrows_with_more_data():
    rng = np.random.default_rng(1)

    def sample(n: int) -> tuple[np.ndarray, np.ndarray]:
        p = rng.beta(1, 10, n)
        return (rng.random(n) < p).astype(int), p

    y, p = sample(2000)
    small = threshold_interval(y, p, 10, 1, n_boot=100, seed=0)
    assert small["low"] <= small["median"] <= small["high"]
    assert small["low"] <= optimal_threshold(y, p, 10, 1).threshold <= small["high"]
    y, p = sample(40000)
    large = threshold_interval(y, p, 10, 1, n_boot=100, seed=0)
    assert large["high"] - large["low"] < small["high"] - small["low"]
    # Calibrated probabilities: the analytic optimum cost_fp / (cost_fp + cost_fn) is inside.
    assert analytic_threshold(10, 1) == pytest.approx(1 / 11)
    assert large["low"] <= analytic_threshold(10, 1) <= large["high"]


def test_cost_curve_matches_business_cost_at_every_grid_point():
    rng = np.random.default_rng(2)
    p = rng.random(300)
    y = (rng.random(300) < p).astype(int)
    grid = np.linspace(0, 1, 21)
    curve = cost_curve(y, p, 10, 1, grid)
    assert curve.tolist() == pytest.approx([business_cost(y, p, t, 10, 1) / 300 for t in grid])
