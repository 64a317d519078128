"""What an advisor waits for in the dashboard, in Debian's Chromium, against the API calls
behind it measured in the same run (ratios; absolute times depend on the machine).

Set-up: synthetic data, a quick bundle, a scratch SQLite database (``--pg`` for PostgreSQL),
the applicants imported, one advisor; ``octroi serve api`` and ``octroi serve dashboard`` in
subprocesses on free loopback ports. Then, in the same run:

- baseline: the HTTP calls the client page makes, without a browser (login, profile, score,
  explanation with httpx, keep-alive), per client;
- login to a rendered explanation: a fresh browser page signs in, opens a client and waits
  until the explanation's chart is drawn;
- client id to gauge: in a signed-in page, type another id, press Enter, wait for the gauge.

    PYTHONPATH=$PWD .venv/bin/python bench/bench_dashboard.py [--clients 5] [--pg]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pandas as pd
from _common import import_csv, p50, scratch_database, settings_for, train_bundle

from backend.app import create_app
from backend.users.service import create_user
from ml import synth
from ml.schema import ID_COLUMN
from tests.e2e import journeys
from tests.fixtures.live import free_port, stop, wait_until_ready

PASSWORD = "Quiet-harbour-lantern-73!"  # noqa: S105 - a throwaway benchmark account


def _serve(env: dict[str, str], *args: str, health: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "backend.cli", "serve", *args, "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_ready(url, process, health)
    return process, url


def _api_calls(api: str, client_id: int) -> float:
    """Seconds for the calls the page makes before the explanation is on screen."""
    started = time.perf_counter()
    with httpx.Client(base_url=api, timeout=60) as http:
        token = http.post("/api/v1/auth/token", data={"username": "bench-advisor", "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        http.get("/api/v1/auth/me", headers=headers)
        for path in ("", "/score", "/explanation"):
            response = http.get(f"/api/v1/clients/{client_id}{path}", params={"lang": "fr"}, headers=headers)
            assert response.status_code == 200, response.text
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=5, help="clients opened per measure")
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        paths = synth.write(tmp / "data", rows=6000, seed=5)
        bundle_dir = train_bundle(tmp / "data", tmp / "model", rounds=150)
        with scratch_database(tmp, not args.pg) as url:
            settings = settings_for(tmp, url, bundle_dir, log_level="WARNING")
            import_csv(settings, paths["test"])
            ids = [int(v) for v in pd.read_csv(paths["test"], usecols=[ID_COLUMN])[ID_COLUMN]][: 3 * args.clients]
            app = create_app(settings)
            with app.state.sessionmaker() as db:
                create_user(db, app.state.password_hasher, username="bench-advisor", role="advisor",
                            password=PASSWORD, must_change_password=False)
                db.commit()
            env = {k: v for k, v in os.environ.items() if not k.startswith("OCTROI_")}
            env.update({"OCTROI_DATABASE_URL": url, "OCTROI_MODEL_DIR": str(bundle_dir),
                        "OCTROI_VAR_DIR": str(settings.var_dir), "OCTROI_LOG_LEVEL": "WARNING",
                        "OCTROI_RATE_LIMIT_SCORING_PER_MINUTE": "100000", "OCTROI_JOBS_AFTER_CHANGE": "false"})
            api_process, api = _serve(env, "api", "--host", "127.0.0.1", health="/readyz")
            dash_process, dashboard = _serve(dict(env, OCTROI_API_URL=api), "dashboard", health="/_stcore/health")
            try:
                _api_calls(api, ids[-1])  # warm the code paths on a client not measured
                baseline = [_api_calls(api, i) for i in ids[: args.clients]]
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(executable_path=str(journeys.CHROMIUM), headless=True,
                                                         args=journeys.CHROMIUM_ARGS)
                    login_to_explanation = []
                    for client_id in ids[args.clients : 2 * args.clients]:
                        page = browser.new_page(viewport={"width": 1400, "height": 1200})
                        started = time.perf_counter()
                        journeys.login(page, dashboard, "bench-advisor", PASSWORD)
                        journeys.open_client(page, str(client_id))
                        page.get_by_text("Ce qui a pesé dans la décision").wait_for(timeout=journeys.WAIT_MS)
                        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 2")
                        login_to_explanation.append(time.perf_counter() - started)
                        page.close()
                    page = browser.new_page(viewport={"width": 1400, "height": 1200})
                    journeys.login(page, dashboard, "bench-advisor", PASSWORD)
                    id_to_gauge = [journeys.open_client(page, str(i)) for i in ids[2 * args.clients : 3 * args.clients]]
                    browser.close()
            finally:
                stop(dash_process)
                stop(api_process)
    base = p50(baseline)
    print(f"baseline  API calls behind the page (login, me, profile, score, explanation): p50 {base:.2f} s")
    for name, values in (("login to rendered explanation", login_to_explanation), ("client id to gauge", id_to_gauge)):
        figure = p50(values)
        print(f"figure    {name}: p50 {figure:.2f} s (min {min(values):.2f}, max {max(values):.2f}) "
              f"= {figure / base:.1f}x the baseline")
    print(f"rerun: PYTHONPATH=$PWD .venv/bin/python bench/bench_dashboard.py --clients {args.clients}"
          + (" --pg" if args.pg else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
