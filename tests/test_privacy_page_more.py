"""The data-subject page (compliance) when the export budget is spent, on a language switch,
and how the dashboard says a wait (reviewer acting as the compliance officer).

- Once the hourly export budget (shared with the audit export) is spent, the page still opens
  the erasure and reproduction tabs: only the export waits.
- A language switch does not export (and audit, and spend the budget) again: the export on
  screen stays until the officer asks for it in the other language.
- A Retry-After is said in minutes ("réessayez dans 45 min"), not in thousands of seconds.

Against the live API (``tests/fixtures/live.py``) with officers of the tests' own, so the
budgets spent here are no other test's. Client ids: ``applicant_ids[14]`` (erased here) and
``[15]``, which no other test touches.
"""

from __future__ import annotations

import re

import httpx
import pytest

from frontend import i18n, ui
from frontend.api import ApiError, ErrorKind, Tokens
from frontend.views.privacy import EXPORT_KEY
from tests.fixtures.live import LiveApi, api_token
from tests.test_dashboard_app import TOKENS_KEY, _errors, _own_user, tables, widget

SUBJECT_PAGE = "screens/compliance_subject.py"


def _click(at, label: str):
    next(b for b in at.button if b.label == label).click().run()
    return at


def _lookup(at, client_id: str):
    at.switch_page(SUBJECT_PAGE).run()
    at.text_input(key="subject_lookup_id").input(client_id)
    return _click(at, "Rechercher")


def _exports_by(live: LiveApi, username: str) -> int:
    answer = httpx.get(
        f"{live.url}/api/v1/audit/events",
        params={"action": "privacy.export", "actor": username, "limit": 500},
        headers={"Authorization": f"Bearer {api_token(live, 'compliance')}"},
        timeout=30,
    )
    answer.raise_for_status()
    return len(answer.json()["events"])


# ----------------------------------------------------------------------------- the wait, in words


@pytest.mark.parametrize(("lang", "seconds", "expected"), [
    ("fr", 2681, "Trop de demandes en peu de temps : réessayez dans 45 min."),
    ("en", 2681, "Too many requests in a short time: try again in 45 min."),
    ("fr", 12, "Trop de demandes en peu de temps : réessayez dans 12 s."),
    ("fr", 60, "Trop de demandes en peu de temps : réessayez dans 1 min."),
    ("fr", 7_500, "Trop de demandes en peu de temps : réessayez dans 2 h 05 min."),
    ("en", 7_500, "Too many requests in a short time: try again in 2 h 05 min."),
    ("en", 3_600, "Too many requests in a short time: try again in 1 h."),
])
def test_a_retry_after_is_said_in_minutes_in_both_languages(monkeypatch, lang, seconds, expected):
    monkeypatch.setattr(ui, "lang", lambda: lang)
    assert ui.error_message(ApiError(ErrorKind.rate_limited, retry_after=seconds)) == expected


# ----------------------------------------------------------------------------- budget spent


def test_with_the_export_budget_spent_the_erasure_and_reproduction_tabs_still_work(
    monkeypatch, live_api: LiveApi, applicant_ids
):
    victim = str(applicant_ids[14])
    at = _own_user(monkeypatch, live_api, "spent-budget-officer", "compliance")
    tokens = at.session_state[TOKENS_KEY]
    assert isinstance(tokens, Tokens)
    headers = {"Authorization": f"Bearer {tokens.access_token}"}
    # The officer's hourly budget (10, shared with the audit export) spent on this very client.
    answers = [httpx.get(f"{live_api.url}/api/v1/privacy/clients/{victim}/export", headers=headers, timeout=60)
               for _ in range(11)]
    assert [a.status_code for a in answers[:10]] == [200] * 10 and answers[10].status_code == 429

    at = _lookup(at, victim)

    assert not at.exception, at.exception
    errors = _errors(at)
    # Minutes, or hours and minutes (the sliding window's wait can pass the hour: "1 h 06 min"),
    # never "2681 s".
    assert len(errors) == 1 and re.search(r"réessayez dans (\d+ min|\d+ h( \d{2} min)?)\.$", errors[0]), errors
    labels = [tab.label for tab in at.tabs]
    for key in ("subject.tab.export", "subject.tab.reproduce", "subject.tab.erase"):
        assert i18n.translate("fr", key) in labels, (key, labels)
    assert not at.get("download_button") and EXPORT_KEY not in at.session_state
    # Reproduction without the export's list of decisions: by the decision's number.
    widget(at, "number_input", "reproduce_decision_id").set_value(999_999).run()
    _click(at, i18n.translate("fr", "lifecycle.reproduce_button"))
    assert not at.exception, at.exception
    # Asked the API (no such decision), the export's refusal still said beside.
    assert _errors(at)[1:] == [i18n.translate("fr", "error.not_found")], _errors(at)
    # The erasure goes through without the export: another officer asked for it (four-eyes),
    # this one confirms.
    other = {"Authorization": f"Bearer {api_token(live_api, 'compliance2')}"}
    asked = httpx.delete(f"{live_api.url}/api/v1/privacy/clients/{victim}", headers=other, timeout=30)
    assert asked.status_code == 202, asked.text
    widget(at, "text_input", "erase_confirm_id").input(victim)
    widget(at, "checkbox", "erase_ack").check()
    _click(at, "Effacer les données")
    assert not at.exception and not _errors(at), _errors(at)  # the export's refusal went with the file
    assert any("Données effacées" in s.value for s in at.success)
    advisor = {"Authorization": f"Bearer {api_token(live_api, 'advisor')}"}
    assert httpx.get(f"{live_api.url}/api/v1/clients/{victim}", headers=advisor, timeout=30).status_code == 404


# ----------------------------------------------------------------------------- language switch


def test_a_language_switch_does_not_export_again(monkeypatch, live_api: LiveApi, applicant_ids):
    officer = "lang-switch-officer"
    at = _lookup(_own_user(monkeypatch, live_api, officer, "compliance"), str(applicant_ids[15]))
    assert not at.exception and not _errors(at), _errors(at)
    assert _exports_by(live_api, officer) == 1 and at.session_state[EXPORT_KEY][1] == "fr"

    at.radio(key="octroi_lang").set_value("en").run()

    assert not at.exception and not _errors(at), _errors(at)
    assert _exports_by(live_api, officer) == 1, "the switch exported (and spent the budget) again"
    assert at.get("download_button"), "the French export stays on screen"
    # Its content in French, the page's own control in the page's language (it kept the export's).
    assert [b.proto.label for b in at.get("download_button")] == [i18n.translate("en", "subject.download")]
    assert any(i18n.translate("en", "subject.export_other_lang", language="French") in c.value for c in at.caption)
    # The French export reads in French whole (found in Chromium: its sentences in French, its
    # values reformatted in English, "Not given", "€78,750", "Success" beside "Consultation").
    shown = "\n".join(df.to_string() for df in tables(at))
    assert "Success" not in shown and "Denied" not in shown, [df.columns.tolist() for df in tables(at)]
    assert "Not given" not in shown and "Pseudonym" not in [m.label for m in at.metric]
    assert i18n.translate("fr", "subject.pseudonym") in [m.label for m in at.metric]
    # In English when the officer asks for it, once; back in French, the French one again.
    _click(at, i18n.translate("en", "subject.export_in_lang"))
    assert not at.exception and not _errors(at), _errors(at)
    assert _exports_by(live_api, officer) == 2 and at.session_state[EXPORT_KEY][1] == "en"
    at.radio(key="octroi_lang").set_value("fr").run()
    assert not at.exception and not _errors(at), _errors(at)
    assert _exports_by(live_api, officer) == 2 and at.session_state[EXPORT_KEY][1] == "fr"
