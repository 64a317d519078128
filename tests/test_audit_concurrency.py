"""Two API processes writing audited requests at once keep one gapless, valid chain."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backend.audit.models import AuditEvent
from backend.audit.service import verify_trail
from tests.fixtures.auth import CHEAP_ARGON2_ENV

REQUESTS_PER_PROCESS = 500
ROOT = Path(__file__).resolve().parent.parent


def worker(username: str, password: str, go_file: str, count: int) -> None:
    """Run in a child process: its own app (own engine and pool) on the shared database."""
    from fastapi.testclient import TestClient

    from backend.app import create_app
    from backend.settings import Settings

    app = create_app(Settings().ensure_secrets())
    with TestClient(app) as client:
        token = client.post(
            "/api/v1/auth/token", data={"username": username, "password": password}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        deadline = time.monotonic() + 60
        while not os.path.exists(go_file) and time.monotonic() < deadline:
            time.sleep(0.01)
        for _ in range(count):
            response = client.get("/api/v1/users", headers=headers)
            if response.status_code != 200:
                raise SystemExit(f"request failed: {response.status_code} {response.text}")


@pytest.mark.slow
def test_two_processes_writing_500_audited_requests_each_leave_one_valid_gapless_chain(
    app, settings, make_user, tmp_path
):
    username, password = make_user("admin-writer", "admin")
    go_file = tmp_path / "go"
    env = {
        **os.environ,
        **CHEAP_ARGON2_ENV,
        "OCTROI_DATABASE_URL": settings.effective_database_url,
        "OCTROI_VAR_DIR": str(settings.var_dir),
        "OCTROI_LOG_LEVEL": "WARNING",
    }
    code = (
        "from tests.test_audit_concurrency import worker; "
        f"worker({username!r}, {password!r}, {str(go_file)!r}, {REQUESTS_PER_PROCESS})"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    time.sleep(0.5)
    go_file.touch()  # both start together, so their writes really interleave
    errors = [p.communicate(timeout=300)[1].decode()[-2000:] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], errors

    with app.state.sessionmaker() as db:
        listed = db.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "user.list")
        ).scalar_one()
        seqs = db.execute(select(AuditEvent.seq).order_by(AuditEvent.seq)).scalars().all()
        result = verify_trail(db, app.state.checkpoint_signer)
    assert listed == 2 * REQUESTS_PER_PROCESS
    assert seqs == list(range(1, len(seqs) + 1))
    assert result.valid, result
    assert result.events_checked == len(seqs) and result.checkpoints_checked >= 10
