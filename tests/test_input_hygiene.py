"""Input hygiene: what no route may receive, refused once for all routes (``backend/api/hygiene.py``).

* A control character (C0 but tab, newline and carriage return; DEL; C1), a bidirectional
  override or isolate, or a lone surrogate in any string of the request (path parameter,
  query parameter, form field, JSON body at any depth, keys included) is a 422 naming the
  field, with reason ``control_character`` / ``invalid_unicode``, before the route or the
  database sees it: PostgreSQL refuses text with NUL (a 500 before), SQLite stored it.
* A query parameter the route does not declare is a 422 ``unknown_parameter`` naming it (a
  typo used to return unfiltered data); ``lang`` is accepted everywhere.
* A JSON route sent another content type answers 415, a form route sent JSON too; malformed
  JSON names the body and where (line, column).
* Every 500 carries the request id, as every other answer does.
* 401 and 403 still come before all of these.

Both engines (``db_url``): the NUL bug was PostgreSQL-only.
"""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from backend.audit.models import AuditEvent
from backend.privacy.models import AdvisorDecision
from backend.users.models import User
from tests.fixtures.auth import TOKEN_URL

API = "/api/v1"


@pytest.fixture
def settings(db_url, make_settings, trained_bundle_dir):
    return make_settings(db_url, model_dir=trained_bundle_dir)


def _errors(response, status: int = 422) -> list[tuple[str, str]]:
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"], body
    return [(e["field"], e["reason"]) for e in body.get("errors", [])]


def _count(app, model) -> int:
    with app.state.sessionmaker() as db:
        return db.scalar(select(func.count()).select_from(model))


# --- control characters ---------------------------------------------------------------------


def test_a_nul_in_the_login_form_is_refused_before_any_budget_hash_or_audit_event(app, client):
    events = _count(app, AuditEvent)
    refused = client.post(TOKEN_URL, data={"username": "ab\x00c", "password": "whatever-it-is"})
    assert _errors(refused) == [("username", "control_character")]
    assert refused.json()["code"] == "validation_error"
    assert "\x00" not in refused.text and "U+0000" in refused.text
    password = client.post(TOKEN_URL, data={"username": "alice", "password": "pass\x00word-long-enough"})
    assert _errors(password) == [("password", "control_character")]
    assert _count(app, AuditEvent) == events


def test_a_nul_in_a_path_parameter_is_refused_naming_the_parameter(client, auth_headers):
    response = client.patch(f"{API}/users/ab%00c", json={"active": False}, headers=auth_headers("admin"))
    assert _errors(response) == [("username", "control_character")]


def test_a_control_character_in_a_json_body_is_refused_and_nothing_is_created(app, client, auth_headers):
    admin = auth_headers("admin")
    users = _count(app, User)
    for full_name in ("A\x00B", "A\x1b[31mB", "A\x7fB", "A\x85B"):
        response = client.post(f"{API}/users", json={"username": "zed", "role": "comex", "full_name": full_name},
                               headers=admin)
        assert _errors(response) == [("full_name", "control_character")], full_name
    assert _count(app, User) == users


def test_nested_json_strings_and_keys_are_named_by_their_dotted_path(client, auth_headers, imported_clients):
    advisor = auth_headers("advisor")
    url = f"{API}/scoring/simulate"
    nested = client.post(url, json={"client_id": str(imported_clients[0]),
                                    "overrides": {"NAME_CONTRACT_TYPE": "Cash\x00loans"}}, headers=advisor)
    assert _errors(nested) == [("overrides.NAME_CONTRACT_TYPE", "control_character")]
    in_list = client.post(url, json={"features": {"X": ["ok", {"deep": "b\x00"}]}}, headers=advisor)
    assert _errors(in_list) == [("features.X.1.deep", "control_character")]
    key = client.post(url, json={"features": {"AMT\x00CREDIT": 1}}, headers=advisor)
    assert _errors(key) == [("features", "control_character")]
    assert "key" in key.json()["errors"][0]["message"]


@pytest.mark.parametrize("query", ["actor=a%00b", "action=a%00b", "outcome=a%00b", "from=2026%00"])
def test_a_nul_in_an_audit_filter_is_refused_naming_the_filter(client, auth_headers, query):
    compliance = auth_headers("compliance")
    name = query.split("=")[0]
    assert _errors(client.get(f"{API}/audit/events?{query}", headers=compliance)) == [(name, "control_character")]
    # The export used to answer 200 with an empty streamed body on PostgreSQL.
    export = client.get(f"{API}/audit/export?format=csv&{query}", headers=compliance)
    assert _errors(export) == [(name, "control_character")]


def test_a_decision_reason_with_a_nul_is_refused_and_nothing_is_stored(app, client, auth_headers, imported_clients):
    advisor = auth_headers("advisor")
    raw = imported_clients[0]
    decisions = _count(app, AdvisorDecision)
    response = client.post(f"{API}/clients/{raw}/decision",
                           json={"decision": "refuse", "reason": "trop\x00endett\u00e9", "revises": None},
                           headers=advisor)
    assert _errors(response) == [("reason", "control_character")]
    assert _count(app, AdvisorDecision) == decisions


def test_tab_newline_and_ordinary_unicode_pass_even_when_escaped(app, client, auth_headers):
    compliance = auth_headers("compliance")
    assert client.get(f"{API}/audit/events?actor=a%09b", headers=compliance).status_code == 200
    # ensure_ascii: every accent is a \\u escape, the slow path of the check; they all pass.
    name = "Zo\u00eb \u00c9lodie-\u00d8stergaard \u0645\u200c\u0631 \U0001f468\u200d\U0001f469"
    body = json.dumps({"username": "zoe", "role": "comex", "full_name": name})
    assert "\\u00eb" in body and "\\ud83d" in body
    created = client.post(f"{API}/users", content=body,
                          headers={**auth_headers("admin"), "content-type": "application/json"})
    assert created.status_code == 201, created.text
    assert created.json()["full_name"] == name
    # A literal backslash before "u0000" is text, not an escape.
    literal = client.post(f"{API}/users", json={"username": "zoe2", "role": "comex", "full_name": "C:\\u0000"},
                          headers=auth_headers("admin"))
    assert literal.status_code == 201, literal.text


def test_bidi_overrides_and_lone_surrogates_are_refused(client, auth_headers):
    admin = auth_headers("admin")
    for full_name in ("Bob \u202eevil", "Bob \u2066x\u2069"):
        response = client.post(f"{API}/users", json={"username": "bob", "role": "comex", "full_name": full_name},
                               headers=admin)
        assert _errors(response) == [("full_name", "control_character")], full_name
    # A lone surrogate cannot be stored as UTF-8 (PostgreSQL: a 500 before).
    surrogate = client.post(f"{API}/users", content=b'{"username": "bob", "role": "comex", "full_name": "x\\ud800"}',
                            headers={**admin, "content-type": "application/json"})
    assert _errors(surrogate) == [("full_name", "invalid_unicode")]


def test_authentication_and_permission_still_come_first(client, auth_headers):
    assert client.get(f"{API}/audit/events?actor=a%00b").status_code == 401
    assert client.get(f"{API}/audit/events?actr=x").status_code == 401
    advisor = auth_headers("advisor")
    assert client.get(f"{API}/audit/events?actor=a%00b", headers=advisor).status_code == 403
    assert client.get(f"{API}/audit/events?actr=x", headers=advisor).status_code == 403
    assert client.post(f"{API}/users", content=b"x", headers={"content-type": "text/plain"}).status_code == 401


# --- unknown query parameters ---------------------------------------------------------------


def test_an_unknown_query_parameter_is_refused_naming_it(client, auth_headers):
    typo = client.get(f"{API}/audit/events?actr=admin", headers=auth_headers("compliance"))
    assert _errors(typo) == [("actr", "unknown_parameter")]
    assert "actor" in typo.json()["errors"][0]["message"]  # the ones allowed are listed
    admin = auth_headers("admin")
    state = client.get(f"{API}/users/access-requests?state=pending", headers=admin)
    assert _errors(state) == [("state", "unknown_parameter")]
    assert client.get(f"{API}/users/access-requests?status=pending", headers=admin).status_code == 200
    # On a public route too, and on a route without any parameter.
    assert _errors(client.post(f"{TOKEN_URL}?user=x", data={"username": "a", "password": "b"})) == [
        ("user", "unknown_parameter")]
    assert _errors(client.get("/healthz?verbose=1")) == [("verbose", "unknown_parameter")]


def test_lang_is_accepted_everywhere_and_a_name_that_may_be_an_id_is_not_echoed(client, auth_headers):
    advisor = auth_headers("advisor")
    assert client.get(f"{API}/auth/me?lang=en", headers=advisor).status_code == 200
    odd = client.get(f"{API}/auth/me?100001=1", headers=advisor)
    assert _errors(odd) == [("query", "unknown_parameter")]
    assert "100001" not in odd.text


# --- content types and malformed bodies ---------------------------------------------------


def test_malformed_json_names_the_body_and_where(client, auth_headers):
    response = client.post(f"{API}/users", content=b'{"username": "x",\n "role": }',
                           headers={**auth_headers("admin"), "content-type": "application/json"})
    assert _errors(response) == [("body", "json_invalid")]
    message = response.json()["errors"][0]["message"]
    assert "line 2, column 10" in message and "Expecting value" in message, message


@pytest.mark.parametrize("content_type, content", [
    ("text/plain", b'{"username": "x", "role": "comex"}'),
    ("application/x-www-form-urlencoded", b"username=x&role=comex"),
    (None, b'{"username": "x", "role": "comex"}'),
])
def test_a_json_route_sent_another_content_type_is_415_naming_json(client, auth_headers, content_type, content):
    headers = {**auth_headers("admin")} | ({"content-type": content_type} if content_type else {})
    response = client.post(f"{API}/users", content=content, headers=headers)
    assert response.status_code == 415, response.text
    body = response.json()
    assert body["code"] == "unsupported_media_type" and "application/json" in body["detail"]
    assert [(e["field"], e["reason"]) for e in body["errors"]] == [("content-type", "expected_application_json")]


def test_the_login_form_sent_json_is_415_naming_the_form_type(client):
    response = client.post(TOKEN_URL, json={"username": "a", "password": "b"})
    assert response.status_code == 415, response.text
    assert response.json()["code"] == "unsupported_media_type"
    assert [e["reason"] for e in response.json()["errors"]] == ["expected_form"]
    assert "application/x-www-form-urlencoded" in response.json()["detail"]


def test_an_oversized_login_password_is_string_too_long(client):
    response = client.post(TOKEN_URL, data={"username": "alice", "password": "x" * 257})
    assert _errors(response) == [("password", "string_too_long")]


def test_a_date_with_an_impossible_offset_or_an_unencoded_plus_says_so(client, auth_headers):
    compliance = auth_headers("compliance")
    offset = client.get(f"{API}/audit/events", params={"from": "2026-01-01T00:00:00+25:00"}, headers=compliance)
    assert _errors(offset) == [("from", "datetime_from_date_parsing")]
    assert "offset" in offset.json()["errors"][0]["message"] and "+25:00" in offset.json()["errors"][0]["message"]
    plus = client.get(f"{API}/audit/events?from=2026-01-01T00:00:00+01:00", headers=compliance)
    assert _errors(plus) == [("from", "datetime_from_date_parsing")]
    assert "%2B" in plus.json()["errors"][0]["message"]


# --- 500 --------------------------------------------------------------------------------------


def test_a_500_carries_the_request_id_and_the_security_headers(app):
    def boom() -> None:
        raise RuntimeError("secret detail")

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        echoed = client.get("/boom", headers={"X-Request-ID": "support-ticket-42"})
        generated = client.get("/boom")
    assert echoed.status_code == 500 and echoed.json()["code"] == "internal_error"
    assert echoed.headers["x-request-id"] == "support-ticket-42"
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])
    assert echoed.headers["x-content-type-options"] == "nosniff" and "secret" not in echoed.text


# --- the raw-body pre-check -------------------------------------------------------------------


def test_the_raw_json_precheck_lets_no_refused_character_through():
    """``suspect(body)`` decides whether a JSON body is parsed a second time: it may say yes
    for nothing (an emoji escaped as a surrogate pair), never no for a refused character,
    whichever way a client encodes it (escaped or raw UTF-8, short escapes, backslash runs)."""
    import random

    from backend.api.hygiene import FORBIDDEN, suspect

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for key, item in value.items():
                yield key
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)

    rng = random.Random(20261206)
    alphabet = ["a", "\\", "u", "0", '"', "\t", "\n", "\r", "\x00", "\x08", "\x0c", "\x1b", "\x7f", "\x85", "\xa0",
                "\u00e9", "\u2019", "\u20ac", "\u200d", "\u202a", "\u202e", "\u2066", "\u2069", "\ud800", "\udc00",
                "\U0001f469", "\u2028", "\ufeff"]
    refused = 0
    for _ in range(20000):
        texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6))) for _ in range(rng.randint(1, 3))]
        value = {texts[0]: texts[1:]} if rng.random() < 0.5 else texts
        for ascii_only in (True, False):
            body = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
            if any(FORBIDDEN.search(text) for text in strings(json.loads(body))):
                refused += 1
                assert suspect(body), body
    assert refused > 10000
    # Accents, escaped (Python clients) or raw (httpx, browsers), and a literal "\u0000": not suspect.
    ordinary = {"full_name": "Zo\u00eb \u00c9lodie", "reason": "C:\\u0000 \u2019\u20ac"}
    assert not suspect(json.dumps(ordinary).encode())
    assert not suspect(json.dumps(ordinary, ensure_ascii=False).encode())
