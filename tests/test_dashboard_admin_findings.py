"""The admin page's findings of the admins' review (rvB), in Streamlit's AppTest against a live
API: an error of "Créer un utilisateur" after a success message stayed in a collapsed
expander, and deciding a request another admin had just decided ended in "Aucune demande en
attente." without a word about the click."""

from __future__ import annotations

import time

import httpx

from tests.fixtures.live import LIVE_PASSWORD, LiveApi, octroi
from tests.test_dashboard_access_requests import _admin_page, _asked_for

CREATE_LABEL = "Créer un utilisateur"


def _create(at, username: str, role: str = "comex"):
    at.text_input(key="new_username").input(username)
    at.selectbox(key="new_role.fr").select(role)
    next(b for b in at.button if b.label == "Créer").click().run()
    assert not at.exception, at.exception
    return at


def test_an_error_after_a_one_time_password_shows_in_the_create_form_still_open(monkeypatch, live_api: LiveApi):
    at = _admin_page(monkeypatch, live_api, "admin")
    # The admin opens "Créer un utilisateur" (the browser sends the expander's state).
    at.session_state["admin_create_open"] = True
    at.run()
    username = f"cx-{int(time.time() * 1000) % 10**9}"
    _create(at, username)
    assert any(username in s.value for s in at.success) and at.code, [s.value for s in at.success]
    # The same name again: the one-time password message above goes, and the error must show.
    _create(at, username)
    form = next(e for e in at.expander if e.label == CREATE_LABEL)
    assert any("déjà utilisé par un autre compte" in e.value for e in form.error), [e.value for e in at.error]
    assert form.proto.expanded, "the error is inside a collapsed expander: nobody sees it"
    assert not at.code  # the one-time password is shown once only


def test_a_bad_username_says_the_rule_in_the_dashboard(monkeypatch, live_api: LiveApi):
    at = _admin_page(monkeypatch, live_api, "admin")
    at.session_state["admin_create_open"] = True
    _create(at.run(), "Rvb_Bad Name")
    said = [e.value for e in at.error]
    assert any("Identifiant" in e and "3 à 64 caractères" in e for e in said), said


def _third_admin(live: LiveApi) -> dict[str, str]:
    """Another admin, made as the operator does, and their headers."""
    username = f"live-admin3-{int(time.time() * 1000) % 10**9}"
    password = LIVE_PASSWORD.format(role="third-admin")
    octroi(live.env, "users", "create", username, "--role", "admin", "--password-stdin", stdin=password + "\n")
    token = httpx.post(f"{live.url}/api/v1/auth/token", data={"username": username, "password": password},
                       timeout=30).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_deciding_a_request_another_admin_already_decided_says_so(monkeypatch, live_api: LiveApi):
    username, created = _asked_for(live_api, "stale")
    request_id = created["access_request"]["id"]
    at = _admin_page(monkeypatch, live_api, "admin2")
    at.selectbox(key="access_pick.fr").select(request_id).run()
    at.checkbox(key=f"access_confirm_{request_id}").check().run()
    # Meanwhile a third admin rejects it through the API.
    rejected = httpx.post(f"{live_api.url}/api/v1/users/access-requests/{request_id}/reject",
                          headers=_third_admin(live_api), timeout=30)
    assert rejected.status_code == 200, rejected.text
    next(b for b in at.button if b.label == "Approuver").click().run()
    assert not at.exception, at.exception
    said = [e.value for e in at.error]
    assert any("cette demande a déjà été traitée" in e for e in said), said
    assert not at.code  # nothing granted, no password
    users = httpx.get(f"{live_api.url}/api/v1/users", headers=_third_admin(live_api), timeout=30).json()
    assert next(u for u in users if u["username"] == username)["active"] is False


def test_a_decision_goes_to_the_request_that_was_shown_when_clicked(monkeypatch, live_api: LiveApi):
    """Another request pending beside it: the click must not land on whichever comes first now."""
    _, first = _asked_for(live_api, "first")
    first_id = first["access_request"]["id"]
    at = _admin_page(monkeypatch, live_api, "admin2")
    at.selectbox(key="access_pick.fr").select(first_id).run()
    at.checkbox(key=f"access_confirm_{first_id}").check().run()
    third = _third_admin(live_api)
    assert httpx.post(f"{live_api.url}/api/v1/users/access-requests/{first_id}/reject", headers=third,
                      timeout=30).status_code == 200
    _, other = _asked_for(live_api, "other")  # pending, and not what the admin confirmed
    next(b for b in at.button if b.label == "Refuser").click().run()
    assert any("cette demande a déjà été traitée" in e.value for e in at.error), [e.value for e in at.error]
    pending = httpx.get(f"{live_api.url}/api/v1/users/access-requests", params={"status": "pending"},
                        headers=third, timeout=30).json()
    assert other["access_request"]["id"] in [r["id"] for r in pending]
