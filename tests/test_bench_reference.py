"""The unsecured reference of ``bench/bench_http_path.py`` answers on the same numbers as Octroi.

The bench prints the secured path's latency and throughput as ratios to that reference; the
ratios mean what they say only if both compute the same thing: the same probability, decision
and SHAP contributions (``shap.TreeExplainer`` there, LightGBM's ``pred_contrib`` here) for the
same clients.
"""

from __future__ import annotations

import importlib
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from ml.data import load_applications
from ml.schema import ID_COLUMN
from ml.synth import TEST_FILE

BENCH = Path(__file__).resolve().parents[1] / "bench"
CLIENTS = 40


@pytest.fixture
def reference(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, model_bundle, trained_bundle_dir: Path,
              synthetic_data_dir: Path):
    applicants = load_applications(synthetic_data_dir / TEST_FILE).head(CLIENTS)
    np.savez(tmp_path / "rows.npz", ids=applicants[ID_COLUMN].to_numpy(), rows=model_bundle._matrix(applicants),
             names=np.asarray(model_bundle.feature_names), threshold=np.float64(model_bundle.threshold))
    monkeypatch.setenv("OCTROI_BENCH_ROWS", str(tmp_path / "rows.npz"))
    monkeypatch.setenv("OCTROI_BENCH_MODEL", str(trained_bundle_dir / "model.txt"))
    monkeypatch.syspath_prepend(str(BENCH))
    sys.modules.pop("unsecured_app", None)  # it reads its rows and model when imported
    try:
        yield TestClient(importlib.import_module("unsecured_app").app), applicants
    finally:
        sys.modules.pop("unsecured_app", None)


def test_the_unsecured_reference_gives_octroi_s_probability_decision_and_contributions(reference, model_bundle):
    client, applicants = reference
    ours = model_bundle.explain(applicants, top=5)
    for raw, expected in zip(applicants[ID_COLUMN], ours, strict=True):
        answer = client.get(f"/api/v1/clients/{int(raw)}/explanation", params={"top": 5}).json()
        assert math.isclose(answer["probability"], expected["probability"], rel_tol=1e-9)
        assert answer["decision"] == expected["decision"]
        assert math.isclose(answer["base_value"], expected["base_value"], rel_tol=1e-6)
        theirs = {c["feature"]: c["shap"] for c in answer["contributions"]}
        assert set(theirs) == {c["feature"] for c in expected["contributions"]}
        for c in expected["contributions"]:
            assert math.isclose(theirs[c["feature"]], c["shap"], rel_tol=1e-6, abs_tol=1e-9)
    assert client.get("/api/v1/clients/1/explanation").status_code == 404
