"""The bundle's one-row path (no pandas) gives exactly what the batch path gives."""

from __future__ import annotations

import hashlib
import json
import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from ml.bundle import ModelBundle
from ml.data import load_applications
from ml.features import (
    CATEGORICAL_FEATURES,
    FEATURE_NAMES,
    build_matrix,
    build_row,
    build_row_values,
)
from ml.schema import COLUMN_BY_NAME, DAYS_EMPLOYED_SENTINEL, LEVELS

ROWS = 600


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as the API holds them: JSON values, None for missing."""
    records = frame.to_dict("records")
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()} for r in records]


@pytest.fixture(scope="module")
def awkward_rows(synthetic_data_dir: Path) -> pd.DataFrame:
    """Real test rows plus the cases that break naive encoders: missing values, unseen and
    missing levels, a level the policy merges, the DAYS_EMPLOYED sentinel, zero denominators,
    all EXT_SOURCE missing."""
    frame = load_applications(synthetic_data_dir / "application_test.csv").head(ROWS).reset_index(drop=True)
    frame = frame.astype({c: object for c in LEVELS})
    rng = np.random.default_rng(17)
    n = len(frame)
    numeric = [c for c in frame.columns if c not in LEVELS and c != "SK_ID_CURR"]
    # Blank out about 15 % of the numeric cells and 10 % of the categories at random.
    for column in numeric:
        frame.loc[rng.random(n) < 0.15, column] = np.nan
    for column in LEVELS:
        frame.loc[rng.random(n) < 0.10, column] = None
        frame.loc[rng.random(n) < 0.05, column] = "a level nobody has seen"
    frame.loc[rng.random(n) < 0.2, "DAYS_EMPLOYED"] = DAYS_EMPLOYED_SENTINEL
    # A level the fair-lending policy merges into another one (ml.policy merge_levels).
    frame.loc[rng.random(n) < 0.05, "NAME_INCOME_TYPE"] = "Maternity leave"
    frame.loc[rng.random(n) < 0.05, "AMT_INCOME_TOTAL"] = 0.0
    frame.loc[rng.random(n) < 0.05, "AMT_CREDIT"] = 0.0
    frame.loc[rng.random(n) < 0.05, "CNT_FAM_MEMBERS"] = 0.0
    frame.loc[rng.random(n) < 0.05, "DAYS_BIRTH"] = 0.0
    frame.loc[rng.random(n) < 0.1, ["EXT_SOURCE_1", "EXT_SOURCE_2", "EXT_SOURCE_3"]] = np.nan
    return frame


def test_one_row_feature_vector_is_bit_identical_to_the_batch_matrix(awkward_rows):
    records = _records(awkward_rows)
    # The batch path takes another branch above 256 rows (pd.Categorical): compare with both.
    for batch in (build_matrix(awkward_rows), np.vstack([build_matrix(awkward_rows.iloc[i : i + 50])
                                                         for i in range(0, len(awkward_rows), 50)])):
        one = np.vstack([build_row(r) for r in records])
        assert np.array_equal(one, np.array([build_row_values(r) for r in records]), equal_nan=True)
        assert one.shape == batch.shape == (len(records), len(FEATURE_NAMES))
        same = (one.view(np.int64) == batch.view(np.int64)) | (np.isnan(one) & np.isnan(batch))
        assert same.all(), [FEATURE_NAMES[j] for j in np.flatnonzero(~same.all(axis=0))]


def test_one_row_reads_missing_columns_and_nan_cells_as_missing():
    empty = build_row({})
    assert np.isnan(empty[[FEATURE_NAMES.index(c) for c in ("AMT_CREDIT", "NAME_CONTRACT_TYPE", "AGE_YEARS")]]).all()
    assert empty[FEATURE_NAMES.index("EXT_SOURCE_MISSING")] == 3.0
    nan_cells = build_row({"AMT_CREDIT": float("nan"), "NAME_CONTRACT_TYPE": float("nan"), "AMT_INCOME_TOTAL": "oops"})
    assert np.array_equal(empty, nan_cells, equal_nan=True)


def _assert_same_scores(bundle: ModelBundle, frame: pd.DataFrame, records: list[dict[str, Any]]) -> None:
    batch = bundle.score(frame)
    for i, record in enumerate(records):
        one = bundle.score_one(record)
        assert one == {
            "probability": float(batch.at[i, "probability"]),
            "decision": batch.at[i, "decision"],
            "borderline": bool(batch.at[i, "borderline"]),
            "risk_band": batch.at[i, "risk_band"],
            "display_score": int(batch.at[i, "display_score"]),
        }


def _assert_same_explanations(bundle: ModelBundle, frame: pd.DataFrame, records: list[dict[str, Any]],
                              top: int, lang: str) -> None:
    scores, explanations = bundle.score_and_explain(frame, top=top, lang=lang)
    for i, record in enumerate(records):
        score, explanation = bundle.score_and_explain_one(record, top=top, lang=lang)
        assert explanation == explanations[i]
        assert score["probability"] == scores.at[i, "probability"]
        assert (score["decision"], score["risk_band"]) == (scores.at[i, "decision"], scores.at[i, "risk_band"])


def test_one_row_score_and_explanation_equal_the_batch_path(model_bundle, awkward_rows):
    records = _records(awkward_rows)
    _assert_same_scores(model_bundle, awkward_rows, records)
    _assert_same_explanations(model_bundle, awkward_rows, records, top=10, lang="fr")
    _assert_same_explanations(model_bundle.__class__.load(model_bundle.directory), awkward_rows.head(50),
                              records[:50], top=3, lang="en")


def test_one_row_path_follows_a_bundle_with_its_own_feature_subset(synthetic_data_dir, tmp_path, awkward_rows):
    from ml.train import train

    # Every other numeric feature; all categoricals (training's fairness report wants them).
    numeric = [n for n in FEATURE_NAMES if n not in CATEGORICAL_FEATURES and not n.startswith("FLAG_DOCUMENT")]
    subset = [*CATEGORICAL_FEATURES, *numeric[::2]]
    train(synthetic_data_dir, tmp_path / "subset", folds=2, seed=3, features=subset,
          params={"learning_rate": 0.3, "num_threads": 1}, max_rounds=40, early_stopping_rounds=10)
    bundle = ModelBundle.load(tmp_path / "subset")
    # The policy narrows the subset further (excluded attributes): the bundle's own list.
    assert bundle.feature_names == [n for n in FEATURE_NAMES if n in set(bundle.feature_names)]
    assert set(bundle.feature_names) <= set(subset) and len(bundle.feature_names) < len(model_bundle_features())
    frame = awkward_rows.head(120)
    records = _records(frame)
    _assert_same_scores(bundle, frame, records)
    _assert_same_explanations(bundle, frame, records, top=10, lang="fr")
    assert {c["feature"] for c in bundle.score_and_explain_one(records[0], top=200)[1]["contributions"]} <= set(subset)


def model_bundle_features() -> list[str]:
    from ml.policy import FairLendingPolicy

    return FairLendingPolicy.default().features


def test_one_row_path_rejects_a_bad_language_or_top_like_the_batch_path(model_bundle):
    with pytest.raises(ValueError, match="lang"):
        model_bundle.score_and_explain_one({}, lang="de")
    with pytest.raises(ValueError, match="top"):
        model_bundle.score_and_explain_one({}, top=0)


def _reference_input_hash(bundle: ModelBundle, raw_row: dict[str, Any]) -> str:
    """The input hash as first written: audit events carry it, so it must never change."""
    canonical: dict[str, Any] = {}
    for name in bundle.input_columns:
        value = raw_row.get(name)
        if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
            canonical[name] = None
        elif COLUMN_BY_NAME[name].is_categorical:
            canonical[name] = str(value)
        else:
            canonical[name] = float(value)
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_input_hash_is_the_reference_canonical_json_on_awkward_values(model_bundle, awkward_rows):
    odd = [None, "", float("nan"), float("inf"), -float("inf"), 0, -0.0, 5e-324, 1e300, 2**60, True,
           "12.5", "nan", 'é "\\ \u2028 \x00', np.float64(3.25), np.int64(7), 1.0000000000000002]  # fmt: skip
    rng = random.Random(17)
    checked = 0
    for record in _records(awkward_rows):
        mutated = dict(record)
        for _ in range(4):
            mutated[rng.choice(model_bundle.input_columns)] = rng.choice(odd)
        for row in (record, mutated):
            try:
                expected = _reference_input_hash(model_bundle, row)
            except (TypeError, ValueError) as exc:  # text in a numeric column: refused alike
                with pytest.raises(type(exc)):
                    model_bundle.input_hash(row)
                continue
            assert model_bundle.input_hash(row) == expected
            checked += 1
    assert checked > len(awkward_rows)


def test_probability_from_the_one_pred_contrib_pass_equals_predict(model_bundle, awkward_rows, synthetic_data_dir):
    """One booster call per explanation: the probability is sigmoid(sum of pred_contrib),
    which is LightGBM's predict within float rounding, with the same decision, borderline
    flag, risk band and 0-1000 score on every row (both paths use it, so they agree bit
    for bit; ``test_one_row_score_and_explanation_equal_the_batch_path``)."""
    test_rows = load_applications(synthetic_data_dir / "application_test.csv")
    x = np.vstack([model_bundle._matrix(awkward_rows), model_bundle._matrix(test_rows)])
    contrib = model_bundle.booster.predict(x, pred_contrib=True)
    logit = contrib.sum(axis=1)
    np.testing.assert_allclose(logit, model_bundle.booster.predict(x, raw_score=True), rtol=0, atol=1e-12)
    derived = 1.0 / (1.0 + np.exp(-logit))
    predicted = model_bundle.booster.predict(x)
    np.testing.assert_allclose(derived, predicted, rtol=1e-12, atol=0)
    ours, theirs = model_bundle._scores(derived), model_bundle._scores(predicted)
    for key in ("decision", "borderline", "risk_band", "display_score"):
        assert np.array_equal(ours[key], theirs[key]), key
    _, explanations = model_bundle.score_and_explain(awkward_rows.head(50))
    assert [e["probability"] for e in explanations] == derived[:50].tolist()


def test_one_row_arithmetic_equals_the_batch_arithmetic_on_made_up_contributions(model_bundle, awkward_rows):
    """The one-row path computes probabilities, slopes and scores on Python floats, the
    batch path on arrays: the same bits, also where real rows rarely go (logit equal to the
    base value, huge logits, ties and zeros among the contributions)."""
    rng = np.random.default_rng(23)
    x = model_bundle._matrix(awkward_rows.head(200))
    n = len(model_bundle.feature_names)
    contrib = rng.normal(0, 0.3, size=(len(x), n + 1))
    contrib[:, -1] = rng.normal(-2.5, 1.0, size=len(x))
    contrib[0, :-1] = 0.0  # logit == base value: the slope's other branch
    contrib[1, :-1] = 1e-12
    contrib[2, :-1] = np.round(contrib[2, :-1], 1)  # many ties: the stable order decides
    contrib[3, :-1] *= 400  # sigmoid saturates at 0 or 1
    contrib[4, :-1] = -contrib[4, :-1] * 400
    contrib[5, 3] = 50.0
    for top in (1, 10, n + 5):
        scores, batch = model_bundle._explain_contributions(contrib, x, top, "fr")
        for i in range(len(x)):
            score, one = model_bundle._explain_contributions_one(contrib[i : i + 1], x[i : i + 1], top, "fr")
            assert one == batch[i]
            assert score == {
                "probability": scores["probability"][i].item(),
                "decision": scores["decision"][i],
                "borderline": bool(scores["borderline"][i]),
                "risk_band": scores["risk_band"][i],
                "display_score": int(scores["display_score"][i]),
            }


@pytest.mark.parametrize("contrib", [True, False], ids=["pred_contrib", "probability"])
def test_single_row_predictions_are_the_boosters_bit_for_bit_also_from_many_threads(model_bundle, awkward_rows,
                                                                                    contrib):
    """The one-row paths call LightGBM's single-row API (set up once per bundle): the same
    contributions and probabilities as ``booster.predict``, also when the API's threads call
    it at once (LightGBM serialises them on its own mutex)."""
    from concurrent.futures import ThreadPoolExecutor

    x = model_bundle._matrix(awkward_rows)
    expected = model_bundle.booster.predict(x, pred_contrib=contrib).reshape(len(x), -1)
    one = model_bundle._contributions_one if contrib else model_bundle._probability_one
    assert all(np.array_equal(one(x[i : i + 1])[0], expected[i]) for i in range(len(x)))
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda i: one(x[i : i + 1])[0], [i % len(x) for i in range(3 * len(x))]))
    assert all(np.array_equal(r, expected[i % len(x)]) for i, r in enumerate(results))
    with pytest.raises(ValueError, match="one row"):
        one(x[:2])
