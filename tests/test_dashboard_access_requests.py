"""The admin page's four-eyes addition (issue 14), in Streamlit's AppTest against a live API:
a second admin sees the pending request, confirms, approves, and is shown the one-time
password once; the first admin's own request cannot be approved by them."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from streamlit.testing.v1 import AppTest

from tests.fixtures.live import LiveApi, api_token

APP = str(Path(__file__).resolve().parents[1] / "frontend" / "app.py")


def _admin_page(monkeypatch, live: LiveApi, who: str) -> AppTest:
    monkeypatch.setenv("OCTROI_API_URL", live.url)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    username, password = live.credentials[who]
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    next(b for b in at.button if b.label == "Se connecter").click().run()
    at.switch_page("screens/admin_users.py").run()
    assert not at.exception, at.exception
    return at


def _asked_for(live: LiveApi, prefix: str) -> tuple[str, dict]:
    """A compliance account asked for by ``admin``: a pending request another admin decides."""
    username = f"{prefix}-{int(time.time() * 1000) % 10**9}"
    created = httpx.post(
        f"{live.url}/api/v1/users", json={"username": username, "role": "compliance"},
        headers={"Authorization": f"Bearer {api_token(live, 'admin')}"}, timeout=30,
    )
    assert created.status_code == 201, created.text
    return username, created.json()


def test_a_second_admin_approves_a_pending_account_in_the_dashboard(monkeypatch, live_api: LiveApi):
    username, created = _asked_for(live_api, "dpo")
    assert created["one_time_password"] is None
    request_id = created["access_request"]["id"]

    at = _admin_page(monkeypatch, live_api, "admin2")
    assert any("Demandes d'accès en attente" in s.value for s in at.subheader)
    at.selectbox(key="access_pick.fr").select(request_id).run()
    approve = next(b for b in at.button if b.label == "Approuver")
    assert approve.disabled  # nothing happens without the confirmation
    at.checkbox(key=f"access_confirm_{request_id}").check().run()
    next(b for b in at.button if b.label == "Approuver").click().run()
    assert not at.exception, at.exception
    assert any(username in s.value and "Accès accordé" in s.value for s in at.success)
    one_time = at.code[0].value
    login = httpx.post(f"{live_api.url}/api/v1/auth/token", data={"username": username, "password": one_time}, timeout=30)
    assert login.status_code == 200 and login.json()["role"] == "compliance"


def test_the_admin_who_asked_sees_the_request_waiting_and_is_not_offered_to_decide_it(monkeypatch, live_api: LiveApi):
    """The requester was offered "Approuver" and "Refuser" on their own request, which the API
    then refused (403 four_eyes): it is listed as waiting for a second admin instead."""
    username, created = _asked_for(live_api, "auditor")
    request_id = created["access_request"]["id"]
    at = _admin_page(monkeypatch, live_api, "admin")
    waiting = [m.value for m in at.markdown if m.value.startswith("En attente d'un second administrateur")]
    assert len(waiting) == 1 and f"n° {request_id} :" in waiting[0] and username in waiting[0], waiting
    offered = [s for s in at.selectbox if s.key == "access_pick.fr"]
    assert not offered or not [o for o in offered[0].options if o.startswith(f"n° {request_id} :")], offered
    # The second admin is offered it.
    other = _admin_page(monkeypatch, live_api, "admin2")
    options = next(s for s in other.selectbox if s.key == "access_pick.fr").options
    assert [o for o in options if o.startswith(f"n° {request_id} :")], options


def test_an_account_with_a_pending_request_offers_no_other_change_until_it_is_decided(monkeypatch, live_api: LiveApi):
    """Every change beside a pending request is refused by the API (409 request_pending); the
    page offered them all the same ("Demander ce rôle" again, "Désactiver", "Réinitialiser"),
    each ending in an error. It now says why and offers none."""
    username, created = _asked_for(live_api, "pending")
    request_id = created["access_request"]["id"]
    at = _admin_page(monkeypatch, live_api, "admin2")
    at.selectbox(key="manage_user").select(username).run()
    assert not at.exception and not at.error, at.exception
    said = [i.value for i in at.info if f"Demande n° {request_id} (nouveau compte) en attente pour {username}" in i.value]
    assert said, [i.value for i in at.info]
    labels = {b.label for b in at.button}
    assert not labels & {"Demander ce rôle", "Changer le rôle", "Demander la réactivation", "Réactiver",
                         "Réinitialiser le mot de passe"}, labels
    # Once decided, the account is managed as any other.
    at.selectbox(key="access_pick.fr").select(request_id).run()
    at.checkbox(key=f"access_confirm_{request_id}").check().run()
    next(b for b in at.button if b.label == "Refuser").click().run()
    at.selectbox(key="manage_user").select(username).run()
    assert not at.exception and not [i for i in at.info if "en attente pour" in i.value]
    assert "Réinitialiser le mot de passe" in {b.label for b in at.button}


def test_an_admin_is_not_offered_to_change_their_own_role_and_a_lone_admin_is_told(monkeypatch, live_api: LiveApi):
    """One of two admins demoted themselves from this page, and the other was left with
    requests nobody could approve, under « En attente d'un second administrateur » forever. The
    page now offers no change of one's own role or status (the API refuses it, 409
    own_account), and says when fewer than two admins are active, and what the operator does."""
    at = _admin_page(monkeypatch, live_api, "admin")
    me = live_api.credentials["admin"][0]
    at.selectbox(key="manage_user").select(me).run()
    assert not at.exception and not at.error, at.exception
    assert any("changés par un autre administrateur" in i.value for i in at.info), [i.value for i in at.info]
    labels = {b.label for b in at.button}
    assert not labels & {"Changer le rôle", "Demander ce rôle", "Désactiver"}, labels
    assert not [w for w in at.warning if "Un seul administrateur actif" in w.value]

    # The users as the API lists them with one active admin (the other disabled): said, with the way out.
    from frontend import ui

    real = ui.fetch_as

    def one_admin(model, path, **params):
        answer = real(model, path, **params)
        if path == "/users" and answer:
            return [u.model_copy(update={"active": False}) if u.role == "admin" and u.username != me else u
                    for u in answer]
        return answer

    monkeypatch.setattr(ui, "fetch_as", one_admin)
    at.run()
    said = [w.value for w in at.warning if "Un seul administrateur actif" in w.value]
    assert said and "octroi users create" in said[0], [w.value for w in at.warning]


def test_the_admin_who_asked_withdraws_their_request_in_the_dashboard(monkeypatch, live_api: LiveApi):
    """Its requester could neither decide nor withdraw a request (403 four_eyes on reject too):
    with one admin left it stood forever. The page offers its requester « Retirer ma demande »."""
    username, created = _asked_for(live_api, "withdrawn")
    request_id = created["access_request"]["id"]
    at = _admin_page(monkeypatch, live_api, "admin")
    pick = next(s for s in at.selectbox if s.key.startswith("access_withdraw_pick"))
    pick.select(request_id).run()
    assert next(b for b in at.button if b.label == "Retirer ma demande").disabled  # not without the box
    at.checkbox(key=f"access_withdraw_confirm_{request_id}").check().run()
    next(b for b in at.button if b.label == "Retirer ma demande").click().run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    assert any(f"Demande n° {request_id} retirée" in s.value for s in at.success), [s.value for s in at.success]
    listed = httpx.get(f"{live_api.url}/api/v1/users/access-requests", params={"status": "pending"},
                       headers={"Authorization": f"Bearer {api_token(live_api, 'admin2')}"}, timeout=30).json()
    assert request_id not in [r["id"] for r in listed] and username
