"""Drift and backtesting arithmetic (ml.monitoring), against figures computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from ml import monitoring
from ml.data import load_applications


def _hand_cohort() -> tuple[np.ndarray, np.ndarray]:
    """20 people: 10 repaid at 0.1; 10 defaults, 5 at 0.8 and 5 at 0.1 (tied with the repaid).

    By hand: AUC = (5 x 10 x 1 + 5 x 10 x 1/2) / (10 x 10) = 0.75, Gini 0.5. DeLong: each
    default at 0.8 ranks above every repaid (1), each at 0.1 half (0.5): variance 0.0694;
    each repaid is below 7.5 of 10 defaults (0.75): variance 0; se = sqrt(0.0694 / 10) = 1/12.
    Expected defaults 10 x 0.1 + 5 x 0.8 + 5 x 0.1 = 5.5 against 10 observed;
    variance 15 x 0.09 + 5 x 0.16 = 2.15, z = 4.5 / sqrt(2.15).
    """
    y = np.array([0] * 10 + [1] * 10)
    p = np.array([0.1] * 10 + [0.8] * 5 + [0.1] * 5)
    return y, p


def test_backtest_reproduces_a_hand_computed_cohort():
    y, p = _hand_cohort()
    report = monitoring.backtest(y, p, cohorts=["2026-11"] * 20)
    auc = report["auc"]
    assert auc["auc"] == pytest.approx(0.75) == pytest.approx(roc_auc_score(y, p))
    assert auc["gini"] == pytest.approx(0.5)
    assert auc["se"] == pytest.approx(1 / 12, abs=1e-6)
    z95 = stats.norm.ppf(0.975)
    assert auc["low"] == pytest.approx(0.75 - z95 / 12, abs=1e-6)
    assert auc["gini_high"] == pytest.approx(2 * (0.75 + z95 / 12) - 1, abs=1e-5)
    calibration = report["calibration"]
    assert calibration["predicted_rate"] == pytest.approx(5.5 / 20)
    assert calibration["observed_rate"] == pytest.approx(0.5)
    assert calibration["z"] == pytest.approx(4.5 / math.sqrt(2.15), abs=1e-5)
    # Master scale (ml.grades): 0.1 is grade E (8-16 %), 0.8 is grade G (32 % and more). G's 5
    # people are too few, and the overall figures minus E's would give theirs: E goes too.
    assert {g["grade"] for g in report["grades"] if not g["suppressed"]} == set()
    # Ten more people in grade C (0.03, no default) complete G's pool instead: E is shown.
    report = monitoring.backtest(np.r_[y, np.zeros(10, dtype=int)], np.r_[p, np.full(10, 0.03)], ["2026-11"] * 30)
    grades = {g["grade"]: g for g in report["grades"]}
    assert grades["C"] == {"grade": "C", "n": None, "suppressed": True}
    # E holds 15 people but only 5 defaults: its size and mean probability, not its outcomes.
    b = grades["E"]
    assert (b["n"], b["predicted_rate"], b["outcomes_withheld"]) == (15, pytest.approx(0.1), True)
    assert b["defaults"] is b["observed_rate"] is b["low"] is b["p_value"] is b["underestimated"] is None
    assert grades["G"] == {"grade": "G", "n": None, "suppressed": True}  # 5 people: under 10
    assert grades["A"] == {"grade": "A", "n": None, "suppressed": True}  # nobody
    # Twice E, five times G: E's 10 defaults in 30 are shown, with their Jeffreys interval.
    y2, p2 = np.r_[y, y, np.zeros(20, dtype=int)], np.r_[p, p, np.full(20, 0.03)]
    y2, p2 = np.r_[y2, np.ones(15, dtype=int)], np.r_[p2, np.full(15, 0.8)]
    grades = {g["grade"]: g for g in monitoring.backtest(y2, p2, ["2026-11"] * y2.size)["grades"]}
    b = grades["E"]
    assert (b["n"], b["defaults"], b["outcomes_withheld"]) == (30, 10, False)
    assert b["observed_rate"] == pytest.approx(1 / 3) and b["predicted_rate"] == pytest.approx(0.1)
    assert b["p_value"] == pytest.approx(stats.beta.cdf(0.1, 10.5, 20.5), abs=1e-6)
    assert b["low"] == pytest.approx(stats.beta.ppf(0.025, 10.5, 20.5), abs=1e-6)
    assert b["underestimated"] is True  # 10 defaults in 30 at a predicted 10 %
    assert (grades["G"]["n"], grades["G"]["defaults"]) == (25, 25)  # no non-default: nothing to withhold


@pytest.mark.parametrize("defaults, n, predicted", [
    (66, 1000, 0.057),   # the demo's grade D: p = 0.039 one-sided, yet 5.7 % lies inside [5.6 %; 7.7 %]
    (66, 1000, 0.052),   # below the interval
    (10, 30, 0.1), (0, 40, 0.03), (40, 40, 0.9), (29, 1000, 0.029136),
])
def test_a_grade_is_flagged_underestimated_exactly_when_its_prediction_lies_below_the_interval_drawn(
    defaults, n, predicted
):
    """The page draws the 95 % Jeffreys interval beside each grade and flags a grade whose risk is
    underestimated: the flag once came from a one-sided 5 % test (a 90 % interval), so a grade
    whose predicted rate lay inside the whiskers was called underestimated (the demo's grade D)."""
    y = np.r_[np.ones(defaults, dtype=int), np.zeros(n - defaults, dtype=int)]
    report = monitoring.backtest(y, np.full(n, predicted), ["2026-11"] * n)
    (row,) = [g for g in report["grades"] if not g["suppressed"]]
    assert row["underestimated"] == (row["predicted_rate"] < row["low"])


def test_cells_under_ten_people_are_suppressed_everywhere():
    y, p = _hand_cohort()
    cohorts = ["2026-10"] * 9 + ["2026-11"] * 11
    segments = {"gender": np.array(["F"] * 12 + ["M"] * 8, dtype=object)}
    report = monitoring.backtest(y, p, cohorts, segments)
    cohort = {c["cohort"]: c for c in report["cohorts"]}
    assert cohort["2026-10"] == {"cohort": "2026-10", "n": None, "suppressed": True}
    # Shown, the 11 of November would give October's 9 by subtraction from the overall figures.
    assert cohort["2026-11"] == {"cohort": "2026-11", "n": None, "suppressed": True}
    gender = {s["segment"]: s for s in report["segments"]["gender"]}
    assert gender["M"]["suppressed"] and gender["M"]["n"] is None and "observed_rate" not in gender["M"]
    assert gender["F"]["suppressed"] and "observed_rate" not in gender["F"]
    # A third cohort of ten completes October's pool: November is shown, and the overall
    # figures minus November's are a group of 19.
    y3, p3 = np.r_[y, y[:10]], np.r_[p, p[:10]]
    report = monitoring.backtest(y3, p3, cohorts + ["2026-12"] * 10)
    cohort = {c["cohort"]: c for c in report["cohorts"]}
    assert cohort["2026-11"]["n"] == 11 and not cohort["2026-11"]["suppressed"]
    assert cohort["2026-10"]["suppressed"] and cohort["2026-12"]["suppressed"]
    assert report["n"] - cohort["2026-11"]["n"] == 19
    small = monitoring.backtest(y[:9], p[:9], ["x"] * 9)
    assert small["suppressed"] and small["n"] is None and small["grades"] == []


def test_psi_matches_its_formula_and_thresholds_classify_it():
    value = monitoring.psi([0.5, 0.5], [0.25, 0.75])
    assert value == pytest.approx(-0.25 * math.log(0.5) + 0.25 * math.log(1.5))
    assert monitoring.psi([0.2] * 5, [0.2] * 5) == 0.0
    assert [monitoring.status(v) for v in (0.05, 0.10, 0.2499, 0.25)] == ["ok", "watch", "watch", "act"]


def _drift(model_bundle, frame: pd.DataFrame, previous=None) -> dict:
    p = model_bundle.score(frame)["probability"].to_numpy()
    reference = model_bundle.monitoring_reference
    half = len(frame) // 2  # counted in two partitions, as a job does
    counts = monitoring.add_counts([
        monitoring.count_partition(reference, frame.iloc[:half], p[:half]),
        monitoring.count_partition(reference, frame.iloc[half:], p[half:]),
    ])
    return monitoring.drift_report(reference, counts, previous)


def test_drift_stays_quiet_on_a_sample_from_the_training_distribution(model_bundle, synthetic_data_dir):
    fresh = load_applications(synthetic_data_dir / "application_test.csv", require_target=False)
    report = _drift(model_bundle, fresh)
    assert report["level"] == "ok", report["alerts"]
    assert report["score"]["psi"] < 0.05
    # A rare level (held by a few in 10,000) may be new in a sample: it is reported, not alarming.
    # (A share of 1 to 9 people is not served exactly: null, flagged.)
    assert all((row["out_of_range_share"] or 0) < 0.01 and (row["unseen_category_share"] or 0) < 0.01
               for row in report["inputs"])


def test_drift_detects_younger_applicants_lower_external_score_and_larger_credits(model_bundle, synthetic_data_dir):
    fresh = load_applications(synthetic_data_dir / "application_test.csv", require_target=False)
    drifted = fresh.copy()
    drifted["DAYS_BIRTH"] = drifted["DAYS_BIRTH"] + 5 * 365
    drifted["EXT_SOURCE_3"] = drifted["EXT_SOURCE_3"] * 0.85
    drifted["AMT_CREDIT"] = drifted["AMT_CREDIT"] * 1.3
    baseline = _drift(model_bundle, fresh)
    report = _drift(model_bundle, drifted, previous=baseline["distribution"])
    assert report["level"] == "act"
    by_input = {row["input"]: row for row in report["inputs"]}
    assert by_input["EXT_SOURCE_3"]["status"] == "act"
    assert by_input["DAYS_BIRTH"]["csi"] >= monitoring.WATCH
    assert by_input["AMT_CREDIT"]["csi"] >= monitoring.WATCH
    assert report["score"]["psi"] >= monitoring.WATCH
    # Against the previous period too: the same inputs moved between the two runs.
    assert by_input["EXT_SOURCE_3"]["csi_previous_period"] >= monitoring.ACT
    assert {a["subject"] for a in report["alerts"]} >= {"score", "EXT_SOURCE_3", "DAYS_BIRTH", "AMT_CREDIT"}
    assert by_input["AMT_CREDIT"]["out_of_range_suppressed"] or by_input["AMT_CREDIT"]["out_of_range_share"] > 0


def test_missing_values_and_unseen_categories_are_measured(model_bundle, synthetic_data_dir):
    fresh = load_applications(synthetic_data_dir / "application_test.csv", require_target=False)
    edited = fresh.copy()
    edited.loc[: len(edited) // 2, "AMT_ANNUITY"] = np.nan
    reference = model_bundle.monitoring_reference
    held = edited["ORGANIZATION_TYPE"].value_counts()
    level = str(held[held >= 10].index[0])  # a level held by 10 people or more is named (fewer: counted only)
    reference = {**reference, "inputs": {**reference["inputs"], "ORGANIZATION_TYPE": {
        **reference["inputs"]["ORGANIZATION_TYPE"],
        "shares": {k: v for k, v in reference["inputs"]["ORGANIZATION_TYPE"]["shares"].items() if k != level},
    }}}
    p = model_bundle.score(edited)["probability"].to_numpy()
    report = monitoring.drift_report(reference, monitoring.count_partition(reference, edited, p))
    rows = {row["input"]: row for row in report["inputs"]}
    assert rows["AMT_ANNUITY"]["missing_share"] > 0.45 and rows["AMT_ANNUITY"]["status"] == "act"
    assert rows["ORGANIZATION_TYPE"]["unseen_categories"] == [level]
    assert rows["ORGANIZATION_TYPE"]["unseen_category_share"] == pytest.approx(
        (edited["ORGANIZATION_TYPE"] == level).mean(), abs=1e-6)


def test_the_training_reference_in_the_bundle_holds_shares_not_rows(model_bundle):
    reference = model_bundle.monitoring_reference
    assert reference["format"] == monitoring.REFERENCE_FORMAT
    assert sum(reference["score"]["shares"]) == pytest.approx(1.0)
    assert set(reference["inputs"]) == set(model_bundle.input_columns)
    for entry in reference["inputs"].values():
        shares = entry["shares"].values() if entry["kind"] == "category" else entry["shares"]
        assert sum(shares) == pytest.approx(1.0)


def test_expected_auc_matches_a_direct_pairwise_count():
    rng = np.random.default_rng(0)
    p = rng.beta(1, 8, 300)
    q = 1 - p
    greater = p[:, None] > p[None, :]
    tie = (p[:, None] == p[None, :]) & ~np.eye(len(p), dtype=bool)
    weights = p[:, None] * q[None, :]
    direct = (weights * greater).sum() + 0.5 * (weights * tie).sum()
    direct /= weights.sum() - (p * q).sum()
    # Pairs that share one of the 1,000 fine bins count as ties: a small, bounded difference.
    assert monitoring.expected_auc(monitoring.score_moments(p)) == pytest.approx(direct, abs=2e-3)


def test_expected_auc_before_outcomes_matches_the_realised_auc_on_synthetic_outcomes(model_bundle, synthetic_data_dir):
    fresh = load_applications(synthetic_data_dir / "application_test.csv", require_target=False)
    p = model_bundle.score(fresh)["probability"].to_numpy()
    expected = _drift(model_bundle, fresh)["score"]["expected_auc"]
    rng = np.random.default_rng(7)
    realised = []
    for _ in range(30):
        # Outcomes drawn from the probabilities: what a calibrated model's population does.
        y = (rng.random(len(p)) < p).astype(int)
        interval = monitoring.auc_delong(y, p)
        realised.append(interval["auc"])
    assert np.mean(realised) == pytest.approx(expected, abs=0.01)
    assert interval["low"] <= expected <= interval["high"]
    # The backtest reports the same estimate beside the realised AUC.
    report = monitoring.backtest(y, p, ["2026-11"] * len(p))
    assert report["expected_auc"] == pytest.approx(expected, abs=1e-6)


def test_a_backtest_stored_with_the_old_flag_is_served_with_the_flag_the_chart_draws():
    """Results stored before the flag matched the interval keep their old ``underestimated``:
    the served answer reads it off the interval itself."""
    from backend.monitoring.schemas import GradeBacktest

    stored = {"grade": "D", "n": 1000, "suppressed": False, "defaults": 66, "observed_rate": 0.066,
              "predicted_rate": 0.057, "low": 0.0561, "high": 0.0767, "p_value": 0.039, "underestimated": True}
    assert GradeBacktest.model_validate(stored).underestimated is False
    assert GradeBacktest.model_validate({**stored, "predicted_rate": 0.05}).underestimated is True
    assert GradeBacktest.model_validate({"grade": "G", "n": None, "suppressed": True}).underestimated is None


def test_the_training_share_of_missing_values_is_not_served_for_1_to_9_people(model_bundle, synthetic_data_dir):
    """The drift report served each input's share of missing values in the training rows
    beside today's: 3 of 6,000 training rows without a value read as 0,05 %, 3 people."""
    fresh = load_applications(synthetic_data_dir / "application_test.csv", require_target=False)
    reference = model_bundle.monitoring_reference
    n = reference["rows"]
    inputs = dict(reference["inputs"])
    numeric = [name for name, entry in inputs.items() if entry["kind"] == "number"][:3]
    for name, people in zip(numeric, (3, 0, 12), strict=True):
        inputs[name] = {**inputs[name], "missing_share": people / n}
    reference = {**reference, "inputs": inputs}
    p = model_bundle.score(fresh)["probability"].to_numpy()
    report = monitoring.drift_report(reference, monitoring.count_partition(reference, fresh, p))
    rows = {row["input"]: row for row in report["inputs"]}
    assert [rows[name]["missing_share_training"] for name in numeric] == [None, 0.0, round(12 / n, 6)]
    assert report["training_rows"] == n
    # A report stored before: read back with the training rows, or withheld under 1 % without them.
    stored = {**rows[numeric[2]], "missing_share_training": round(3 / n, 6)}
    assert monitoring.protected_input(stored, 1000, training_rows=n)["missing_share_training"] is None
    assert monitoring.protected_input(stored, 1000)["missing_share_training"] is None
    kept = {**stored, "missing_share_training": round(12 / n, 6)}
    assert monitoring.protected_input(kept, 1000, training_rows=n)["missing_share_training"] == round(12 / n, 6)


def test_a_segment_off_its_prediction_beyond_chance_is_flagged_with_the_segmentation_s_rows_tested_together():
    """The API computed the backtest by segment and the page never showed it, while the demo's
    model predicted 7,9 % for men who defaulted at 10,7 % (the validator's walk, twenty-eighth
    session). Each segment now carries its calibration test, and ``miscalibrated`` when its
    p-value is under 5 % divided by the number of segments tested in that segmentation."""
    rng = np.random.default_rng(3)
    n = 6000
    gender = np.where(np.arange(n) % 3 == 0, "M", "F")
    p = np.full(n, 0.08)
    y = (rng.random(n) < np.where(gender == "M", 0.107, 0.08)).astype(int)
    report = monitoring.backtest(y, p, ["2026-11"] * n, {"gender": gender})
    rows = {r["segment"]: r for r in report["segments"]["gender"]}
    assert rows["M"]["miscalibrated"] is True and rows["M"]["calibration"]["difference"] > 0
    assert rows["F"]["miscalibrated"] is (rows["F"]["calibration"]["p_value"] < 0.025)
    for row in rows.values():
        c = row["calibration"]
        assert math.isclose(c["observed_rate"], row["observed_rate"], abs_tol=1e-6)
        assert math.isclose(c["predicted_rate"], row["predicted_rate"], abs_tol=1e-6)

    # Bonferroni: a p-value of 0.03 in a segmentation of two is no flag (it is at 5 % alone).
    m = 2000
    labels = np.array(["a"] * m + ["b"] * m)
    p2 = np.full(2 * m, 0.10)
    y2 = np.zeros(2 * m, dtype=int)
    y2[:233] = 1  # a: 233 defaults against 200 expected, z = 2.46: p = 0.014 < 0.025
    y2[m:m + 200] = 1
    flagged = {r["segment"]: (r["calibration"]["p_value"], r["miscalibrated"])
               for r in monitoring.backtest(y2, p2, ["2026-11"] * (2 * m), {"s": labels})["segments"]["s"]}
    assert flagged["a"][0] < 0.025 and flagged["a"][1] is True and flagged["b"][1] is False
    y2[:233] = 0
    y2[:228] = 1  # 228: z = 2.09, p = 0.037: flagged at 5 % alone, not among two
    flagged = {r["segment"]: (r["calibration"]["p_value"], r["miscalibrated"])
               for r in monitoring.backtest(y2, p2, ["2026-11"] * (2 * m), {"s": labels})["segments"]["s"]}
    assert 0.025 < flagged["a"][0] < 0.05 and flagged["a"][1] is False, flagged
