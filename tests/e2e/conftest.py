"""The dashboard served by ``octroi serve dashboard`` against the live test API, and Debian's
Chromium (never a browser Playwright downloads), shared by the browser tests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.e2e.journeys import CHROMIUM, CHROMIUM_ARGS
from tests.fixtures.live import LiveApi, free_port, stop, wait_until_ready


@pytest.fixture(scope="session")
def dashboard_url(live_api: LiveApi) -> Iterator[str]:
    port = free_port()
    env = dict(live_api.env, OCTROI_API_URL=live_api.url, STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    log = (live_api.tmp / "dashboard.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "backend.cli", "serve", "dashboard", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, process, "/_stcore/health")
        yield url
    finally:
        stop(process)
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
