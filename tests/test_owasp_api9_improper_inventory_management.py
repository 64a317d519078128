"""OWASP API9:2023 Improper Inventory Management.

``docs/openapi.json`` is the committed inventory of the API. The app must serve exactly it:
every route documented, nothing undocumented, no shadow version, no route outside
``/api/v1`` but the health checks (and the docs, off in production). A change to the API
shows up as a diff of this file in review.

Regenerate after an intended change::

    .venv/bin/python -m tests.test_owasp_api9_improper_inventory_management
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from backend.app import create_app
from backend.settings import Settings
from tests.test_rbac_routes import FRAMEWORK_PATHS, api_routes, walk

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "docs" / "openapi.json"
OUTSIDE_API = {"/healthz", "/readyz"}


def current_schema() -> dict:
    """The schema as a development app serves it (the model and database play no part)."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(env="development", var_dir=Path(tmp), database_url=f"sqlite:///{tmp}/inv.db")
        app = create_app(settings.ensure_secrets())
        schema = app.openapi()
        app.state.engine.dispose()
        return schema


def render(schema: dict) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_the_served_schema_is_the_committed_inventory():
    assert SNAPSHOT.exists(), "docs/openapi.json missing: run the command in this module's docstring"
    committed = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    served = json.loads(render(current_schema()))
    added = sorted(set(served["paths"]) - set(committed["paths"]))
    removed = sorted(set(committed["paths"]) - set(served["paths"]))
    assert (added, removed) == ([], []), f"undocumented: {added}; gone: {removed}"
    assert served == committed, "the API changed: review and regenerate docs/openapi.json"


def test_every_route_the_app_serves_is_in_the_inventory_and_nothing_else(app):
    committed = json.loads(SNAPSHOT.read_text(encoding="utf-8"))["paths"]
    documented = {(method.upper(), path) for path, item in committed.items() for method in item}
    served = {(method, route.path) for method, route in api_routes(app)}
    assert served == documented
    for route in walk(app):
        assert route.path.startswith("/api/v1/") or route.path in OUTSIDE_API | FRAMEWORK_PATHS, route.path


def test_there_is_one_api_version_and_no_shadow_or_debug_route(app, client):
    versions = {route.path.split("/")[2] for route in walk(app) if route.path.startswith("/api/")}
    assert versions == {"v1"}
    for path in ("/api/v0/auth/me", "/api/v2/auth/me", "/api/auth/me", "/debug", "/admin", "/metrics",
                 "/api/v1/internal", "/.env", "/api/v1/openapi.json"):
        assert client.get(path).status_code == 404, path


if __name__ == "__main__":
    SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
    SNAPSHOT.write_text(render(current_schema()), encoding="utf-8")
    print(f"wrote {SNAPSHOT.relative_to(ROOT)}", file=sys.stderr)
    # The dashboard's typed models are generated from this snapshot (tests/test_dashboard_contract.py).
    from tests.test_dashboard_contract import write_contract

    write_contract()
