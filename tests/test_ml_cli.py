"""`octroi data synth` and `octroi train` end to end, and their one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backend.cli import app

pytestmark = pytest.mark.usefixtures("isolated_var")
runner = CliRunner()
KAGGLE_SAMPLE = Path(__file__).parent / "data" / "kaggle_sample_20.csv"


def test_synth_then_train_writes_a_bundle_and_a_report(tmp_path):
    data, model = tmp_path / "data", tmp_path / "model"
    result = runner.invoke(app, ["data", "synth", "--rows", "900", "--seed", "3", "--out", str(data)])
    assert result.exit_code == 0, result.output
    assert {p.name for p in data.iterdir()} == {"application_train.csv", "application_test.csv", "oracle_train.csv",
                                              "outcomes_test.csv"}
    result = runner.invoke(
        app, ["train", "--data", str(data), "--out", str(model), "--folds", "2", "--seed", "3", "--cost-fn", "5", "--cost-fp", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "OOF AUC" in result.output and "threshold" in result.output
    manifest = json.loads((model / "manifest.json").read_text())
    assert manifest["cost_fn"] == 5 and manifest["cost_fp"] == 1
    assert (model / "report.md").read_text().startswith("# Training report")


def test_train_without_out_adds_an_immutable_version_to_the_registry(tmp_path, synthetic_data_dir):
    small = tmp_path / "small.csv"
    lines = (synthetic_data_dir / "application_train.csv").read_text().splitlines()[:801]
    small.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["train", "--data", str(small), "--folds", "2"])
    assert result.exit_code == 0, result.output
    # The scratch training directory is gone; the lock registrations take one at a time stays.
    [version] = [p for p in (tmp_path / "registry").iterdir() if p.name != ".adding.lock"]
    assert (version / "manifest.json").is_file() and not version.name.startswith(".")
    assert json.loads((version / "manifest.json").read_text())["version"] == version.name
    assert f"octroi model promote {version.name}" in result.output


def test_missing_data_path_fails_with_one_line_error(tmp_path):
    result = runner.invoke(app, ["train", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "m")])
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert lines == [f"error: {tmp_path / 'nowhere'}: file not found"]
    assert "Traceback" not in result.output
    assert not (tmp_path / "m").exists()


def test_invalid_file_fails_naming_file_line_and_column(tmp_path):
    lines = KAGGLE_SAMPLE.read_text().splitlines()
    header = lines[0].split(",")
    column = header.index("AMT_CREDIT")
    bad = lines[6].split(",")
    bad[column] = "lots"
    lines[6] = ",".join(bad)
    path = tmp_path / "application_train.csv"
    path.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["train", "--data", str(path), "--out", str(tmp_path / "m")])
    assert result.exit_code != 0
    assert "error: application_train.csv, line 7, column AMT_CREDIT: 'lots' is not a number" in result.output
    assert "Traceback" not in result.output


def test_train_can_leave_features_out_and_names_an_unknown_one(tmp_path, synthetic_data_dir):
    small = tmp_path / "small.csv"
    lines = (synthetic_data_dir / "application_train.csv").read_text().splitlines()[:801]
    small.write_text("\n".join(lines) + "\n")
    bad = runner.invoke(app, ["train", "--data", str(small), "--out", str(tmp_path / "m"), "--drop-feature", "NOPE"])
    assert bad.exit_code == 2 and "NOPE" in bad.output
    result = runner.invoke(app, ["train", "--data", str(small), "--out", str(tmp_path / "m"), "--folds", "2",
                                 "--drop-feature", "EXT_SOURCE_MEAN", "--drop-feature", "CODE_GENDER"])
    assert result.exit_code == 0, result.output
    names = [f["name"] for f in json.loads((tmp_path / "m" / "manifest.json").read_text())["features"]]
    assert "EXT_SOURCE_MEAN" not in names and "CODE_GENDER" not in names and "EXT_SOURCE_MAX" in names


def test_train_can_leave_a_categorical_feature_out(tmp_path, synthetic_data_dir):
    # The fairness report's proxy analysis once indexed every categorical the policy allows,
    # so leaving one out of a version's own feature list crashed training.
    small = tmp_path / "small.csv"
    lines = (synthetic_data_dir / "application_train.csv").read_text().splitlines()[:801]
    small.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["train", "--data", str(small), "--out", str(tmp_path / "m"), "--folds", "2",
                                 "--drop-feature", "FLAG_OWN_REALTY", "--drop-feature", "NAME_CONTRACT_TYPE"])
    assert result.exit_code == 0, result.output
    names = [f["name"] for f in json.loads((tmp_path / "m" / "manifest.json").read_text())["features"]]
    assert "FLAG_OWN_REALTY" not in names and "NAME_CONTRACT_TYPE" not in names
