"""Outcome counts of 1 to 9 people in rows of 10 or more (the eighteenth session's open item).

A backtest segment of 151 applicants with 3 defaults served those 3: its observed rate times its
size, its Jeffreys interval and its AUC each give them. A row keeps its size and mean
probability, and its outcome figures are withheld when its defaults or non-defaults number 1 to
9, directly or as the overall defaults minus the rows shown (``ml.disclosure.withheld_rows``,
``ml.monitoring.disclosed_outcomes``)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from backend.monitoring import service as stored
from ml.disclosure import MIN_CELL, withheld_rows
from ml.monitoring import backtest, disclosed_outcomes

API = "/api/v1"


@pytest.fixture
def settings(db_url, make_settings, trained_bundle_dir):
    return make_settings(db_url, model_dir=trained_bundle_dir)


def _small(count: int) -> bool:
    return 0 < count < MIN_CELL


def _derivable(rows: list[dict], n: int, defaults: int) -> list[int]:
    """Every count of people a reader gets from a served table: each row's defaults and
    non-defaults, and the overall ones minus the rows shown."""
    shown = [r for r in rows if not r["suppressed"] and r["defaults"] is not None]
    counts = [c for r in shown for c in (r["defaults"], r["n"] - r["defaults"])]
    counts += [defaults - sum(r["defaults"] for r in shown),
               (n - defaults) - sum(r["n"] - r["defaults"] for r in shown)]
    return counts


def test_a_row_of_151_with_3_defaults_keeps_its_size_not_its_outcomes():
    rng = np.random.default_rng(5)
    y = np.r_[np.zeros(148 + 300, dtype=int), np.ones(3 + 60, dtype=int)]
    p = rng.uniform(0.02, 0.3, y.size)
    seniors = np.r_[np.full(148, "65+"), np.full(300, "25-34"), np.full(3, "65+"), np.full(60, "25-34")]
    report = backtest(y, p, ["2026-11"] * y.size, {"age_band": seniors})
    rows = {r["segment"]: r for r in report["segments"]["age_band"]}
    old = rows["65+"]
    assert (old["n"], old["suppressed"], old["outcomes_withheld"]) == (151, False, True)
    assert old["predicted_rate"] == pytest.approx(p[seniors == "65+"].mean(), abs=1e-6)
    assert old["defaults"] is old["observed_rate"] is old["auc"] is None
    # The overall defaults minus the other row's would give the 3 back: it goes too.
    assert rows["25-34"]["outcomes_withheld"] is True and rows["25-34"]["defaults"] is None
    assert report["defaults"] == 63 and report["outcomes_withheld"] is False


def test_a_stored_backtest_from_before_the_rule_is_served_by_it(app, client, auth_headers, model_bundle):
    """A result the job stored before the rule (a segment of 151 with 3 defaults, as the demo's
    was) is withheld where it is served, for COMEX and compliance alike, and in its history."""
    payload = {
        "n": 500, "suppressed": False, "min_cell": MIN_CELL, "confidence": 0.95, "defaults": 40,
        "auc": {"auc": 0.7, "se": 0.02, "low": 0.66, "high": 0.74, "gini": 0.4, "gini_low": 0.32, "gini_high": 0.48},
        "calibration": None, "grades": [],
        "cohorts": [{"cohort": "2026-11", "n": 500, "suppressed": False, "defaults": 40, "observed_rate": 0.08,
                     "predicted_rate": 0.07}],
        "segments": {"age_band": [
            {"segment": "25-34", "n": 349, "suppressed": False, "defaults": 37, "observed_rate": 37 / 349,
             "predicted_rate": 0.07},
            {"segment": "65+", "n": 151, "suppressed": False, "defaults": 3, "observed_rate": 3 / 151,
             "predicted_rate": 0.05},
        ]},
    }
    with app.state.sessionmaker() as db:
        stored.store(db, "backtest", model_bundle.version, "before-the-rule", payload, 0.1)
        db.commit()
    for role in ("comex", "compliance"):
        body = client.get(f"{API}/monitoring/backtest", headers=auth_headers(role)).json()
        rows = {r["segment"]: r for r in body["segments"]["age_band"]}
        assert rows["65+"] | {"auc": None, "calibration": None, "miscalibrated": None} == {
            "segment": "65+", "n": 151, "suppressed": False, "outcomes_withheld": True, "defaults": None,
            "observed_rate": None, "predicted_rate": 0.05, "auc": None, "calibration": None, "miscalibrated": None}
        assert rows["25-34"]["defaults"] is None  # 40 - 37 = 3
        assert body["cohorts"][0]["defaults"] == 40 and body["cohorts"][0]["outcomes_withheld"] is False
        for counts in (_derivable(body["segments"]["age_band"], 500, 40), _derivable(body["cohorts"], 500, 40)):
            assert not any(_small(c) for c in counts), counts


def test_overall_defaults_of_1_to_9_withhold_every_outcome():
    y = np.r_[np.zeros(200, dtype=int), np.ones(4, dtype=int)]
    p = np.linspace(0.01, 0.5, y.size)
    report = backtest(y, p, ["2026-10"] * 100 + ["2026-11"] * 104)
    assert report["outcomes_withheld"] is True
    assert report["defaults"] is report["auc"] is report["calibration"] is None
    assert report["n"] == 204 and report["expected_auc"] is not None  # from the probabilities alone
    rows = [r for table in (report["grades"], report["cohorts"]) for r in table if not r["suppressed"]]
    assert rows and all(r["outcomes_withheld"] and r["defaults"] is None and r["n"] >= MIN_CELL for r in rows)
    assert disclosed_outcomes(report) == report


@examples(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), min_size=1, max_size=8),
       st.integers(0, 15), st.integers(0, 15))
def test_no_count_of_1_to_9_is_shown_or_left_to_subtract(rows, hidden_defaults, hidden_others):
    """``withheld_rows`` on any table (a hidden part standing for pooled rows): every row shown
    holds 0 or 10+ in each count, so does the total minus the rows shown unless nothing is, and
    the rule applied to what it shows withholds nothing more."""
    total = (sum(r[0] for r in rows) + hidden_defaults, sum(r[1] for r in rows) + hidden_others)
    cells = [*rows, None]
    withheld = withheld_rows(cells, total)
    shown = [i for i in range(len(cells)) if i not in withheld]
    for i in shown:
        assert not any(_small(c) for c in cells[i])
    if shown:
        rest = [t - sum(cells[i][k] for i in shown) for k, t in enumerate(total)]
        assert not any(_small(c) for c in rest), rest
    again = [cells[i] if i in shown else None for i in range(len(cells))]
    assert withheld_rows(again, total) == withheld


@examples(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(20, 400), st.floats(0.005, 0.4))
def test_a_backtest_never_serves_an_outcome_count_of_1_to_9(seed, n, rate):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < rate).astype(int)
    p = np.clip(rng.beta(1, 12, n) + 0.3 * y * rng.random(n), 0.001, 0.999)
    cohorts = rng.choice(["2026-09", "2026-10", "2026-11"], n, p=[0.1, 0.3, 0.6])
    segment = rng.choice(["<25", "25-34", "35-44", "65+"], n, p=[0.05, 0.5, 0.35, 0.1])
    report = backtest(y, p, cohorts, {"age_band": segment})
    if report["suppressed"] or report["outcomes_withheld"]:
        assert report["defaults"] is None or not _small(report["defaults"])
        return
    for rows in (report["grades"], report["cohorts"], report["segments"]["age_band"]):
        assert not any(_small(c) for c in _derivable(rows, n, report["defaults"])), rows
        for r in rows:
            if r.get("outcomes_withheld"):
                assert all(r.get(k) is None for k in ("defaults", "observed_rate", "low", "high", "auc"))
    assert disclosed_outcomes(report) == report


# The test bundle's age bands (6,000 applicants out of fold): 60+ had 17 defaulters, 4 of them
# refused, which its true positive rate times its defaulters gave.
AGES = [("<30", 878, 434, 132, 95, 349), ("30-39", 1715, 1252, 154, 90, 373), ("40-49", 1716, 1393, 101, 53, 270),
        ("50-59", 1249, 1110, 62, 24, 115), ("60+", 442, 407, 17, 4, 31)]


def _fairness_rows(table):
    return [{"group": g, "count": n, "approval_rate": a / n, "default_rate": d / n, "predicted_default_rate": 0.08,
             "true_positive_rate": rd / d if d else None, "false_positive_rate": rp / (n - d) if n > d else None,
             "approval_rate_ci": [0.1, 0.9], "default_rate_ci": [0.01, 0.2], "true_positive_rate_ci": [0.1, 0.9],
             "false_positive_rate_ci": [0.1, 0.9], "predicted_to_observed": 1.0, "predicted_to_observed_ci": [0.8, 1.2]}
            for g, n, a, d, rd, rp in table]


def _fairness_counts(rows, everyone):
    """Every count a reader gets from a served fairness table: each family's cells in each row
    shown, and the population's (any other table) minus the rows shown."""
    from ml.fairness import OUTCOMES, _people

    counts = []
    for family in OUTCOMES:
        shown = [_people(r)[family] for r in rows if not r["masked"] and family not in r["withheld"]]
        counts += [c for cells in shown for c in cells]
        total = [sum(col) for col in zip(*(_people(r)[family] for r in everyone), strict=True)]
        counts += [t - sum(cells[k] for cells in shown) for k, t in enumerate(total)]
    return counts


def test_a_fairness_group_keeps_its_approval_rate_but_not_a_true_positive_rate_of_4_in_17():
    from ml.fairness import disclosed

    raw = _fairness_rows(AGES)
    block = disclosed("age_band", {"rows": raw})
    rows = {r["group"]: r for r in block["rows"]}
    old = rows["60+"]
    assert old["withheld"] == ["errors"] and old["true_positive_rate"] is old["false_positive_rate"] is None
    assert old["true_positive_rate_ci"] is None
    assert old["approval_rate"] == pytest.approx(407 / 442) and old["default_rate"] == pytest.approx(17 / 442)
    assert old["in_ratio"] is True  # its approval rate still enters the disparate impact
    # Withheld alone, the population's refused defaulters minus the other bands' gave the 4 back:
    # the smallest band holding some joins it.
    assert [g for g, r in rows.items() if r["withheld"]] == ["<30", "60+"]
    assert not [c for c in _fairness_counts(block["rows"], raw) if 0 < c < MIN_CELL]


def test_a_group_with_3_refused_is_left_out_of_the_ratio_and_the_page_and_card_say_why():
    """The test bundle's widows: 41 applicants, 3 refused out of fold. Their approval rate (92.7 %)
    gave those 3; it is withheld, and the disparate impact is computed without it."""
    from backend.scoring.card import fairness_report
    from ml.report import _fairness_md

    table = [("Married", 4041, 3076, 308, 183, 782), ("Civil marriage", 612, 475, 52, 27, 110),
             ("Separated", 391, 291, 23, 12, 88), ("Widow", 41, 38, 0, 0, 3)]
    raw = {"groups": {"NAME_FAMILY_STATUS": {"rows": _fairness_rows(table)}}}
    block = fairness_report(raw).groups["NAME_FAMILY_STATUS"]
    rows = {r.group: r for r in block.rows}
    assert rows["Widow"].withheld == ["approval", "errors"] and rows["Widow"].approval_rate is None
    assert rows["Widow"].default_rate == 0.0  # none defaulted: 0 is no one, shown
    assert rows["Separated"].withheld == ["approval", "errors"]  # 3 refused by subtraction otherwise
    counted = [r.approval_rate for r in block.rows if r.in_ratio]
    assert [r.group for r in block.rows if r.in_ratio] == ["Married", "Civil marriage"]
    assert block.disparate_impact == pytest.approx(min(counted) / max(counted))
    for lang, word in (("fr", "non publié"), ("en", "withheld")):
        card = _fairness_md(raw, lang)
        widow = next(line for line in card.splitlines() if line.startswith("| Widow") or line.startswith("| Veu"))
        assert word in widow and "92" not in widow, widow


def _fairness_page(report: dict) -> None:
    from frontend import contract
    from frontend.views.transparency import render_fairness

    render_fairness(contract.FairnessReport.model_validate(report))


@pytest.mark.parametrize(("lang", "withheld", "note"), [("fr", "Non publié (< 10 pers.)", "« Non publié » : le taux"),
                                                      ("en", "Withheld (< 10 people)", "“Withheld”: the rate")])
def test_the_model_card_page_writes_withheld_rates_in_words_and_draws_no_bar_for_them(lang, withheld, note):
    from streamlit.testing.v1 import AppTest

    from backend.scoring.card import fairness_report

    table = [("Married", 4041, 3076, 308, 183, 782), ("Civil marriage", 612, 475, 52, 27, 110),
             ("Separated", 391, 291, 23, 12, 88), ("Widow", 41, 38, 0, 0, 3)]
    report = fairness_report({"groups": {"NAME_FAMILY_STATUS": {"rows": _fairness_rows(table)}}}).model_dump(mode="json")
    at = AppTest.from_function(_fairness_page, args=(report,))
    at.session_state["octroi_lang"] = lang
    at.run()
    assert not at.exception
    shown = at.table[0].value
    approval = [cell.replace("\\", "") for cell in shown[shown.columns[2]]]  # ui.table escapes Markdown
    assert approval[2:] == [withheld, withheld] and "%" in approval[0], approval
    assert shown[shown.columns[3]].tolist()[3].replace("\\", "") == ("0,0\u00a0%" if lang == "fr" else "0.0%")  # Widow: nobody defaulted
    assert any(c.value.startswith(note) for c in at.caption), [c.value for c in at.caption]
    (chart,) = at.get("plotly_chart")
    import json

    drawn = [label for trace in json.loads(chart.proto.spec)["data"] for label in trace["y"]]
    assert drawn == [cell.replace("\\", "") for cell in shown[shown.columns[0]].tolist()[:2]], drawn


def _outcomes_population(young: int, old: int, old_defaults: int, extra: int = 0, extra_defaults: int = 0):
    """``young`` people of 30 (one in ten defaulted), ``old`` of 70 (``old_defaults`` defaulted),
    then ``extra`` newcomers of 70 (``extra_defaults`` defaulted): rows, outcomes, probabilities."""
    import pandas as pd

    ages = [30] * young + [70] * (old + extra)
    y = np.r_[np.arange(young) % 10 == 0, np.arange(old) < old_defaults, np.arange(extra) < extra_defaults].astype(int)
    frame = pd.DataFrame({"NAME_CONTRACT_TYPE": "Cash loans", "CODE_GENDER": "F", "DAYS_BIRTH": [-a * 365.25 for a in ages],
                          "NAME_INCOME_TYPE": "Working", "NAME_EDUCATION_TYPE": "Higher education",
                          "NAME_FAMILY_STATUS": "Married"})
    p = np.linspace(0.02, 0.4, len(ages))
    return frame, y, p


@pytest.mark.parametrize(("extra_defaults", "withheld"), [(3, True), (0, False), (10, False)])
def test_ten_new_outcomes_with_three_defaults_do_not_give_those_three(extra_defaults, withheld):
    """Ten outcomes arrived, all aged 70: the 65+ row moved by 10 people, so it was shown before
    and after, and its defaults (and the overall defaults) before and after gave how many of the
    ten defaulted. The backtest's cells are now also counted by outcome ("age_band|outcome",
    "outcome"): defaults that moved by 1 to 9 withhold their row's outcomes and the overall ones."""
    from backend.monitoring.service import _moves
    from backend.portfolio.service import cell_codes, crossed, segment_values
    from ml.disclosure import Population, compare, row_digests

    def published(frame, y):
        cohorts = ["2026-11"] * len(y)
        digests = row_digests(f"{i}|{t}" for i, t in enumerate(y))
        return Population(digests), cell_codes(frame, cohorts, outcomes=y)

    before_frame, before_y, _ = _outcomes_population(300, 60, 15)
    frame, y, p = _outcomes_population(300, 60, 15, extra=10, extra_defaults=extra_defaults)
    (before, before_cells), (after, after_cells) = published(before_frame, before_y), published(frame, y)
    changed, moved = compare(before, after, before_cells, after_cells, derive=crossed)  # as the job compares them
    assert changed == 10
    report = backtest(y, p, ["2026-11"] * len(y), {"age_band": segment_values(frame)["age_band"]}, moves=_moves([moved]))
    assert report["outcomes_withheld"] is withheld
    old = next(r for r in report["segments"]["age_band"] if r["segment"] == "65+")
    # Its people moved by 10: its size is shown; its defaults moved by 3: its outcomes are not
    # (the twenty-first session pooled it whole).
    assert not old["suppressed"] and old["n"] == 60 + 10
    assert old["outcomes_withheld"] is withheld and (old["defaults"] is None) is withheld
    if not withheld:
        assert old["defaults"] == 15 + extra_defaults
