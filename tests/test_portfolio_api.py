"""COMEX portfolio endpoints, the aggregates' arithmetic, and the app without a model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from backend.audit.models import AuditEvent
from backend.clients.service import erase_client, keyring, load_population
from backend.monitoring.models import MonitoringAggregate
from backend.portfolio.service import (
    MIN_SEGMENT,
    POOLED,
    compute_aggregates,
    executive_summary,
    protect_stored,
    with_lgd,
)
from backend.settings import Settings
from tests.test_segment_rates_small_cells import _exposed

API = "/api/v1"


@pytest.fixture
def settings(db_url, make_settings, trained_bundle_dir):
    return make_settings(db_url, model_dir=trained_bundle_dir)


@pytest.fixture
def portfolio_job(settings, imported_clients, run_jobs, model_bundle):
    """The portfolio job run on the imported clients (what an import triggers)."""
    return run_jobs(settings, "portfolio")["portfolio"]


def test_summary_computed_by_the_job_matches_a_direct_computation_on_the_imported_population(
    app, client, auth_headers, imported_clients, model_bundle, portfolio_job
):
    response = client.get(f"{API}/portfolio/summary", headers=auth_headers("comex"), params={"lang": "en"})
    assert response.status_code == 200, response.text
    body = response.json()
    with app.state.sessionmaker() as db:
        population = load_population(db)
    p = model_bundle.score(population)["probability"].to_numpy()
    approved = p < model_bundle.threshold
    assert body["applicants"] == len(imported_clients) == len(p)
    assert body["approval_rate"] == pytest.approx(approved.mean(), abs=1e-6)
    assert body["expected_default_rate_approved"] == pytest.approx(p[approved].mean(), abs=1e-6)
    credit = population["AMT_CREDIT"].to_numpy()
    # The meaning of the figure: sum over approved applicants of PD x LGD x exposure (credit).
    assert body["lgd"] == app.state.settings.lgd == 0.45  # the documented default (OCTROI_LGD)
    assert body["expected_loss"] == pytest.approx((p[approved] * 0.45 * credit[approved]).sum(), rel=1e-6)
    edges, counts = body["histogram"]["edges"], body["histogram"]["counts"]
    assert sum(counts) == len(p) and len(counts) == len(edges) - 1
    # The histogram's split is the decision's: the threshold is a bin edge, no bin holds both
    # approved and refused applicants, and the bins below it count exactly the approved.
    # Bins of 1 to 9 applicants are merged with their neighbours (ml.disclosure): the edges are
    # the grid's where nothing needed merging.
    assert model_bundle.threshold in edges and edges[0] == 0 and edges[-1] == 1
    assert all(c == 0 or c >= 10 for c in counts)
    assert {round(e, 6) for e in edges} - {round(model_bundle.threshold, 6)} <= set(np.linspace(0, 1, 21).round(6))
    assert sum(c for c, low in zip(counts, edges, strict=False) if low < model_bundle.threshold) == approved.sum()
    assert sum(b["count"] for b in body["risk_bands"]) == len(p)
    assert "would be approved" in body["executive_summary"]
    assert body["freshness"]["current"] is True and body["model_version"] == model_bundle.version
    with app.state.sessionmaker() as db:
        [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "portfolio.read")).all()
    assert event.resource is None and event.details == {"view": "summary"}


def test_population_loaded_from_the_database_scores_like_the_source_file(
    app, imported_clients, applicants_csv, model_bundle
):
    from ml.data import load_applications

    source = load_applications(applicants_csv, require_target=False)
    with app.state.sessionmaker() as db:
        population = load_population(db)
    expected = np.sort(model_bundle.score(source)["probability"].to_numpy())
    got = np.sort(model_bundle.score(population)["probability"].to_numpy())
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("by", ["contract_type", "gender", "age_band", "income_type", "education", "family_status"])
def test_segments_suppress_groups_under_ten(client, auth_headers, imported_clients, portfolio_job, by):
    response = client.get(f"{API}/portfolio/segments", headers=auth_headers("comex"), params={"by": by})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["by"] == by and body["min_segment_size"] == MIN_SEGMENT
    assert all(s["count"] >= MIN_SEGMENT for s in body["segments"])
    # The small segments are pooled, not dropped: the rows add up to the portfolio, so nothing
    # is left over for a subtraction from its total (ml.disclosure).
    assert sum(s["count"] for s in body["segments"]) == len(imported_clients)
    assert [s["segment"] for s in body["segments"]].count(POOLED) == (1 if body["suppressed"] else 0)


def test_no_subtraction_from_the_portfolio_gives_a_hidden_person_s_figures(
    client, auth_headers, imported_clients, portfolio_job
):
    """The insider's attack, as a COMEX member with the API: the portfolio's total minus the
    segments shown was the hidden segments. With one family status given by one applicant it
    gave that person's decision and probability of default (found on the demo: one approved
    applicant, PD 1,95 %). Every segmentation must leave either nothing or a group of at least
    ten to a subtraction, here and in the demo's kind of population below."""
    comex = auth_headers("comex")
    summary = client.get(f"{API}/portfolio/summary", headers=comex).json()
    hidden_somewhere = False
    for by in ("contract_type", "gender", "age_band", "income_type", "education", "family_status"):
        body = client.get(f"{API}/portfolio/segments", headers=comex, params={"by": by}).json()
        rows = body["segments"]
        left = summary["applicants"] - sum(r["count"] for r in rows)
        assert left == 0, (by, left)
        if body["rates_withheld"]:  # a rate giving 1 to 9 approved or refused: tests/test_segment_rates_small_cells.py
            assert not _exposed(body, summary), by
        else:
            approvals = summary["applicants"] * summary["approval_rate"] - sum(r["count"] * r["approval_rate"] for r in rows)
            assert abs(approvals) < 0.01, (by, approvals)
        pooled = [r for r in rows if r["segment"] == POOLED]
        assert all(r["count"] >= MIN_SEGMENT for r in pooled), (by, pooled)
        hidden_somewhere |= bool(body["suppressed"])
    assert hidden_somewhere, "the fixture's population has no segment under ten: the test proves nothing"


def test_unknown_segmentation_is_422_naming_the_allowed_ones(client, auth_headers, imported_clients):
    response = client.get(f"{API}/portfolio/segments", headers=auth_headers("comex"), params={"by": "postcode"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "by" and "contract_type" in response.text


@pytest.mark.parametrize("role", ["advisor", "compliance", "admin"])
def test_only_comex_reads_the_portfolio(client, auth_headers, imported_clients, portfolio_job, role):
    for path in ("/portfolio/summary", "/portfolio/segments?by=gender"):
        assert client.get(API + path, headers=auth_headers(role)).status_code == 403


def _erase(app, client_ids) -> None:
    ring = keyring(app.state.settings)
    with app.state.sessionmaker() as db:
        for client_id in client_ids:
            pseudonym = ring.pseudonymize(client_id)
            erase_client(db, pseudonym.value, pseudonym.key_version)
        db.commit()


def test_stored_aggregates_turn_stale_after_an_erasure_until_the_job_runs_again(
    app, client, auth_headers, imported_clients, portfolio_job, run_jobs, settings
):
    headers = auth_headers("comex")
    first = client.get(f"{API}/portfolio/summary", headers=headers).json()
    assert first["freshness"]["current"] is True and first["freshness"]["pending_changes"] is None
    _erase(app, imported_clients[:MIN_SEGMENT])
    stale = client.get(f"{API}/portfolio/summary", headers=headers).json()
    assert stale["applicants"] == first["applicants"] and stale["freshness"]["current"] is False
    assert stale["freshness"]["pending_changes"] is None  # no job has run since: one is due
    assert run_jobs(settings, "portfolio")["portfolio"].published
    after = client.get(f"{API}/portfolio/summary", headers=headers).json()
    assert after["applicants"] == first["applicants"] - MIN_SEGMENT and after["freshness"]["current"] is True


def test_a_result_one_erasure_away_is_held_so_no_two_published_figures_give_that_person(
    app, client, auth_headers, imported_clients, portfolio_job, run_jobs, settings
):
    """A COMEX reader who kept the figures before an erasure (or an import) read the person's
    own figures off the next run by subtraction. The job now holds a result 1 to 9 people from
    a published one: the published figures stay served, saying why, until 10 have changed."""
    headers = auth_headers("comex")
    first = client.get(f"{API}/portfolio/summary", headers=headers).json()
    segments = client.get(f"{API}/portfolio/segments?by=gender", headers=headers).json()
    _erase(app, imported_clients[:1])
    held = run_jobs(settings, "portfolio")["portfolio"]
    assert not held.published and held.changed_people == 1
    same = client.get(f"{API}/portfolio/summary", headers=headers).json()
    assert {k: v for k, v in same.items() if k != "freshness"} == {k: v for k, v in first.items() if k != "freshness"}
    assert same["freshness"]["current"] is False and same["freshness"]["pending_changes"] == 1
    assert same["freshness"]["computed_at"] == first["freshness"]["computed_at"]
    assert client.get(f"{API}/portfolio/segments?by=gender", headers=headers).json()["segments"] == segments["segments"]

    # Eight more: nine since the published run (what a held run saw does not count).
    _erase(app, imported_clients[1:MIN_SEGMENT - 1])
    again = run_jobs(settings, "portfolio")["portfolio"]
    assert not again.published and again.changed_people == MIN_SEGMENT - 1
    assert client.get(f"{API}/portfolio/summary", headers=headers).json()["applicants"] == first["applicants"]

    _erase(app, imported_clients[MIN_SEGMENT - 1:MIN_SEGMENT])
    published = run_jobs(settings, "portfolio")["portfolio"]
    assert published.published and published.changed_people == MIN_SEGMENT
    after = client.get(f"{API}/portfolio/summary", headers=headers).json()
    assert after["applicants"] == first["applicants"] - MIN_SEGMENT
    assert after["freshness"]["current"] is True and after["freshness"]["pending_changes"] is None
    # The audit trail says which runs were held.
    with app.state.sessionmaker() as db:
        jobs = [e.details for e in db.scalars(select(AuditEvent).where(AuditEvent.action == "monitoring.job")
                                                .order_by(AuditEvent.seq))]
    assert [d["published"] for d in jobs if d["job"] == "portfolio"] == [True, False, False, True]


def test_a_first_result_over_fewer_than_ten_people_is_held_and_the_api_says_so(
    client, auth_headers, settings, write_applicants, run_jobs
):
    """Against no published result, the population is compared with the empty one: five
    applicants' portfolio would be their own figures."""
    from tests.fixtures.clients import import_file

    import_file(settings, write_applicants(rows=5))
    assert run_jobs(settings, "portfolio")["portfolio"].published is False
    response = client.get(f"{API}/portfolio/summary", headers=auth_headers("comex"))
    assert response.status_code == 404 and response.json()["code"] == "aggregates_held"
    assert "fewer than 10" in response.json()["detail"]


def test_a_population_shrunk_under_ten_is_not_published_however_many_left(
    app, client, auth_headers, imported_clients, portfolio_job, run_jobs, settings
):
    """Hundreds erased at once are far from the published run, but the five left are a group
    of five: their result would be their own figures."""
    first = client.get(f"{API}/portfolio/summary", headers=auth_headers("comex")).json()
    _erase(app, imported_clients[5:])
    held = run_jobs(settings, "portfolio")["portfolio"]
    assert not held.published and held.changed_people == 5
    assert client.get(f"{API}/portfolio/summary", headers=auth_headers("comex")).json()["applicants"] == first["applicants"]


def test_before_the_first_job_the_portfolio_answers_404_saying_which_job_to_run(client, auth_headers, imported_clients):
    response = client.get(f"{API}/portfolio/summary", headers=auth_headers("comex"))
    assert response.status_code == 404 and "octroi jobs run portfolio" in response.json()["detail"]


def test_the_api_process_keeps_no_population_in_memory(app, client, auth_headers, imported_clients, portfolio_job):
    assert client.get(f"{API}/portfolio/summary", headers=auth_headers("comex")).status_code == 200
    assert not hasattr(app.state, "population_snapshots")


def test_compute_aggregates_counts_segments_and_suppresses_small_ones():
    n = 35
    population = pd.DataFrame({
        "AMT_CREDIT": np.full(n, 1000.0),
        "NAME_CONTRACT_TYPE": ["Cash loans"] * 30 + ["Revolving loans"] * 5,
        "CODE_GENDER": ["F"] * 20 + ["M"] * 15,
        "DAYS_BIRTH": np.full(n, -30 * 365.25),
        "NAME_INCOME_TYPE": [None] * n,
        "NAME_EDUCATION_TYPE": ["Higher education"] * n,
        "NAME_FAMILY_STATUS": ["Married"] * n,
    })
    p = np.array([0.05] * 20 + [0.5] * 15)
    result = compute_aggregates(population, p, 0.2, "v-test")
    summary = result["summary"]
    assert summary["approval_rate"] == pytest.approx(20 / 35)
    assert summary["expected_default_rate_approved"] == pytest.approx(0.05)
    assert summary["expected_loss"] == pytest.approx(20 * 0.05 * 1000)
    contract = result["segments"]["contract_type"]
    # Five revolving loans are too few; shown alone, the 30 cash loans would give them by
    # subtraction from the total: both go to the pool, which is then the whole portfolio.
    assert [(s["segment"], s["count"]) for s in contract["segments"]] == [(POOLED, 35)] and contract["suppressed"] == 2
    assert contract["segments"][0]["approval_rate"] == pytest.approx(20 / 35)
    gender = {s["segment"]: s for s in result["segments"]["gender"]["segments"]}
    assert gender["F"]["approval_rate"] == 1.0 and gender["M"]["mean_probability"] == pytest.approx(0.5)
    assert result["segments"]["age_band"]["segments"][0]["segment"] == "25-34"
    assert result["segments"]["income_type"]["segments"][0]["segment"] == "unknown"
    assert "35 dossiers" in executive_summary(summary, "fr")


def test_segments_come_in_their_own_order_not_sorted_as_text():
    """Age bands youngest first ("<25" sorted as text came after "65+"), levels in the schema's
    order, "unknown" last: the order a COMEX table is read in."""
    ages = [20, 30, 40, 50, 60, 70]
    n = 10 * len(ages)
    population = pd.DataFrame({
        "AMT_CREDIT": np.full(n, 1000.0),
        "NAME_CONTRACT_TYPE": ["Revolving loans", "Cash loans"] * (n // 2),
        "CODE_GENDER": ["M", "F"] * (n // 2),
        "DAYS_BIRTH": np.repeat([-a * 365.25 for a in ages], 10),
        "NAME_INCOME_TYPE": ["Working", None, "Commercial associate"] * (n // 3),
        "NAME_EDUCATION_TYPE": ["Higher education"] * n,
        "NAME_FAMILY_STATUS": ["Married"] * n,
    })
    result = compute_aggregates(population, np.full(n, 0.05), 0.2, "v-test")["segments"]
    assert [s["segment"] for s in result["age_band"]["segments"]] == ["<25", "25-34", "35-44", "45-54", "55-64", "65+"]
    assert [s["segment"] for s in result["contract_type"]["segments"]] == ["Cash loans", "Revolving loans"]
    assert [s["segment"] for s in result["income_type"]["segments"]] == ["Working", "Commercial associate", "unknown"]


def test_without_a_bundle_the_app_starts_readiness_says_so_and_model_routes_answer_503(
    db_url, make_settings, tmp_path, cheap_argon2, imported_clients
):
    from fastapi.testclient import TestClient

    from backend.app import create_app
    from tests.fixtures.auth import login

    app = create_app(make_settings(db_url, model_dir=tmp_path / "no-model"))
    with TestClient(app) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["model"].startswith("failed")
        from backend.users.service import create_user

        with app.state.sessionmaker() as db:
            create_user(db, app.state.password_hasher, username="adv", role="advisor", password="Quiet-river-4821!zq",
                        must_change_password=False)
            db.commit()
        token = login(client, "adv", "Quiet-river-4821!zq")["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for path in (f"/clients/{imported_clients[0]}/score", "/model"):
            response = client.get(API + path, headers=headers)
            assert response.status_code == 503
            assert "octroi train" in response.json()["detail"]
        # The profile does not need the model.
        assert client.get(f"{API}/clients/{imported_clients[0]}", headers=headers).status_code == 200


# ----------------------------------------------------------------------------- loss given default


def test_expected_loss_is_pd_times_lgd_times_exposure_over_approved_applicants():
    n = 30
    population = pd.DataFrame({
        "AMT_CREDIT": np.array([1000.0] * 10 + [2000.0] * 10 + [5000.0] * 10),
        "NAME_CONTRACT_TYPE": ["Cash loans"] * n, "CODE_GENDER": ["F"] * n, "DAYS_BIRTH": np.full(n, -40 * 365.25),
        "NAME_INCOME_TYPE": ["Working"] * n, "NAME_EDUCATION_TYPE": ["Higher education"] * n,
        "NAME_FAMILY_STATUS": ["Married"] * n,
    })
    p = np.array([0.02] * 10 + [0.10] * 10 + [0.60] * 10)  # the last ten are refused at 0.3
    stored = compute_aggregates(population, p, 0.3, "v-test")["summary"]
    served = with_lgd(stored, 0.45)
    assert served["expected_loss"] == pytest.approx(10 * 0.02 * 0.45 * 1000 + 10 * 0.10 * 0.45 * 2000)
    assert served["lgd"] == 0.45 and served["approved_credit"] == 30_000  # exposure is not scaled
    assert with_lgd(stored, 1.0)["expected_loss"] == pytest.approx(stored["expected_loss"])
    assert with_lgd(stored, 0.0)["expected_loss"] == 0.0
    assert "perte en cas de défaut de 45 %" in executive_summary(served, "fr")
    assert "45% loss given default" in executive_summary(served, "en")


def test_lgd_setting_is_read_from_the_environment_and_refused_outside_zero_to_one(monkeypatch):
    from pydantic import ValidationError

    monkeypatch.setenv("OCTROI_LGD", "0.6")
    assert Settings().lgd == 0.6
    for bad in ("1.5", "-0.1", "forty"):
        monkeypatch.setenv("OCTROI_LGD", bad)
        with pytest.raises(ValidationError, match="lgd"):
            Settings()


def test_the_served_expected_loss_follows_the_lgd_setting(
    db_url, make_settings, trained_bundle_dir, cheap_argon2, imported_clients, run_jobs, settings
):
    from fastapi.testclient import TestClient

    from backend.app import create_app
    from backend.users.service import create_user
    from tests.fixtures.auth import login

    run_jobs(settings, "portfolio")
    app = create_app(make_settings(db_url, model_dir=trained_bundle_dir, lgd=0.6))
    with TestClient(app) as http:
        with app.state.sessionmaker() as db:
            create_user(db, app.state.password_hasher, username="board", role="comex", full_name="B",
                        password="Executive-Pass-12!", must_change_password=False)
            db.commit()
            stored = db.scalars(select(MonitoringAggregate)).one().payload["summary"]["expected_loss"]
        token = login(http, "board", "Executive-Pass-12!")["access_token"]
        body = http.get(f"{API}/portfolio/summary", headers={"Authorization": f"Bearer {token}"}).json()
    assert body["lgd"] == 0.6 and body["expected_loss"] == pytest.approx(stored * 0.6, abs=0.01)


# ----------------------------------------------------------------------------- previous run


def _earlier_run(app, version: str, minutes_ago: int, **changes) -> None:
    from datetime import UTC, datetime, timedelta

    with app.state.sessionmaker() as db:
        current = db.scalars(select(MonitoringAggregate).order_by(MonitoringAggregate.id.desc())).first()
        payload = {**current.payload, "summary": {**current.payload["summary"], "model_version": version, **changes}}
        db.add(MonitoringAggregate(kind="portfolio", model_version=version, population_revision="older",
                                   computed_at=datetime.now(UTC) - timedelta(minutes=minutes_ago),
                                   duration_seconds=1.0, payload=payload))
        db.commit()


def test_previous_run_is_given_for_another_model_or_a_population_changed_by_ten_never_by_one(
    app, client, auth_headers, imported_clients, model_bundle, portfolio_job
):
    headers = auth_headers("comex")
    first = client.get(f"{API}/portfolio/summary", headers=headers).json()
    assert first["previous"] is None  # the first run: nothing to compare with

    n = first["applicants"]
    # One applicant fewer, same model: comparing would single that person out.
    _earlier_run(app, model_bundle.version, 10, applicants=n - 1, expected_loss=1.0)
    assert client.get(f"{API}/portfolio/summary", headers=headers).json()["previous"] is None

    # Ten more applicants before an erasure wave, same model: comparable (older than the one above).
    _earlier_run(app, model_bundle.version, 60, applicants=n + MIN_SEGMENT, approval_rate=0.5,
                 expected_loss=20_000.0)
    previous = client.get(f"{API}/portfolio/summary", headers=headers).json()["previous"]
    assert previous["applicants"] == n + MIN_SEGMENT and previous["approval_rate"] == 0.5
    assert previous["expected_loss"] == pytest.approx(20_000.0 * 0.45)  # read with the same LGD
    assert previous["model_version"] == model_bundle.version

    # A run of another model version, more recent than that: the one to compare with.
    _earlier_run(app, "older-model", 30, applicants=n)
    previous = client.get(f"{API}/portfolio/summary", headers=headers).json()["previous"]
    assert previous["model_version"] == "older-model" and previous["applicants"] == n
    assert set(previous) == {"computed_at", "model_version", "applicants", "approval_rate",
                             "expected_default_rate_approved", "expected_loss", "approved_credit"}

    # A more recent run over no applicant (the jobs run when a model is registered, before any
    # import): no figure to compare with, so the run before it stays the baseline.
    _earlier_run(app, "newer-empty", 5, applicants=0, approval_rate=None, expected_loss=0.0)
    assert client.get(f"{API}/portfolio/summary", headers=headers).json()["previous"]["model_version"] == "older-model"


def test_two_jobs_deciding_at_once_never_both_publish_populations_one_person_apart(
    app, imported_clients, portfolio_job, settings
):
    """Two jobs (two schedulers, two replicas) finishing together each compared with what was
    published before either stored: both would publish, one person apart. The decision and
    the store hold one lock (an advisory lock on PostgreSQL, BEGIN IMMEDIATE on SQLite)."""
    import threading

    from backend.audit.setup import cli_sessionmaker
    from backend.monitoring import service as stored
    from ml.disclosure import row_digests

    base = [f"row-{i}" for i in range(200)]
    factory, engine = cli_sessionmaker(settings)
    first_stored, second_done, outcome = threading.Event(), threading.Event(), {}

    def second() -> None:
        first_stored.wait(10)
        with factory() as db:
            decided = stored.publication(db, "portfolio", row_digests([*base, "row-new"]))  # waits for the first
            stored.store(db, "portfolio", "v-race", "r2", {"summary": {"applicants": 201}}, 0.1, decided)
            db.commit()
            outcome["second"] = decided
        second_done.set()

    thread = threading.Thread(target=second)
    thread.start()
    try:
        with factory() as db:
            decided = stored.publication(db, "portfolio", row_digests(base))
            stored.store(db, "portfolio", "v-race", "r1", {"summary": {"applicants": 200}}, 0.1, decided)
            first_stored.set()
            assert not second_done.wait(1.0), "the second job decided while the first held the lock"
            db.commit()
        thread.join(20)
    finally:
        engine.dispose()
    assert decided.published and outcome["second"].published is False and outcome["second"].changed_people == 1


def test_a_job_host_whose_clock_lags_dates_its_result_after_the_one_stored_before(settings, monkeypatch):
    """Results are ordered by their dates (the previous period, which of two came first). Two
    job hosts whose clocks differ by an hour dated the newer result before the older one, and
    the older was served as the latest. A result is now never dated before one stored earlier."""
    from datetime import UTC, datetime, timedelta

    from backend.audit.setup import cli_sessionmaker
    from backend.monitoring import service as stored

    factory, engine = cli_sessionmaker(settings)
    real = datetime.now(UTC)

    class LaggingClock(datetime):
        @classmethod
        def now(cls, tz=None):  # the second host's clock, an hour behind
            return real - timedelta(hours=1)

    try:
        with factory() as db:
            first = stored.store(db, "portfolio", "v-clock", "r1", {"summary": {"applicants": 200}}, 0.1)
            db.commit()
            monkeypatch.setattr(stored, "datetime", LaggingClock)
            second = stored.store(db, "portfolio", "v-clock", "r2", {"summary": {"applicants": 300}}, 0.1)
            db.commit()
            assert stored._utc(second.computed_at) > stored._utc(first.computed_at)
            assert stored._utc(second.computed_at) - stored._utc(first.computed_at) < timedelta(seconds=1)
            assert stored.latest(db, "portfolio", "v-clock").population_revision == "r2"
            assert stored.first_published(db, "portfolio", "v-clock", "r1").id == first.id
    finally:
        engine.dispose()


def test_a_run_stored_before_digests_were_kept_is_compared_by_its_size(
    app, client, auth_headers, imported_clients, model_bundle, portfolio_job, run_jobs, settings
):
    """A result published before migration 0013 has no digests: one person apart in size is
    enough to hold the next result (the same size proves nothing either way, and is let through)."""
    n = client.get(f"{API}/portfolio/summary", headers=auth_headers("comex")).json()["applicants"]
    _earlier_run(app, "before-digests", 10, applicants=n + 1)
    held = run_jobs(settings, "portfolio")["portfolio"]
    assert not held.published and held.changed_people == 1


def test_a_run_stored_before_pooling_is_served_without_what_a_subtraction_would_give(
    app, client, auth_headers, imported_clients, portfolio_job
):
    """A result the job stored before small segments were pooled dropped them: served as
    stored, the total minus its rows gave the hidden applicants' figures until the jobs ran
    again. The smallest rows now go too, at read time."""
    old = {"by": "family_status", "suppressed": 1, "segments": [
        {"segment": "Married", "count": 40, "approval_rate": 0.5, "mean_probability": 0.1},
        {"segment": "Widow", "count": 12, "approval_rate": 0.75, "mean_probability": 0.05},
        {"segment": "Separated", "count": 11, "approval_rate": 0.5, "mean_probability": 0.2},
    ]}
    served = protect_stored(old, 64)  # one applicant missing from the rows: one person
    assert [r["segment"] for r in served["segments"]] == ["Married", "Widow"] and served["suppressed"] == 2
    assert protect_stored(old, 63) == old and protect_stored(old, 80) == old  # nothing, or 17 to subtract

    with app.state.sessionmaker() as db:
        row = db.scalars(select(MonitoringAggregate).where(MonitoringAggregate.kind == "portfolio")
                         .order_by(MonitoringAggregate.id.desc())).first()
        table = row.payload["segments"]["family_status"]
        kept = [r for r in table["segments"] if r["segment"] != POOLED]
        applicants = row.payload["summary"]["applicants"]
        biggest = max(kept, key=lambda r: r["count"])
        # As the old job stored it: no pooled row, and the rows one applicant short of the total.
        one_short = {**biggest, "count": biggest["count"] + (applicants - sum(r["count"] for r in kept)) - 1}
        stale = [one_short if r is biggest else r for r in kept]
        row.payload = {**row.payload, "segments": {**row.payload["segments"],
                                                   "family_status": {"by": "family_status", "segments": stale, "suppressed": 1}}}
        db.commit()
    body = client.get(f"{API}/portfolio/segments", headers=auth_headers("comex"), params={"by": "family_status"}).json()
    left = applicants - sum(r["count"] for r in body["segments"])
    assert left >= MIN_SEGMENT and body["suppressed"] >= 2, body
