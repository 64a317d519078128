"""A segment's approval rate times its count is that segment's exact number of approved and
refused applicants: COMEX gets no rate that gives 1 to 9 people on either side, not directly
and not by subtraction from the portfolio's own approval rate (``disclosed_rates``)."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from backend.portfolio.service import compute_aggregates, disclosed_rates, disclosed_split
from ml.disclosure import MIN_CELL
from tests.test_small_cells_histogram_drift import _latest, _population

API = "/api/v1"


@pytest.fixture
def settings(db_url, make_settings, trained_bundle_dir):
    return make_settings(db_url, model_dir=trained_bundle_dir)


def _table(rows: list[tuple[str, int, int]]) -> tuple[dict, dict]:
    """A segmentation of (label, applicants, approved) rows and the summary they add up to."""
    n = sum(r[1] for r in rows)
    approved = sum(r[2] for r in rows)
    table = {"by": "age_band", "suppressed": 0,
             "segments": [{"segment": s, "count": c, "approval_rate": round(a / c, 6), "mean_probability": 0.1}
                          for s, c, a in rows]}
    return table, {"applicants": n, "approval_rate": round(approved / n, 6)}


def _exposed(table: dict, summary: dict) -> list[str]:
    """What a reader can work out exactly: each shown row's approved and refused counts, and the
    withheld rows' together (the portfolio's approved minus the shown rows')."""
    n, rows = summary["applicants"], table["segments"]
    found = []
    shown = [(r["count"], round(r["approval_rate"] * r["count"])) for r in rows if r["approval_rate"] is not None]
    for count, approved in shown:
        found += [f"{side} {k}" for side, k in (("approved", approved), ("refused", count - approved)) if 0 < k < MIN_CELL]
    if summary["approval_rate"] is not None and len(shown) < len(rows):
        hidden_n = n - sum(c for c, _ in shown)
        hidden_approved = round(summary["approval_rate"] * n) - sum(a for _, a in shown)
        for side, k in (("approved", hidden_approved), ("refused", hidden_n - hidden_approved)):
            if 0 < k < MIN_CELL:
                found.append(f"withheld rows {side} {k}")
    return found


def test_a_rate_giving_one_refused_is_withheld_with_the_smallest_other_row():
    # 65+: 12 applicants, 1 refused. Withheld alone, the portfolio's approvals give it back.
    table, summary = _table([("35-44", 400, 300), ("45-54", 200, 150), ("55-64", 30, 30), ("65+", 12, 11)])
    served = disclosed_rates(table, summary)
    rates = {r["segment"]: r["approval_rate"] for r in served["segments"]}
    assert rates["65+"] is None
    # The smallest other holding some refused joins (ml.disclosure.withheld_rows): not 55-64
    # (30 approved out of 30, it would leave 1 refused) but 45-54: 161 approved, 51 refused.
    assert rates["55-64"] == 1.0 and rates["45-54"] is None and rates["35-44"] == 0.75
    assert served["rates_withheld"] == 2
    assert [r["count"] for r in served["segments"]] == [400, 200, 30, 12]  # counts still shown
    assert not _exposed(served, summary)
    assert disclosed_rates(served, summary) == served  # idempotent


def test_rates_are_served_as_stored_when_no_cell_is_small():
    table, summary = _table([("F", 500, 300), ("M", 300, 200), ("unknown", 20, 10)])
    served = disclosed_rates(table, summary)
    assert served["segments"] == table["segments"] and served["rates_withheld"] == 0


def test_every_rate_is_withheld_when_the_portfolio_s_split_is():
    # 5 refused in all: the portfolio's rate is withheld, and the rows would add up to it.
    table, summary = _table([("F", 300, 297), ("M", 200, 198)])
    assert disclosed_split(summary)["split_withheld"] == "refused"
    served = disclosed_rates(table, summary)
    assert [r["approval_rate"] for r in served["segments"]] == [None, None] and served["rates_withheld"] == 2


@pytest.mark.parametrize("seed", range(40))
def test_no_reading_gives_one_to_nine_people(seed):
    """Random segmentations with small sides here and there: nothing exact under ten, from the
    rates shown or from the portfolio's rate minus them."""
    rng = np.random.default_rng(seed)
    rows = []
    for label in itertools.islice(itertools.count(), int(rng.integers(2, 7))):
        count = int(rng.integers(10, 60)) if rng.random() < 0.6 else int(rng.integers(60, 600))
        approved = int(rng.choice([count, count - rng.integers(1, 10), rng.integers(1, 10), rng.integers(0, count + 1)]))
        rows.append((f"s{label}", count, min(max(approved, 0), count)))
    table, summary = _table(rows)
    summary = disclosed_split(summary)
    served = disclosed_rates(table, summary)
    assert not _exposed(served, summary), (rows, served)
    assert served["rates_withheld"] == sum(r["approval_rate"] is None for r in served["segments"])


def test_compute_aggregates_then_the_rule_on_a_population_with_one_refused_pensioner():
    p = np.concatenate([np.full(300, 0.05), np.full(100, 0.5), np.full(11, 0.05), [0.9]])
    population = _population(p)
    population.loc[400:, "NAME_INCOME_TYPE"] = "Pensioner"
    result = compute_aggregates(population, p, 0.2, "v")
    table = result["segments"]["income_type"]
    assert {r["segment"]: (r["count"], r["approval_rate"]) for r in table["segments"]}["Pensioner"] == (12, pytest.approx(11 / 12))
    served = disclosed_rates(table, result["summary"])
    assert {r["segment"]: r["approval_rate"] for r in served["segments"]} == {"Working": None, "Pensioner": None}
    assert served["rates_withheld"] == 2


def test_the_api_withholds_a_small_segment_rate_also_for_results_stored_before(
    app, client, auth_headers, imported_clients, run_jobs, settings
):
    run_jobs(settings, "portfolio")
    comex = auth_headers("comex")
    with app.state.sessionmaker() as db:
        portfolio = _latest(db, "portfolio")
        summary = portfolio.payload["summary"]
        n = summary["applicants"]
        table, made = _table([("<25", n - 12, n - 12 - 20), ("25-34", 12, 11)])
        portfolio.payload = {**portfolio.payload, "summary": {**summary, "approval_rate": made["approval_rate"]},
                             "segments": {**portfolio.payload["segments"], "age_band": table}}
        db.commit()
    body = client.get(f"{API}/portfolio/segments", headers=comex, params={"by": "age_band"}).json()
    assert [r["approval_rate"] for r in body["segments"]] == [None, None] and body["rates_withheld"] == 2
    assert [r["count"] for r in body["segments"]] == [n - 12, 12]
    summary_served = client.get(f"{API}/portfolio/summary", headers=comex).json()
    assert not _exposed(body, summary_served)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_portfolio_page_shows_a_withheld_rate_as_not_published(monkeypatch, live_api, lang):
    """The table says "Non publié" / "Withheld", the chart leaves the row out (a bar at 0 %
    would read as "nobody approved") and a caption says why."""
    from backend.db import make_engine, make_sessionmaker
    from tests.fixtures.live import octroi
    from tests.test_dashboard_app import _errors, _logged_in, tables

    octroi(live_api.env, "jobs", "run", "portfolio")
    engine = make_engine(live_api.env["OCTROI_DATABASE_URL"])
    try:
        with make_sessionmaker(engine)() as db:
            row = _latest(db, "portfolio")
            n = row.payload["summary"]["applicants"]
            table, made = _table([("Cash loans", n - 12, n - 12 - 20), ("Revolving loans", 12, 11)])
            row.payload = {**row.payload, "summary": {**row.payload["summary"], "approval_rate": made["approval_rate"]},
                           "segments": {**row.payload["segments"], "contract_type": table}}
            db.commit()
    finally:
        engine.dispose()
    try:
        at = _logged_in(monkeypatch, live_api, "comex")
        if lang != "fr":
            at.radio(key="octroi_lang").set_value(lang).run()
        assert not at.exception and not _errors(at), _errors(at)
        rate = "Taux d'accord" if lang == "fr" else "Approval rate"
        segments = next(d for d in tables(at) if d.columns[0] == "Segment")
        assert list(segments[rate]) == ["Non publié" if lang == "fr" else "Withheld"] * 2
        captions = "\n".join(c.value for c in at.caption)
        assert ("Taux d'accord non publié pour 2 segment(s)" if lang == "fr"
                else "Approval rate not published for 2 segment(s)") in captions
        drawn = [spec for spec in (json.loads(c.proto.spec) for c in at.get("plotly_chart"))
                 if rate in str(spec["layout"].get("xaxis", {}).get("title", ""))]
        assert not drawn  # both withheld: no chart of rates
    finally:
        octroi(live_api.env, "jobs", "run", "portfolio")  # the true figures for the next tests
