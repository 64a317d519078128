"""The model bundle: verified loading, scoring, explanations, population reference."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shap

from ml.bundle import MANIFEST_FILE, BundleIntegrityError, ModelBundle
from ml.data import load_applications
from ml.features import CATEGORICAL_INDEX, build_matrix
from ml.labels import LABELS
from ml.policy import FairLendingPolicy
from ml.schema import ID_COLUMN, TARGET_COLUMN

FEATURE_NAMES = FairLendingPolicy.default().features

KAGGLE_SAMPLE = Path(__file__).parent / "data" / "kaggle_sample_20.csv"


@pytest.fixture(scope="module")
def test_rows(synthetic_data_dir: Path) -> pd.DataFrame:
    return load_applications(synthetic_data_dir / "application_test.csv").head(200)


def test_bundle_holds_the_documented_files_and_metadata(model_bundle, trained_bundle_dir):
    manifest = model_bundle.manifest
    for key in ("version", "created_at", "threshold", "metrics", "cost_fn", "cost_fp", "training_data", "features", "files"):
        assert key in manifest
    assert {"auc", "business_cost"} <= set(manifest["metrics"])
    assert len(manifest["training_data"]["sha256"]) == 64
    assert 0 < model_bundle.threshold < 1
    assert model_bundle.feature_names == FEATURE_NAMES
    # The default fair-lending policy removes sex, family status, children and place of residence.
    assert len(model_bundle.input_columns) == 120 - 6
    for name in ("model.txt", "report.md", "report.json", "model_card.md", "model_card.fr.md", "population.json",
                 "prototypes.json"):
        assert name in manifest["files"] and (trained_bundle_dir / name).is_file()
    assert "## Limits" in model_bundle.model_card and "## Fairness" in model_bundle.model_card


def test_every_model_feature_has_a_french_and_an_english_label(model_bundle):
    fr, en = model_bundle.feature_labels("fr"), model_bundle.feature_labels("en")
    assert set(fr) == set(en) == set(FEATURE_NAMES)
    assert all(name in LABELS for name in FEATURE_NAMES)
    assert fr["AGE_YEARS"] == "Âge (années)" and en["AGE_YEARS"] == "Age (years)"
    with pytest.raises(ValueError):
        model_bundle.feature_labels("de")


def test_modified_bundle_file_is_refused_naming_the_file(trained_bundle_dir, tmp_path):
    copy = tmp_path / "bundle"
    shutil.copytree(trained_bundle_dir, copy)
    ModelBundle.load(copy)  # intact copy loads
    population = copy / "population.json"
    population.write_text(population.read_text().replace('"default_rate"', '"default_rate" ', 1))
    with pytest.raises(BundleIntegrityError, match=r"population\.json: SHA-256 mismatch"):
        ModelBundle.load(copy)


def test_tampered_model_text_and_missing_file_are_refused(trained_bundle_dir, tmp_path):
    copy = tmp_path / "bundle"
    shutil.copytree(trained_bundle_dir, copy)
    model = copy / "model.txt"
    model.write_text(model.read_text().replace("leaf_value=", "leaf_value=1", 1))
    with pytest.raises(BundleIntegrityError, match=r"model\.txt: SHA-256 mismatch"):
        ModelBundle.load(copy)
    shutil.copy(trained_bundle_dir / "model.txt", model)
    (copy / "prototypes.json").unlink()
    with pytest.raises(BundleIntegrityError, match=r"prototypes\.json: missing file"):
        ModelBundle.load(copy)
    (copy / MANIFEST_FILE).unlink()
    with pytest.raises(BundleIntegrityError, match="manifest.json: missing"):
        ModelBundle.load(copy)


def test_no_client_identifier_leaves_training(trained_bundle_dir, synthetic_data_dir):
    ids = pd.read_csv(synthetic_data_dir / "application_train.csv", usecols=[ID_COLUMN])[ID_COLUMN]
    sample = {str(i) for i in ids.sample(50, random_state=0)}
    for path in trained_bundle_dir.iterdir():
        if path.suffix in {".json", ".md", ".txt"}:
            text = path.read_text()
            assert ID_COLUMN not in text, path.name
            assert not any(f'"{i}"' in text or f" {i}," in text for i in sample), path.name
    # Data files only: no NumPy archive (the training rows it used to hold are gone).
    assert not [p.name for p in trained_bundle_dir.iterdir() if p.suffix == ".npz"]


def test_kaggle_format_sample_scores(model_bundle):
    rows = load_applications(KAGGLE_SAMPLE, require_target=False)
    scores = model_bundle.score(rows)
    assert list(scores.columns) == ["probability", "decision", "borderline", "risk_band", "display_score"]
    assert len(scores) == 20
    assert scores["probability"].between(0, 1).all()
    assert set(scores["decision"]) <= {"approve", "refuse"}
    assert ((scores["probability"] >= model_bundle.threshold) == (scores["decision"] == "refuse")).all()
    low, high = model_bundle.threshold_interval
    assert (scores["borderline"] == scores["probability"].between(low, high, inclusive="left")).all()
    assert set(scores["risk_band"]) <= set("ABCDEFG")
    assert scores["display_score"].between(0, 1000).all()


def test_scoring_ignores_the_id_column_and_is_the_boosters_prediction(model_bundle, test_rows):
    with_id = model_bundle.score(test_rows)
    without = model_bundle.score(test_rows.drop(columns=[ID_COLUMN]))
    pd.testing.assert_frame_equal(with_id, without)
    direct = model_bundle.booster.predict(model_bundle.policy.model_matrix(build_matrix(test_rows)))
    np.testing.assert_allclose(with_id["probability"], direct, rtol=1e-12)


def test_one_row_and_batch_scoring_agree(model_bundle, test_rows):
    batch = model_bundle.score(test_rows)
    for i in (0, 57, 199):
        one = model_bundle.score(test_rows.iloc[[i]])
        assert one["probability"].iloc[0] == pytest.approx(batch["probability"].iloc[i], rel=1e-12)


def test_explanation_adds_up_to_the_score(model_bundle, test_rows):
    scores, explanations = model_bundle.score_and_explain(test_rows.head(30), top=5, lang="en")
    for i, e in enumerate(explanations):
        assert len(e["contributions"]) == 5
        total = e["base_value"] + sum(c["shap"] for c in e["contributions"]) + e["other"]["shap"]
        p = scores["probability"].iloc[i]
        assert total == pytest.approx(math.log(p / (1 - p)), abs=1e-9)
        effects = e["reference_probability"] + sum(c["effect"] for c in e["contributions"]) + e["other"]["effect"]
        assert effects == pytest.approx(p, abs=1e-9)
        magnitudes = [abs(c["shap"]) for c in e["contributions"]]
        assert magnitudes == sorted(magnitudes, reverse=True)
        assert e["text"].startswith("Estimated default risk")
        assert e["reasons"][0]["label"] in e["text"]
    fr = model_bundle.explain(test_rows.head(1), top=3, lang="fr")[0]
    assert fr["text"].startswith("Risque de défaut estimé") and "centile" in fr["text"]


def test_pred_contrib_equals_the_shap_package(model_bundle, test_rows):
    x = model_bundle.policy.model_matrix(build_matrix(test_rows))
    explanations = model_bundle.explain(test_rows, top=len(FEATURE_NAMES))
    explainer = shap.TreeExplainer(model_bundle.booster)
    values = explainer.shap_values(x)
    for i in (0, 10, 100):
        ours = {c["feature"]: c["shap"] for c in explanations[i]["contributions"]}
        np.testing.assert_allclose([ours[f] for f in FEATURE_NAMES], values[i], atol=1e-12)
        assert explanations[i]["base_value"] == pytest.approx(float(np.ravel(explainer.expected_value)[0]))


def test_lightgbm_tree_shap_equals_shaps_own_algorithm(synthetic_data_dir):
    # shap.TreeExplainer hands LightGBM models to pred_contrib; to compare against an
    # independent implementation, force shap's own C++ TreeSHAP ("internal"), which parses
    # numeric splits only, on a model of the numeric features.
    import lightgbm as lgb

    frame = load_applications(synthetic_data_dir / "application_train.csv")
    x = build_matrix(frame)
    numeric = [j for j in range(x.shape[1]) if j not in CATEGORICAL_INDEX]
    xn, y = x[:, numeric], frame[TARGET_COLUMN].to_numpy()
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_threads": 1}, lgb.Dataset(xn, y), 30)
    native = booster.predict(xn[:200], pred_contrib=True)
    explainer = shap.TreeExplainer(booster)
    explainer.model.model_type = "internal"
    independent = explainer.shap_values(xn[:200])
    np.testing.assert_allclose(native[:, :-1], independent, atol=1e-9)


def test_compare_gives_percentiles_histograms_and_atypicality(model_bundle, test_rows):
    result = model_bundle.compare(test_rows.head(3), features=["AGE_YEARS", "NAME_INCOME_TYPE", "EXT_SOURCE_MEAN"])
    assert len(result) == 3
    age = result[0]["features"][0]
    assert age["feature"] == "AGE_YEARS" and 0 <= age["percentile"] <= 100
    assert len(age["hist_edges"]) == len(age["hist_defaulters"]) + 1 == len(age["hist_repaid"]) + 1
    assert age["median_defaulters"] is not None and age["median_repaid"] is not None
    gender = result[0]["features"][1]
    assert gender["kind"] == "category" and gender["value"] in gender["levels"]
    assert 0 <= result[0]["atypicality"] <= 1
    default = model_bundle.compare(test_rows.head(1))[0]
    assert len(default["features"]) == 8


def test_extreme_client_is_flagged_atypical(model_bundle, test_rows):
    row = test_rows.head(1).copy()
    typical = model_bundle.compare(row, features=["AMT_INCOME_TOTAL"])[0]
    row["AMT_INCOME_TOTAL"] = 9e7
    row["AMT_CREDIT"] = 9e6
    extreme = model_bundle.compare(row, features=["AMT_INCOME_TOTAL"])[0]
    assert extreme["features"][0]["atypical"] is True
    assert extreme["features"][0]["percentile"] == 100
    assert "AMT_INCOME_TOTAL" in extreme["atypical_features"]
    assert extreme["atypicality"] > typical["atypicality"]


def test_similar_profiles_are_anonymous_prototypes_nearest_first(model_bundle, test_rows):
    result = model_bundle.similar(test_rows.head(2), k=7)
    assert len(result) == 2
    first = result[0]
    assert len(first["prototypes"]) == 7
    distances = [p["distance"] for p in first["prototypes"]]
    assert distances == sorted(distances)
    assert all(p["size"] >= first["min_size"] >= 10 for p in first["prototypes"])
    sizes = np.array([p["size"] for p in first["prototypes"]])
    rates = np.array([p["default_rate"] for p in first["prototypes"]])
    assert first["default_rate"] == pytest.approx((sizes * rates).sum() / sizes.sum())
    assert 0 < first["population_default_rate"] < 1
    assert ID_COLUMN not in json.dumps(result)
    # The client's own value of every compared feature: numbers, and categories as their level.
    assert set(first["client"]) == set(first["features"])
    for name in first["features"]:
        summary = first["prototypes"][0]["features"][name]
        value = first["client"][name]
        assert value is None or isinstance(value, str if summary.get("mode") is not None else float), (name, value)


def test_population_sample_is_deterministic_and_made_of_prototypes(model_bundle):
    count = len(model_bundle.prototypes.items)
    first = model_bundle.population_sample(20, seed=3)
    assert first == model_bundle.population_sample(20, seed=3)
    assert first["rows"] != model_bundle.population_sample(20, seed=4)["rows"]
    assert len(first["rows"]) == len(first["size"]) == len(first["default_rate"]) == 20
    assert all(len(r) == len(first["features"]) for r in first["rows"]) and min(first["size"]) >= 10
    everything = model_bundle.population_sample(10**7)
    assert len(everything["rows"]) == count
    # Every training client is in exactly one prototype: sizes add up to the training rows.
    assert sum(everything["size"]) == model_bundle.manifest["training_data"]["rows"]
    weighted = np.dot(everything["size"], everything["default_rate"]) / sum(everything["size"])
    assert weighted == pytest.approx(model_bundle.population_default_rate)
    name = everything["features"][0]
    chosen = model_bundle.population_sample(5, [everything["features"][1], "NAME_INCOME_TYPE", name])
    assert chosen["features"] == [everything["features"][1], name]
    with pytest.raises(ValueError, match="NOT_A_FEATURE"):
        model_bundle.population_sample(5, ["NOT_A_FEATURE"])
    assert model_bundle.population_sample(0)["rows"] == []


def test_global_importance_and_fairness_come_from_training(model_bundle):
    importance = model_bundle.global_importance("en")
    assert [r["feature"] for r in importance][:1] != []
    assert importance == sorted(importance, key=lambda r: -r["mean_abs_shap"])
    assert {"feature", "label", "mean_abs_shap"} <= set(importance[0])
    fairness = model_bundle.fairness
    assert set(fairness["groups"]) == {"CODE_GENDER", "age_band", "NAME_FAMILY_STATUS"}
    for block in fairness["groups"].values():
        assert 0 <= block["disparate_impact"] <= 1
        assert all({"approval_rate", "default_rate"} <= set(r) for r in block["rows"])


def test_input_hash_is_canonical(model_bundle, test_rows):
    row = test_rows.iloc[0].to_dict()
    same = dict(reversed(list(row.items())))  # key order must not matter
    assert model_bundle.input_hash(row) == model_bundle.input_hash(same)
    as_int = dict(row, CNT_CHILDREN=int(row["CNT_CHILDREN"]))
    as_float = dict(row, CNT_CHILDREN=float(row["CNT_CHILDREN"]))
    assert model_bundle.input_hash(as_int) == model_bundle.input_hash(as_float)
    changed = dict(row, AMT_CREDIT=row["AMT_CREDIT"] + 1)
    assert model_bundle.input_hash(changed) != model_bundle.input_hash(row)
    assert len(model_bundle.input_hash(row)) == 64


def test_input_spec_describes_every_raw_column_the_model_reads(model_bundle):
    spec = model_bundle.input_spec()
    assert set(spec) == set(model_bundle.input_columns)
    assert spec["AMT_CREDIT"]["type"] == "number" and spec["AMT_CREDIT"]["min"] > 0
    assert spec["DAYS_BIRTH"]["type"] == "integer"
    assert spec["FLAG_OWN_CAR"]["type"] == "category" and spec["FLAG_OWN_CAR"]["levels"] == ["N", "Y"]
    # An attribute the fair-lending policy excludes is not an input a simulation may set.
    assert not {"CODE_GENDER", "NAME_FAMILY_STATUS", "CNT_CHILDREN"} & set(spec)
    assert spec["DAYS_EMPLOYED"]["special"] == [365243]
    assert spec["AMT_CREDIT"]["label_fr"] and spec["AMT_CREDIT"]["label_en"]


def test_training_report_has_baselines_and_business_metrics(model_bundle):
    report = model_bundle.report
    model = report["model"]
    for key in ("auc", "pr_auc", "brier", "business_cost", "business_cost_at_0_5", "recall", "precision", "refusal_rate"):
        assert key in model
    assert model["business_cost"] <= model["business_cost_at_0_5"]
    assert report["baselines"]["majority"]["auc"] == 0.5
    assert model["auc"] > report["baselines"]["majority"]["auc"]
    assert 0.6 < report["baselines"]["logistic_regression"]["auc"] < 0.9
    assert "| LightGBM |" in model_bundle.report_markdown
