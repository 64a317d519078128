"""The model registry: immutable hash-verified versions, audited promotion/rollback/shadow from
the CLI, every API process following them without a restart, and the challenger off the
response path. Database tests run on both engines."""

from __future__ import annotations

import json
import shutil
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from backend.audit.models import AuditEvent
from backend.cli import app as cli
from backend.registry import service
from backend.registry.models import ChallengerDaily
from backend.registry.store import ModelRegistry, RegistryError
from backend.timezone import bank_day

API = "/api/v1"
runner = CliRunner()


def test_a_registered_version_is_immutable_and_verified_at_every_load(tmp_path, trained_bundle_dir, model_bundle):
    from ml.bundle import BundleIntegrityError

    registry = ModelRegistry(tmp_path / "registry")
    info, added = registry.add(trained_bundle_dir)
    assert added and info.version == model_bundle.version
    assert registry.add(trained_bundle_dir)[1] is False  # same bytes: nothing to do
    assert registry.verify(info.version) is None

    # Same version, other content: refused.
    imposter = tmp_path / "imposter"
    shutil.copytree(trained_bundle_dir, imposter)
    manifest = json.loads((imposter / "manifest.json").read_text())
    manifest["metrics"]["auc"] = 0.99
    (imposter / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(RegistryError, match="immutable"):
        registry.add(imposter)

    # A file modified in place is refused at load, naming the file.
    target = info.path / "model.txt"
    target.chmod(0o600)
    target.write_text(target.read_text() + "\n")
    assert "SHA-256 mismatch" in (registry.verify(info.version) or "")
    with pytest.raises(BundleIntegrityError):
        registry.load(info.version)


@pytest.fixture
def cli_env(db_url, tmp_path, monkeypatch):
    from backend.settings import get_settings

    monkeypatch.setenv("OCTROI_DATABASE_URL", db_url)
    monkeypatch.setenv("OCTROI_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("OCTROI_REGISTRY_DIR", str(tmp_path / "registry"))
    monkeypatch.setenv("OCTROI_JOBS_AFTER_CHANGE", "false")  # the batch jobs have their own tests
    get_settings.cache_clear()
    yield tmp_path / "registry"
    get_settings.cache_clear()


def _invoke(*args: str):
    return runner.invoke(cli, list(args))


def test_model_commands_list_promote_shadow_and_roll_back_and_each_change_is_audited(
    cli_env, db_url, trained_bundle_dir, other_features_bundle_dir, model_bundle, other_bundle
):
    from backend.db import make_engine, make_sessionmaker

    v1, v2 = model_bundle.version, other_bundle.version
    for directory in (trained_bundle_dir, other_features_bundle_dir):
        result = _invoke("model", "add", str(directory))
        assert result.exit_code == 0, result.output
    assert _invoke("model", "rollback").exit_code == 2  # nothing promoted yet
    unknown = _invoke("model", "promote", "no-such-version")
    assert unknown.exit_code == 2 and "not in the registry" in unknown.output

    assert _invoke("model", "promote", v1).exit_code == 0
    assert _invoke("model", "shadow", v2).exit_code == 0
    listing = json.loads(_invoke("model", "list", "--json").output)
    assert (listing["champion"], listing["challenger"]) == (v1, v2)
    statuses = {v["version"]: v for v in listing["versions"]}
    assert statuses[v1]["status"] == "champion" and statuses[v2]["status"] == "challenger"
    assert statuses[v2]["features"] < statuses[v1]["features"]
    assert statuses[v1]["training_data_sha256"] and statuses[v1]["integrity"] == "verified"
    assert statuses[v1]["auc"] == pytest.approx(model_bundle.manifest["metrics"]["auc"])

    assert _invoke("model", "promote", v2).exit_code == 0  # the challenger becomes champion
    listing = json.loads(_invoke("model", "list", "--json").output)
    assert (listing["champion"], listing["challenger"]) == (v2, None)
    assert {v["version"]: v["status"] for v in listing["versions"]}[v1] == "retired"
    assert "is already the champion" in _invoke("model", "promote", v2).output

    result = _invoke("model", "rollback")
    assert result.exit_code == 0 and f"champion {v1}" in result.output
    assert json.loads(_invoke("model", "list", "--json").output)["champion"] == v1
    assert _invoke("model", "shadow", "--clear").exit_code == 2  # no challenger left
    assert _invoke("model", "shadow").exit_code == 2

    engine = make_engine(db_url)
    try:
        with make_sessionmaker(engine)() as db:
            events = db.scalars(select(AuditEvent).where(AuditEvent.action.like("model.%")).order_by(AuditEvent.seq)).all()
    finally:
        engine.dispose()
    assert [(e.action, e.model_version) for e in events] == [
        ("model.promote", v1), ("model.shadow", v2), ("model.promote", v2), ("model.rollback", v1)]
    assert all(e.actor.startswith("cli") and e.role == "operator" for e in events)
    assert events[3].details == {"from": v2, "to": v1}

    # Batch jobs load the bundle the API serves: the champion's registry directory.
    from backend.registry.service import champion_directory
    from backend.settings import get_settings

    assert champion_directory(get_settings()) == cli_env / v1


@pytest.fixture
def settings(db_url, make_settings, trained_bundle_dir, tmp_path):
    return make_settings(db_url, model_dir=trained_bundle_dir, registry_dir=tmp_path / "registry",
                         model_poll_seconds=0.05, rate_limit_scoring_per_minute=100_000)


@pytest.fixture
def registered(settings, trained_bundle_dir, other_features_bundle_dir, model_bundle, other_bundle):
    registry = ModelRegistry(settings.effective_registry_dir)
    registry.add(trained_bundle_dir)
    registry.add(other_features_bundle_dir)
    return registry, model_bundle.version, other_bundle.version


def _change(app, registry, action, version=None):
    with app.state.sessionmaker() as db:
        if action == "promote":
            service.promote(db, registry, version, "test")
        elif action == "rollback":
            service.rollback(db, registry, "test")
        else:
            service.shadow(db, registry, version, "test")
        db.commit()


def _wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_promote_and_roll_back_while_requests_run_fail_no_request_and_each_answer_matches_its_audit_event(
    app, client, auth_headers, imported_clients, registered
):
    registry, v1, v2 = registered
    headers = auth_headers("advisor")
    answers: list[tuple[int, str | None, str | None, str | None]] = []
    stop = threading.Event()

    def worker(offset: int) -> None:
        i = offset
        while not stop.is_set():
            raw = imported_clients[i % len(imported_clients)]
            response = client.get(f"{API}/clients/{raw}/score", headers=headers)
            body = response.json() if response.status_code == 200 else {}
            answers.append((response.status_code, body.get("model_version"),
                            response.headers.get("X-Model-Version"), response.headers.get("X-Request-ID")))
            i += 7

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    try:
        for action, version, expected in (("promote", v1, v1), ("promote", v2, v2), ("rollback", None, v1),
                                          ("promote", v2, v2)):
            time.sleep(0.3)
            _change(app, registry, action, version)
            # Followed without a restart, within a few poll intervals.
            assert _wait_for(lambda expected=expected: app.state.model.bundle.version == expected)
        time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join()

    assert len(answers) > 20
    assert [a for a in answers if a[0] != 200] == []
    assert all(a[1] == a[2] for a in answers)  # the body and the header name the same version
    assert {a[1] for a in answers} == {v1, v2}
    with app.state.sessionmaker() as db:
        events = {e.request_id: e.model_version for e in db.scalars(
            select(AuditEvent).where(AuditEvent.action == "score.compute"))}
    assert all(events[request_id] == version for _, version, _, request_id in answers)


def test_a_challenger_with_other_features_runs_beside_the_champion_and_only_daily_aggregates_are_kept(
    app, client, auth_headers, imported_clients, registered
):
    registry, v1, v2 = registered
    _change(app, registry, "promote", v1)
    _change(app, registry, "shadow", v2)
    follower = app.state.model_follower
    follower.sync()
    assert follower.challenger.version == v2 and app.state.model.bundle.version == v1
    assert follower.challenger.feature_names != app.state.model.bundle.feature_names

    advisor = auth_headers("advisor")
    probabilities = []
    for raw in imported_clients[:12]:
        response = client.get(f"{API}/clients/{raw}/score", headers=advisor)
        assert response.status_code == 200 and response.json()["model_version"] == v1
        assert v2 not in response.text
        probabilities.append(response.json()["probability"])
    assert follower.monitor.drain()
    follower.sync()  # the follower's tick flushes the counters

    report = client.get(f"{API}/model/challenger", headers=auth_headers("comex"))
    assert report.status_code == 200, report.text
    body = report.json()
    assert (body["champion"], body["challenger"]) == (v1, v2)
    [day] = body["days"]
    assert (day["champion_version"], day["challenger_version"], day["applicants"]) == (v1, v2, 12)
    assert day["day"] == bank_day()  # the day in Paris, as every page shows it
    assert not day["sealed"] and day["agreement_rate"] is None  # today's outcomes: once the day is over
    one_day = client.get(f"{API}/model/challenger?days=1", headers=auth_headers("comex")).json()["days"]
    assert [d["day"] for d in one_day] == [bank_day()]  # "today" is Paris's today

    _seal_today(app, follower)
    [day] = client.get(f"{API}/model/challenger", headers=auth_headers("comex")).json()["days"]
    assert day["sealed"] and day["applicants"] == 12
    _served_as_disclosed(day)
    assert len(day["shift_counts"]) == len(body["shift_edges"]) + 1
    assert day["errors"] == 0 and day["dropped"] == 0
    assert client.get(f"{API}/model/challenger", headers=auth_headers("compliance")).status_code == 200
    for role in ("advisor", "admin"):
        assert client.get(f"{API}/model/challenger", headers=auth_headers(role)).status_code == 403

    # Nothing per client was kept: one aggregate row, no pseudonym, no probability.
    with app.state.sessionmaker() as db:
        rows = db.scalars(select(ChallengerDaily)).all()
    assert len(rows) == 1
    dumped = json.dumps([{c.name: str(getattr(r, c.name)) for c in ChallengerDaily.__table__.columns} for r in rows])
    assert not any(repr(p) in dumped for p in probabilities)

    versions = client.get(f"{API}/model/versions", headers=auth_headers("admin")).json()
    assert {v["version"]: v["status"] for v in versions["versions"]} == {v1: "champion", v2: "challenger"}
    assert versions["serving"] == v1


def test_without_a_promotion_the_model_dir_bundle_is_served_as_before(app, client, auth_headers, model_bundle):
    response = client.get(f"{API}/model", headers=auth_headers("comex"))
    assert response.status_code == 200
    assert response.json()["version"] == model_bundle.version
    assert response.headers["X-Model-Version"] == model_bundle.version
    assert app.state.model_follower.champion_version is None


def test_the_pdf_report_also_names_its_model_version(app, client, auth_headers, imported_clients, model_bundle):
    response = client.get(f"{API}/clients/{imported_clients[0]}/report.pdf", headers=auth_headers("advisor"))
    assert response.status_code == 200 and response.headers["X-Model-Version"] == model_bundle.version


def test_a_change_of_model_thaws_the_settled_heap_so_the_bundle_let_go_can_be_freed(
    app, client, registered, monkeypatch
):
    """A serving process froze its start-up objects, the first bundle among them
    (``backend.heap``); the follower resettles when the served or shadow bundle changes, and
    only then."""
    from backend import heap

    registry, v1, v2 = registered
    follower = app.state.model_follower
    changes: list[tuple[str, str | None]] = []
    monkeypatch.setattr(heap, "resettle", lambda: changes.append(follower._versions()))
    _change(app, registry, "promote", v1)  # the bundle already served: nothing let go
    time.sleep(0.3)  # several polls
    assert follower.champion_version == v1 and changes == []
    _change(app, registry, "promote", v2)
    assert _wait_for(lambda: changes == [(v2, None)])
    _change(app, registry, "shadow", v1)
    assert _wait_for(lambda: len(changes) == 2)
    time.sleep(0.3)
    assert changes == [(v2, None), (v2, v1)]


def test_a_champion_missing_from_this_machine_keeps_the_served_bundle(app, registered, settings):
    registry, v1, _ = registered
    _change(app, registry, "promote", v1)
    app.state.model_follower.sync()
    for child in Path(settings.effective_registry_dir).iterdir():
        shutil.rmtree(child, ignore_errors=True)
    _change_raw_promote(app, "vanished-version")
    app.state.model_follower._safe_sync()
    assert app.state.model.bundle.version == v1  # still serving, nothing failed


def _seal_today(app, follower):
    """Flush as the follower would just after the day's grace: today's rows are sealed."""
    from datetime import timedelta

    from backend.registry.challenger import SEAL_GRACE

    with app.state.sessionmaker() as db:
        follower.monitor.flush(db, now=datetime.now(UTC) + timedelta(days=1) + SEAL_GRACE)


def _change_raw_promote(app, version):
    from datetime import UTC, datetime

    from backend.registry.models import ModelDeployment

    with app.state.sessionmaker() as db:
        db.add(ModelDeployment(slot="champion", action="promote", version=version, actor="test", at=datetime.now(UTC)))
        db.commit()


def test_two_api_processes_on_one_database_both_follow_a_promotion_and_a_rollback(
    app, client, settings, registered, cheap_argon2
):
    from fastapi.testclient import TestClient

    from backend.app import create_app

    registry, v1, v2 = registered
    replica = create_app(settings)  # a second API process: its own holder, cache and follower
    with TestClient(replica):
        for action, version, expected in (("promote", v1, v1), ("promote", v2, v2), ("rollback", None, v1)):
            _change(app, registry, action, version)
            assert _wait_for(lambda expected=expected: app.state.model.bundle.version == expected
                             and replica.state.model.bundle.version == expected)


def test_a_daily_figure_belongs_to_the_day_in_paris_not_in_utc():
    """The challenger's counters are kept per day: a request at 00:30 in Paris belongs to that
    day, not to the previous one in UTC (winter +1 h, summer +2 h)."""
    assert bank_day(datetime(2026, 12, 5, 23, 30, tzinfo=UTC)) == "2026-12-06"
    assert bank_day(datetime(2026, 12, 5, 22, 59, tzinfo=UTC)) == "2026-12-05"
    assert bank_day(datetime(2026, 7, 1, 22, 30, tzinfo=UTC)) == "2026-07-02"
    assert bank_day(datetime(2026, 7, 1, 21, 59, tzinfo=UTC)) == "2026-07-01"


def _served_as_disclosed(day):
    """A sealed day of 12 applicants: its agreements, flips and shift bands, each a count of 0
    or at least 10 when served (null when withheld, ``tests/test_challenger_outcomes_withheld.py``),
    and the applicants minus those served 0 or at least 10 as well."""
    applicants = day["applicants"]
    agreements = None if day["agreement_rate"] is None else round(applicants * day["agreement_rate"])
    for counts in ([agreements, day["flips_to_refuse"], day["flips_to_approve"]], day["shift_counts"]):
        shown = [c for c in counts if c is not None]
        assert all(c == 0 or c >= 10 for c in shown), counts
        assert applicants - sum(shown) == 0 or applicants - sum(shown) >= 10, counts
        assert len(shown) < len(counts) or sum(shown) == applicants


def _challenger_days(client, auth_headers):
    response = client.get(f"{API}/model/challenger", headers=auth_headers("comex"))
    assert response.status_code == 200, response.text
    return response.json()["days"]


def _shadowed(app, follower, client, advisor, raws, route="score"):
    for raw in raws:
        assert client.get(f"{API}/clients/{raw}/{route}", headers=advisor).status_code == 200
    assert follower.monitor.drain()
    # A flush waits for the follower's own background flush under way (``ChallengerMonitor.flush``:
    # before, one that found nothing returned while the other was still writing, and "late" read 0
    # under load on PostgreSQL, twice); twice all the same, as a second replica's would.
    for _ in range(2):
        with app.state.sessionmaker() as db:
            follower.monitor.flush(db)


def _champion_and_challenger(app, registered):
    """v1 promoted, v2 shadowed, the follower synchronised: the app's follower."""
    registry, v1, v2 = registered
    _change(app, registry, "promote", v1)
    _change(app, registry, "shadow", v2)
    app.state.model_follower.sync()
    return app.state.model_follower


OUTCOMES = ("agreement_rate", "flips_to_refuse", "flips_to_approve", "mean_shift", "mean_abs_shift", "shift_counts")


def test_comex_cannot_read_one_applicants_challenger_result_off_two_readings(
    app, client, auth_headers, imported_clients, registered
):
    """The insider: a COMEX member reads the challenger page, an advisor opens one more file,
    the member reads again. With live counters the two readings gave that applicant's challenger
    decision (a flip counter +1) and exact probability shift (from the mean). Today's outcomes are
    now withheld until the day is sealed, and a sealed day never changes: applicants reaching it
    late are counted in ``late`` only."""
    follower = _champion_and_challenger(app, registered)
    advisor = auth_headers("advisor")

    _shadowed(app, follower, client, advisor, imported_clients[:11])
    [before] = _challenger_days(client, auth_headers)
    _shadowed(app, follower, client, advisor, imported_clients[11:12])
    [after] = _challenger_days(client, auth_headers)
    assert (before["applicants"], after["applicants"]) == (11, 12)
    assert all(before[name] is None and after[name] is None for name in OUTCOMES)

    _seal_today(app, follower)
    [sealed] = _challenger_days(client, auth_headers)
    assert sealed["sealed"] and sealed["applicants"] == 12 and sealed["late"] == 0
    _served_as_disclosed(sealed)

    # One more file opened today reaches a row already sealed (and maybe read): counted, not compared.
    _shadowed(app, follower, client, advisor, imported_clients[12:13])
    [again] = _challenger_days(client, auth_headers)
    assert again["late"] == 1
    assert {k: v for k, v in again.items() if k != "late"} == {k: v for k, v in sealed.items() if k != "late"}


def test_an_applicant_counts_once_a_day_across_routes_and_replicas_and_simulations_are_not_shadowed(
    app, client, settings, auth_headers, imported_clients, registered, cheap_argon2
):
    """One applicant whose file is opened (score, then explanation), reopened, simulated and
    opened in another API process is one applicant of the day; the digests that make this hold
    across replicas are gone once the day is sealed, and no table keeps the pseudonym."""
    from fastapi.testclient import TestClient

    from backend.app import create_app
    from backend.clients.service import keyring
    from backend.registry.models import ChallengerSeen

    follower = _champion_and_challenger(app, registered)
    advisor = auth_headers("advisor")
    raw = imported_clients[0]
    _shadowed(app, follower, client, advisor, [raw, raw], "score")
    _shadowed(app, follower, client, advisor, [raw], "explanation")
    simulated = client.post(f"{API}/scoring/simulate", headers=advisor,
                            json={"client_id": str(raw), "overrides": {"AMT_INCOME_TOTAL": 99_000}})
    assert simulated.status_code == 200, simulated.text
    replica = create_app(settings)  # another API process: its own monitor
    with TestClient(replica) as other:
        replica.state.model_follower.sync()
        _shadowed(replica, replica.state.model_follower, other, advisor, [raw], "explanation")
    assert follower.monitor.drain()
    with app.state.sessionmaker() as db:
        follower.monitor.flush(db)
        pseudonym = db.scalars(select(ChallengerSeen.subject)).all()
    [day] = _challenger_days(client, auth_headers)
    assert day["applicants"] == 1 and day["late"] == 0
    assert len(pseudonym) == 1

    _seal_today(app, follower)
    with app.state.sessionmaker() as db:
        assert db.scalars(select(ChallengerSeen)).all() == []
        rows = db.scalars(select(ChallengerDaily)).all()
    [day] = _challenger_days(client, auth_headers)
    assert day["sealed"] and all(day[name] is None for name in OUTCOMES)  # one applicant: counts only
    real = keyring(settings).pseudonymize(str(raw)).value
    assert real not in pseudonym
    dumped = json.dumps([{c.name: str(getattr(r, c.name)) for c in ChallengerDaily.__table__.columns} for r in rows])
    assert real not in dumped


def test_an_erasure_drops_the_challenger_s_digest_of_the_person_for_the_open_day(
    app, client, auth_headers, imported_clients, registered, erase
):
    """Until its day was sealed, ``challenger_seen`` kept a digest of (day, versions, pseudonym)
    of an erased person: whoever holds the pseudonym key could still tell they had been scored
    today. The erasure deletes it; the day's count keeps them (a count names no one)."""
    from backend.registry.challenger import subject_digest
    from backend.registry.models import ChallengerSeen

    follower = _champion_and_challenger(app, registered)
    advisor = auth_headers("advisor")
    kept, erased = imported_clients[:2]
    _shadowed(app, follower, client, advisor, [kept, erased])
    with app.state.sessionmaker() as db:
        follower.monitor.flush(db)
        assert len(db.scalars(select(ChallengerSeen)).all()) == 2
    response = erase(erased)
    assert response.status_code == 200, response.text
    pseudonym = response.json()["pseudonym"]
    with app.state.sessionmaker() as db:
        rows = db.scalars(select(ChallengerSeen)).all()
    assert len(rows) == 1
    assert rows[0].subject != subject_digest((rows[0].day, rows[0].champion_version, rows[0].challenger_version),
                                             pseudonym)
    [day] = _challenger_days(client, auth_headers)
    assert day["applicants"] == 2
