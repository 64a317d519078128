"""HTTP-level hardening every route inherits: body size limit, security headers, no CORS."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from backend.app import create_app
from backend.middleware import MAX_BODY_BYTES


class Echo(BaseModel):
    text: str


@pytest.fixture
def hardened_client(tmp_path, make_settings):
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'h.db'}"))

    @app.post("/echo")
    def echo(body: Echo) -> Echo:
        return body

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_a_declared_oversized_body_is_refused_with_413(hardened_client):
    response = hardened_client.post(
        "/echo", content=b'{"text":"' + b"x" * (MAX_BODY_BYTES + 10) + b'"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


def test_a_streamed_oversized_body_without_length_is_refused_with_413(hardened_client):
    def chunks():
        yield b'{"text":"'
        for _ in range(20):
            yield b"x" * 100_000
        yield b'"}'

    response = hardened_client.post("/echo", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_a_normal_body_passes_and_every_response_carries_security_headers(hardened_client):
    response = hardened_client.post("/echo", json={"text": "bonjour"})
    assert response.status_code == 200 and response.json() == {"text": "bonjour"}
    for name in ("x-content-type-options", "x-frame-options", "content-security-policy",
                 "cache-control", "referrer-policy"):
        assert name in response.headers, name
    assert response.headers["x-content-type-options"] == "nosniff"
    assert hardened_client.get("/healthz").headers["x-frame-options"] == "DENY"


def test_cross_origin_requests_get_no_cors_grant(hardened_client):
    response = hardened_client.options(
        "/healthz", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in response.headers
    response = hardened_client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers


def test_production_turns_the_docs_and_schema_off(tmp_path):
    from backend.settings import Settings

    settings = Settings(env="production", var_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'p.db'}",
                        jwt_key="j" * 40, pseudonym_key="p" * 40, audit_signing_key="a" * 40)
    with TestClient(create_app(settings)) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/openapi.json").status_code == 404


def test_validation_errors_name_the_field(hardened_client):
    response = hardened_client.post("/echo", json={"txt": "x"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "text"
    assert "text" in response.json()["detail"]
