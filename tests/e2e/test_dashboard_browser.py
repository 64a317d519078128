"""End to end in a real browser: Debian's Chromium driven by Playwright (never a browser
Playwright downloads), against ``octroi serve dashboard`` talking to the live test API.
Screenshots land in ``test-artifacts/`` (git-ignored)."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.fixtures.live import LiveApi

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WAIT_MS = 60_000


def _login(page, url: str, username: str, password: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_role("textbox", name="Identifiant", exact=True).fill(username)
    page.get_by_role("textbox", name="Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()


def test_advisor_opens_a_client_and_sees_gauge_decision_and_explanation(browser, dashboard_url: str, live_api: LiveApi):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        started = time.perf_counter()
        _login(page, dashboard_url, *live_api.credentials["advisor"])
        lookup = page.get_by_label("Identifiant client de la banque", exact=True).and_(page.get_by_role("textbox"))
        lookup.wait_for(timeout=WAIT_MS)
        lookup.fill(live_api.client_id)
        page.get_by_role("button", name="Ouvrir le dossier").click()
        page.get_by_text("Ce qui a pesé dans la décision").wait_for(timeout=WAIT_MS)
        # Two Plotly charts drawn in the first tab: the gauge and the contributions.
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 2", timeout=WAIT_MS)
        elapsed = time.perf_counter() - started
        page.get_by_text("Recommandation du modèle").first.wait_for(state="visible", timeout=WAIT_MS)
        page.get_by_text("En clair").wait_for(state="visible", timeout=WAIT_MS)
        # Streamlit scrolls inside its own container: a tall viewport shows the whole page.
        page.set_viewport_size({"width": 1400, "height": 2200})
        page.wait_for_timeout(800)  # let the charts finish their transition before the shot
        page.screenshot(path=str(ARTIFACTS / "advisor-client.png"), full_page=True)
        (ARTIFACTS / "advisor-login-to-explanation-seconds.txt").write_text(f"{elapsed:.2f}\n", encoding="utf-8")
        print(f"advisor: login to rendered explanation in {elapsed:.2f} s")
        page.get_by_role("tab", name="Comparaison").click()
        page.get_by_text("Valeurs atypiques").wait_for(timeout=WAIT_MS)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(ARTIFACTS / "advisor-comparison.png"), full_page=True)
    finally:
        page.close()


def test_comex_logs_in_and_sees_the_kpis(browser, dashboard_url: str, live_api: LiveApi):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        _login(page, dashboard_url, *live_api.credentials["comex"])
        page.get_by_text("Taux d'accord").first.wait_for(timeout=WAIT_MS)
        # Each tile waited for: the page draws them one after another, and under load "Taux
        # d'accord" could be on screen before "Défaut attendu (accordés)" (CI, once).
        for label in ("Demandes", "Défaut attendu (accordés)", "Perte attendue"):
            page.get_by_text(label).first.wait_for(state="visible", timeout=WAIT_MS)
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 1", timeout=WAIT_MS)
        page.set_viewport_size({"width": 1400, "height": 2000})
        page.wait_for_timeout(800)
        page.screenshot(path=str(ARTIFACTS / "comex-portfolio.png"), full_page=True)
        # The advisor's page is not in this session's navigation at all.
        assert page.get_by_role("link", name="Dossier client").count() == 0
    finally:
        page.close()


def test_a_reloaded_page_asks_in_french_to_log_in_then_opens_it_and_another_roles_shows_nothing(
    browser, dashboard_url: str, live_api: LiveApi
):
    """Reloading a page, or opening a link to one, starts a new session: Streamlit said in
    English that the page "does not seem to exist" and ran the login page. It now asks to log
    in again under the page's own address and opens it once logged in; another role's page
    shows a sentence and nothing of that page."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    # Nothing is fetched from elsewhere (the tab's icon came from fonts.gstatic.com).
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).hostname or urlsplit(request.url).scheme))
    try:
        page.goto(f"{dashboard_url}/new-applicant", wait_until="domcontentloaded")
        page.get_by_text("Connectez-vous pour ouvrir cette page").wait_for(timeout=WAIT_MS)
        username, password = live_api.credentials["advisor"]
        page.get_by_role("textbox", name="Identifiant", exact=True).fill(username)
        page.get_by_role("textbox", name="Mot de passe", exact=True).fill(password)
        page.get_by_role("button", name="Se connecter").click()
        page.get_by_text("Saisissez les informations du demandeur").wait_for(timeout=WAIT_MS)
        assert page.url.endswith("/new-applicant") and page.get_by_text("Page not found").count() == 0

        _login(page, f"{dashboard_url}/portfolio", username, password)
        page.get_by_text("Cette page n'est pas ouverte à votre rôle").wait_for(timeout=WAIT_MS)
        assert page.get_by_text("Taux d'accord").count() == 0 and page.get_by_text("Page not found").count() == 0
        assert page.get_by_role("link", name="Portefeuille").count() == 0  # still out of the menu
        assert hosts <= {urlsplit(dashboard_url).hostname, "data", "blob"}, hosts
    finally:
        page.close()


def test_an_address_that_is_no_page_says_so_in_french_with_a_link_to_the_first_page(browser, dashboard_url: str):
    """A mistyped or outdated link (no page has that address) got Streamlit's English box "Page
    not found", over the login page. It now says so in the page's language, with a link."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{dashboard_url}/portefeuile", wait_until="domcontentloaded")
        page.get_by_text("Aucune page d'Octroi à cette adresse").wait_for(timeout=WAIT_MS)
        assert page.get_by_text("Page not found").count() == 0
        page.get_by_role("link").filter(has_text="Connexion").first.click()
        page.get_by_role("textbox", name="Identifiant", exact=True).wait_for(timeout=WAIT_MS)
    finally:
        page.close()


def test_a_one_time_password_opened_on_a_deep_link_is_asked_to_change_not_left_on_a_dead_end(
    browser, dashboard_url: str, live_api: LiveApi
):
    """A new COMEX account opened its bookmark ``/portfolio`` and logged in with its one-time
    password: the stand-in said the page was not open to its role, with no menu (the password
    page is the session's only one) and no password form. It now shows the password form."""
    import uuid

    import httpx

    from tests.fixtures.live import api_token

    name = f"otp-{uuid.uuid4().hex[:8]}"
    created = httpx.post(f"{live_api.url}/api/v1/users", json={"username": name, "role": "comex"}, timeout=30,
                         headers={"Authorization": f"Bearer {api_token(live_api, 'admin')}"})
    assert created.status_code == 201, created.text
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        _login(page, f"{dashboard_url}/portfolio", name, created.json()["one_time_password"])
        page.get_by_text("Changer le mot de passe").first.wait_for(timeout=WAIT_MS)
        assert page.get_by_text("n'est pas ouverte à votre rôle").count() == 0
        assert page.get_by_text("Taux d'accord").count() == 0
    finally:
        page.close()
