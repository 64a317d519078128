"""The decision lifecycle and the challenger view in the dashboard (Streamlit AppTest against
the live API of ``tests/fixtures/live.py``). Uses applicants 5, 6 and 7, which no other dashboard
test touches."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from frontend.navigation import pages_for
from frontend.views.advisor import CLIENT_KEY, FINAL_KEY
from frontend.views.decisions import HISTORY_KEY
from tests.fixtures.live import LiveApi
from tests.test_dashboard_app import _errors, _logged_in, tables, widget
from tests.test_dashboard_privacy import _click, _lookup

CHALLENGER_PAGE = "screens/model_challenger.py"


def _section(monkeypatch, live_api: LiveApi, client_id: str) -> AppTest:
    at = _logged_in(monkeypatch, live_api, "advisor")
    at.session_state[CLIENT_KEY] = client_id
    at.run()
    assert not at.exception and not _errors(at), _errors(at)
    return at


def test_advisor_sees_the_history_before_the_form_then_records_a_contest_that_another_advisor_must_review(
    monkeypatch, live_api: LiveApi, applicant_ids
):
    client_id = str(applicant_ids[5])
    at = _section(monkeypatch, live_api, client_id)
    assert any("Aucune décision enregistrée" in c.value for c in at.caption)

    _click(at, "Enregistrer la décision")
    assert not at.exception and not _errors(at), _errors(at)
    assert at.session_state[FINAL_KEY][0] == client_id
    history = at.session_state[HISTORY_KEY][1]
    assert [e.kind for e in history.entries] == ["decision"]
    table = next(d for d in tables(at) if "En vigueur" in d.columns)
    assert list(table["Conseiller"]) == [live_api.credentials["advisor"][0]] and list(table["En vigueur"]) == ["oui"]

    # A revision without a reason is refused before anything is sent.
    _click(at, "Enregistrer la révision")
    assert any(e.value.startswith("Le motif est obligatoire pour réviser") for e in at.error)

    widget(at, "text_area", "contest_statement").input("Mes revenus ont changé ; je demande un réexamen.")
    _click(at, "Enregistrer la contestation")
    assert not at.exception and not _errors(at), _errors(at)
    assert any("Contestation du" in w.value and "en attente de réexamen" in w.value for w in at.warning)

    widget(at, "text_area", "review_reason").input("Dossier revu.")
    _click(at, "Enregistrer le réexamen")
    assert any("un autre conseiller doit la réexaminer" in e.value for e in at.error)


def test_a_refused_reason_is_said_in_the_page_s_language_never_in_the_api_s_english(
    monkeypatch, live_api: LiveApi, applicant_ids
):
    client_id = str(applicant_ids[7])
    at = _section(monkeypatch, live_api, client_id)
    widget(at, "text_area", "final_reason").input(f"Client {client_id} connu de l'agence")
    _click(at, "Enregistrer la décision")
    errors = [e.value for e in at.error]
    assert any(e == "Saisie refusée : Motif — ne doit pas contenir l'identifiant du client (il n'est conservé "
               "que sous pseudonyme)" for e in errors), errors
    assert not any("must not" in e or "reason:" in e for e in errors), errors
    assert HISTORY_KEY not in at.session_state or not at.session_state[HISTORY_KEY][1].entries  # nothing recorded

    at.radio(key="octroi_lang").set_value("en").run()
    widget(at, "text_area", "final_reason").input(f"Client {client_id} known to the branch")
    _click(at, "Record the decision")
    assert any(e.value == "Input refused: Reason — must not contain the client id (it is only kept under a pseudonym)"
               for e in at.error), [e.value for e in at.error]


def test_compliance_reproduces_a_past_decision_and_reads_the_challenger_page(
    monkeypatch, live_api: LiveApi, applicant_ids
):
    import httpx

    from tests.fixtures.live import api_token

    client_id = str(applicant_ids[6])
    advisor = {"Authorization": f"Bearer {api_token(live_api, 'advisor')}"}
    score = httpx.get(f"{live_api.url}/api/v1/clients/{client_id}/score", headers=advisor, timeout=60).json()
    recorded = httpx.post(f"{live_api.url}/api/v1/clients/{client_id}/decision", headers=advisor,
                          json={"decision": score["decision"]}, timeout=60)
    assert recorded.status_code == 201, recorded.text

    at = _logged_in(monkeypatch, live_api, "compliance")
    _lookup(at, client_id)
    assert not at.exception and not _errors(at), _errors(at)
    _click(at, "Reproduire")
    assert not at.exception and not _errors(at), _errors(at)
    assert any(s.value.startswith("Identique") for s in at.success), [s.value for s in at.success]

    assert CHALLENGER_PAGE in [p.file for p in pages_for("compliance")]
    assert CHALLENGER_PAGE in [p.file for p in pages_for("comex")]
    assert CHALLENGER_PAGE not in [p.file for p in pages_for("advisor")]
    at.switch_page(CHALLENGER_PAGE).run()
    assert not at.exception and not _errors(at), _errors(at)
    assert any("Aucune demande notée par un challenger" in i.value for i in at.info)
