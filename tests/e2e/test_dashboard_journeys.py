"""Every role, every page, every tab and the main flows, in Debian's Chromium: the suite fails
on any exception box, any English in the French interface, any serious or critical axe-core
violation, or a flow that does not do what its user expects (tests/e2e/journeys.py says how
each is checked). Screenshots land in ``test-artifacts/``; the two latencies a user feels are
written there too (``browser-latency.txt``)."""

from __future__ import annotations

import time

import pytest

from tests.e2e import journeys
from tests.fixtures.live import LiveApi

pytestmark = pytest.mark.e2e


@pytest.fixture
def page(browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page.set_default_timeout(journeys.WAIT_MS)
    try:
        yield page
    finally:
        page.close()


def test_a_page_the_service_failed_is_a_problem_and_a_legitimate_error_box_is_not(page):
    """A page showing "le service ... injoignable" or "réponse illisible" (seen once on a
    running demo, the suite said nothing) fails the walk; a backtest grade flagged in red, or a
    refused input, is what the page is for."""
    from frontend import i18n

    failure = i18n.CATALOG["error.malformed"]["fr"]
    legit = i18n.CATALOG["client.bad_id"]["fr"]
    page.set_content(f'<main><div data-testid="stAlert">{failure}</div><div data-testid="stAlert">{legit}</div></main>')
    assert journeys.service_failure_boxes(page) == [failure]
    assert any("the service failed the page" in p for p in journeys.problems(page, axe=False))
    page.set_content(f'<main><div data-testid="stAlert">{legit}</div></main>')
    assert journeys.service_failure_boxes(page) == []


def test_a_field_being_typed_in_says_how_to_validate_in_french(page, dashboard_url, live_api):
    """Streamlit's "Press Enter to apply" under a field being typed in was English on French
    pages (the walk never typed without submitting, so never saw it)."""
    _signed_in(page, dashboard_url, live_api, "advisor")
    lookup = page.get_by_label("Identifiant client de la banque", exact=True).and_(page.get_by_role("textbox"))
    lookup.fill("1000")  # typed, not submitted
    hint = page.locator('[data-testid="InputInstructions"]').first
    hint.wait_for(state="attached")
    assert "Press" not in journeys.prose(page)
    drawn = page.evaluate("""el => getComputedStyle(el, '::after').content""", hint.element_handle())
    assert drawn == '"Entrée pour valider"', drawn
    journeys.shot(page, "advisor-typing-hint")


def test_the_calendar_speaks_the_pages_language_whatever_the_browsers(browser, dashboard_url, live_api):
    """Streamlit gives its date field's calendar the browser's language, not the page's: on an
    English browser the French audit page's calendar read "December", "S M T W T F S" (the week
    from Sunday) and, to a screen reader, "Choose date, December 2026" and "Next"; a French
    browser gave an English page a French calendar. ``frontend/app.py`` hands Streamlit the
    page's locale (fr-FR, en-GB) and relabels the grid's English prefix."""
    import datetime as dt

    from babel.dates import format_date

    from frontend import i18n

    context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 1600})
    page = context.new_page()
    page.set_default_timeout(journeys.WAIT_MS)
    try:
        _signed_in(page, dashboard_url, live_api, "compliance")
        journeys.open_page(page, "Journal d'audit")
        for lang, locale, first_day in (("fr", "fr_FR", "L"), ("en", "en_GB", "M")):
            if lang == "en":
                page.keyboard.press("Escape")
                page.get_by_text("English", exact=True).click()
                journeys.settle(page)
            page.locator('[data-testid="stDateInput"]').first.click()
            grid = page.get_by_role("grid")
            grid.wait_for()
            month = format_date(dt.date.today(), "LLLL", locale=locale)
            label = grid.get_attribute("aria-label") or ""
            assert label.startswith(i18n.CATALOG["a11y.prefix_choose_date"][lang] + month), (lang, label)
            days = page.evaluate("Array.from(document.querySelectorAll('[role=grid] th')).map(e => e.textContent)")
            assert days[0] == first_day and len(days) == 7, (lang, days)  # the week from Monday, in both
            if lang == "fr":
                assert journeys.english_accessible_names(page) == []
            journeys.shot(page, f"compliance-calendar-{lang}")
        # A period's calendar ("Choose date range, …", "Période start date", "Quick select a
        # date range" were English on the French overrides page).
        page.keyboard.press("Escape")
        page.get_by_text("Français", exact=True).click()
        journeys.settle(page)
        journeys.open_page(page, "Dérogations au modèle")
        page.locator('[data-testid="stDateInput"]').first.click()
        grid = page.get_by_role("grid")
        grid.wait_for()
        assert (grid.get_attribute("aria-label") or "").startswith(i18n.CATALOG["a11y.prefix_choose_date_range"]["fr"])
        assert journeys.english_accessible_names(page) == []
        assert {"Période (début)", "Période (fin)"} <= journeys.accessible_names(page)
        journeys.shot(page, "compliance-period-calendar-fr")
    finally:
        context.close()


def _signed_in(page, url: str, live_api: LiveApi, role: str) -> None:
    journeys.login(page, url, *live_api.credentials[role])
    page.locator('[data-testid="stSidebarNavLink"]').first.wait_for()
    journeys.settle(page)


def test_admin_creates_requests_a_role_with_confirmation_disables_enables_and_unlocks(page, dashboard_url, live_api):
    _signed_in(page, dashboard_url, live_api, "admin")
    try:
        found = journeys.admin_journey(page, "agent-e2e")
    except Exception:
        journeys.shot(page, "admin-journey-failure")  # what the admin saw when a step failed
        raise
    assert found == []


@pytest.mark.parametrize("role", ["advisor", "comex", "compliance", "admin"])
def test_every_page_and_tab_of_each_role_is_clean_in_french(page, dashboard_url: str, live_api: LiveApi, role: str):
    _signed_in(page, dashboard_url, live_api, role)
    assert journeys.visit_every_page_and_tab(page, f"{role}-page") == []


@pytest.mark.parametrize("role", ["advisor", "comex", "compliance", "admin"])
def test_the_english_interface_shows_no_french(page, dashboard_url: str, live_api: LiveApi, role: str):
    _signed_in(page, dashboard_url, live_api, role)
    assert journeys.visit_every_page_in_english(page, f"{role}-en") == []


def test_advisor_opens_a_client_then_a_bad_id_simulates_decides_and_gets_the_pdf(page, dashboard_url, live_api):
    started = time.perf_counter()
    _signed_in(page, dashboard_url, live_api, "advisor")
    to_gauge = journeys.open_client(page, live_api.client_id)
    page.get_by_text("Ce qui a pesé dans la décision").wait_for()
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 2")
    login_to_explanation = time.perf_counter() - started
    journeys.ARTIFACTS.mkdir(exist_ok=True)
    (journeys.ARTIFACTS / "browser-latency.txt").write_text(
        f"login to rendered explanation: {login_to_explanation:.2f} s\nclient id to gauge: {to_gauge:.2f} s\n",
        encoding="utf-8",
    )
    print(f"login to rendered explanation {login_to_explanation:.2f} s; client id to gauge {to_gauge:.2f} s")
    assert journeys.advisor_journey(page, live_api.client_id, live_api.unknown_client_id) == []


def test_a_new_applicant_with_missing_fields_is_refused_then_scored_once_filled(page, dashboard_url, live_api):
    _signed_in(page, dashboard_url, live_api, "advisor")
    assert journeys.new_applicant_journey(page) == []


def test_compliance_searches_verifies_exports_and_reads_a_subject_export(page, dashboard_url, live_api):
    _signed_in(page, dashboard_url, live_api, "compliance")
    assert journeys.compliance_journey(page, live_api.client_id) == []
