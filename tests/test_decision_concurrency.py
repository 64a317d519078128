"""Two advisors clicking at once on one client are judged one after the other (both engines).

Each test makes the two requests meet right after they read the client's decisions: a barrier in
``backend.decisions.service`` waits (a few seconds at most) for the other request to read too.
Without the per-client lock both would read the same state and both write (two first decisions,
two reviews closing one contest, a revision of a decision contested at the same moment); with
it the second request waits for the first to commit, never meets it, and is refused for what
the first one did.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from backend.decisions import service
from backend.decisions.models import DecisionContest
from backend.privacy.models import AdvisorDecision
from tests.test_decision_lifecycle import API, _decide, _rule, _score

MEET_SECONDS = 3.0


@pytest.fixture
def settings(db_url, make_settings, trained_bundle_dir, tmp_path):
    return make_settings(db_url, model_dir=trained_bundle_dir, registry_dir=tmp_path / "registry")


@pytest.fixture
def advisors(client, make_user, imported_clients):
    from tests.fixtures.auth import login

    out = {}
    for name in ("alice", "bruno", "carla"):
        username, password = make_user(name, "advisor")
        out[name] = {"Authorization": f"Bearer {login(client, username, password)['access_token']}"}
    return out


def _meet_after(monkeypatch, name: str) -> list[int]:
    """``service.<name>`` waits for the other request to have called it too; returns the list
    of requests that met there (empty: one waited for the other's commit)."""
    barrier = threading.Barrier(2, timeout=MEET_SECONDS)
    real = getattr(service, name)
    met: list[int] = []

    def meeting(*args, **kwargs):
        result = real(*args, **kwargs)
        try:
            met.append(barrier.wait())
        except threading.BrokenBarrierError:
            pass  # alone: the other request is waiting for the lock
        return result

    monkeypatch.setattr(service, name, meeting)
    return met


def _at_once(*calls: Callable[[], object]) -> list:
    with ThreadPoolExecutor(len(calls)) as pool:
        return [f.result() for f in [pool.submit(call) for call in calls]]


def _count(app, model, *where) -> int:
    with app.state.sessionmaker() as db:
        return db.scalar(select(func.count()).select_from(model).where(*where))


def test_two_first_decisions_at_once_one_is_recorded_the_other_is_told_the_decision_changed(
    app, client, advisors, imported_clients, monkeypatch
):
    raw = imported_clients[0]
    _score(client, advisors["alice"], raw)  # the score is cached: both requests only decide
    met = _meet_after(monkeypatch, "current_decision")
    answers = _at_once(
        lambda: _decide(client, advisors["alice"], raw, "approve", "Stable income"),
        lambda: _decide(client, advisors["bruno"], raw, "refuse", "Debt ratio too high"),
    )
    assert met == []
    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    [conflict] = [a for a in answers if a.status_code == 409]
    assert _rule(conflict) == (409, "decision_changed")
    assert _count(app, AdvisorDecision) == 1


def test_two_reviews_of_one_contest_at_once_only_one_closes_it(app, client, advisors, imported_clients, monkeypatch):
    raw = imported_clients[1]
    alice = advisors["alice"]
    decision = _decide(client, alice, raw, "refuse", "Debt ratio too high").json()
    base = f"{API}/clients/{raw}/decisions/{decision['id']}"
    assert client.post(f"{base}/contest", headers=alice, json={"statement": "My income doubled"}).status_code == 201
    met = _meet_after(monkeypatch, "open_contest")
    answers = _at_once(*[
        (lambda who=who: client.post(f"{base}/review", headers=advisors[who], json={
            "outcome": "revised", "decision": "approve", "reason": f"Reviewed by {who}"}))
        for who in ("bruno", "carla")
    ])
    assert met == []
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    assert _rule(next(a for a in answers if a.status_code == 409)) == (409, "no_open_contest")
    assert _count(app, AdvisorDecision) == 2  # one revision, not two
    with app.state.sessionmaker() as db:
        [contest] = db.scalars(select(DecisionContest)).all()
        winner = next(a for a in answers if a.status_code == 200).json()
        assert (contest.status, contest.revision_id) == ("revised", winner["revision"]["id"])


def test_a_revision_and_a_contest_at_once_never_leave_a_revised_decision_contested(
    app, client, advisors, imported_clients, monkeypatch
):
    raw = imported_clients[2]
    alice, bruno = advisors["alice"], advisors["bruno"]
    decision = _decide(client, alice, raw, "refuse", "Debt ratio too high").json()
    met = _meet_after(monkeypatch, "current_decision")
    revision, contest = _at_once(
        lambda: _decide(client, bruno, raw, "approve", "Guarantor added", revises=decision["id"]),
        lambda: client.post(f"{API}/clients/{raw}/decisions/{decision['id']}/contest", headers=alice,
                            json={"statement": "My income doubled"}),
    )
    assert met == []
    if revision.status_code == 201:  # the revision first: the contest is of a replaced decision
        assert _rule(contest) == (409, "decision_superseded"), contest.text
        assert _count(app, DecisionContest) == 0
    else:  # the contest first: only its review may change the decision
        assert contest.status_code == 201, contest.text
        assert _rule(revision) == (409, "decision_contested"), revision.text
        assert _count(app, AdvisorDecision) == 1


# ----------------------------------------------------------------------------- the dashboard
# Streamlit AppTest against the live API (tests/fixtures/live.py), applicants 8 and 9, which no
# other dashboard test touches. A colleague acts through the API as "advisor2".


def _api(live_api, role: str) -> dict[str, str]:
    from tests.fixtures.live import api_token

    return {"Authorization": f"Bearer {api_token(live_api, role)}"}


def _colleague(live_api, method: str, path: str, body: dict) -> dict:
    import httpx

    answer = httpx.request(method, f"{live_api.url}/api/v1{path}", headers=_api(live_api, "advisor2"), json=body,
                           timeout=60)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def _open(monkeypatch, live_api, client_id: str):
    from frontend.views.advisor import CLIENT_KEY
    from tests.test_dashboard_app import _errors, _logged_in

    at = _logged_in(monkeypatch, live_api, "advisor")
    at.session_state[CLIENT_KEY] = client_id
    at.run()
    assert not at.exception and not _errors(at), _errors(at)
    return at


def _history_table(at):
    from tests.test_dashboard_app import tables

    return next(d for d in tables(at) if "En vigueur" in d.columns)


def test_a_colleague_s_decision_meanwhile_is_said_and_shown_not_turned_into_a_silent_revision(
    monkeypatch, live_api, applicant_ids
):
    """Advisor A reads "no decision"; a colleague refuses with a reason; A records agreeing with
    the model. A is told another advisor decided meanwhile (not "reason required"), nothing is
    recorded, the history now shows the colleague's refusal and the form is a revision of it."""
    from frontend.views.advisor import FINAL_KEY
    from frontend.views.decisions import HISTORY_KEY
    from tests.test_dashboard_app import _errors, widget
    from tests.test_dashboard_privacy import _click

    client_id = str(applicant_ids[8])
    at = _open(monkeypatch, live_api, client_id)
    assert any("Aucune décision enregistrée" in c.value for c in at.caption)
    theirs = _colleague(live_api, "POST", f"/clients/{client_id}/decision",
                        {"decision": "refuse", "reason": "Taux d'endettement trop élevé", "revises": None})

    widget(at, "text_area", "final_reason").input("Garant ajouté.")
    _click(at, "Enregistrer la décision")
    assert not at.exception
    errors = _errors(at)  # the model's verdict, in red with a gavel, left out
    assert errors == ["Un autre conseiller a enregistré une décision entre-temps : relisez l'historique ci-dessous. "
                      "Votre saisie n'a pas été enregistrée."], errors
    assert FINAL_KEY not in at.session_state
    [entry] = at.session_state[HISTORY_KEY][1].entries
    assert entry.id == theirs["id"]
    table = _history_table(at)
    assert list(table["Conseiller"]) == [live_api.credentials["advisor2"][0]] and list(table["Décision"]) == ["Refusé"]
    assert any("Nouvelle décision : **Accordé**" in m.value for m in at.markdown)
    # The reason A typed is kept for the revision (it was lost: the validator's walk).
    assert widget(at, "text_area", "revise_reason").value == "Garant ajouté."

    # Having read it, A may revise the colleague's refusal: a revision of it, by name.
    widget(at, "text_area", "revise_reason").input("Garant ajouté au dossier.")
    _click(at, "Enregistrer la révision")
    assert not at.exception and not _errors(at), _errors(at)
    record = at.session_state[FINAL_KEY][1]
    assert (record.decision, record.revises) == ("approve", theirs["id"])
    assert any(s.value.startswith("Décision enregistrée") for s in at.success)


def test_a_colleague_s_contest_and_review_show_on_the_next_run_and_an_old_banner_goes(
    monkeypatch, live_api, applicant_ids
):
    from frontend.views.advisor import FINAL_KEY
    from tests.test_dashboard_app import _errors, widget
    from tests.test_dashboard_privacy import _click

    client_id = str(applicant_ids[9])
    at = _open(monkeypatch, live_api, client_id)
    widget(at, "text_area", "final_reason").input("Dossier complet.")
    widget(at, "radio", "final_decision_choice").set_value("refuse")
    _click(at, "Enregistrer la décision")
    assert not at.exception and not _errors(at), _errors(at)
    mine = at.session_state[FINAL_KEY][1]
    assert any(s.value.startswith("Décision enregistrée") for s in at.success)

    # A colleague records the applicant's contest; A, not knowing, records one too: refused
    # (already contested), said, and the history shows the open contest; the banner is gone.
    _colleague(live_api, "POST", f"/clients/{client_id}/decisions/{mine.id}/contest",
               {"statement": "Mes revenus ont doublé."})
    widget(at, "text_area", "contest_statement").input("Le client conteste.")
    _click(at, "Enregistrer la contestation")
    assert not at.exception
    errors = _errors(at)  # the model's verdict, in red with a gavel, left out
    assert errors == ["Action refusée : la décision est déjà contestée. L'historique ci-dessous est à jour : "
                      "relisez-le."], errors
    assert any("Mes revenus ont doublé." in w.value and "en attente de réexamen" in w.value for w in at.warning)
    assert not any(s.value.startswith("Décision enregistrée") for s in at.success)
    assert FINAL_KEY not in at.session_state
    assert any("son réexamen revient à un autre conseiller" in i.value for i in at.info)

    # The colleague reviews and revises; A's next run (here the refresh button) shows it, and
    # the review's outcome is not A's to revise: said, not offered.
    _colleague(live_api, "POST", f"/clients/{client_id}/decisions/{mine.id}/review",
               {"outcome": "revised", "decision": "approve", "reason": "Revenus vérifiés."})
    _click(at, "Actualiser l'historique")
    assert not at.exception and not _errors(at), _errors(at)
    assert not any("en attente de réexamen" in w.value for w in at.warning)
    assert any("décision révisée" in i.value and "Revenus vérifiés." in i.value for i in at.info)
    assert list(_history_table(at)["En vigueur"]) == ["non", "oui"]
    assert any("est l'issue du réexamen d'une contestation de votre décision" in i.value for i in at.info)
    assert "Enregistrer la révision" not in {b.label for b in at.button}


def test_the_dashboard_words_the_new_refusals_whether_the_code_or_a_field_names_them(monkeypatch):
    """Until ``backend.errors.ErrorCode`` lists ``decision_changed`` and ``review_final`` the API
    sends them as a generic code with the rule in ``errors``; either way the page says the same."""
    from frontend import ui
    from frontend.api import ApiError, ErrorKind
    from frontend.views import decisions

    monkeypatch.setattr(ui, "lang", lambda: "en")
    for rule, generic, kind in (("decision_changed", "conflict", ErrorKind.conflict),
                                ("review_final", "forbidden", ErrorKind.forbidden)):
        as_field = ApiError(kind, code=generic, fields=("revises",), reasons=(("revises", rule),))
        as_code = ApiError(kind, code=rule)
        assert decisions.rule(as_field) == decisions.rule(as_code) == rule
        assert decisions._refusal(as_field) == decisions._refusal(as_code)
    assert decisions._refusal(as_code).startswith("The decision in force is the outcome of a review")
    plain = ApiError(ErrorKind.conflict, "x", code="contest_open")
    assert decisions._refusal(plain) == ("Action refused: the decision is already contested. "
                                         "The history below is up to date: read it again.")


def test_a_double_click_is_said_as_recorded_not_as_a_colleague_s_decision(monkeypatch, live_api, applicant_ids):
    """A double click on « Enregistrer la décision » recorded it, then the second request was
    refused (the file changed: by that very decision) and the page said « Un autre conseiller a
    enregistré une décision entre-temps… Votre saisie n'a pas été enregistrée » under the
    advisor's own decision; the same for a review (« aucune contestation ouverte ») and a
    contest (the validator's walk, twenty-eighth session). The first click is played here
    through the API with the advisor's own token, the second by the page: it now reads
    the history again, finds its own action as sent, and says it was recorded."""
    import httpx

    from frontend.views.advisor import FINAL_KEY
    from tests.test_dashboard_app import _errors, _logged_in, widget
    from tests.test_dashboard_privacy import _click

    client_id = str(applicant_ids[30])  # no other test's

    def mine(path: str, body: dict, role: str = "advisor") -> dict:
        answer = httpx.post(f"{live_api.url}/api/v1{path}", headers=_api(live_api, role), json=body, timeout=60)
        assert answer.status_code in (200, 201), answer.text
        return answer.json()

    at = _open(monkeypatch, live_api, client_id)
    first = mine(f"/clients/{client_id}/decision", {"decision": "refuse", "reason": "Dossier incomplet.", "revises": None})
    widget(at, "radio", "final_decision_choice").set_value("refuse")
    widget(at, "text_area", "final_reason").input("Dossier incomplet.")
    _click(at, "Enregistrer la décision")
    assert not at.exception and not _errors(at), _errors(at)
    assert not [e.value for e in at.error if "Un autre conseiller" in e.value]
    assert at.session_state[FINAL_KEY][1].id == first["id"]
    assert any(s.value.startswith("Décision enregistrée") for s in at.success)
    assert len(_history_table(at)) == 1

    mine(f"/clients/{client_id}/decisions/{first['id']}/contest", {"statement": "Je conteste."})
    widget(at, "text_area", "contest_statement").input("Je conteste.")
    _click(at, "Enregistrer la contestation")
    assert not at.exception and not _errors(at), _errors(at)
    assert any(s.value.startswith("Contestation enregistrée") for s in at.success), [s.value for s in at.success]

    # The review, by another advisor, double-clicked the same way.
    other = _logged_in(monkeypatch, live_api, "advisor2")
    from frontend.views.advisor import CLIENT_KEY

    other.session_state[CLIENT_KEY] = client_id
    other.run()
    history = httpx.get(f"{live_api.url}/api/v1/clients/{client_id}/decisions", headers=_api(live_api, "advisor2"),
                        timeout=60).json()
    contest = history["current"]["contests"][0]["id"]
    mine(f"/clients/{client_id}/decisions/{first['id']}/review",
         {"outcome": "upheld", "reason": "Pièces toujours manquantes.", "contest": contest}, "advisor2")
    widget(other, "text_area", "review_reason").input("Pièces toujours manquantes.")
    _click(other, "Enregistrer le réexamen")
    assert not other.exception and not _errors(other), _errors(other)
    assert any(s.value.startswith("Réexamen enregistré : la décision contestée est maintenue")
               for s in other.success), [s.value for s in other.success]
