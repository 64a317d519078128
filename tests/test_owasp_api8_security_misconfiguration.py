"""OWASP API8:2023 Security Misconfiguration.

Production turns the docs and schema off and refuses to start on a default, weak or
development secret; every answer (success, error, 404, 405, 413) carries the security
headers; no CORS grant, let alone ``*``; no error ever shows a stack trace or an exception
message.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from backend.app import create_app
from backend.middleware import SECURITY_HEADERS
from backend.settings import SECRET_FIELDS, ConfigurationError, Settings

GOOD = "k" * 40


def _production(tmp_path, **secrets):
    values = {"jwt_key": GOOD, "pseudonym_key": "v1:" + "p" * 40, "audit_signing_key": "a" * 40}
    values.update(secrets)
    return Settings(env="production", var_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'p.db'}", **values)


@pytest.mark.parametrize("field", sorted(SECRET_FIELDS))
@pytest.mark.parametrize("value", ["changeme", "dev-" + "0" * 40, "short-but-real", ""])
def test_production_refuses_a_default_weak_or_development_secret_naming_the_variable(tmp_path, field, value):
    with pytest.raises(ConfigurationError, match=SECRET_FIELDS[field]):
        _production(tmp_path, **{field: value}).ensure_secrets()


def test_production_serves_no_docs_no_schema_and_no_redoc(tmp_path):
    with TestClient(create_app(_production(tmp_path))) as client:
        for path in ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"):
            assert client.get(path).status_code == 404, path


@pytest.fixture
def hardened(tmp_path, make_settings):
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'm.db'}"))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret connection string postgresql://user:pw@db/octroi")

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_every_kind_of_answer_carries_the_security_headers(hardened):
    answers = [
        hardened.get("/healthz"),  # 200
        hardened.get("/api/v1/auth/me"),  # 401
        hardened.get("/nowhere"),  # 404
        hardened.delete("/healthz"),  # 405
        hardened.post("/api/v1/auth/refresh", json={"refresh_token": 1}),  # 422
        hardened.post("/api/v1/auth/refresh", content=b"x" * 1_100_000,
                      headers={"content-type": "application/json"}),  # 413
        hardened.get("/boom"),  # 500
    ]
    assert [a.status_code for a in answers] == [200, 401, 404, 405, 422, 413, 500]
    for answer in answers:
        for name, value in SECURITY_HEADERS:
            assert answer.headers.get(name.decode()) == value.decode(), (answer.status_code, name)


def test_no_cors_grant_for_any_origin_on_any_route(hardened):
    for path in ("/healthz", "/api/v1/auth/token", "/api/v1/auth/me"):
        preflight = hardened.options(path, headers={"Origin": "https://evil.example",
                                                    "Access-Control-Request-Method": "POST",
                                                    "Access-Control-Request-Headers": "authorization"})
        plain = hardened.get(path, headers={"Origin": "null"})
        for answer in (preflight, plain):
            assert "access-control-allow-origin" not in answer.headers
            assert "access-control-allow-credentials" not in answer.headers


def test_an_unexpected_error_shows_no_stack_trace_and_no_exception_text(hardened, capsys):
    response = hardened.get("/boom")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error", "code": "internal_error"}
    for leak in ("Traceback", "RuntimeError", "postgresql://", "File \""):
        assert leak not in response.text
    # The log line names the exception type only: its message may carry secrets.
    assert "pw@db" not in capsys.readouterr().out


def test_malformed_json_and_wrong_types_get_a_clean_4xx(hardened):
    for body in (b"{", b"[]", b'{"refresh_token": {"$ne": null}}', b"\xff\xfe"):
        response = hardened.post("/api/v1/auth/refresh", content=body, headers={"content-type": "application/json"})
        assert response.status_code == 422, body
        assert "Traceback" not in response.text and response.json()["detail"]
