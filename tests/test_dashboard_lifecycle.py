"""The decision lifecycle and the challenger view in the dashboard (Streamlit AppTest against
the live API of ``tests/fixtures/live.py``). Uses applicants 5, 6 and 7, which no other dashboard
test touches."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from frontend import charts, contract, ui
from frontend.navigation import pages_for
from frontend.views import lifecycle
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

    # The advisor who decided is not offered the review the API would refuse them (403
    # reviewer_is_decider): the page says who reviews it.
    assert any("son réexamen revient à un autre conseiller" in i.value for i in at.info), [i.value for i in at.info]
    assert "Enregistrer le réexamen" not in {b.label for b in at.button}

    # Another advisor opens the same file and reviews it: the decision is upheld, by them.
    other = _logged_in(monkeypatch, live_api, "advisor2")
    other.session_state[CLIENT_KEY] = client_id
    other.run()
    assert any("Le réexamen doit être fait par un autre conseiller" in w.value for w in other.warning)
    widget(other, "text_area", "review_reason").input("Revenus actualisés vérifiés.")
    _click(other, "Enregistrer le réexamen")
    assert not other.exception and not _errors(other), _errors(other)
    [entry] = other.session_state[HISTORY_KEY][1].entries
    assert [(c.status, c.reviewer) for c in entry.contests] == [("upheld", live_api.credentials["advisor2"][0])]


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
                          json={"decision": score["decision"], "revises": None}, timeout=60)
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
    assert any("Aucun dossier noté par un challenger" in i.value for i in at.info)


CURRENT = ("20261205-164619-a268ebd7", "20261205-165055-69a26907")


def _day(**counts) -> contract.ChallengerDay:
    base = dict(day="2026-12-05", champion_version="20261205-164619-a268ebd7",
                challenger_version="20261205-165055-69a26907", sealed=True, applicants=40, agreement_rate=0.95,
                flips_to_refuse=1, flips_to_approve=1, mean_shift=0.001, mean_abs_shift=0.0125,
                shift_counts=None, late=0, dropped=0, errors=3)
    return contract.ChallengerDay(**{**base, **counts})


def test_the_shift_bands_read_lowest_first_in_the_points_of_the_mean_shift_beside_them(monkeypatch):
    from backend.registry.challenger import SHIFT_EDGES

    labels = lifecycle.bins(list(SHIFT_EDGES))
    # A half-open interval as each language writes it ("[+1 ; +2)" mixed the two).
    assert labels == ["< -20", "[-20 ; -10[", "[-10 ; -5[", "[-5 ; -2[", "[-2 ; -1[", "[-1 ; 0[", "[0 ; +1[",
                      "[+1 ; +2[", "[+2 ; +5[", "[+5 ; +10[", "[+10 ; +20[", "≥ +20"]
    monkeypatch.setattr(ui, "lang", lambda: "en")
    assert lifecycle.bins(list(SHIFT_EDGES))[1:3] == ["[-20, -10)", "[-10, -5)"]
    monkeypatch.undo()
    # Plotly sorts text categories unless told: "[+1 ; +2[" came before "[-1 ; 0[" on the page.
    fig = charts.shift_bars(labels, list(range(12)), "Écart", "Demandes")
    assert list(fig.layout.xaxis.categoryarray) == labels and fig.layout.xaxis.categoryorder == "array"
    assert list(fig.data[0].x) == labels and list(fig.data[0].y) == list(range(12))
    # A day's mean shift of 0.001 in probability is +0,10 point, the unit of the bands.
    table = lifecycle.day_rows([_day()], CURRENT)
    assert table["Écart moyen"].tolist() == ["+0,10 pts"] and table["Écart absolu moyen"].tolist() == ["1,25 pts"]


def test_a_day_still_open_or_of_fewer_than_ten_applicants_shows_its_applicants_and_no_outcome(monkeypatch):
    """Today's row says "en cours" where the outcomes go (the API withholds them until the day
    is sealed: two readings of live counters gave one client's result); a sealed day of fewer
    than 10 applicants shows "—"; applicants counted after the closing get a column then."""
    withheld = dict(agreement_rate=None, flips_to_refuse=None, flips_to_approve=None, mean_shift=None,
                    mean_abs_shift=None)
    today = _day(day="2026-12-06", sealed=False, applicants=12, **withheld)
    small = _day(day="2026-12-04", applicants=7, **withheld)
    table = lifecycle.day_rows([today, _day(late=2), small], CURRENT)
    assert table["Demandeurs"].tolist() == ["12", "40", "7"]
    assert table["Accord"].tolist() == ["en cours", "95,0\u00a0%", "—"]
    assert table["Accord → refus"].tolist() == ["en cours", "1", "—"]
    assert table["Écart moyen"].tolist() == ["en cours", "+0,10 pts", "—"]
    assert table["Après clôture"].tolist() == ["0", "2", "0"]
    assert "Après clôture" not in lifecycle.day_rows([_day()], CURRENT).columns
    monkeypatch.setattr(ui, "lang", lambda: "en")
    assert lifecycle.day_rows([today], CURRENT)["Agreement"].tolist() == ["open"]


def test_the_version_pair_is_a_column_only_when_a_day_compared_other_versions_than_those_named_above():
    assert "Production / challenger" not in lifecycle.day_rows([_day()], CURRENT).columns
    earlier = _day(day="2026-12-04", challenger_version="20261201-090000-00aa11bb")
    table = lifecycle.day_rows([_day(), earlier], CURRENT)
    assert table["Production / challenger"].tolist() == [" / ".join(CURRENT), f"{CURRENT[0]} / 20261201-090000-00aa11bb"]


def test_a_challenger_s_errors_and_each_version_s_threshold_and_cost_are_on_the_page():
    assert lifecycle.day_rows([_day()], CURRENT)["Erreurs du challenger"].tolist() == ["3"]
    version = contract.ModelVersion(version="v1", status="challenger", created_at="2026-12-05T16:50:55+00:00",
                                    auc=0.7726, business_cost_per_client=0.514, threshold=0.0833, features=122,
                                    training_data_sha256=None, training_rows=50000)
    row = lifecycle.version_rows([version]).iloc[0]
    assert (row["AUC (validation croisée)"], row["Seuil de décision"], row["Coût métier moyen par client (1 = un bon client refusé)"], row["Variables"]) == (
        "0,773", "8,3\u00a0%", "0,514", "122")
