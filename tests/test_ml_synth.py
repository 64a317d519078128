"""The synthetic generator: reproducible, realistic, fast."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from ml.data import load_applications
from ml.schema import ALL_COLUMNS, TEST_COLUMNS
from ml.synth import generate, write


@pytest.fixture(scope="module")
def big() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return generate(80_000, seed=11)


def test_same_seed_gives_the_same_rows_and_another_seed_does_not():
    a = generate(500, seed=3)
    b = generate(500, seed=3)
    c = generate(500, seed=4)
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x, y)
    assert not a[0].equals(c[0])


def test_files_have_the_kaggle_columns_and_validate(tmp_path):
    paths = write(tmp_path, rows=600, seed=1)
    train = load_applications(paths["train"], require_target=True)
    test = load_applications(paths["test"])
    assert list(train.columns) == ALL_COLUMNS
    assert list(test.columns) == TEST_COLUMNS
    assert len(test) == 100
    oracle = pd.read_csv(paths["oracle"])
    assert list(oracle.columns) == ["SK_ID_CURR", "PD"]
    assert oracle["SK_ID_CURR"].tolist() == train["SK_ID_CURR"].tolist()
    assert set(train["SK_ID_CURR"]).isdisjoint(test["SK_ID_CURR"])
    assert paths["train"].read_text().splitlines()[0] == ",".join(ALL_COLUMNS)


def test_the_applicants_outcomes_come_from_the_same_world_in_the_import_format(tmp_path):
    """``outcomes_test.csv`` (what the demo imports for its backtest): one realised outcome per
    test applicant, in the test file's order, at the training population's default rate, and
    the other files unchanged by its writing (same seed, same bytes)."""
    from backend.monitoring.outcomes import read_outcomes_file

    paths = write(tmp_path / "a", rows=12_000, seed=2)
    test = pd.read_csv(paths["test"], usecols=["SK_ID_CURR"])
    outcomes = pd.read_csv(paths["outcomes"])
    assert list(outcomes.columns) == ["SK_ID_CURR", "TARGET"]
    assert outcomes["SK_ID_CURR"].tolist() == test["SK_ID_CURR"].tolist()
    assert set(outcomes["TARGET"]) <= {0, 1} and 0.05 < outcomes["TARGET"].mean() < 0.12
    assert len(read_outcomes_file(paths["outcomes"])) == len(test)  # what `octroi outcomes import` accepts
    train, test_frame, _ = generate(12_000, seed=2)
    assert test_frame["SK_ID_CURR"].tolist() == test["SK_ID_CURR"].tolist()
    assert pd.read_csv(paths["train"])["TARGET"].tolist() == train["TARGET"].tolist()


def test_realism_figures_hold_within_tolerance(big):
    train, _, oracle = big
    y = train["TARGET"]
    assert y.mean() == pytest.approx(0.081, abs=0.006)
    unemployed = train["DAYS_EMPLOYED"] == 365243
    assert unemployed.mean() == pytest.approx(0.18, abs=0.02)
    assert y[unemployed].mean() == pytest.approx(0.054, abs=0.012)
    assert y[~unemployed].mean() == pytest.approx(0.087, abs=0.012)
    missing = train.isna().mean()
    assert missing["EXT_SOURCE_1"] == pytest.approx(0.56, abs=0.02)
    assert missing["EXT_SOURCE_3"] == pytest.approx(0.20, abs=0.02)
    assert missing["EXT_SOURCE_2"] < 0.01
    assert missing["OWN_CAR_AGE"] == pytest.approx(0.66, abs=0.02)
    building = [c for c in train.columns if c.endswith(("_AVG", "_MEDI")) or c == "TOTALAREA_MODE"]
    assert all(0.45 <= missing[c] <= 0.72 for c in building)
    medians = train[["AMT_INCOME_TOTAL", "AMT_CREDIT", "AMT_ANNUITY", "AMT_GOODS_PRICE"]].median()
    assert medians["AMT_INCOME_TOTAL"] == pytest.approx(145_000, rel=0.08)
    assert medians["AMT_CREDIT"] == pytest.approx(510_000, rel=0.08)
    assert medians["AMT_ANNUITY"] == pytest.approx(25_000, rel=0.08)
    assert medians["AMT_GOODS_PRICE"] == pytest.approx(450_000, rel=0.08)
    assert (train["AMT_GOODS_PRICE"] <= train["AMT_CREDIT"]).mean() > 0.85
    age = -train["DAYS_BIRTH"] / 365.25
    assert age.min() >= 21 and age.max() < 70
    assert (train["CODE_GENDER"] == "F").mean() == pytest.approx(0.66, abs=0.02)
    assert (train["NAME_CONTRACT_TYPE"] == "Cash loans").mean() == pytest.approx(0.90, abs=0.02)
    terciles = y.groupby(pd.qcut(train["EXT_SOURCE_2"], 3, labels=False)).mean().to_numpy()
    assert terciles == pytest.approx([0.136, 0.067, 0.038], abs=0.015)
    assert roc_auc_score(y, oracle["PD"]) == pytest.approx(0.79, abs=0.015)


def test_annuity_is_consistent_with_credit_and_a_term(big):
    train = big[0]
    cash = train["NAME_CONTRACT_TYPE"] == "Cash loans"
    payments = (train["AMT_CREDIT"] / train["AMT_ANNUITY"])[cash].dropna()
    # Terms of 12 to 60 months at 0.8-1.6% a month: 11 to 47 payments' worth of credit.
    assert payments.between(10, 48).all()


def test_300k_rows_are_generated_in_under_30_seconds():
    started = time.perf_counter()
    train, test, oracle = generate(300_000, seed=0)
    elapsed = time.perf_counter() - started
    assert len(train) == 300_000 and len(test) == 50_000 and len(oracle) == 300_000
    assert elapsed < 30, elapsed
    assert np.isfinite(oracle["PD"]).all()
