"""``octroi demo`` (what ``make demo`` runs) from an empty folder, as a newcomer meets it: every
step, then the product it serves, then stopped the way an operator stops a process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.fixtures.live import free_port

READY_SECONDS = 420  # synthetic data, two trainings, imports, five users (argon2), two servers


def _demo_env(var_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("OCTROI_")}
    env.update(OCTROI_ENV="development", OCTROI_VAR_DIR=str(var_dir), OCTROI_LOG_LEVEL="WARNING",
               OCTROI_MODEL_POLL_SECONDS="1", PYTHONUNBUFFERED="1", STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    return env


def _wait_for(log: Path, marker: str, process: subprocess.Popen, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        text = log.read_text(encoding="utf-8", errors="replace")
        if marker in text:
            return text
        if process.poll() is not None:
            pytest.fail(f"octroi demo exited with {process.returncode} before {marker!r}:\n{text[-4000:]}")
        time.sleep(0.5)
    pytest.fail(f"{marker!r} not printed within {seconds:.0f} s:\n{log.read_text(encoding='utf-8')[-4000:]}")


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _token(api: str, username: str, password: str) -> str:
    response = httpx.post(f"{api}/api/v1/auth/token", data={"username": username, "password": password}, timeout=30)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _first_client(var_dir: Path) -> str:
    with (var_dir / "data" / "application_test.csv").open(encoding="utf-8") as handle:
        handle.readline()
        return handle.readline().split(",", 1)[0]


def test_the_demo_sets_everything_up_serves_every_role_and_stops_on_sigterm(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    port, dashboard_port = free_port(), free_port()
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        demo = subprocess.Popen(  # noqa: S603 - our own CLI
            [sys.executable, "-m", "backend.cli", "demo", "--rows", "2000", "--port", str(port),
             "--dashboard-port", str(dashboard_port)],
            env=_demo_env(var_dir), stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        text = _wait_for(log, "Ctrl-C stops everything.", demo, READY_SECONDS)
        assert "[9/9] ready" in text
        api = f"http://127.0.0.1:{port}"
        passwords = json.loads((var_dir / "demo-users.json").read_text(encoding="utf-8"))
        assert set(passwords) == {"conseiller", "conseiller2", "comex", "conformite", "conformite2", "admin", "admin2"}
        assert oct((var_dir / "demo-users.json").stat().st_mode & 0o777) == "0o600"

        # The model lifecycle has something to show: the demo model is the champion and a
        # challenger (its own feature list) runs in shadow.
        comex = {"Authorization": f"Bearer {_token(api, 'comex', passwords['comex'])}"}
        versions = httpx.get(f"{api}/api/v1/model/versions", headers=comex, timeout=30).json()
        status = {v["version"]: v for v in versions["versions"]}
        assert versions["champion"] and versions["challenger"] and versions["champion"] != versions["challenger"]
        assert versions["serving"] == versions["champion"]
        assert status[versions["challenger"]]["status"] == "challenger"
        assert status[versions["challenger"]]["features"] == status[versions["champion"]]["features"] - 4

        # An advisor's score is also scored by the challenger (aggregates only, off the answer).
        advisor = {"Authorization": f"Bearer {_token(api, 'conseiller', passwords['conseiller'])}"}
        scored = httpx.get(f"{api}/api/v1/clients/{_first_client(var_dir)}/score", headers=advisor, timeout=30)
        assert scored.status_code == 200, scored.text
        assert scored.headers["X-Model-Version"] == versions["champion"]
        deadline, days = time.monotonic() + 30, []
        while time.monotonic() < deadline and not days:
            days = httpx.get(f"{api}/api/v1/model/challenger", headers=comex, timeout=30).json()["days"]
            time.sleep(0.5)
        assert days and days[0]["applicants"] >= 1 and not days[0]["sealed"] and days[0]["challenger_version"] == versions["challenger"]

        # The backtest has the demo's outcomes, and the dashboard answers.
        assert "imported" in text.split("[6/9]")[1].split("[7/9]")[0]
        assert httpx.get(f"http://127.0.0.1:{dashboard_port}/_stcore/health", timeout=30).status_code == 200
    finally:
        demo.send_signal(signal.SIGTERM)  # `kill PID`, as a service manager stops it
        try:
            demo.wait(timeout=40)
        except subprocess.TimeoutExpired:
            demo.kill()
            pytest.fail("octroi demo did not stop on SIGTERM")
    assert not _listening(port) and not _listening(dashboard_port), "a child outlived the demo"


def test_a_busy_port_is_refused_before_any_work(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        busy = taken.getsockname()[1]
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "backend.cli", "demo", "--port", str(busy)],
            env=_demo_env(tmp_path / "var"), capture_output=True, text=True, timeout=60, check=False,
        )
    assert result.returncode == 2
    assert f"--port: 127.0.0.1:{busy} is already in use" in result.stderr
    assert not (tmp_path / "var" / "data").exists()  # nothing generated, nothing trained
