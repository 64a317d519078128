"""Every figure shown to a person has one meaning, pinned here (issue 12, invariant 9):
percentiles on a 0-100 scale, the base risk is the population's real default rate, risk
grades come from a fixed PD master scale that does not move at retraining, the 0-1000 score
is a fixed mapping, and the "borderline" flag means what its documentation says."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml import grades
from ml.cost import bootstrap_thresholds, threshold_interval
from ml.data import load_applications

from .fixtures.ml import FAST_TRAINING


@pytest.fixture(scope="module")
def test_rows(synthetic_data_dir: Path) -> pd.DataFrame:
    return load_applications(synthetic_data_dir / "application_test.csv", require_target=False).head(300)


def test_percentiles_are_on_a_0_to_100_scale_and_low_values_read_low(model_bundle, test_rows):
    compared = model_bundle.compare(test_rows)
    explained = model_bundle.explain(test_rows, top=10)
    values = [f["percentile"] for c in compared for f in c["features"] if f["percentile"] is not None]
    values += [c["percentile"] for e in explained for c in e["contributions"] if c["percentile"] is not None]
    assert values and min(values) >= 0 and max(values) <= 100
    # Not a 0-1 scale: a good share of values lies above 1.
    assert np.mean(np.array(values) > 1) > 0.5
    # The lowest value in the population reads near 0, the highest near 100 (not 50 or 100).
    quantiles = model_bundle.population["features"]["AMT_CREDIT"]["quantiles"]
    extremes = test_rows.head(2).copy()
    extremes["AMT_CREDIT"] = [quantiles[0], quantiles[100]]
    lowest, highest = (c["features"][0]["percentile"] for c in model_bundle.compare(extremes, ["AMT_CREDIT"]))
    assert lowest < 1 and highest > 99


def test_base_risk_is_the_populations_real_default_rate(model_bundle, synthetic_data_dir, test_rows):
    train = pd.read_csv(synthetic_data_dir / "application_train.csv", usecols=["TARGET"])
    explanation = model_bundle.explain(test_rows.head(3), lang="fr")
    for e in explanation:
        assert e["base_probability"] == pytest.approx(train["TARGET"].mean())
        assert "Risque moyen de la population" in e["text"]
    # The model's own reference point (where the effects start) is named for what it is.
    assert all(0 < e["reference_probability"] < 1 for e in explanation)


def test_grades_come_from_a_fixed_master_scale_whatever_the_threshold(model_bundle, test_rows):
    scores = model_bundle.score(test_rows)
    for p, band in zip(scores["probability"], scores["risk_band"], strict=True):
        low, high = grades.grade_range(band)
        assert low <= p < high
    edges = [g[1] for g in grades.GRADES] + [grades.GRADES[-1][2]]
    assert edges == [0.0, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 1.0]


def test_master_scale_and_score_mapping_are_stable_across_two_trainings_with_different_seeds(
    tmp_path, synthetic_data_dir, model_bundle, test_rows
):
    from ml.bundle import ModelBundle
    from ml.train import train

    frame = pd.read_csv(synthetic_data_dir / "application_train.csv").head(3000)
    train(frame, tmp_path / "other", folds=2, seed=99, threshold_bootstrap=50, logistic_baseline=False, **FAST_TRAINING)
    other = ModelBundle.load(tmp_path / "other")
    assert other.threshold != model_bundle.threshold
    p = np.linspace(0.001, 0.6, 400)
    # Same probability, same grade and same score, whichever model produced it.
    for bundle in (model_bundle, other):
        frame_scores = bundle._score_frame(p)
        assert frame_scores["risk_band"].tolist() == grades.grade(p).tolist()
        assert frame_scores["display_score"].tolist() == grades.display_score(p).tolist()
        # The decision is separate: it follows each model's own threshold.
        assert (frame_scores["decision"] == "refuse").tolist() == (p >= bundle.threshold).tolist()
    assert model_bundle.manifest["master_scale"] == other.manifest["master_scale"] == grades.MASTER_SCALE_VERSION


def test_display_score_is_the_documented_fixed_mapping():
    p = np.array([1 / 51, 1 / 101, 0.5])
    assert grades.display_score(p).tolist() == [600, 640, 374]
    scores = grades.display_score(np.linspace(0.001, 0.999, 200))
    assert list(scores) == sorted(scores, reverse=True)  # higher is safer
    assert grades.probability_of_score(600) == pytest.approx(1 / 51)


def test_display_score_and_grade_give_what_clip_and_round_gave():
    """``display_score`` avoids np.clip/np.round's Python wrappers (one-row cost), and
    ``grade_of``/``display_score_of`` do one float without arrays: the same values on a dense
    grid, on each score's half-point boundaries and at the extremes."""
    rng = np.random.default_rng(13)
    halves = [grades.probability_of_score(s + 0.5) for s in range(1000)]
    p = np.concatenate([rng.random(200_000), rng.random(20_000) ** 8, 1 - rng.random(20_000) ** 8, halves,
                        np.nextafter(halves, 0), np.nextafter(halves, 1),
                        [0.0, 1.0, 1e-9, 1 - 1e-9, 0.5, 1e-300, np.nextafter(0, 1)]])  # fmt: skip
    clipped = np.clip(p, 1e-9, 1 - 1e-9)
    raw = grades.SCORE_ANCHOR + grades.POINTS_TO_DOUBLE_ODDS * np.log2(
        (1 - clipped) / clipped / grades.SCORE_ANCHOR_ODDS
    )
    assert np.array_equal(grades.display_score(p), np.clip(np.round(raw), 0, 1000).astype(np.int64))
    edges = np.array([g[2] for g in grades.GRADES[:-1]])
    names = np.asarray(grades.GRADE_NAMES, dtype=object)
    assert np.array_equal(grades.grade(p), names[np.searchsorted(edges, p, side="right")])
    # The one-row path's scalar twins give the same grade and score on every one of them.
    assert [grades.grade_of(v) for v in p.tolist()] == grades.grade(p).tolist()
    assert [grades.display_score_of(v) for v in p.tolist()] == grades.display_score(p).tolist()
    grade = grades.grade(p[:3])
    grade[0] = "Z"  # a fresh array each call: the shared level table is never written
    assert grades.grade(p[:1])[0] != "Z"


def test_borderline_means_at_least_5_percent_of_bootstrap_optimal_thresholds_take_the_other_decision():
    rng = np.random.default_rng(5)
    p = rng.beta(1, 11, 3000)
    y = (rng.random(3000) < p).astype(int)
    optima = bootstrap_thresholds(y, p, 10, 1, n_boot=400, seed=3)
    interval = threshold_interval(y, p, 10, 1, n_boot=400, seed=3)
    grid = np.linspace(0.0, 0.3, 601)
    flagged = grades.borderline(grid, (interval["low"], interval["high"]))
    # Share of resampled optimal thresholds under which the decision differs from the majority's.
    refuse_share = np.array([(optima <= q).mean() for q in grid])
    flip_share = np.minimum(refuse_share, 1 - refuse_share)
    tail = (1 - interval["level"]) / 2
    assert flagged.any() and (~flagged).any()
    # Outside the interval at most 5 % of resamples disagree; inside, at least ~5 % do.
    assert flip_share[~flagged].max() <= tail + 1 / 400
    assert flip_share[flagged].min() >= tail - 1 / 400


def test_every_value_shown_carries_the_unit_it_is_counted_in(model_bundle, test_rows):
    """A flag read "Ville d'adresse ≠ ville de travail = 1,00" and a count of bureau enquiries
    "2,00": each value the explanation, the comparison and the similar groups give now comes
    with its unit, from the schema's kinds (every 0/1 column a flag, every integer column whole)."""
    from ml.features import FEATURE_NAMES, VALUE_UNITS, value_unit
    from ml.schema import COLUMN_BY_NAME

    assert {value_unit(name) for name in FEATURE_NAMES} <= set(VALUE_UNITS)
    for name in FEATURE_NAMES:
        kind = COLUMN_BY_NAME[name].kind if name in COLUMN_BY_NAME else None
        if kind in ("flag", "category"):
            assert value_unit(name) == kind, name
        if kind == "integer":
            assert value_unit(name) == "integer", name
    assert value_unit("AMT_REQ_CREDIT_BUREAU_YEAR") == "integer"  # kept as 2.0 in the file
    assert value_unit("INCOME_PER_PERSON") == "money" and value_unit("OWN_CAR_AGE") == "years"
    assert value_unit("YEARS_BUILD_AVG") == "number"  # a normalised score, not years

    explained = model_bundle.explain(test_rows.head(50), top=30)
    rows = [c for e in explained for c in e["contributions"]]
    assert all(c["unit"] == value_unit(c["feature"]) for c in rows)
    assert {"flag", "money", "number"} <= {c["unit"] for c in rows}
    for reason in (r for e in explained for r in e["reasons"]):
        assert reason["unit"] == (value_unit(reason["features"][0]) if len(reason["features"]) == 1 else None)
    compared = model_bundle.compare(test_rows.head(3))
    assert all(f["unit"] == value_unit(f["feature"]) for c in compared for f in c["features"])
    similar = model_bundle.similar(test_rows.head(2))
    assert all(s["units"] == {n: value_unit(n) for n in s["features"]} for s in similar)


def test_the_plain_language_text_writes_a_value_in_its_unit():
    from ml.labels import format_value

    assert format_value(1.0, "fr", "flag") == "oui" and format_value(0.0, "en", "flag") == "no"
    assert format_value(2.0, "fr", "integer") == "2"
    assert format_value(450000.0, "fr", "money") == "450\u202f000\u00a0€"
    assert format_value(450000.0, "en", "money") == "€450,000"
    assert format_value(54.83, "fr", "years") == "54,8"
    assert format_value(0.0937, "fr", "number") == "0,0937"
    assert format_value(None, "fr", "money") == "inconnu"
