"""User management findings of the admins' review (rvB), on SQLite and PostgreSQL: taking over
a demoted admin's login, strict booleans, the username rule, the password policy's invisible
characters and reused one-time passwords, and the CLI's limits."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from backend.audit.models import AuditEvent
from backend.cli import app as cli_app
from backend.users.models import User
from tests.fixtures.auth import TOKEN_URL, login
from tests.test_users import cli  # noqa: F401 - the cli fixture

API = "/api/v1"
STRONG = "Tulip-Orbit-42-Lantern"  # noqa: S105 - a throwaway test password


def _bearer(client, username: str, password: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {login(client, username, password)['access_token']}"}


@pytest.fixture
def admins(client, make_user):
    """Two admins' headers, alice's and bruno's (bruno set his own password)."""
    make_user("alice-admin", "admin", STRONG + "-a")
    make_user("bruno-admin", "admin", STRONG + "-b")
    return _bearer(client, "alice-admin", STRONG + "-a"), _bearer(client, "bruno-admin", STRONG + "-b")


def _change(client, headers: dict[str, str], current: str, new: str):
    return client.post(f"{API}/auth/password", headers=headers,
                       json={"current_password": current, "new_password": new})


# -- 1. one admin alone takes over another admin's login -------------------------------------


def test_an_admin_alone_cannot_demote_a_colleague_then_reset_their_password(app, client, admins, make_user):
    alice, _ = admins
    # Demoting stays immediate (a revocation: a rogue or compromised admin must be stoppable) ...
    demoted = client.patch(f"{API}/users/bruno-admin", headers=alice, json={"role": "comex"})
    assert demoted.status_code == 200, demoted.text
    # ... but the reset of an account that was an admin moments ago is a four-eyes request: the
    # one-time password never goes to the admin who demoted it.
    reset = client.post(f"{API}/users/bruno-admin/reset-password", headers=alice)
    assert reset.status_code == 200, reset.text
    body = reset.json()
    assert body["one_time_password"] is None
    assert body["access_request"]["kind"] == "reset" and body["access_request"]["status"] == "pending"
    assert body["access_request"]["role"] == "comex"
    # Alice cannot approve it herself, and bruno's own password still works.
    own = client.post(f"{API}/users/access-requests/{body['access_request']['id']}/approve", headers=alice)
    assert own.status_code == 403 and own.json()["code"] == "four_eyes"
    assert login(client, "bruno-admin", STRONG + "-b")["role"] == "comex"
    # A third admin approves, and receives the one-time password to hand to bruno.
    make_user("carla-admin", "admin", STRONG + "-c")
    carla = _bearer(client, "carla-admin", STRONG + "-c")
    approved = client.post(f"{API}/users/access-requests/{body['access_request']['id']}/approve", headers=carla)
    assert approved.status_code == 200 and approved.json()["one_time_password"]
    assert login(client, "bruno-admin", approved.json()["one_time_password"])["role"] == "comex"


def test_a_former_advisor_or_a_disabled_admin_is_not_reset_by_one_admin_alone(client, admins, make_user):
    alice, _ = admins
    make_user("dora", "advisor")
    assert client.patch(f"{API}/users/dora", headers=alice, json={"role": "comex"}).status_code == 200
    assert client.post(f"{API}/users/dora/reset-password", headers=alice).json()["one_time_password"] is None
    # Disabled, then made comex and enabled again: still a former admin.
    assert client.patch(f"{API}/users/bruno-admin", headers=alice, json={"active": False}).status_code == 200
    assert client.patch(f"{API}/users/bruno-admin", headers=alice, json={"role": "comex"}).status_code == 200
    assert client.patch(f"{API}/users/bruno-admin", headers=alice, json={"active": True}).status_code == 200
    reset = client.post(f"{API}/users/bruno-admin/reset-password", headers=alice).json()
    assert reset["one_time_password"] is None and reset["access_request"]["kind"] == "reset"


def test_a_comex_account_that_never_reached_personal_data_is_still_reset_at_once(client, admins):
    alice, _ = admins
    created = client.post(f"{API}/users", headers=alice, json={"username": "emma", "role": "comex"})
    assert created.status_code == 201
    reset = client.post(f"{API}/users/emma/reset-password", headers=alice).json()
    assert reset["one_time_password"] and reset["access_request"] is None


# -- 4. booleans are booleans ----------------------------------------------------------------


@pytest.mark.parametrize("value", ["no", "off", "f", "false", "0", 0, 0.0, 1, "yes", "true", None])
def test_active_takes_a_json_boolean_only(app, client, auth_headers, make_user, value):
    make_user("fred", "comex")
    answer = client.patch(f"{API}/users/fred", headers=auth_headers("admin"), json={"active": value})
    if value is None:  # null means "no change": nothing to change at all
        assert answer.status_code == 422
    else:
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"] == "active"
        assert answer.json()["errors"][0]["reason"] == "bool_type"
    with app.state.sessionmaker() as db:
        assert db.scalar(select(User.active).where(User.username == "fred")) is True


# -- 5. and 6. the username rule -------------------------------------------------------------


@pytest.mark.parametrize("username", ["Rvb_Bad Name", "ab", "-abc", "rvb\u200bcx1", "rvb\u0000cx1", "a" * 65,
                                      "r\u00e9my", "rvb\u202ecx1"])
def test_a_bad_username_is_refused_with_its_rule(app, client, auth_headers, username):
    answer = client.post(f"{API}/users", headers=auth_headers("admin"), json={"username": username, "role": "comex"})
    assert answer.status_code == 422, answer.text
    errors = answer.json()["errors"]
    if errors[0]["reason"] == "control_character":
        # NUL and bidi overrides: the API's input hygiene (backend/api/hygiene.py) refuses them
        # in any field before the schema; the service's own refusal is tested below.
        assert [e["field"] for e in errors] == ["username"] and ("\x00" in username or "\u202e" in username)
    else:
        assert [(e["field"], e["reason"]) for e in errors] == [("username", "username_format")], errors
        assert "3 to 64 characters" in errors[0]["message"]
    with app.state.sessionmaker() as db:
        assert db.scalars(select(User.username).where(User.role == "comex")).all() == []


@pytest.mark.parametrize("username", ["rvb\u0000cx1", "rvb\u202ecx1", "rvb\u200bcx1", "abc\n", "Abc", "ab"])
def test_the_service_refuses_the_same_names_for_the_cli(username):
    from backend.users import service

    with pytest.raises(service.UserError) as refused:
        service.validate_username(username)
    assert refused.value.field == "username" and refused.value.reasons == ("username_format",)
    assert service.validate_username("ｒｖｂ＿ｃｘ１") == "rvb_cx1"


def test_a_full_width_username_is_the_ascii_one(client, auth_headers):
    admin = auth_headers("admin")
    created = client.post(f"{API}/users", headers=admin, json={"username": "ｒｖｂ＿ｃｘ１", "role": "comex"})
    assert created.status_code == 201 and created.json()["username"] == "rvb_cx1"
    again = client.post(f"{API}/users", headers=admin, json={"username": "rvb_cx1", "role": "comex"})
    assert again.status_code == 409 and again.json()["errors"][0]["reason"] == "username_taken"


# -- 6. the password policy ------------------------------------------------------------------


@pytest.fixture
def gina(client, make_user):
    """A comex user logged in with her password: (headers, password)."""
    make_user("gina_cx1", "comex", STRONG)
    return _bearer(client, "gina_cx1", STRONG), STRONG


@pytest.mark.parametrize("new, reason", [
    ("Ab1!" + "\u0000" * 8, "password_too_short"),
    ("Ab1!xY" + "\u200b" * 8, "password_too_short"),
    ("Ab1!xY" + "\u00a0" * 8, "password_too_short"),
    ("Ab1!xY" + "\u0301" * 8, "password_too_short"),
    ("ｇｉｎａ＿ｃｘ１-Strong-99", "password_contains_username"),
    ("gina\u200b_cx1-Strong-9911", "password_contains_username"),
    ("gina\u200bcx1-Strong-9911", "password_contains_username"),
    ("GINA.CX1-Strong-9911", "password_contains_username"),
    ("ｐａｓｓｗｏｒｄ１２３４", "password_too_common"),
])
def test_the_password_policy_reads_the_password_as_seen(client, gina, new, reason):
    from backend.auth.password_policy import broken_rules

    headers, current = gina
    refused = _change(client, headers, current, new)
    assert refused.status_code == 422, refused.text
    reasons = [e["reason"] for e in refused.json()["errors"]]
    # NUL never reaches the policy through the API (input hygiene: control_character).
    assert reason in reasons or ("\x00" in new and reasons == ["control_character"]), refused.json()
    assert reason in [r for r, _ in broken_rules(new, "gina_cx1")]


def test_spaces_and_accents_still_count(client, gina):
    headers, current = gina
    assert _change(client, headers, current, "éléphant rosé vole").status_code == 200


def test_a_user_cannot_go_back_to_a_one_time_password_an_admin_knew(client, auth_headers):
    admin = auth_headers("admin")
    one_time = client.post(f"{API}/users", headers=admin, json={"username": "hugo", "role": "comex"}).json()[
        "one_time_password"]
    headers = _bearer(client, "hugo", one_time)
    same = _change(client, headers, one_time, one_time)
    assert same.status_code == 422 and same.json()["errors"][0]["reason"] == "password_unchanged"
    first = _change(client, headers, one_time, STRONG + "-1")
    assert first.status_code == 200, first.text
    headers = {"Authorization": f"Bearer {first.json()['access_token']}"}
    second = _change(client, headers, STRONG + "-1", STRONG + "-2")
    assert second.status_code == 200
    headers = {"Authorization": f"Bearer {second.json()['access_token']}"}
    back = _change(client, headers, STRONG + "-2", one_time)
    assert back.status_code == 422, back.text
    assert back.json()["errors"][0]["reason"] == "password_reused"
    # Nor the one of a later reset (a comex reset hands it to the admin).
    reset = client.post(f"{API}/users/hugo/reset-password", headers=admin).json()["one_time_password"]
    headers = _bearer(client, "hugo", reset)
    third = _change(client, headers, reset, STRONG + "-3")
    headers = {"Authorization": f"Bearer {third.json()['access_token']}"}
    for known in (reset, one_time):
        assert _change(client, headers, STRONG + "-3", known).json()["errors"][0]["reason"] == "password_reused"
    assert client.post(TOKEN_URL, data={"username": "hugo", "password": STRONG + "-3"}).status_code == 200


# -- 7. the CLI's limits ---------------------------------------------------------------------


def test_cli_refuses_a_full_name_longer_than_the_api_allows(app, cli):  # noqa: F811
    result = cli("users", "create", "ivan", "--role", "comex", "--full-name", "x" * 300)
    assert result.exit_code == 2, result.output
    assert "full_name" in result.output and "200" in result.output and "Traceback" not in result.output
    assert cli("users", "create", "ivan", "--role", "comex", "--full-name", "x" * 200).exit_code == 0
    with app.state.sessionmaker() as db:
        assert db.scalars(select(User.full_name).where(User.username == "ivan")).all() == ["x" * 200]
        assert db.scalars(select(AuditEvent.resource).where(AuditEvent.action == "user.create")).all() == ["user:ivan"]


def test_api_full_name_over_200_is_refused_by_the_service_too(app):
    from backend.users import service

    with app.state.sessionmaker() as db, pytest.raises(service.UserError) as refused:
        service.create_user(db, app.state.password_hasher, username="jade", role="comex", full_name="y" * 201)
    assert refused.value.field == "full_name" and refused.value.reasons == ("string_too_long",)


runner = CliRunner()


def test_synth_refuses_a_negative_seed_in_one_line(tmp_path):
    result = runner.invoke(cli_app, ["data", "synth", "--rows", "10", "--seed", "-1", "--out", str(tmp_path / "d")])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, ValueError)
    assert "--seed" in result.output
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize("option", ["--cost-fn", "--cost-fp"])
@pytest.mark.parametrize("value", ["inf", "nan", "1e400"])
def test_train_refuses_a_cost_that_is_not_a_finite_number(tmp_path, option, value):
    result = runner.invoke(cli_app, ["train", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "m"),
                                     option, value])
    assert result.exit_code == 2
    if value == "nan":  # click's own range check already refuses it (nan >= 0 is false)
        assert f"Invalid value for '{option}'" in result.output, result.output
    else:
        lines = [line for line in result.output.splitlines() if line.startswith("error:")]
        assert lines == ["error: --cost-fn and --cost-fp must be positive finite numbers"], result.output
    assert not (tmp_path / "m").exists()


def test_train_refuses_a_seed_outside_numpys_range_before_reading_anything(tmp_path):
    for seed in ("-1", str(2**32)):
        result = runner.invoke(cli_app, ["train", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "m"),
                                         "--seed", seed])
        assert result.exit_code == 2 and "--seed" in result.output, result.output
        assert "file not found" not in result.output
