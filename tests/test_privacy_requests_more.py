"""Data-subject requests, second round (reviewer acting as the compliance officer):

- a stolen compliance session is limited: the Art. 17 erasure and the "was this id erased?"
  look-up each spend a per-user daily budget (429 ``rate_limited`` with ``Retry-After``,
  audited ``rate.limited``), so one session cannot erase the portfolio or map its ids;
- the Art. 15 export reads as a person reads their file, in the export's language: category
  levels in words, day counts as ages and durations, yes/no, amounts, the raw value kept beside
  for portability; audit actions in words.

Both engines (``db_url``), the real app with a trained bundle and the small applicant file.
"""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select

from backend.audit.actions import AuditAction
from backend.audit.models import AuditEvent
from backend.clients.models import Client
from backend.settings import Settings
from ml.features import DISPLAY_NEGATED, completed_years_of
from ml.labels import LEVELS, feature_label, label
from ml.schema import COLUMN_BY_NAME, DAYS_EMPLOYED_SENTINEL, ID_COLUMN
from tests.test_rbac_routes import _calls, api_routes

API = "/api/v1"


@pytest.fixture
def settings(db_url, make_settings, trained_bundle_dir):
    return make_settings(db_url, model_dir=trained_bundle_dir,
                         rate_limit_erasure_per_day=2, rate_limit_erasure_status_per_day=3)


@pytest.fixture
def compliance(client, auth_headers, imported_clients):
    return auth_headers("compliance")


def _events(app, action: str) -> list[AuditEvent]:
    with app.state.sessionmaker() as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def _scopes(app, method: str, path: str) -> set[str]:
    [route] = [r for m, r in api_routes(app) if m == method and r.path == path]
    return {getattr(c, "rate_limit_scope") for c in _calls(route.dependant) if hasattr(c, "rate_limit_scope")}


# ----------------------------------------------------------------------------- budgets (fix 1)


def test_erasure_and_the_erasure_look_up_each_spend_a_budget_of_their_own(app):
    assert _scopes(app, "DELETE", f"{API}/privacy/clients/{{client_id}}") == {"erasure"}
    assert _scopes(app, "GET", f"{API}/privacy/clients/{{client_id}}/erasure") == {"erasure_status"}
    # Sized for a compliance officer's day (README, "Abuse limits"), far below a portfolio.
    defaults = Settings(env="development")
    assert (defaults.rate_limit_erasure_per_day, defaults.rate_limit_erasure_status_per_day) == (20, 50)


def test_a_stolen_session_cannot_erase_beyond_its_daily_budget(app, client, compliance, imported_clients):
    """Alone it erases nothing (four-eyes: ``tests/test_erasure_four_eyes.py``); its requests,
    which a second officer would confirm, spend the budget too."""
    first, second, third = imported_clients[:3]
    assert client.delete(f"{API}/privacy/clients/{first}", headers=compliance).status_code == 202
    assert client.delete(f"{API}/privacy/clients/{second}", headers=compliance).status_code == 202

    refused = client.delete(f"{API}/privacy/clients/{third}", headers=compliance)

    assert refused.status_code == 429, refused.text
    assert refused.json()["code"] == "rate_limited"
    wait = int(refused.headers["retry-after"])
    assert 1 <= wait <= 2 * 86_400  # a day's sliding window: within two days whatever the hour
    # Nothing went: the refusal is audited, the two requests too, no erasure.
    with app.state.sessionmaker() as db:
        assert db.scalar(select(func.count()).select_from(Client)) == len(imported_clients)
    assert len(_events(app, "privacy.erase_request")) == 2 and not _events(app, "privacy.erase")
    [limited] = _events(app, "rate.limited")
    assert limited.details["scope"] == "erasure" and limited.details["window_seconds"] == 86_400
    assert limited.resource == f"{API}/privacy/clients/{{client_id}}"
    assert str(third) not in str(limited.details)


def test_the_erasure_look_up_cannot_map_the_bank_ids(app, client, compliance, imported_clients):
    answers = [client.get(f"{API}/privacy/clients/{raw}/erasure", headers=compliance)
               for raw in (*imported_clients[:3], 999_999_999_991)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert refused.json()["code"] == "rate_limited" and int(refused.headers["retry-after"]) >= 1
    assert len(_events(app, "privacy.erasure_status")) == 3
    assert [e.details["scope"] for e in _events(app, "rate.limited")] == ["erasure_status"]
    # The two budgets are apart: the look-ups spent nothing of the erasures.
    assert client.delete(f"{API}/privacy/clients/{imported_clients[0]}", headers=compliance).status_code == 202


# ----------------------------------------------------------------------------- readable export (fix 3)


def _raw_row(applicants_csv, raw_id: int) -> dict:
    frame = pd.read_csv(applicants_csv)
    row = frame[frame[ID_COLUMN] == raw_id].iloc[0].to_dict()
    return {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_export_gives_the_stored_data_as_a_person_reads_it(client, compliance, imported_clients, applicants_csv, lang):
    raw_id = imported_clients[0]
    body = client.get(f"{API}/privacy/clients/{raw_id}/export", headers=compliance, params={"lang": lang}).json()
    stored = {f["feature"]: f for f in body["stored_data"]}
    row = _raw_row(applicants_csv, raw_id)
    yes, no = ("oui", "non") if lang == "fr" else ("yes", "no")
    for name, item in stored.items():
        raw = row[name]
        # The value as the bank's file holds it, for portability (Art. 20) ...
        if isinstance(raw, float) and float(item["raw_value"]) == raw:
            pass
        else:
            assert item["raw_value"] == raw, (name, item)
        # ... and as a person reads it: text, never a code of the file.
        value = item["value"]
        assert isinstance(value, str) and value, (name, item)
        column = COLUMN_BY_NAME[name]
        if raw is None:
            assert value == ("non renseigné" if lang == "fr" else "not given"), (name, item)
        elif column.levels and set(column.levels) <= {"N", "Y", "No", "Yes"}:
            assert value == (yes if raw in ("Y", "Yes") else no), (name, item)
        elif column.kind == "category":
            assert raw not in LEVELS or value == LEVELS[raw][0 if lang == "fr" else 1], (name, item)
            assert item["label"] == label(name, lang)
        elif column.kind == "flag":
            assert value == (yes if raw else no), (name, item)
    # Day counts: the age and the time employed in completed years, other durations positive.
    age = completed_years_of(-row["DAYS_BIRTH"] / 365.25)
    assert stored["DAYS_BIRTH"]["label"] == ("Âge (années)" if lang == "fr" else "Age (years)")
    assert stored["DAYS_BIRTH"]["value"] == (f"{age:.1f}".replace(".", ",") if lang == "fr" else f"{age:.1f}")
    assert "négatif" not in stored["DAYS_EMPLOYED"]["label"] and "negative" not in stored["DAYS_EMPLOYED"]["label"]
    if row["DAYS_EMPLOYED"] == DAYS_EMPLOYED_SENTINEL:
        assert "retrait" in stored["DAYS_EMPLOYED"]["value"] or "pensioner" in stored["DAYS_EMPLOYED"]["value"]
    for name in DISPLAY_NEGATED:
        assert stored[name]["label"] == feature_label(name, lang)
        if row[name] is not None:
            shown = stored[name]["value"].replace("\u202f", "").replace(",", "")
            assert int(shown) == round(-row[name]), (name, stored[name])
    # A few levels the reviewer found as codes.
    raw_type = row["NAME_CONTRACT_TYPE"]
    assert stored["NAME_CONTRACT_TYPE"]["value"] == LEVELS[raw_type][0 if lang == "fr" else 1]
    assert stored["WEEKDAY_APPR_PROCESS_START"]["value"] != row["WEEKDAY_APPR_PROCESS_START"]
    if lang == "fr":
        assert stored["AMT_INCOME_TOTAL"]["value"].endswith("\u00a0€")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_exports_audit_events_say_what_happened_in_words(
    client, compliance, auth_headers, imported_clients, lang
):
    raw_id = imported_clients[1]
    advisor = auth_headers("advisor")
    client.get(f"{API}/clients/{raw_id}/score", headers=advisor)
    client.get(f"{API}/clients/{raw_id}/explanation", headers=advisor)
    body = client.get(f"{API}/privacy/clients/{raw_id}/export", headers=compliance, params={"lang": lang}).json()
    words = {e["action"]: e["action_label"] for e in body["audit_events"]}
    assert {"score.compute", "explanation.read"} <= set(words)
    expected = {"fr": ("Calcul du score", "Consultation de l'explication du score"),
                "en": ("Score computed", "Score explanation viewed")}[lang]
    assert (words["score.compute"], words["explanation.read"]) == expected


def test_every_audit_action_has_words_in_both_languages():
    from backend.privacy.service import action_label

    for action in AuditAction:
        french, english = action_label(action.value, "fr"), action_label(action.value, "en")
        assert french and english and action.value not in (french, english), action
    assert action_label("some.new_action", "fr") == "some.new_action"  # a newer code stays readable as is
