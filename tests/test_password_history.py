"""A user forced to change a password (a leak, an admin's reset) changed it twice and was back
on it: only one-time passwords were refused. A change now refuses any of the user's last five
passwords (``password_history``, migration 0017); a reset retires the password it replaces."""

from __future__ import annotations

from sqlalchemy import func, select

from backend.users.models import PasswordHistory, User
from backend.users.service import PASSWORD_HISTORY
from tests.fixtures.auth import TOKEN_URL
from tests.test_users_admin_findings import STRONG, _bearer, _change

API = "/api/v1"


def _headers(answer) -> dict[str, str]:
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _history(app, username: str) -> int:
    with app.state.sessionmaker() as db:
        user = db.scalars(select(User).where(User.username == username)).one()
        return db.scalar(select(func.count()).select_from(PasswordHistory).where(PasswordHistory.user_id == user.id))


def test_a_change_cannot_go_back_to_one_of_the_last_five_passwords(app, client, auth_headers):
    one_time = client.post(f"{API}/users", headers=auth_headers("admin"),
                           json={"username": "iris", "role": "comex"}).json()["one_time_password"]
    headers = _headers(_change(client, _bearer(client, "iris", one_time), one_time, STRONG + "-a"))
    headers = _headers(_change(client, headers, STRONG + "-a", STRONG + "-b"))
    back = _change(client, headers, STRONG + "-b", STRONG + "-a")
    assert back.status_code == 422 and back.json()["errors"][0]["reason"] == "password_in_history", back.text
    assert "last 5 passwords" in back.json()["errors"][0]["message"]
    # The same with an invisible character added: the same password to the eye.
    invisible = _change(client, headers, STRONG + "-b", STRONG + "-\u200ba")
    assert invisible.status_code == 422 and invisible.json()["errors"][0]["reason"] in ("password_in_history",
                                                                                        "control_character")
    # Nothing changed: the current password still works.
    assert client.post(TOKEN_URL, data={"username": "iris", "password": STRONG + "-b"}).status_code == 200

    current = STRONG + "-b"
    for step in "cdefg":  # five more: "-a" leaves the history
        headers = _headers(_change(client, headers, current, STRONG + f"-{step}"))
        current = STRONG + f"-{step}"
    assert _history(app, "iris") == PASSWORD_HISTORY
    assert _change(client, headers, current, STRONG + "-c").json()["errors"][0]["reason"] == "password_in_history"
    assert _change(client, headers, current, STRONG + "-a").status_code == 200


def test_after_a_reset_the_password_it_replaced_cannot_come_back(app, client, auth_headers):
    admin = auth_headers("admin")
    one_time = client.post(f"{API}/users", headers=admin, json={"username": "jules", "role": "comex"}).json()[
        "one_time_password"]
    _headers(_change(client, _bearer(client, "jules", one_time), one_time, STRONG + "-leaked"))
    reset = client.post(f"{API}/users/jules/reset-password", headers=admin).json()["one_time_password"]
    headers = _bearer(client, "jules", reset)
    refused = _change(client, headers, reset, STRONG + "-leaked")
    assert refused.status_code == 422 and refused.json()["errors"][0]["reason"] == "password_in_history"
    assert _change(client, headers, reset, STRONG + "-fresh").status_code == 200
