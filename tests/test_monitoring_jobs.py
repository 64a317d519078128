"""Outcomes import, batch jobs on a two-worker Dask cluster, and the monitoring API (both engines)."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from backend.cli import app as cli_app
from backend.clients.service import ImportFailed, keyring, load_population
from backend.monitoring.models import MonitoringAggregate, Outcome
from backend.monitoring.outcomes import import_outcomes, read_outcomes_file
from backend.settings import get_settings
from ml.disclosure import MIN_CELL
from ml.grades import GRADE_NAMES, grade
from ml.schema import ID_COLUMN
from tests.fixtures.clients import import_file

API = "/api/v1"


@pytest.fixture
def settings(db_url, make_settings, trained_bundle_dir):
    return make_settings(db_url, model_dir=trained_bundle_dir)


def _outcomes_csv(tmp_path: Path, applicants_csv: Path, model_bundle, seed: int = 3) -> Path:
    """Each client's outcome drawn from the model's own probability for that client (a calibrated
    model, by construction). They were drawn from the probabilities shuffled across clients:
    outcomes unrelated to the clients, a backtest AUC of 0.56 (interval 0.45-0.69) whatever the
    model, and two models' AUCs a few pairs apart (seen equal once in CI)."""
    frame = pd.read_csv(applicants_csv)
    p = model_bundle.score(frame)["probability"].to_numpy()
    target = (np.random.default_rng(seed).random(len(frame)) < p).astype(int)
    path = tmp_path / "outcomes.csv"
    pd.DataFrame({ID_COLUMN: frame[ID_COLUMN], "TARGET": target, "OBSERVED_AT": "2026-11-30"}).to_csv(path, index=False)
    return path


@pytest.fixture
def outcomes(app, settings, imported_clients, tmp_path, model_bundle, applicants_csv):
    path = _outcomes_csv(tmp_path, applicants_csv, model_bundle)
    with app.state.sessionmaker() as db:
        report = import_outcomes(db, keyring(settings), read_outcomes_file(path))
        db.commit()
    return report


@contextmanager
def _session(app):
    with app.state.sessionmaker() as db:
        yield db


# ----------------------------------------------------------------------------- outcomes import


def test_outcomes_are_imported_by_pseudonym_and_the_raw_id_is_kept_nowhere(app, outcomes, imported_clients):
    assert outcomes.inserted == len(imported_clients) and outcomes.skipped_unknown == 0
    ring = keyring(app.state.settings)
    with _session(app) as db:
        stored = {row.pseudonym: row for row in db.scalars(select(Outcome))}
    assert set(stored) == {ring.pseudonymize(i).value for i in imported_clients}
    # A stored key is the keyed hash, never the raw id. (A substring search of the ids in the
    # joined hex pseudonyms would find a 6-digit id by chance in about one run in ten.)
    raw_ids = {str(i) for i in imported_clients}
    assert not raw_ids & set(stored)
    assert all(len(key) == 64 and set(key) <= set("0123456789abcdef") for key in stored)


def test_reimporting_the_same_outcomes_changes_nothing_and_a_corrected_one_is_one_update(
    app, settings, outcomes, imported_clients, tmp_path
):
    ring = keyring(settings)
    first, second = (ring.pseudonymize(i).value for i in imported_clients[:2])
    with _session(app) as db:
        target, kept_since = db.get(Outcome, first).target, db.get(Outcome, second).imported_at
    path = tmp_path / "again.csv"
    rows = [f"{i},{t},2026-11-30" for i, t in zip(imported_clients, _targets(app, imported_clients), strict=True)]
    path.write_text("SK_ID_CURR,TARGET,OBSERVED_AT\n" + "\n".join(rows) + "\n")
    with _session(app) as db:
        again = import_outcomes(db, ring, read_outcomes_file(path))
        db.commit()
    assert (again.inserted, again.updated, again.unchanged, again.changed) == (0, 0, len(imported_clients), False)
    # One outcome corrected (a default recorded by mistake, say): one update, the rest untouched.
    rows[0] = f"{imported_clients[0]},{1 - target},2026-11-30"
    path.write_text("SK_ID_CURR,TARGET,OBSERVED_AT\n" + "\n".join(rows) + "\n")
    with _session(app) as db:
        fixed = import_outcomes(db, ring, read_outcomes_file(path))
        db.commit()
        assert db.get(Outcome, first).target == 1 - target
        assert db.get(Outcome, second).imported_at == kept_since  # never rewritten
    assert (fixed.updated, fixed.unchanged, fixed.changed) == (1, len(imported_clients) - 1, True)


def _targets(app, ids: list[int]) -> list[int]:
    ring = keyring(app.state.settings)
    with _session(app) as db:
        return [db.get(Outcome, ring.pseudonymize(i).value).target for i in ids]


@pytest.mark.parametrize(
    "content, message",
    [
        ("SK_ID_CURR,TARGET\n100001,1\n100002,2\n", "line 3, column TARGET: must be 0 (repaid) or 1 (default)"),
        ("SK_ID_CURR,TARGET\n100001,1\nabc,0\n", "line 3, column SK_ID_CURR: the client id must be a positive integer"),
        ("SK_ID_CURR,TARGET\n100001,1\n100001,0\n", "line 3, column SK_ID_CURR: duplicate client id"),
        ("SK_ID_CURR,TARGET,OBSERVED_AT\n100001,1,31/12/2025\n", "line 2, column OBSERVED_AT: must be a date YYYY-MM-DD"),
        ("SK_ID_CURR,TARGET,OBSERVED_AT\n100001,1,2999-01-01\n", "line 2, column OBSERVED_AT: 2999-01-01 is in the future"),
        ("SK_ID_CURR\n100001\n", "line 1: missing column TARGET"),
        ("SK_ID_CURR,TARGET,AMT_CREDIT\n100001,1,5\n", "unexpected column(s) AMT_CREDIT"),
        ("SK_ID_CURR,TARGET\n", "no outcome rows"),
    ],
)
def test_a_bad_outcomes_file_names_line_and_column_and_imports_nothing(app, settings, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(ImportFailed) as caught:
        read_outcomes_file(path)
    assert message in str(caught.value)
    assert "abc" not in str(caught.value) and "100001" not in str(caught.value)
    with _session(app) as db:
        assert db.scalar(select(func.count()).select_from(Outcome)) == 0


def test_the_cli_refuses_a_bad_file_with_exit_2_and_changes_nothing(app, settings, tmp_path, monkeypatch):
    path = tmp_path / "bad.csv"
    path.write_text("SK_ID_CURR,TARGET\n100001,7\n")
    monkeypatch.setenv("OCTROI_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("OCTROI_VAR_DIR", str(settings.var_dir))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli_app, ["outcomes", "import", str(path), "--no-jobs"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2 and "column TARGET" in result.output and "nothing was imported" in result.output


def test_outcomes_of_erased_or_unknown_clients_are_not_kept_and_erasure_deletes_them(
    app, client, auth_headers, settings, imported_clients, outcomes, tmp_path, erase
):
    erased = imported_clients[0]
    response = erase(erased)
    assert response.status_code == 200, response.text
    ring = keyring(settings)
    with _session(app) as db:
        assert db.get(Outcome, ring.pseudonymize(erased).value) is None
    path = tmp_path / "again.csv"
    path.write_text(f"SK_ID_CURR,TARGET\n{erased},1\n{imported_clients[1]},0\n999999999991,1\n")
    with _session(app) as db:
        report = import_outcomes(db, ring, read_outcomes_file(path))
        db.commit()
        assert db.get(Outcome, ring.pseudonymize(erased).value) is None
    assert (report.skipped_erased, report.updated, report.skipped_unknown) == (1, 1, 1)


def test_the_register_lists_outcomes_and_monitoring_aggregates(client, auth_headers):
    body = client.get(f"{API}/privacy/register", headers=auth_headers("compliance")).json()
    tables = {t["table"]: t for t in body["data_categories"]}
    assert tables["outcomes"]["personal_data"] is True
    assert tables["monitoring_aggregates"]["personal_data"] is False


# ----------------------------------------------------------------------------- jobs and API


def test_backtest_job_serves_auc_grades_and_cohorts_to_comex_and_compliance_only(
    app, client, auth_headers, settings, outcomes, run_jobs, model_bundle
):
    result = run_jobs(settings, "backtest")["backtest"]
    assert result.model_version == model_bundle.version and result.partitions == 4
    for role in ("comex", "compliance"):
        response = client.get(f"{API}/monitoring/backtest", headers=auth_headers(role))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["n"] == outcomes.inserted and body["freshness"]["current"] is True
        # Outcomes drawn from the model's own probabilities: it ranks them, the whole interval above chance.
        assert 0.5 < body["auc"]["low"] < body["auc"]["auc"] < body["auc"]["high"] <= 1
        assert [c["cohort"] for c in body["cohorts"]] and all(c["n"] is None or c["n"] >= 10 for c in body["cohorts"])
        assert all(g["n"] is None or g["n"] >= 10 for g in body["grades"])
        assert body["history"][0]["auc"] == body["auc"]["auc"]
        # What the overall figures minus a table's rows give is nobody, or ten people or more
        # (ml.disclosure): never the outcomes of a person in a small cell.
        tables = [body["grades"], body["cohorts"], *body["segments"].values()]
        for rows in tables:
            shown = [r for r in rows if not r["suppressed"]]
            left = body["n"] - sum(r["n"] for r in shown)
            assert left == 0 or left >= 10, (rows, left)
            # Nor a count of 1 to 9 defaults or repayments, in a row or left to subtract.
            told = [r for r in shown if not r["outcomes_withheld"]]
            counts = [c for r in told for c in (r["defaults"], r["n"] - r["defaults"])]
            counts += [body["defaults"] - sum(r["defaults"] for r in told),
                       body["n"] - body["defaults"] - sum(r["n"] - r["defaults"] for r in told)]
            assert not [c for c in counts if 0 < c < 10], (rows, counts)
        # Each segmentation in its own order, as the portfolio's ("<25" came after "65+").
        from backend.portfolio.service import segment_labels

        for name, rows in body["segments"].items():
            order = segment_labels(name)
            assert [order.index(r["segment"]) for r in rows] == sorted(order.index(r["segment"]) for r in rows), name
    for role in ("advisor", "admin"):
        assert client.get(f"{API}/monitoring/backtest", headers=auth_headers(role)).status_code == 403


def test_backtest_turns_stale_when_new_outcomes_arrive(app, client, auth_headers, settings, outcomes, run_jobs, tmp_path,
                                                       imported_clients):
    run_jobs(settings, "backtest")
    path = tmp_path / "more.csv"
    path.write_text(f"SK_ID_CURR,TARGET\n{imported_clients[5]},1\n")
    with _session(app) as db:
        import_outcomes(db, keyring(settings), read_outcomes_file(path))
        db.commit()
    body = client.get(f"{API}/monitoring/backtest", headers=auth_headers("comex")).json()
    assert body["freshness"]["current"] is False


def test_one_corrected_outcome_is_not_published_so_the_history_never_gives_it_away(
    app, client, auth_headers, settings, outcomes, run_jobs, tmp_path, imported_clients
):
    """The backtest's history served each run's n and observed default rate: one outcome
    corrected between two runs, and the difference was that client's outcome. A run 1 to 9
    people from a published one is now held: neither served nor in the history."""
    headers = auth_headers("comex")
    run_jobs(settings, "backtest")
    before = client.get(f"{API}/monitoring/backtest", headers=headers).json()
    target = _targets(app, imported_clients[:1])[0]
    path = tmp_path / "corrected.csv"
    path.write_text(f"SK_ID_CURR,TARGET\n{imported_clients[0]},{1 - target}\n")
    with _session(app) as db:
        import_outcomes(db, keyring(settings), read_outcomes_file(path))
        db.commit()
    held = run_jobs(settings, "backtest")["backtest"]
    assert not held.published and held.changed_people == 1
    after = client.get(f"{API}/monitoring/backtest", headers=headers).json()
    assert (after["n"], after["defaults"]) == (before["n"], before["defaults"])
    assert [h["computed_at"] for h in after["history"]] == [h["computed_at"] for h in before["history"]]
    assert after["freshness"]["pending_changes"] == 1
    # The same population again (a scheduler's next pass): still held, still one person.
    assert run_jobs(settings, "backtest")["backtest"].changed_people == 1
    # Changed back: the population is the published one again (0 apart) and is published.
    path.write_text(f"SK_ID_CURR,TARGET\n{imported_clients[0]},{target}\n")
    with _session(app) as db:
        import_outcomes(db, keyring(settings), read_outcomes_file(path))
        db.commit()
    back = run_jobs(settings, "backtest")["backtest"]
    assert back.published and back.changed_people == 0
    again = client.get(f"{API}/monitoring/backtest", headers=headers).json()
    assert again["freshness"]["current"] is True
    # The same people as the run before: its figures again, not a second point in the history
    # (a clients import reran the backtest on unchanged outcomes and drew the AUC twice).
    assert [h["computed_at"] for h in again["history"]] == [h["computed_at"] for h in before["history"]]


def test_drift_job_serves_psi_csi_and_quality_with_history(app, client, auth_headers, settings, imported_clients, run_jobs,
                                                           model_bundle):
    assert client.get(f"{API}/monitoring/drift", headers=auth_headers("comex")).status_code == 404
    run_jobs(settings, "drift")
    response = client.get(f"{API}/monitoring/drift", headers=auth_headers("compliance"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rows"] == len(imported_clients) and body["thresholds"] == {"watch": 0.1, "act": 0.25}
    # Every model input (the fair-lending policy's excluded attributes are not inputs).
    assert len(body["inputs"]) == len(model_bundle.input_columns) and body["score"]["psi_previous_period"] is None
    assert "distribution" not in body and len(body["history"]) == 1
    assert body["training_rows"] == model_bundle.monitoring_reference["rows"]


def test_a_drift_report_stored_before_serves_no_training_share_of_1_to_9_people(
        app, client, auth_headers, settings, imported_clients, run_jobs, model_bundle):
    """A report stored before the training share was checked (no ``training_rows``, an exact
    share of 3 training rows) is served with the share withheld: the route reads the training
    rows from the bundle."""
    from backend.monitoring.models import MonitoringAggregate

    run_jobs(settings, "drift")
    n = model_bundle.monitoring_reference["rows"]
    with _session(app) as db:
        row = db.query(MonitoringAggregate).filter_by(kind="drift").one()
        payload = {k: v for k, v in row.payload.items() if k != "training_rows"}
        payload["inputs"] = [dict(payload["inputs"][0], missing_share_training=round(3 / n, 6)), *payload["inputs"][1:]]
        row.payload = payload
        db.commit()
    body = client.get(f"{API}/monitoring/drift", headers=auth_headers("comex")).json()
    assert body["inputs"][0]["missing_share_training"] is None and body["training_rows"] == n


def test_drift_compares_with_the_previous_period_after_an_import(app, settings, imported_clients, run_jobs, write_applicants):
    run_jobs(settings, "drift")

    def older(frame):
        frame["DAYS_BIRTH"] = (frame["DAYS_BIRTH"].astype(int) - 12 * 365).astype(str)

    import_file(settings, write_applicants(older))
    report = run_jobs(settings, "drift")["drift"].payload
    by_input = {row["input"]: row for row in report["inputs"]}
    assert by_input["DAYS_BIRTH"]["csi_previous_period"] >= 0.25
    assert any(a["subject"] == "DAYS_BIRTH" and a["against"] == "previous_period" for a in report["alerts"])
    # Rerun on the same population (a scheduler's next pass): still against the previous
    # period, not "—" (it compared only with a run on another population, the newest one).
    again = run_jobs(settings, "drift")["drift"].payload
    rerun = {row["input"]: row for row in again["inputs"]}
    assert rerun["DAYS_BIRTH"]["csi_previous_period"] == by_input["DAYS_BIRTH"]["csi_previous_period"]
    assert again["score"]["psi_previous_period"] == report["score"]["psi_previous_period"] is not None


def test_no_table_holds_a_per_client_score_after_every_job(app, settings, outcomes, run_jobs, model_bundle):
    run_jobs(settings, "portfolio", "drift", "backtest")
    with _session(app) as db:
        population = load_population(db)
        payloads = [row.payload for row in db.scalars(select(MonitoringAggregate))]
    assert len(payloads) == 3
    text = json.dumps(payloads)
    probabilities = model_bundle.score(population)["probability"].to_numpy()
    leaked = [p for p in probabilities if f"{p:.6f}" in text or repr(float(p)) in text]
    assert not leaked, f"per-client probabilities stored: {leaked[:3]}"


# ----------------------------------------------------------------------------- command line


@pytest.fixture
def cli(settings, monkeypatch, dask_cluster):
    """``octroi ...`` against the test's database, its jobs on the session's Dask cluster."""
    import backend.jobs.service as jobs_service

    @contextmanager
    def shared(*_args, **_kwargs):
        yield dask_cluster

    monkeypatch.setattr(jobs_service, "dask_client", shared)
    monkeypatch.setattr("backend.jobs.cluster.dask_client", shared)
    monkeypatch.setenv("OCTROI_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("OCTROI_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("OCTROI_MODEL_DIR", str(settings.effective_model_dir))
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(cli_app, list(args))
    get_settings.cache_clear()


def test_monitor_drift_exits_0_on_the_training_distribution_and_1_on_a_drifted_population(
    cli, settings, synthetic_data_dir, tmp_path
):
    source = synthetic_data_dir / "application_test.csv"
    import_file(settings, source)
    quiet = cli("monitor", "drift", "--json")
    assert quiet.exit_code == 0, quiet.output
    assert json.loads(quiet.stdout)["level"] == "ok"

    frame = pd.read_csv(source)
    frame["DAYS_BIRTH"] = np.minimum(frame["DAYS_BIRTH"] + 5 * 365, -18 * 365 - 5)  # applicants stay adults
    frame["EXT_SOURCE_3"] = frame["EXT_SOURCE_3"] * 0.85
    frame["AMT_CREDIT"] = frame["AMT_CREDIT"] * 1.3
    drifted = tmp_path / "drifted.csv"
    frame.to_csv(drifted, index=False)
    imported = cli("clients", "import", str(drifted))  # runs the jobs after the import
    assert imported.exit_code == 0, imported.output
    assert "job drift:" in imported.output and "job portfolio:" in imported.output
    alarmed = cli("monitor", "drift")
    assert alarmed.exit_code == 1, alarmed.output
    assert "ACT" in alarmed.output and "EXT_SOURCE_3" in alarmed.output


def test_jobs_run_all_and_monitor_backtest_from_the_command_line(cli, app, settings, outcomes):
    result = cli("jobs", "run", "all")
    assert result.exit_code == 0, result.output
    assert all(f"{kind}:" in result.output for kind in ("portfolio", "drift", "backtest"))
    report = cli("monitor", "backtest", "--json")
    assert report.exit_code == 0, report.output
    assert json.loads(report.stdout)["n"] == outcomes.inserted


def test_each_registered_model_version_is_backtested_and_served_on_its_own(
    app, client, auth_headers, settings, outcomes, run_jobs, dask_cluster, trained_bundle_dir,
    other_features_bundle_dir, other_bundle, model_bundle
):
    from backend.jobs.service import JobFailed, load_version, run_job
    from backend.registry.store import ModelRegistry

    registry = ModelRegistry(settings.effective_registry_dir)
    registry.add(trained_bundle_dir)
    registry.add(other_features_bundle_dir)
    run_jobs(settings, "backtest")  # the serving model
    other = run_job("backtest", settings, client=dask_cluster, bundle=load_version(settings, other_bundle.version))
    assert other.model_version == other_bundle.version != model_bundle.version
    comex = auth_headers("comex")
    served = client.get(f"{API}/monitoring/backtest", headers=comex).json()
    asked = client.get(f"{API}/monitoring/backtest", headers=comex, params={"model_version": other_bundle.version}).json()
    assert served["model_version"] == model_bundle.version and asked["model_version"] == other_bundle.version
    assert asked["n"] == served["n"] and asked["auc"]["auc"] != served["auc"]["auc"]
    assert {h["model_version"] for h in asked["history"]} == {model_bundle.version, other_bundle.version}
    unknown = client.get(f"{API}/monitoring/backtest", headers=comex, params={"model_version": "no-such-version"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "aggregates_not_computed"
    bad = client.get(f"{API}/monitoring/backtest", headers=comex, params={"model_version": "../etc"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "model_version"
    with pytest.raises(JobFailed, match="no registered model version"):
        load_version(settings, "no-such-version")


@pytest.mark.parametrize("enabled", [True, False])
def test_an_erasure_from_the_api_starts_the_jobs_in_another_process_unless_turned_off(
    db_url, make_settings, trained_bundle_dir, cheap_argon2, applicants_csv, applicant_ids, monkeypatch, enabled
):
    from fastapi.testclient import TestClient

    import backend.jobs.trigger as trigger
    from backend.app import create_app
    from tests.fixtures.auth import login

    started: list[list[str]] = []
    environments: list[dict[str, str]] = []
    monkeypatch.setattr(trigger.subprocess, "Popen",
                        lambda args, **kwargs: (started.append(list(args)), environments.append(kwargs["env"])))
    # The API's environment names another database (as a developer's shell or a test runner
    # may): the jobs must still run on the app's own (they recomputed the demo's figures).
    monkeypatch.setenv("OCTROI_DATABASE_URL", "sqlite:////nonexistent/elsewhere.db")
    monkeypatch.delenv("OCTROI_VAR_DIR", raising=False)
    settings = make_settings(db_url, model_dir=trained_bundle_dir, jobs_after_change=enabled)
    import_file(settings, applicants_csv)
    app = create_app(settings)
    with TestClient(app) as client:
        from backend.users.service import create_user

        with app.state.sessionmaker() as db:
            for name in ("dpo", "dpo2"):  # four-eyes: one asks, the other confirms
                create_user(db, app.state.password_hasher, username=name, role="compliance",
                            password="Quiet-river-4821!zq", must_change_password=False)
            db.commit()
        for name, status in (("dpo", 202), ("dpo2", 200)):
            token = login(client, name, "Quiet-river-4821!zq")["access_token"]
            response = client.delete(f"{API}/privacy/clients/{applicant_ids[0]}",
                                     headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == status, response.text
    if enabled:
        assert [args[-4:] for args in started] == [["backend.cli", "jobs", "run", "all"]]
        [env] = environments
        assert env["OCTROI_DATABASE_URL"] == settings.effective_database_url
        assert env["OCTROI_VAR_DIR"] == str(settings.var_dir)
        assert env["OCTROI_MODEL_DIR"] == str(trained_bundle_dir)
        assert env["OCTROI_PSEUDONYM_KEY"] == settings.secret("pseudonym_key")
        # What the child reads back is the app's configuration.
        from backend.settings import Settings

        monkeypatch.setattr("os.environ", env)
        again = Settings()
        assert again.effective_database_url == settings.effective_database_url and again.env == settings.env
        assert again.jwt_key == settings.jwt_key and again.jobs_after_change is True
    else:
        assert started == []


def test_on_a_real_cluster_workers_use_their_own_database_url_and_no_credential_travels(
    app, settings, imported_clients, monkeypatch
):
    from backend.jobs import tasks
    from backend.jobs.service import _worker_url

    assert _worker_url(settings) is not None  # a local cluster: same machine, same settings
    remote = settings.model_copy(update={"dask_scheduler": "tcp://scheduler.bank.internal:8786"})
    assert _worker_url(remote) is None
    monkeypatch.setenv("OCTROI_DATABASE_URL", settings.effective_database_url)
    frame, _ = tasks.read_partition(None, "0000", None)  # what a remote worker does
    assert len(frame) == len(imported_clients)


def test_a_job_whose_scattered_model_the_cluster_lost_is_submitted_again_and_stores_one_result(
    app, settings, imported_clients, dask_cluster, monkeypatch, run_jobs
):
    """The scheduler cancels a graph whose scattered input it no longer holds ("lost
    dependencies", seen once in CI on the long-lived test cluster): the job scatters again once
    and gives the same aggregates; a second loss is the job's failure."""
    from distributed.client import FutureCancelledError

    from backend.monitoring.models import MonitoringAggregate

    expected = run_jobs(settings, "portfolio")["portfolio"].payload
    scatter = dask_cluster.scatter
    lost = {"left": 1}

    def losing_scatter(*args, **kwargs):
        future = scatter(*args, **kwargs)
        if lost["left"]:
            lost["left"] -= 1
            dask_cluster.cancel(future)  # released before the tasks that need it are submitted
        return future

    monkeypatch.setattr(dask_cluster, "scatter", losing_scatter)
    again = run_jobs(settings, "portfolio")["portfolio"]
    assert lost["left"] == 0 and again.payload == expected
    with _session(app) as db:
        assert db.query(MonitoringAggregate).filter_by(kind="portfolio").count() == 2  # one per job run

    lost["left"] = 2
    with pytest.raises(FutureCancelledError, match="lost dependencies"):
        run_jobs(settings, "portfolio")
    with _session(app) as db:
        assert db.query(MonitoringAggregate).filter_by(kind="portfolio").count() == 2  # nothing stored


def _imported(app, settings, tmp_path: Path, rows: pd.DataFrame) -> None:
    """Import these outcome rows (a CSV of the outcomes file's columns)."""
    path = tmp_path / "some-outcomes.csv"
    rows.to_csv(path, index=False)
    with _session(app) as db:
        import_outcomes(db, keyring(settings), read_outcomes_file(path))
        db.commit()


def test_ten_outcomes_one_of_them_alone_in_a_grade_do_not_give_that_outcome(
        app, client, auth_headers, settings, imported_clients, run_jobs, tmp_path, model_bundle, applicants_csv):
    """The backtest's grades across time: outcomes for 10 more clients, one of them the only
    newcomer in a grade shown before, moved that grade's n and defaults by that person. The grade
    is now pooled after such an import; every grade shown before and after moved by 0 or 10+."""
    frame = pd.read_csv(applicants_csv)
    grades = pd.Series(grade(model_bundle.score(frame)["probability"].to_numpy()))
    sizes = grades.value_counts()
    alone = next(g for g in ("F", "E", "D", "C", "B") if sizes.get(g, 0) >= MIN_CELL + 3)
    crowd = sizes.index[0] if sizes.index[0] != alone else sizes.index[1]
    newcomers = [int(np.flatnonzero(grades == alone)[0]), *np.flatnonzero(grades == crowd)[:MIN_CELL - 1].tolist()]
    everyone = pd.read_csv(_outcomes_csv(tmp_path, applicants_csv, model_bundle))
    headers = auth_headers("comex")

    _imported(app, settings, tmp_path, everyone.drop(index=newcomers))
    assert run_jobs(settings, "backtest")["backtest"].published
    before = {g["grade"]: g for g in client.get(f"{API}/monitoring/backtest", headers=headers).json()["grades"]}
    assert not before[alone]["suppressed"]
    _imported(app, settings, tmp_path, everyone.iloc[newcomers])
    result = run_jobs(settings, "backtest")["backtest"]
    assert result.published and result.changed_people == MIN_CELL
    after = {g["grade"]: g for g in client.get(f"{API}/monitoring/backtest", headers=headers).json()["grades"]}
    assert after[alone]["suppressed"]
    for name in before.keys() & after.keys():
        if not before[name]["suppressed"] and not after[name]["suppressed"]:
            moved = after[name]["n"] - before[name]["n"]
            assert moved == 0 or moved >= MIN_CELL, (name, moved)


def test_a_grade_whose_people_moved_by_ten_but_its_defaulters_by_few_keeps_its_size(
        app, client, auth_headers, settings, imported_clients, run_jobs, tmp_path, model_bundle, applicants_csv):
    """Outcomes for 30 more clients in two grades, 10 repaid and 1 to 9 defaulted in each (10 in all).
    Each grade moved by 10 or more people, so its size is still shown, but by few defaulters:
    its defaults and rates are withheld, not the whole grade pooled (what the twenty-first session
    did); no grade shown both times gives 1 to 9 of an outcome by subtraction, and neither do the
    overall defaults less the grades shown."""
    frame = pd.read_csv(applicants_csv)
    grades = pd.Series(grade(model_bundle.score(frame)["probability"].to_numpy()))
    everyone = pd.read_csv(_outcomes_csv(tmp_path, applicants_csv, model_bundle))
    target = everyone["TARGET"].to_numpy()

    # Two grades with 10 repaid to spare and the 10 defaulters between them, 1 to 9 each.
    repaid = {g: np.flatnonzero((grades == g) & (target == 0)) for g in GRADE_NAMES}
    defaulted = {g: np.flatnonzero((grades == g) & (target == 1)) for g in GRADE_NAMES}
    roomy = sorted((g for g in GRADE_NAMES if len(repaid[g]) >= 2 * MIN_CELL and len(defaulted[g])),
                   key=lambda g: -len(defaulted[g]))[:2]
    assert len(roomy) == 2 and sum(min(len(defaulted[g]), 9) for g in roomy) >= 10, pd.crosstab(grades, target)
    first = min(len(defaulted[roomy[0]]), 9)
    split = {roomy[0]: (first, 10), roomy[1]: (10 - first, 10)}
    newcomers = [i for g, (d, r) in split.items() for i in [*defaulted[g][:d], *repaid[g][:r]]]
    headers = auth_headers("comex")

    def served() -> dict:
        return client.get(f"{API}/monitoring/backtest", headers=headers).json()

    _imported(app, settings, tmp_path, everyone.drop(index=newcomers))
    assert run_jobs(settings, "backtest")["backtest"].published
    before = served()
    _imported(app, settings, tmp_path, everyone.iloc[newcomers])
    result = run_jobs(settings, "backtest")["backtest"]
    assert result.published and result.changed_people == 30
    after = served()
    rows_before = {g["grade"]: g for g in before["grades"]}
    rows_after = {g["grade"]: g for g in after["grades"]}
    for g, (d, r) in split.items():
        assert not rows_before[g]["suppressed"]
        assert not rows_after[g]["suppressed"] and rows_after[g]["n"] == rows_before[g]["n"] + d + r
        assert rows_after[g]["outcomes_withheld"] and rows_after[g]["defaults"] is None
        assert rows_after[g]["observed_rate"] is None
    assert after["defaults"] is not None  # the overall outcomes are shown: the grades' are withheld on their own
    for g in rows_before.keys() & rows_after.keys():
        b, a = rows_before[g], rows_after[g]
        if b.get("defaults") is not None and a.get("defaults") is not None:
            for moved in (a["defaults"] - b["defaults"], (a["n"] - a["defaults"]) - (b["n"] - b["defaults"])):
                assert moved == 0 or abs(moved) >= MIN_CELL, (g, moved)

    def rest(result: dict) -> tuple[int, int]:
        shown = [g for g in result["grades"] if g.get("defaults") is not None]
        defaults = result["defaults"] - sum(g["defaults"] for g in shown)
        return defaults, result["n"] - result["defaults"] - sum(g["n"] - g["defaults"] for g in shown)

    if before["defaults"] is not None:
        for moved in np.subtract(rest(after), rest(before)):
            assert moved == 0 or abs(moved) >= MIN_CELL
