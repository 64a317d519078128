"""The training population the advisor compares a client with (``ml.train._population``,
served by ``ml.bundle.compare`` and drawn on *Comparaison*): no outcome count of 1 to 9 people
shown or left to subtract from the published totals, and no one person's extreme value.

Before: per numeric feature, exact defaulters and repaid clients per bin (a tail bin held 3
defaulters), per category each level's count and default rate however rare (a level of 4
people, 1 defaulter), the missing-value group by subtraction, and the 0th and 100th
percentiles, one person's value each (the top income)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from frontend import charts, contract
from frontend.views import advisor
from ml.disclosure import DISCLOSED, MIN_CELL, coarsened_bins, disclosed_population
from ml.features import DISPLAY_NEGATED
from ml.schema import LEVELS
from ml.train import HIST_BINS, _population


def _fine(count: int) -> bool:
    return count == 0 or count >= MIN_CELL


def assert_no_small_cell(population: dict[str, Any]) -> int:
    """Every outcome count a reader gets, shown or by subtraction, is 0 or at least 10; returns
    how many features carried counts (so a caller knows something was checked)."""
    rows = population["rows"]
    defaulters = round(rows * population["default_rate"])
    total = (defaulters, rows - defaulters)
    checked = 0
    for name, ref in population["features"].items():
        if ref["kind"] == "category":
            shown = [(round(rate * count), count - round(rate * count))
                     for count, rate in zip(ref["counts"], ref["default_rate"], strict=True) if rate is not None]
            assert all((c is None) <= (r is None) for c, r in zip(ref["counts"], ref["default_rate"], strict=True)), name
            # A count shown without its rate: the people alone, and what the sizes shown leave.
            sizes = [count for count in ref["counts"] if count is not None]
            assert all(_fine(count) for count in sizes), (name, sizes)
            missing = round(rows * ref["missing_rate"]) if ref["missing_rate"] is not None else 0
            assert _fine(rows - sum(sizes) - missing), (name, rows - sum(sizes) - missing)
        elif ref.get("hist_defaulters") is not None:
            hist_d, hist_r = ref["hist_defaulters"], ref["hist_repaid"]
            assert [d is None for d in hist_d] == [r is None for r in hist_r], name
            assert len(ref["hist_edges"]) == len(hist_d) + 1, name
            shown = [(d, r) for d, r in zip(hist_d, hist_r, strict=True) if d is not None]
            if ref.get("median_defaulters") is not None and None not in hist_d:
                assert sum(hist_d) >= MIN_CELL, name
        else:
            continue
        checked += 1
        for d, r in shown:
            assert _fine(d) and _fine(r), (name, d, r)
        rest = [total[0] - sum(d for d, _ in shown), total[1] - sum(r for _, r in shown)]
        assert _fine(rest[0]) and _fine(rest[1]), (name, rest)
        if ref["missing_rate"] is not None:
            # The missing group's size is shown (not its outcomes): what it leaves of the rest.
            assert _fine(sum(rest) - round(rows * ref["missing_rate"])), (name, rest, ref["missing_rate"])
    return checked


def _reference(rows: int = 600, seed: int = 3) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """An income with one top earner, a yes/no 4 people answered yes, another 40 did, and a
    family status with 4 widows (one defaulted), for 600 people of whom 48 defaulted."""
    rng = np.random.default_rng(seed)
    y = np.zeros(rows)
    y[rng.choice(rows, 48, replace=False)] = 1
    income = rng.lognormal(11.5, 0.4, rows)
    income[0] = 1e9
    rare_flag = np.zeros(rows)
    rare_flag[:4] = 1
    common_flag = np.zeros(rows)
    common_flag[:40] = 1
    status = rng.choice([0, 1, 2], rows).astype(float)  # married, single, civil marriage
    widows = np.flatnonzero(y == 0)[:3].tolist() + [int(np.flatnonzero(y == 1)[0])]
    status[widows] = LEVELS["NAME_FAMILY_STATUS"].index("Widow")
    names = ["AMT_INCOME_TOTAL", "FLAG_DOCUMENT_4", "FLAG_DOCUMENT_3", "NAME_FAMILY_STATUS"]
    return np.column_stack([income, rare_flag, common_flag, status]), y, names


def test_no_one_persons_extreme_value_and_no_share_of_1_to_9_people():
    x, y, names = _reference()
    population = _population(x, y, names)
    income = population["features"]["AMT_INCOME_TOTAL"]["quantiles"]
    ordered = np.sort(x[:, 0])
    # The 0th and 100th percentiles were the smallest and the top earner's own income.
    assert income[-1] == ordered[-MIN_CELL] < 1e9 and income[0] == ordered[MIN_CELL - 1]
    assert income == sorted(income) and len(income) == 101
    # 4 people said yes: the share would give them; 40 did: it is shown.
    assert population["features"]["FLAG_DOCUMENT_4"]["mean"] is None
    assert population["features"]["FLAG_DOCUMENT_3"]["mean"] == pytest.approx(40 / 600)
    assert assert_no_small_cell(population) == 4


def test_a_level_of_4_people_has_neither_count_nor_rate_and_stays_atypical():
    x, y, names = _reference()
    status = _population(x, y, names)["features"]["NAME_FAMILY_STATUS"]
    widow = LEVELS["NAME_FAMILY_STATUS"].index("Widow")
    assert status["counts"][widow] is None and status["default_rate"][widow] is None
    # The totals minus the three levels left would give the 4 widows: one more joins them.
    assert sum(c is None for c in status["counts"]) >= 2
    assert status["rare"][widow] is True and status["rare"][0] is False


def test_a_level_of_50_people_with_3_defaulters_keeps_its_count_not_its_rate():
    """Its 3 defaulters are what its rate gives (and, with one more rate withheld, what the
    totals leave); its 50 people say nothing of anyone's outcome. The advisor reads the share of
    the population giving that answer beside a level that was shown as a dash."""
    raw = {"rows": 600, "default_rate": 48 / 600, "features": {"status": {
        "kind": "category", "missing_rate": 0.0, "levels": ["a", "b", "c", "d"], "counts": [396, 150, 50, 4],
        "default_rate": [30 / 396, 14 / 150, 3 / 50, 1 / 4]}}}
    status = disclosed_population(raw)["features"]["status"]
    # c's 3 defaulters go with its rate; b's rate joins them (the totals would give c's back).
    assert status["default_rate"][0] == pytest.approx(30 / 396)
    assert status["default_rate"][1:] == [None, None, None]
    # d's 4 people go whole; the rows less the counts shown would give them: c's 50 join.
    assert status["counts"] == [396, 150, None, None]
    assert assert_no_small_cell(disclosed_population(raw)) == 1
    # Without d, nothing asks for c's size: it is shown, its rate not.
    raw["features"]["status"].update(levels=["a", "b", "c"], counts=[400, 150, 50],
                                     default_rate=[31 / 400, 14 / 150, 3 / 50])
    status = disclosed_population(raw)["features"]["status"]
    assert status["counts"] == [400, 150, 50] and status["default_rate"][1:] == [None, None]
    assert assert_no_small_cell(disclosed_population(raw)) == 1


def test_histogram_bins_merge_until_each_holds_0_or_10_of_each_outcome():
    assert coarsened_bins([12, 10, 0, 0], [40, 30, 0, 0]) == 1
    # A tail bin of 3 defaulters: pairs of bins, then everything in one.
    assert coarsened_bins([12, 10, 7, 3], [40, 30, 20, 20]) == 2
    assert coarsened_bins([5, 0, 0, 4], [40, 30, 20, 20]) is None
    x, y, names = _reference()
    income = _population(x, y, names)["features"]["AMT_INCOME_TOTAL"]
    assert HIST_BINS % len(income["hist_defaulters"]) == 0 and len(income["hist_defaulters"]) < HIST_BINS
    widths = np.diff(income["hist_edges"])
    assert np.allclose(widths, widths[0])  # equal widths: the curve's shape reads as before


def _raw_reference() -> dict[str, Any]:
    """A reference as a bundle trained before stored it: a numeric feature with 5 missing values
    (2 defaulters), 20 bins with a sparse tail, and a category with a level of 3 people."""
    hist_d = [0, 12, 20, 30, 20, 10, 10, 10, 10, 10, 5, 3, 2, 1, 1, 1, 1, 0, 0, 1]
    hist_r = [30, 100, 200, 300, 300, 200, 150, 100, 80, 60, 40, 30, 20, 10, 8, 6, 4, 2, 1, 5]
    defaulters = sum(hist_d) + 2
    rows = sum(hist_d) + sum(hist_r) + 5
    counts = [1000, rows - 1003, 3]
    default_rate = [60 / 1000, (defaulters - 61) / (rows - 1003), 1 / 3]
    return {
        "rows": rows,
        "default_rate": defaulters / rows,
        "features": {
            "AMT_ANNUITY": {"kind": "number", "missing_rate": 5 / rows, "quantiles": list(range(101)), "mean": 1.0,
                            "std": 1.0, "hist_edges": [float(i) for i in range(21)], "hist_defaulters": hist_d,
                            "hist_repaid": hist_r, "default_rate_by_bin": [0.1] * 20, "median_defaulters": 5.0,
                            "median_repaid": 4.0},
            "NAME_CONTRACT_TYPE": {"kind": "category", "missing_rate": 0.0, "levels": ["a", "b", "c"],
                                   "counts": counts, "default_rate": default_rate},
        },
    }


def test_a_bundle_trained_before_is_served_disclosed_and_the_rule_is_idempotent():
    raw = _raw_reference()
    disclosed = disclosed_population(raw)
    assert disclosed[DISCLOSED] == MIN_CELL and DISCLOSED not in raw  # a copy
    assert assert_no_small_cell(disclosed) == 2
    annuity = disclosed["features"]["AMT_ANNUITY"]
    # 5 missing with 2 defaulters: withheld, and a bin with them, so the totals give nothing.
    assert annuity["missing_rate"] is None and None in annuity["hist_defaulters"]
    assert sum(d is None for d in annuity["hist_defaulters"]) == 1
    assert annuity["hist_edges"][0] == 0.0 and annuity["hist_edges"][-1] == 20.0
    contract_type = disclosed["features"]["NAME_CONTRACT_TYPE"]
    assert contract_type["counts"][2] is None and contract_type["rare"] == [False, False, True]
    assert disclosed_population(disclosed) is disclosed  # already disclosed: served as stored


def test_the_trained_bundle_holds_and_serves_no_small_cell(model_bundle, trained_bundle_dir: Path, rows_for_compare):
    stored = json.loads((trained_bundle_dir / "population.json").read_text())
    assert stored[DISCLOSED] == MIN_CELL
    assert assert_no_small_cell(stored) > 50
    served = model_bundle.compare(rows_for_compare, list(model_bundle.feature_names))
    shares_beside_withheld = 0
    for answer in served:
        for feature in answer["features"]:
            ref = stored["features"][feature["feature"]]
            for key in ("counts", "default_rate", "hist_defaulters", "hist_repaid", "missing_rate"):
                if key in feature:
                    # The durations shown as days since are mirrored (ml.bundle._display_histogram).
                    mirrored = feature["feature"] in DISPLAY_NEGATED and key.startswith("hist")
                    assert feature[key] == (ref[key][::-1] if mirrored else ref[key]), (feature["feature"], key)
            if feature["kind"] == "category" and isinstance(feature["value"], str):
                # The client's level: no share when its count is withheld; else its count over the
                # people with a known value (the rows less the missing share), withheld levels or not.
                level = feature["levels"].index(feature["value"])
                count = feature["counts"][level]
                known = round(stored["rows"] * (1 - ref["missing_rate"])) if ref["missing_rate"] is not None else None
                expected = None if count is None or known is None else count / known
                assert feature["same_share"] == feature["level_share"] == expected, feature["feature"]
                if None not in feature["counts"]:
                    assert feature["same_share"] == pytest.approx(count / sum(feature["counts"]))
                elif expected is not None:
                    shares_beside_withheld += 1
    # Before, a share was given only when every level's count was (99 were not, on these rows).
    assert shares_beside_withheld
    # Every comparison still validates against the API's schema (nulls where withheld).
    from backend.clients.schemas import FeatureComparison

    for feature in served[0]["features"]:
        FeatureComparison.model_validate({**feature, "label": feature["label_fr"]})


@pytest.fixture()
def rows_for_compare(synthetic_data_dir: Path):
    from ml.data import load_applications

    return load_applications(synthetic_data_dir / "application_test.csv").head(20)


def test_the_page_draws_a_withheld_bin_as_a_gap_and_gives_no_share_for_a_withheld_level():
    figure = charts.density([0.0, 1.0, 2.0, 3.0], [("Remboursé", [30, None, 10], "solid"), ("Défaut", [10, None, 0], "dash")],
                            1.5, title="t", x_title="x", y_title="y", client_label="c")
    repaid = figure.data[0]
    assert list(repaid.y) == [75.0, None, 25.0] and repaid.connectgaps is False  # shares of the bins shown
    assert list(repaid.marker.size) == [8, 0, 8]  # a bin alone draws no line: a dot shows it
    feature = contract.FeatureComparison(feature="NAME_FAMILY_STATUS", label="Situation", kind="category", value="Widow",
                                         unit="category", atypical=True, levels=["Married", "Widow"], counts=[500, None])
    assert advisor._same_share(feature) is None
    # A level shown beside a withheld one: the API's share (its count over the people with a known value).
    married = feature.model_copy(update={"value": "Married", "atypical": False, "same_share": 0.98})
    assert advisor._same_share(married) == 0.98
