"""No figure COMEX reads holds a cell of 1 to 9 people (``ml.disclosure.MIN_CELL``): the
portfolio's histogram of probabilities of default merges its small bins (variable widths, true
edges, drawn as applicants per percentage point), and the drift report serves no exact share
of 1 to 9 people nor names a level so few hold. Results stored before are served the same way."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from backend.monitoring.models import MonitoringAggregate
from backend.monitoring.schemas import DriftReport
from backend.portfolio.service import (
    compute_aggregates,
    disclosed_histogram,
    histogram_edges,
    with_lgd,
)
from frontend import charts
from ml import monitoring
from ml.disclosure import MIN_CELL

API = "/api/v1"


# ----------------------------------------------------------------------------- histogram


def _population(p: np.ndarray) -> pd.DataFrame:
    n = len(p)
    return pd.DataFrame({
        "AMT_CREDIT": np.full(n, 1000.0), "NAME_CONTRACT_TYPE": ["Cash loans"] * n, "CODE_GENDER": ["F"] * n,
        "DAYS_BIRTH": np.full(n, -40 * 365.25), "NAME_INCOME_TYPE": ["Working"] * n,
        "NAME_EDUCATION_TYPE": ["Higher education"] * n, "NAME_FAMILY_STATUS": ["Married"] * n,
    })


def _sparse_tails() -> np.ndarray:
    """A bulk at low probabilities and a sparse right tail (8, 1, 3, 1 applicants), the left
    tail sparse too (2 applicants under 5 %): the demo's kind of portfolio."""
    groups = [(0.03, 2), (0.07, 200), (0.12, 150), (0.18, 60), (0.27, 40), (0.33, 25), (0.42, 12),
              (0.52, 8), (0.67, 1), (0.81, 3), (0.97, 1)]
    return np.concatenate([np.full(count, value) for value, count in groups])


def _bins(histogram: dict) -> list[tuple[float, float, int]]:
    edges, counts = histogram["edges"], histogram["counts"]
    return list(zip(edges, edges[1:], counts, strict=False))


def _check_served(histogram: dict, p: np.ndarray, threshold: float, *, split: bool = True) -> None:
    edges, counts = histogram["edges"], histogram["counts"]
    assert len(counts) == len(edges) - 1
    assert all(c == 0 or c >= MIN_CELL for c in counts), counts
    assert sum(counts) == len(p)
    assert edges[0] == 0.0 and edges[-1] == 1.0 and all(a < b for a, b in zip(edges, edges[1:], strict=False))
    # True edges: every bin counts exactly the applicants inside it.
    for low, high, count in _bins(histogram):
        inside = (p >= low) & ((p < high) if high < 1.0 else (p <= high))
        assert inside.sum() == count, (low, high, count)
    fine = {round(float(e), 6) for e in histogram_edges(threshold)}
    assert {round(e, 6) for e in edges} <= fine  # merged bins end where fine bins did
    if split:  # the threshold stays an edge: no bin holds both approved and refused applicants
        assert threshold in edges


def test_the_served_histogram_has_no_bin_of_fewer_than_ten_and_still_counts_everyone():
    p, threshold = _sparse_tails(), 0.35
    stored = compute_aggregates(_population(p), p, threshold, "v-test")["summary"]
    assert any(0 < c < MIN_CELL for c in stored["histogram"]["counts"])  # the job's fine bins have small ones
    served = with_lgd(stored, 0.45)["histogram"]
    _check_served(served, p, threshold)
    # The sparse right tail walked inward: 8 + 1 + 3 + 1 = 13 applicants from 50 % to 100 %, the
    # two under 5 % with the 200 of the next bin; the bulk keeps its 5-point bins.
    assert (0.5, 1.0, 13) in _bins(served) and (0.0, 0.1, 202) in _bins(served)
    assert (0.1, 0.15, 150) in _bins(served)
    assert disclosed_histogram(served, threshold) == served  # idempotent


def test_a_side_of_the_threshold_under_ten_joins_the_bin_across_it():
    """At a 60 % threshold the refused are 5: a bin of their own would be a cell of 5."""
    p, threshold = _sparse_tails(), 0.6
    served = with_lgd(compute_aggregates(_population(p), p, threshold, "v-test")["summary"], 0.45)["histogram"]
    _check_served(served, p, threshold, split=False)
    [straddling] = [(low, high, c) for low, high, c in _bins(served) if low < threshold < high]
    assert straddling[2] >= MIN_CELL


@pytest.mark.parametrize("counts", [
    [0] * 20, [5] + [0] * 19, [1] * 20, [10] * 20, [0, 0, 3, 0, 50, 0, 0, 9, 0, 1] + [0] * 10,
    [400, 300, 9, 300, 9, 9, 200, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1],
])
def test_the_merge_rule_on_stored_equal_bins(counts):
    """Results stored before: 20 equal bins (some without the threshold as an edge)."""
    edges = [round(i / 20, 6) for i in range(21)]
    served = disclosed_histogram({"edges": edges, "counts": counts}, 0.33)
    assert sum(served["counts"]) == sum(counts)
    assert served["edges"][0] == 0.0 and served["edges"][-1] == 1.0
    if sum(counts) >= MIN_CELL:
        assert all(c == 0 or c >= MIN_CELL for c in served["counts"]), served
    else:
        assert len([c for c in served["counts"] if c]) <= 1
    # Each served bin adds up the stored bins it covers.
    for low, high, count in _bins(served):
        assert count == sum(c for (a, b, c) in _bins({"edges": edges, "counts": counts}) if a >= low and b <= high)


def test_the_chart_draws_a_merged_bin_as_applicants_per_point_with_its_range_in_the_hover():
    p, threshold = _sparse_tails(), 0.35
    served = with_lgd(compute_aggregates(_population(p), p, threshold, "v-test")["summary"], 0.45)["histogram"]
    fig = charts.score_histogram(served["edges"], served["counts"], threshold, "x", "y", "seuil",
                                 ("sous", "au-dessus", "à cheval"))
    drawn = []
    for trace in fig.data:
        for y, (low, high, count) in zip(trace.y, trace.customdata, strict=True):
            assert y * (high - low) == pytest.approx(count)  # area = applicants
            drawn.append((round(low, 6), round(high, 6), count))
    assert (50.0, 100.0, 13) in drawn and sum(c for _, _, c in drawn) == len(p)
    merged = next(t for t in fig.data if any(row[2] == 13 for row in t.customdata))
    height = merged.y[[row[2] for row in merged.customdata].index(13)]
    assert height == pytest.approx(13 / 50)  # 13 applicants over 50 points: a low bar, not a peak
    assert "customdata[0]" in merged.hovertemplate and "customdata[2]" in merged.hovertemplate


# ----------------------------------------------------------------------------- drift


def _reference() -> dict:
    rng = np.random.default_rng(1)
    n = 2000
    raw = pd.DataFrame({
        "AMT_INCOME_TOTAL": rng.uniform(50_000, 150_000, n),
        "ORGANIZATION_TYPE": rng.choice(["Business Entity Type 3", "School", "Medicine"], n),
    })
    return monitoring.training_reference(raw, rng.uniform(0, 1, n), ["AMT_INCOME_TOTAL", "ORGANIZATION_TYPE"])


def _today(outside: int, unseen: dict[str, int], missing: int, n: int = 600) -> dict:
    rng = np.random.default_rng(2)
    income = rng.uniform(60_000, 140_000, n)
    income[:outside] = 1_000_000.0
    income[outside:outside + missing] = np.nan
    organisation = rng.choice(["Business Entity Type 3", "School"], n).astype(object)
    start = 0
    for level, count in unseen.items():
        organisation[start:start + count] = level
        start += count
    raw = pd.DataFrame({"AMT_INCOME_TOTAL": income, "ORGANIZATION_TYPE": organisation})
    reference = _reference()
    counts = monitoring.count_partition(reference, raw, rng.uniform(0, 1, n))
    return monitoring.drift_report(reference, counts)


@pytest.mark.parametrize("people", [0, 1, 2, 9, 10, 37])
def test_a_drift_share_of_one_to_nine_people_is_not_served_exactly(people):
    report = _today(outside=people, unseen={"Unseen A": people}, missing=people)
    rows = {r["input"]: r for r in report["inputs"]}
    income, organisation = rows["AMT_INCOME_TOTAL"], rows["ORGANIZATION_TYPE"]
    small = 0 < people < MIN_CELL
    for row, share, flag in ((income, "out_of_range_share", "out_of_range_suppressed"),
                             (income, "missing_share", "missing_suppressed"),
                             (organisation, "unseen_category_share", "unseen_category_suppressed")):
        if small:
            assert row[share] is None and row[flag] is True
        else:
            assert row[share] == pytest.approx(people / report["rows"], abs=1e-6) and row[flag] is False
    assert organisation["unseen_categories"] == ([] if people < MIN_CELL else ["Unseen A"])
    assert organisation["unseen_categories_suppressed"] == (1 if small else 0)
    served = DriftReport(**_served(report)).model_dump()
    assert served["inputs"] == [{**r, "label": served_row["label"]} for r, served_row in zip(
        report["inputs"], served["inputs"], strict=True)]  # the schema leaves a new report as it is


def test_unseen_levels_are_named_only_when_ten_people_hold_each():
    report = _today(outside=0, unseen={"Big level": 12, "Tiny level": 3}, missing=0)
    organisation = next(r for r in report["inputs"] if r["input"] == "ORGANIZATION_TYPE")
    assert organisation["unseen_categories"] == ["Big level"] and organisation["unseen_categories_suppressed"] == 1
    assert organisation["unseen_category_share"] == pytest.approx(15 / report["rows"], abs=1e-6)


def _served(report: dict) -> dict:
    return {**{k: v for k, v in report.items() if k != "distribution"}, "model_version": "v-test", "history": [],
            "freshness": {"computed_at": "2026-12-01T10:00:00Z", "age_seconds": 1.0, "population_revision": "r",
                          "current": True}}


def _legacy(report: dict) -> dict:
    """The report as stored before small shares were suppressed: every share exact, no flag."""
    rows = report["rows"]
    exact = {"AMT_INCOME_TOTAL": {"out_of_range_share": round(1 / rows, 6), "missing_share": round(2 / rows, 6)},
             "ORGANIZATION_TYPE": {"unseen_category_share": round(13 / rows, 6),
                                   "unseen_categories": ["Tiny level", "Unseen A"]}}
    inputs = []
    for row in report["inputs"]:
        old = {k: v for k, v in row.items() if not k.endswith("_suppressed")}
        inputs.append({**old, **exact.get(row["input"], {})})
    return {**report, "inputs": inputs}


def test_a_drift_report_stored_before_is_served_without_its_small_shares():
    report = _today(outside=0, unseen={}, missing=0)
    served = DriftReport(**_served(_legacy(report)))
    rows = {r.input: r for r in served.inputs}
    income, organisation = rows["AMT_INCOME_TOTAL"], rows["ORGANIZATION_TYPE"]
    assert income.out_of_range_share is None and income.out_of_range_suppressed
    assert income.missing_share is None and income.missing_suppressed
    # 13 people, exact; their two levels' counts are not stored: neither is named.
    assert organisation.unseen_category_share == pytest.approx(13 / report["rows"], abs=1e-6)
    assert organisation.unseen_categories == [] and organisation.unseen_categories_suppressed == 2
    assert DriftReport(**served.model_dump()) == served  # idempotent


# ----------------------------------------------------------------------------- the API


@pytest.fixture
def settings(db_url, make_settings, trained_bundle_dir):
    return make_settings(db_url, model_dir=trained_bundle_dir)


def _latest(db, kind: str) -> MonitoringAggregate:
    """The result the API serves: the newest published one (a newer run may be held, 1 to 9
    people from a published one, when an earlier test of the shared live API changed a few)."""
    return db.scalars(select(MonitoringAggregate)
                      .where(MonitoringAggregate.kind == kind, MonitoringAggregate.published.is_(True))
                      .order_by(MonitoringAggregate.id.desc())).first()


def test_the_api_serves_the_merged_histogram_and_no_small_drift_share_also_for_results_stored_before(
    app, client, auth_headers, imported_clients, run_jobs, settings
):
    run_jobs(settings, "portfolio", "drift")
    comex = auth_headers("comex")
    body = client.get(f"{API}/portfolio/summary", headers=comex).json()
    counts = body["histogram"]["counts"]
    assert all(c == 0 or c >= MIN_CELL for c in counts) and sum(counts) == body["applicants"] == len(imported_clients)
    assert body["histogram"]["edges"][0] == 0.0 and body["histogram"]["edges"][-1] == 1.0
    drift = client.get(f"{API}/monitoring/drift", headers=comex).json()
    assert drift["min_cell"] == MIN_CELL
    for row in drift["inputs"]:
        for share in ("missing_share", "out_of_range_share", "unseen_category_share"):
            value = row[share]
            assert (value is None) == row[share.replace("_share", "_suppressed")]
            assert value is None or value == 0 or round(value * drift["rows"]) >= MIN_CELL, (row["input"], share, value)

    # Results stored before the change: a bin of one applicant, a share of one person.
    with app.state.sessionmaker() as db:
        portfolio = _latest(db, "portfolio")
        summary = portfolio.payload["summary"]
        edges = [i / 20 for i in range(21)]
        stored = [summary["applicants"] - 1 - 9 * 18] + [9] * 18 + [1]
        portfolio.payload = {**portfolio.payload, "summary": {**summary, "histogram": {"edges": edges, "counts": stored}}}
        drift_row = _latest(db, "drift")
        payload = json.loads(json.dumps(drift_row.payload))
        first = payload["inputs"][0]
        for key in [k for k in first if k.endswith("_suppressed")]:
            del first[key]
        first["out_of_range_share"] = round(1 / payload["rows"], 6)
        drift_row.payload = payload
        db.commit()
    body = client.get(f"{API}/portfolio/summary", headers=comex).json()
    assert all(c == 0 or c >= MIN_CELL for c in body["histogram"]["counts"]) and sum(body["histogram"]["counts"]) == sum(stored)
    drift = client.get(f"{API}/monitoring/drift", headers=comex).json()
    assert drift["inputs"][0]["out_of_range_share"] is None and drift["inputs"][0]["out_of_range_suppressed"] is True


# ----------------------------------------------------------------------------- the pages


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_portfolio_page_draws_the_merged_histogram_in_both_languages(monkeypatch, live_api, lang):
    from tests.fixtures.live import octroi
    from tests.test_dashboard_app import _errors, _logged_in

    octroi(live_api.env, "jobs", "run", "portfolio")
    at = _logged_in(monkeypatch, live_api, "comex")
    if lang != "fr":
        at.radio(key="octroi_lang").set_value(lang).run()
    assert not at.exception and not _errors(at), _errors(at)
    [figure] = [spec for spec in (json.loads(c.proto.spec) for c in at.get("plotly_chart"))
                if any(trace.get("type") == "bar" and trace.get("customdata") for trace in spec["data"])]
    assert figure["layout"]["yaxis"]["title"]["text"] == ("Demandes par point de %" if lang == "fr"
                                                         else "Applications per % point")
    counts = [count for trace in figure["data"] for _, _, count in trace["customdata"]]
    assert all(c == 0 or c >= MIN_CELL for c in counts), counts
    for trace in figure["data"]:
        for y, (low, high, count) in zip(trace["y"], trace["customdata"], strict=True):
            assert y * (high - low) == pytest.approx(count)
    captions = "\n".join(c.value for c in at.caption)
    if any(high - low > 5.0 + 1e-6 and count for t in figure["data"] for low, high, count in t["customdata"]):
        assert ("regroupées avec leurs voisines" if lang == "fr" else "merged with their neighbours") in captions
    if lang == "en":
        assert "regroup" not in captions and "Demandes" not in captions


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_monitoring_page_shows_small_shares_as_fewer_than_ten(monkeypatch, live_api, lang):
    """A stored report with one person out of range: the page says "< 10 pers." / "fewer than 10"."""
    from backend.db import make_engine, make_sessionmaker
    from frontend.navigation import MONITORING
    from tests.fixtures.live import octroi
    from tests.test_dashboard_app import _logged_in, tables

    octroi(live_api.env, "jobs", "run", "drift")
    engine = make_engine(live_api.env["OCTROI_DATABASE_URL"])
    try:
        with make_sessionmaker(engine)() as db:
            row = _latest(db, "drift")
            payload = json.loads(json.dumps(row.payload))
            first = next(r for r in payload["inputs"][:15] if r["kind"] == "number")  # among the rows shown
            first.update(out_of_range_share=round(1 / payload["rows"], 6))
            first.pop("out_of_range_suppressed", None)
            row.payload = payload
            db.commit()
            column = first["input"]
    finally:
        engine.dispose()
    at = _logged_in(monkeypatch, live_api, "comex")
    at.switch_page(MONITORING.file).run()
    if lang != "fr":
        at.radio(key="octroi_lang").set_value(lang).run()
    assert not at.exception, at.exception
    first_column = "Variable" if lang == "fr" else "Input"
    drift = next(d for d in tables(at) if d.columns[0] == first_column)
    source = "Colonne source" if lang == "fr" else "Source column"
    out_of_range = "Hors plage d'apprentissage" if lang == "fr" else "Outside the training range"
    [cell] = drift.loc[drift[source] == column, out_of_range]
    assert cell == ("<\u00a010\u00a0pers." if lang == "fr" else "fewer than 10")
    captions = "\n".join(c.value for c in at.caption)
    assert ("de 1 à 9 personnes" if lang == "fr" else "1 to 9 people") in captions
    if lang == "en":
        assert "pers." not in "\n".join(drift[out_of_range])
    octroi(live_api.env, "jobs", "run", "drift")  # the true figures for the next tests


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_monitoring_page_gives_a_withheld_psi_by_its_range(monkeypatch, live_api, lang):
    from backend.db import make_engine, make_sessionmaker
    from frontend.navigation import MONITORING
    from ml.monitoring import status
    from tests.fixtures.live import octroi
    from tests.test_dashboard_app import _logged_in

    octroi(live_api.env, "jobs", "run", "drift")
    engine = make_engine(live_api.env["OCTROI_DATABASE_URL"])
    try:
        with make_sessionmaker(engine)() as db:
            row = _latest(db, "drift")
            payload = json.loads(json.dumps(row.payload))
            rows, score = payload["rows"], payload["score"]
            # Stored before deciles were withheld: one person in the last decile.
            counts = [round(s * rows) for s in score["current_shares"] if s is not None]
            counts = counts + [0] * (len(score["current_shares"]) - len(counts))
            counts[-2] += counts[-1] - 1
            counts[-1] = 1
            score["current_shares"] = [round(c / rows, 6) for c in counts]
            score.pop("current_withheld", None)
            level = status(score["psi"])
            row.payload = payload
            db.commit()
    finally:
        engine.dispose()
    try:
        at = _logged_in(monkeypatch, live_api, "comex")
        at.switch_page(MONITORING.file).run()
        if lang != "fr":
            at.radio(key="octroi_lang").set_value(lang).run()
        assert not at.exception, at.exception
        cards = {m.label: m.value for m in at.metric}
        expected = {"ok": ("< 0,10", "< 0.10"), "watch": ("0,10–0,25", "0.10–0.25"),
                    "act": ("≥ 0,25", "≥ 0.25")}[level][0 if lang == "fr" else 1]
        assert expected in cards.values(), cards
        captions = "\n".join(c.value for c in at.caption)
        assert ("donné par sa plage" if lang == "fr" else "given by its range") in captions
    finally:
        octroi(live_api.env, "jobs", "run", "drift")  # the true figures for the next tests


# ----------------------------------------------------------------------------- risk bands, split, score deciles


def _bands(counts: list[int]) -> list[dict]:
    return [{"band": g, "count": c, "share": 0.0} for g, c in zip("ABCDEFG", counts, strict=True)]


@pytest.mark.parametrize("counts", [
    [100, 0, 50, 40, 20, 8, 3], [3, 50, 50, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0], [5, 0, 0, 0, 0, 0, 3],
    [9, 9, 9, 9, 9, 9, 9], [10, 10, 10, 10, 10, 10, 10], [400, 1, 400, 2, 400, 0, 1],
])
def test_a_risk_grade_of_one_to_nine_is_merged_with_its_neighbour_grade(counts):
    from backend.portfolio.service import disclosed_bands

    n = sum(counts)
    served = disclosed_bands(_bands(counts), n)
    assert sum(r["count"] for r in served) == n  # nothing left to subtract from the total
    if n >= MIN_CELL:
        assert all(r["count"] == 0 or r["count"] >= MIN_CELL for r in served), served
    # Adjacent grades, in order, each once: every row a range of the master scale.
    assert [g for r in served for g in r["grades"]] == list("ABCDEFG")
    for row in served:
        assert row["band"] == (row["grades"][0] if len(row["grades"]) == 1 else f"{row['grades'][0]}-{row['grades'][-1]}")
        assert row["count"] == sum(c for g, c in zip("ABCDEFG", counts, strict=True) if g in row["grades"])
    assert disclosed_bands(served, n) == served  # idempotent


def test_the_portfolio_s_bands_and_summary_never_name_a_grade_of_three():
    p = np.concatenate([np.full(100, 0.005), np.full(50, 0.03), np.full(40, 0.06), np.full(20, 0.1),
                        np.full(8, 0.2), np.full(3, 0.5)])  # grade G holds 3
    stored = compute_aggregates(_population(p), p, 0.6, "v-test")["summary"]
    assert stored["risk_bands"][-1] == {"band": "G", "count": 3, "share": pytest.approx(3 / len(p), abs=1e-6)}
    served = with_lgd(stored, 0.45)
    assert [(b["band"], b["count"]) for b in served["risk_bands"]][-1] == ("F-G", 11)
    from backend.portfolio.service import executive_summary

    assert "Highest risk band present: F-G (very high risk to critical risk)." in executive_summary(served, "en")
    assert "Bande de risque la plus élevée représentée : F-G" in executive_summary(served, "fr")
    assert "present: F-G (" in executive_summary(stored, "en")  # the stored grades are read merged too


@pytest.mark.parametrize(("approved", "withheld"), [
    (0, None), (3, "approved"), (9, "approved"), (10, None), (30, None), (31, "refused"), (37, "refused"), (40, None),
])
def test_the_approval_rate_is_withheld_when_a_side_of_the_threshold_holds_one_to_nine(approved, withheld):
    from backend.portfolio.service import executive_summary

    n = 40
    p = np.concatenate([np.full(approved, 0.05), np.full(n - approved, 0.5)])
    stored = compute_aggregates(_population(p), p, 0.3, "v-test")["summary"]
    served = with_lgd(stored, 0.45)
    assert served["split_withheld"] == withheld
    if withheld is None:
        assert served["approval_rate"] == pytest.approx(approved / n)
    else:
        assert served["approval_rate"] is None
        assert all(served[key] is None for key in ("expected_default_rate_approved", "expected_loss", "approved_credit")) \
            == (withheld == "approved")
        assert "would be approved at" not in executive_summary(served, "en")
        assert f"fewer than {MIN_CELL} would be {withheld}" in executive_summary(served, "en")
        assert "le taux d'accord n'est pas publié" in executive_summary(served, "fr")
        # The histogram agrees: no bin of the small side on its own.
        assert all(c == 0 or c >= MIN_CELL for c in served["histogram"]["counts"])
    assert with_lgd({**stored, **{k: served[k] for k in ("approval_rate", "split_withheld")}}, 0.45)["split_withheld"] \
        == withheld  # idempotent


def _score_report(n: int, scores: np.ndarray) -> dict:
    reference = _reference()
    rng = np.random.default_rng(3)
    raw = pd.DataFrame({"AMT_INCOME_TOTAL": rng.uniform(60_000, 140_000, n),
                        "ORGANIZATION_TYPE": rng.choice(["School", "Medicine"], n)})
    return monitoring.drift_report(reference, monitoring.count_partition(reference, raw, scores))


def _check_deciles(score: dict, rows: int) -> None:
    shares, withheld = score["current_shares"], score["current_withheld"]
    assert len(withheld) == len(shares)
    for share, why in zip(shares, withheld, strict=True):
        assert (share is None) == (why is not None)
        assert share is None or share == 0 or round(share * rows) >= MIN_CELL
    # What 1 minus the served shares gives is 0 or a group of at least MIN_CELL people.
    left = rows - sum(round(s * rows) for s in shares if s is not None)
    assert left == 0 or left >= MIN_CELL


def test_a_score_decile_of_one_to_nine_people_is_withheld_with_the_smallest_others():
    reference = _reference()
    edges = reference["score"]["edges"]
    # 40 people in the first decile, 30 in the fifth, 3 in the last.
    scores = np.concatenate([np.full(40, edges[0] / 2), np.full(30, (edges[3] + edges[4]) / 2),
                             np.full(3, (edges[-1] + 1) / 2)])
    report = _score_report(len(scores), scores)
    score = report["score"]
    _check_deciles(score, report["rows"])
    assert score["current_withheld"][-1] == "small" and score["current_withheld"][4] == "complement"
    assert score["current_shares"][0] == pytest.approx(40 / 73, abs=1e-6)
    served = DriftReport(**_served(report))
    assert served.score.current_shares == score["current_shares"]


def test_the_psi_is_withheld_with_a_decile_since_it_would_solve_for_it():
    """Two deciles withheld (3 people and 30 with them) are two unknowns whose total the served
    shares give; the exact PSI was the second equation: solving it gave the 3 back. The PSI is
    then served by its range (its level), the alerts without their value; the stored report
    keeps it for the operator's CLI."""
    from scipy.optimize import brentq

    reference = _reference()
    edges = reference["score"]["edges"]
    scores = np.concatenate([np.full(40, edges[0] / 2), np.full(30, (edges[3] + edges[4]) / 2),
                             np.full(3, (edges[-1] + 1) / 2)])
    report = _score_report(len(scores), scores)
    rows, stored = report["rows"], report["score"]
    assert stored["psi"] is not None and stored["psi"] >= monitoring.ACT  # kept where it is stored
    # The attack on the stored figure: the withheld deciles hold 33 together; which split fits?
    shown = [s for s in stored["current_shares"] if s is not None]
    hidden = [i for i, s in enumerate(stored["current_shares"]) if s is None]
    together = 1 - sum(shown)

    def psi_if(small: float) -> float:
        current = list(stored["current_shares"])
        current[hidden[-1]], current[hidden[0]] = small, together - small
        return monitoring.psi(stored["reference_shares"], current) - stored["psi"]

    solved = brentq(psi_if, 0.5 / rows, together / 2)
    assert round(solved * rows) == 3  # what the exact PSI gave
    served = DriftReport(**_served(report)).model_dump()
    assert served["score"]["psi"] is None and served["score"]["psi_previous_period"] is None
    assert served["score"]["psi_level"] == "act"
    assert all(a["value"] is None for a in served["alerts"] if a["subject"] == "score")
    assert any(a["value"] is not None for a in served["alerts"] if a["subject"] != "score") or \
        not [a for a in served["alerts"] if a["subject"] != "score"]
    assert DriftReport(**_served(served)).model_dump()["score"] == served["score"]  # idempotent
    # Nothing withheld: the PSI is served, with its level.
    plain = DriftReport(**_served(_score_report(600, np.random.default_rng(4).uniform(0, 1, 600)))).score
    assert plain.psi is not None and plain.psi_level == monitoring.status(plain.psi)


def test_a_score_distribution_stored_before_is_served_without_its_small_deciles():
    p = np.random.default_rng(4).uniform(0, 1, 600)
    report = _score_report(600, p)
    assert not any(report["score"]["current_withheld"])
    legacy = {**report, "score": {k: v for k, v in report["score"].items() if k != "current_withheld"}}
    legacy["score"]["current_shares"] = [round(c / 600, 6) for c in [100, 100, 100, 100, 100, 50, 40, 5, 3, 2]]
    served = DriftReport(**_served(legacy)).model_dump()
    _check_deciles(served["score"], 600)
    assert served["score"]["current_withheld"][-3:] == ["small"] * 3 and served["score"]["current_shares"][:7] == \
        legacy["score"]["current_shares"][:7]
    assert DriftReport(**_served(served)).model_dump()["score"] == served["score"]  # idempotent


def test_the_api_serves_merged_bands_and_withholds_a_small_side_also_for_results_stored_before(
    app, client, auth_headers, imported_clients, run_jobs, settings
):
    run_jobs(settings, "portfolio")
    comex = auth_headers("comex")
    body = client.get(f"{API}/portfolio/summary", headers=comex, params={"lang": "en"}).json()
    assert all(b["count"] == 0 or b["count"] >= MIN_CELL for b in body["risk_bands"])
    assert sum(b["count"] for b in body["risk_bands"]) == body["applicants"]
    with app.state.sessionmaker() as db:
        portfolio = _latest(db, "portfolio")
        summary = portfolio.payload["summary"]
        n = summary["applicants"]
        bands = [{"band": g, "count": c, "share": round(c / n, 6)}
                 for g, c in zip("ABCDEFG", [n - 3 - 40, 10, 10, 10, 10, 0, 3], strict=True)]
        portfolio.payload = {**portfolio.payload, "summary": {
            **summary, "risk_bands": bands, "approval_rate": round((n - 4) / n, 6)}}  # 4 refused
        db.commit()
    body = client.get(f"{API}/portfolio/summary", headers=comex, params={"lang": "en"}).json()
    # G's 3 with E's 10 (F is empty, between them): "E-G", 13.
    assert [(b["band"], b["grades"], b["count"]) for b in body["risk_bands"]][-1] == ("E-G", ["E", "F", "G"], 13)
    assert all(b["count"] == 0 or b["count"] >= MIN_CELL for b in body["risk_bands"])
    assert body["risk_bands"][-1]["band"].endswith("-G")
    assert body["approval_rate"] is None and body["split_withheld"] == "refused"
    assert body["expected_loss"] is not None and "would be approved at" not in body["executive_summary"]
    assert "Highest risk band present: " + body["risk_bands"][-1]["band"] in body["executive_summary"]


# ----------------------------------------------------------------------------- histogram and grades together


def _ranges_read_together(served: dict) -> list[tuple[float, float, int]]:
    """What a reader works out from the served histogram, grades and approval rate together:
    the applicants under every edge any of them gives, hence between any two neighbouring ones."""
    under = under_read_together(served)
    edges = sorted(under)
    return [(low, high, under[high] - under[low]) for low, high in zip(edges, edges[1:], strict=False)]


def under_read_together(served: dict) -> dict[float, int]:
    """The applicants under every edge the served histogram, grades and approval rate give."""
    from ml.grades import grade_range

    under = {0.0: 0}
    total = 0
    for high, count in zip(served["histogram"]["edges"][1:], served["histogram"]["counts"], strict=True):
        total += count
        under[float(high)] = total
    total = 0
    for band in served["risk_bands"]:
        total += band["count"]
        under[grade_range(band["grades"][-1])[1]] = total
    if served["approval_rate"] is not None:
        under[served["threshold"]] = round(served["approval_rate"] * served["applicants"])
    return under


def test_the_histogram_and_the_grades_together_give_no_range_of_one_to_nine():
    """The grades say how many lie under 32 %, the histogram how many under 30 %: with 3 people
    between 30 % and 32 % each chart was safe and their difference was those 3."""
    p = np.concatenate([np.full(300, 0.05), np.full(60, 0.12), np.full(40, 0.2), np.full(30, 0.27),
                        np.full(3, 0.31), np.full(12, 0.33), np.full(15, 0.45)])
    result = compute_aggregates(_population(p), p, 0.1, "v")
    summary = result["summary"]
    naive = {**summary, "histogram": disclosed_histogram(summary["histogram"], 0.1)}
    from backend.portfolio.service import disclosed_bands
    naive["risk_bands"] = disclosed_bands(summary["risk_bands"], summary["applicants"])
    assert (0.3, 0.32, 3) in _ranges_read_together(naive)  # the leak, before
    served = with_lgd(summary, 1.0)
    assert all(count == 0 or count >= MIN_CELL for _, _, count in _ranges_read_together(served)), served
    assert sum(served["histogram"]["counts"]) == sum(b["count"] for b in served["risk_bands"]) == len(p)
    assert 0.1 in served["histogram"]["edges"]  # the threshold stays an edge
    # The histogram gave way (a wider bar), the grades F and G are still apart.
    assert [b["band"] for b in served["risk_bands"]][-2:] == ["F", "G"]
    again = with_lgd({**summary, "histogram": served["histogram"], "risk_bands": served["risk_bands"]}, 1.0)
    assert (again["histogram"], again["risk_bands"]) == (served["histogram"], served["risk_bands"])


@pytest.mark.parametrize("seed", range(60))
def test_no_reading_of_the_portfolio_gives_one_to_nine_people(seed):
    """Random portfolios, dense and sparse, any threshold: no range between two edges any served
    figure gives holds 1 to 9 applicants, and everything still adds up."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(15, 400))
    p = np.concatenate([rng.beta(1.2, rng.uniform(3, 25), n), rng.uniform(0, 1, int(rng.integers(0, 12)))])
    threshold = float(rng.choice([0.05, 0.08, 0.0833, 0.1, 0.2, 0.32, 0.5]))
    served = with_lgd(compute_aggregates(_population(p), p, threshold, "v")["summary"], 1.0)
    assert all(count == 0 or count >= MIN_CELL for _, _, count in _ranges_read_together(served)), (seed, served)
    assert sum(served["histogram"]["counts"]) == sum(b["count"] for b in served["risk_bands"]) == len(p)
    assert all(c == 0 or c >= MIN_CELL for c in served["histogram"]["counts"])
    assert all(b["count"] == 0 or b["count"] >= MIN_CELL for b in served["risk_bands"])


# ----------------------------------------------------------------------------- the drift deciles beside the histogram


def test_a_drift_decile_edge_beside_a_bar_edge_gives_no_range_of_one_to_nine():
    """The drift report gives the applicants under each training decile edge (4.983 %), the
    histogram those under 5 %: 6 applicants lay between them in the demo. The served histogram
    takes the drift report's edges as fixed ones and gives way."""
    from ml.monitoring import known_under

    p = np.concatenate([np.full(200, 0.045), np.full(6, 0.0499), np.full(150, 0.07), np.full(80, 0.2)])
    summary = compute_aggregates(_population(p), p, 0.5, "v")["summary"]
    score = {"edges": [0.04983, 0.1], "current_shares": [200 / len(p), 156 / len(p), 80 / len(p)]}
    elsewhere = known_under(score, len(p))
    assert elsewhere == {0.04983: 200, 0.1: 356}
    alone = with_lgd(summary, 1.0)
    assert 0.05 in alone["histogram"]["edges"]  # 206 under 5 %: with the decile, the 6 people
    served = with_lgd(summary, 1.0, elsewhere)
    under = dict(zip(served["histogram"]["edges"][1:], np.cumsum(served["histogram"]["counts"]).tolist(), strict=True))
    under.update(elsewhere)
    under[0.0] = 0
    edges = sorted(under)
    assert all(under[b] - under[a] == 0 or under[b] - under[a] >= MIN_CELL for a, b in zip(edges, edges[1:], strict=False))
    assert 0.05 not in served["histogram"]["edges"] and sum(served["histogram"]["counts"]) == len(p)


def test_known_under_stops_at_a_withheld_decile_from_both_ends():
    from ml.monitoring import known_under

    score = {"edges": [0.1, 0.2, 0.3, 0.4], "current_shares": [0.2, None, None, 0.3, 0.5]}
    assert known_under(score, 100) == {0.1: 20, 0.4: 50, 0.3: 20}


def test_no_decile_edge_is_served_within_nine_people_of_the_published_threshold():
    """The portfolio publishes 189 applicants under its threshold (10.35 %), the drift report
    194 under a decile edge (11.63 %): 5 people between them. The deciles on both sides of that
    edge are withheld (and the score's PSI with them)."""
    from ml.monitoring import known_under

    edges = [0.02, 0.05, 0.0862, 0.1163, 0.1657]
    counts = [30, 60, 70, 34, 20, 26]  # 194 under 0.1163
    score = {"edges": edges, "current_shares": [c / 240 for c in counts], "psi": 0.04, "psi_previous_period": None}
    assert 0.1163 in known_under(monitoring.served_score(score, 240), 240)
    served = monitoring.served_score(score, 240, beside={0.1035: 189})
    under = known_under(served, 240)
    assert 0.1163 not in under and all(not 0 < abs(c - 189) < MIN_CELL for c in under.values()), under
    assert served["current_withheld"][3] == served["current_withheld"][4] == "complement"
    assert served["psi"] is None and served["psi_level"] == "ok"
    left = 240 - sum(round(s * 240) for s in served["current_shares"] if s is not None)
    assert left == 0 or left >= MIN_CELL
    # Idempotent, and a block stored already protected gets the same answer.
    assert monitoring.served_score(served, 240, beside={0.1035: 189}) == served


def test_the_api_s_histogram_and_drift_deciles_read_together_give_no_range_of_one_to_nine(
    client, auth_headers, imported_clients, run_jobs, settings
):
    run_jobs(settings, "portfolio", "drift")
    comex = auth_headers("comex")
    body = client.get(f"{API}/portfolio/summary", headers=comex).json()
    drift = client.get(f"{API}/monitoring/drift", headers=comex).json()
    from ml.monitoring import known_under

    # The history's point for this run says no more than the report (its PSI would solve the deciles).
    assert drift["history"][0]["score_psi"] == drift["score"]["psi"]
    under = known_under(drift["score"], drift["rows"])
    fixed = set(under)  # the drift report's own deciles: its own rule
    if body["approval_rate"] is not None:
        under[body["threshold"]] = round(body["approval_rate"] * body["applicants"])
    total = 0
    for high, count in zip(body["histogram"]["edges"][1:], body["histogram"]["counts"], strict=True):
        total += count
        under.setdefault(float(high), total)
    under[0.0] = 0
    edges = sorted(under)
    for low, high in zip(edges, edges[1:], strict=False):
        if {low, high} <= fixed:
            continue
        assert under[high] - under[low] == 0 or under[high] - under[low] >= MIN_CELL, (low, high, under)


def test_a_histogram_read_before_the_drift_job_published_and_the_drift_report_give_no_range_of_one_to_nine(
    app, client, auth_headers, imported_clients, run_jobs, settings
):
    """The portfolio gives way to a drift result published first (its bars align with the
    deciles), but a reader who kept the summary read *before* the drift job published had the
    bars unaligned: with the drift report read next, a decile edge 5 people from a bar edge gave
    those 5. The one published second gives way, whichever it is: here the drift report's
    deciles around that edge (``monitoring.service.published_edges``)."""
    from datetime import timedelta

    from ml.monitoring import known_under

    run_jobs(settings, "portfolio")
    comex = auth_headers("comex")
    kept = client.get(f"{API}/portfolio/summary", headers=comex).json()  # read before the drift job ran
    run_jobs(settings, "drift")
    n = kept["applicants"]
    under, total = {}, 0
    for high, count in zip(kept["histogram"]["edges"][1:], kept["histogram"]["counts"], strict=True):
        total += count
        under[float(high)] = total
    edge, count = next((e, c) for e, c in under.items() if 2 * MIN_CELL <= c <= n - 2 * MIN_CELL)
    # A drift result on the same people whose decile edge lies 5 people below that bar edge.
    score = {"edges": [edge - 1e-4], "current_shares": [(count - 5) / n, (n - count + 5) / n],
             "reference_shares": [0.5, 0.5], "psi": 0.01, "psi_previous_period": None}
    with app.state.sessionmaker() as db:
        portfolio, drift = _latest(db, "portfolio"), _latest(db, "drift")
        assert drift.population_revision == portfolio.population_revision
        stored = {k: v for k, v in drift.payload["score"].items() if k != "current_withheld"}
        drift.payload = {**drift.payload, "score": {**stored, **score}}
        drift.computed_at = portfolio.computed_at + timedelta(seconds=1)  # published second
        db.commit()
    body = client.get(f"{API}/monitoring/drift", headers=comex).json()
    assert body["score"]["current_shares"] == [None, None] and body["score"]["psi"] is None
    told = known_under(body["score"], n)
    assert not [c for c in told.values() for other in under.values() if 0 < abs(c - other) < MIN_CELL], told
    # Published first, the same drift result is served whole and the portfolio gives way instead.
    with app.state.sessionmaker() as db:
        portfolio, drift = _latest(db, "portfolio"), _latest(db, "drift")
        drift.computed_at = portfolio.computed_at - timedelta(seconds=1)
        db.commit()
    body = client.get(f"{API}/monitoring/drift", headers=comex).json()
    assert body["score"]["current_shares"] == pytest.approx(score["current_shares"], abs=1e-6)
    summary = client.get(f"{API}/portfolio/summary", headers=comex).json()
    assert edge not in summary["histogram"]["edges"] and sum(summary["histogram"]["counts"]) == n


def test_a_drift_report_read_before_the_portfolio_published_withholds_the_split_it_would_complete(
    app, client, auth_headers, imported_clients, run_jobs, settings
):
    """The other order: the drift report, published first, gave the applicants under a decile
    edge; the portfolio then gave the approved ones, 5 more, under its threshold: those 5 people's
    decision and probability range. A bar edge gives way; the threshold cannot, so the split is
    withheld (``split_withheld`` "beside"), with every figure that adds up to it, and the drift
    report keeps what it showed first."""
    from datetime import timedelta

    from ml.monitoring import known_under

    run_jobs(settings, "portfolio", "drift")
    comex = auth_headers("comex")
    before = client.get(f"{API}/portfolio/summary", headers=comex).json()
    assert before["approval_rate"] is not None
    n, threshold = before["applicants"], before["threshold"]
    approved = round(before["approval_rate"] * n)
    score = {"edges": [threshold + 1e-4], "current_shares": [(approved + 5) / n, (n - approved - 5) / n],
             "reference_shares": [0.5, 0.5], "psi": 0.01, "psi_previous_period": None}
    with app.state.sessionmaker() as db:
        portfolio, drift = _latest(db, "portfolio"), _latest(db, "drift")
        stored = {k: v for k, v in drift.payload["score"].items() if k != "current_withheld"}
        drift.payload = {**drift.payload, "score": {**stored, **score}}
        drift.computed_at = portfolio.computed_at - timedelta(seconds=1)  # published first
        db.commit()
    drift = client.get(f"{API}/monitoring/drift", headers=comex).json()
    assert drift["score"]["current_shares"] == pytest.approx(score["current_shares"], abs=1e-6)  # as read first
    body = client.get(f"{API}/portfolio/summary", headers=comex).json()
    assert body["approval_rate"] is None and body["split_withheld"] == "beside"
    assert "publié avant" in body["executive_summary"]
    # Nothing else gives the approved count: the threshold is no bar edge, no bar edge lies 1 to 9
    # people from the decile's, no segment shows a rate.
    (decile,) = known_under(drift["score"], n).values()
    assert threshold not in body["histogram"]["edges"]
    bars = np.cumsum(body["histogram"]["counts"]).tolist()
    assert not [c for c in bars if 0 < abs(c - decile) < MIN_CELL], (decile, bars)
    for by in ("gender", "age_band", "family_status"):
        rows = client.get(f"{API}/portfolio/segments", params={"by": by}, headers=comex).json()["segments"]
        assert all(r["approval_rate"] is None for r in rows), (by, rows)
    english = client.get(f"{API}/portfolio/summary", params={"lang": "en"}, headers=comex).json()
    assert "drift report published before" in english["executive_summary"]


def test_every_reason_a_split_is_withheld_has_its_sentence_in_both_languages():
    from typing import get_args

    from backend.portfolio.schemas import SplitWithheld
    from frontend.i18n import CATALOG

    for reason in get_args(SplitWithheld):
        entry = CATALOG[f"portfolio.split_withheld.{reason}"]
        assert entry["fr"] and entry["en"] and entry["fr"] != entry["en"]
