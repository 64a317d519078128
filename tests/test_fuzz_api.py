"""Property-based fuzzing of every operation of the app's own OpenAPI schema, as each role.

Schemathesis generates requests from ``/openapi.json`` (valid ones, and invalid ones that
break the schema on purpose); each answer must not be a 5xx, must use a status code the
operation documents, and must match the documented content type, headers and body schema.
Half of the cases on ``{client_id}`` / ``{username}`` routes use an id that exists, so the
fuzzer reaches the code behind the 404.

``make test`` runs ``OCTROI_FUZZ_EXAMPLES`` (default 15) examples per operation, role and
mode; ``make fuzz`` runs 500. Operations are read from the schema, so a route added later is
fuzzed without touching this file. The counts are printed (``-s``) and written to
``test-artifacts/fuzz-counts.json``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backend.app import create_app
from backend.settings import Settings
from backend.users.service import create_user
from security.rbac import Role
from security.tokens import issue_access_token
from tests.fixtures.auth import CHEAP_ARGON2_ENV
from tests.fixtures.clients import import_file

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("OCTROI_FUZZ_EXAMPLES", "15"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
FUZZ_PASSWORD = "Fuzz-role-password-{role}-42!"  # noqa: S105 - a throwaway test password


@pytest.fixture(scope="module")
def fuzz_env(
    tmp_path_factory: pytest.TempPathFactory,
    migrated_templates: dict[str, str],
    trained_bundle_dir: Path,
    applicants_csv: Path,
    applicant_ids: list[int],
) -> Iterator[dict[str, Any]]:
    """One app (SQLite copy of the migrated template, trained bundle, imported clients) and an
    access token per role, shared by the whole module: fuzzing is about requests, not setup."""
    tmp = tmp_path_factory.mktemp("fuzz")
    db_file = tmp / "fuzz.db"
    shutil.copyfile(migrated_templates["sqlite"], db_file)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in CHEAP_ARGON2_ENV.items():
            patch.setenv(name, value)
        settings = Settings(
            env="development", var_dir=tmp / "var", database_url=f"sqlite:///{db_file}",
            model_dir=trained_bundle_dir,
            # The abuse limits have their own tests; here they would only end the run early.
            rate_limit_scoring_per_minute=100_000, rate_limit_export_per_hour=10_000,
            # An erasure would start the batch jobs in a process of their own; tests run them themselves.
            jobs_after_change=False,
        ).ensure_secrets()
        import_file(settings, applicants_csv)
        app = create_app(settings)
        with TestClient(app, raise_server_exceptions=False) as client:
            headers = {}
            for role in Role:
                username = f"fuzz-{role.value}"
                with app.state.sessionmaker() as db:
                    create_user(db, app.state.password_hasher, username=username, role=role.value,
                                full_name=username, password=FUZZ_PASSWORD.format(role=role.value))
                    db.commit()
                # A token outside any login session: the fuzzer calling /auth/logout must not
                # end the session the rest of the run uses.
                token = issue_access_token(app.state.token_config, username, role.value).token
                headers[role] = {"Authorization": f"Bearer {token}"}
            schema = schemathesis.openapi.from_asgi("/openapi.json", app)
            yield {
                "app": app, "client": client, "schema": schema, "headers": headers,
                "client_id": str(applicant_ids[0]),
            }


def _strategy(operation: Any, mode: GenerationMode, env: dict[str, Any], role: Role) -> st.SearchStrategy:
    base = operation.as_strategy(generation_mode=mode)
    known = {"client_id": env["client_id"], "username": f"fuzz-{role.value}"}
    fixed = {
        p.name: known[p.name] for p in operation.path_parameters if p.name in known
    }
    if fixed and mode is GenerationMode.POSITIVE:
        return st.one_of(base, operation.as_strategy(generation_mode=mode, path_parameters=fixed))
    return base


def _operations(schema: Any) -> list[Any]:
    operations = []
    for result in schema.get_all_operations():
        operations.append(result.ok())
    return operations


def _fuzz_operation(
    client: TestClient, headers: dict[str, str], strategy: st.SearchStrategy, label: str, counts: Counter
) -> None:
    """Run the examples of one operation and mode; raises the first failing check."""

    @hypothesis.settings(
        max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
        kwargs.pop("cookies", None)
        response = client.request(**kwargs)
        counts[label] += 1
        case.validate_response(response, checks=CHECKS)

    run()


def fuzz_role(env: dict[str, Any], role: Role) -> tuple[Counter, list[str]]:
    counts: Counter = Counter()
    failures: list[str] = []
    for operation in _operations(env["schema"]):
        label = f"{operation.method.upper()} {operation.path}"
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz_operation(env["client"], env["headers"][role], _strategy(operation, mode, env, role),
                                label, counts)
            except hypothesis.errors.Unsatisfiable:
                # Nothing to break on purpose (no parameters, no body): nothing to fuzz negatively.
                assert mode is GenerationMode.NEGATIVE, label
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every operation's failure
                failures.append(f"{role.value} {mode.value} {label}: {str(exc)[:1500]}")
    return counts, failures


def _record(role: Role, counts: Counter) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "fuzz-counts.json"
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        recorded = {}
    recorded[role.value] = {"examples_setting": EXAMPLES, "cases": sum(counts.values()),
                            "operations": len(counts)}
    path.write_text(json.dumps(recorded, indent=2, sort_keys=True), encoding="utf-8")


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_fuzzed_requests_get_documented_answers_and_never_a_server_error(fuzz_env, role: Role):
    counts, failures = fuzz_role(fuzz_env, role)
    operations = _operations(fuzz_env["schema"])
    print(f"\nfuzz {role.value}: {sum(counts.values())} cases over {len(counts)} operations")
    _record(role, counts)
    assert not failures, "\n\n".join(failures)
    # Every operation of the schema was really exercised (no silent skip).
    assert len(counts) == len(operations) and min(counts.values()) >= 1
