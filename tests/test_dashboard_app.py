"""The dashboard in Streamlit's AppTest, against a live Octroi API (``tests/fixtures/live.py``):
login, role-built navigation, each role's pages rendering without exception, session
expiry, the one-time-password detour, logout revoking the session, an unreachable API."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from frontend import i18n
from frontend.api import Tokens
from frontend.navigation import ROLE_PAGES
from frontend.ui import TOKENS_KEY
from frontend.views.advisor import CLIENT_KEY, INPUTS_KEY, SAMPLE_SIZE, YEARS_FIELDS
from ml.schema import ID_COLUMN
from tests.fixtures.live import LIVE_PASSWORD, LiveApi, api_token, octroi

APP = str(Path(__file__).resolve().parents[1] / "frontend" / "app.py")
TIMEOUT = 60


def _app(monkeypatch: pytest.MonkeyPatch, url: str) -> AppTest:
    monkeypatch.setenv("OCTROI_API_URL", url)
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def _login(at: AppTest, username: str, password: str) -> AppTest:
    at.run()
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    next(b for b in at.button if b.label == "Se connecter").click().run()
    return at


def _logged_in(monkeypatch: pytest.MonkeyPatch, live: LiveApi, role: str) -> AppTest:
    at = _login(_app(monkeypatch, live.url), *live.credentials[role])
    assert not at.exception, at.exception
    assert isinstance(at.session_state[TOKENS_KEY], Tokens)
    return at


def _errors(at: AppTest) -> list[str]:
    """Error messages, leaving out a refused decision (shown in red too, with the gavel icon)."""
    return [e.value for e in at.error if e.icon != ":material/gavel:"]


def tables(at: AppTest) -> list[pd.DataFrame]:
    """Every table on the page as a reader sees it: interactive ones as they are, static ones
    (``ui.table``: Markdown cells) without their escapes and code marks."""
    def plain(value: object) -> str:
        return re.sub(r"\\(.)", r"\1", str(value)).replace("`", "")

    static = []
    for element in at.table:
        frame = element.value.map(plain)
        frame.columns = [plain(name) for name in frame.columns]
        static.append(frame)
    return [d.value for d in at.dataframe] + static


def _texts(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "error", "warning", "info", "success", "markdown", "caption") for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def test_wrong_password_is_refused_and_stays_on_the_login_page(monkeypatch, live_api: LiveApi):
    username, _ = live_api.credentials["advisor"]
    at = _login(_app(monkeypatch, live_api.url), username, "not-the-password-at-all")
    assert not at.exception
    assert [e.value for e in at.error] == ["Identifiant ou mot de passe incorrect."]
    assert TOKENS_KEY not in at.session_state
    assert at.title[0].value == "Connexion à Octroi"


def test_unreachable_api_says_so_instead_of_a_traceback(monkeypatch):
    from tests.fixtures.live import free_port

    at = _login(_app(monkeypatch, f"http://127.0.0.1:{free_port()}"), "someone", "whatever-password")
    assert not at.exception
    assert "injoignable" in at.error[0].value


@pytest.mark.parametrize("role", sorted(ROLE_PAGES))
def test_each_role_pages_render_without_exception_or_error(monkeypatch, live_api: LiveApi, role: str):
    at = _logged_in(monkeypatch, live_api, role)
    at.session_state[CLIENT_KEY] = live_api.client_id
    for spec in ROLE_PAGES[role]:
        at.switch_page(spec.file).run()
        assert not at.exception, (spec.file, at.exception)
        assert not _errors(at), (spec.file, _errors(at))
    at.switch_page("screens/account.py").run()
    assert not at.exception


@pytest.mark.parametrize("role", sorted(ROLE_PAGES))
def test_a_role_never_gets_another_roles_pages(monkeypatch, live_api: LiveApi, role: str):
    at = _logged_in(monkeypatch, live_api, role)
    for other, specs in ROLE_PAGES.items():
        if other == role:
            continue
        for spec in specs:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(spec.file)


def test_advisor_sees_gauge_decision_and_explanation(monkeypatch, live_api: LiveApi):
    at = _logged_in(monkeypatch, live_api, "advisor")
    at.text_input(key="lookup_id").input(live_api.client_id)
    next(b for b in at.button if b.label == "Ouvrir le dossier").click().run()
    assert not at.exception and not _errors(at), _errors(at)
    charts = at.get("plotly_chart")
    assert len(charts) >= 2  # the gauge and the contributions at least
    text = _texts(at)
    # The model recommends (the advisor's decision is the "Décision finale" tab's).
    assert "**Recommandation du modèle\u00a0: Accord**" in text or "**Recommandation du modèle\u00a0: Refus**" in text
    assert "Probabilité de défaut" in text and "seuil de" in text  # the gauge's text twin
    # Tiles hold short values (they are cut at 1400 px otherwise): the grade's letter, its
    # words and probability range in the caption under it.
    grade = next(m for m in at.metric if m.label == "Classe de risque").value
    assert grade in "ABCDEFG" and len(grade) == 1
    assert any(c.value.startswith("Risque") and "probabilité de défaut de" in c.value for c in at.caption)


def test_a_mistyped_client_id_is_refused_in_words_and_closes_the_previous_file(monkeypatch, live_api: LiveApi):
    """"²" (a key of the French keyboard) passed ``str.isdigit`` and ``int`` then raised on the
    page; an id longer than the API takes came back as "client_id — valeur non valide"."""
    at = _open(_own_advisor(monkeypatch, live_api, "mistyped-id"), live_api.client_id)
    for typed in ("²", "10²", "99999999999999999999999", "-1"):
        at.text_input(key="lookup_id").input(typed)
        next(b for b in at.button if b.key == "lookup_open").click().run()
        assert not at.exception, (typed, at.exception)
        assert [e.value for e in at.error] == [i18n.translate("fr", "client.bad_id")], typed
        assert not at.get("plotly_chart") and not at.metric, f"{typed}: the previous file is still on screen"
    _open(at, live_api.client_id)


def test_english_switch_translates_the_page(monkeypatch, live_api: LiveApi):
    at = _logged_in(monkeypatch, live_api, "comex")
    at.radio(key="octroi_lang").set_value("en").run()
    assert not at.exception
    assert at.title[0].value == "Portfolio"


def test_expired_session_returns_to_login_with_a_message(monkeypatch, live_api: LiveApi):
    at = _app(monkeypatch, live_api.url)
    at.session_state[TOKENS_KEY] = Tokens("expired", "revoked", time.time() - 5, "advisor", "live-advisor")
    at.run()
    assert not at.exception
    assert TOKENS_KEY not in at.session_state
    assert any("session a expiré" in i.value for i in at.info)
    assert at.title[0].value == "Connexion à Octroi"


def test_logout_revokes_the_refresh_family(monkeypatch, live_api: LiveApi):
    at = _logged_in(monkeypatch, live_api, "compliance")
    refresh_token = at.session_state[TOKENS_KEY].refresh_token
    at.button(key="logout").click().run()
    assert not at.exception
    assert TOKENS_KEY not in at.session_state
    answer = httpx.post(f"{live_api.url}/api/v1/auth/refresh", json={"refresh_token": refresh_token}, timeout=30)
    assert answer.status_code == 401


def test_one_time_password_user_must_change_it_first(monkeypatch, live_api: LiveApi):
    admin = api_token(live_api, "admin")
    created = httpx.post(
        f"{live_api.url}/api/v1/users",
        json={"username": f"otp-{int(time.time() * 1000) % 10**9}", "full_name": "New Advisor", "role": "advisor"},
        headers={"Authorization": f"Bearer {admin}"},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    # An advisor account takes a second admin, who receives the one-time password (issue 14).
    approved = httpx.post(
        f"{live_api.url}/api/v1/users/access-requests/{created.json()['access_request']['id']}/approve",
        headers={"Authorization": f"Bearer {api_token(live_api, 'admin2')}"},
        timeout=30,
    )
    assert approved.status_code == 200, approved.text
    username, one_time = created.json()["username"], approved.json()["one_time_password"]
    at = _login(_app(monkeypatch, live_api.url), username, one_time)
    assert not at.exception
    assert at.session_state[TOKENS_KEY].must_change_password
    with pytest.raises(ValueError):
        at.switch_page("screens/advisor_client.py")
    new_password = "Brand-new-passphrase-42!"
    inputs = at.text_input
    inputs[0].input(one_time)
    inputs[1].input(new_password)
    inputs[2].input(new_password)
    next(b for b in at.button if b.label == "Enregistrer").click().run()
    assert not at.exception, at.exception
    assert not at.session_state[TOKENS_KEY].must_change_password
    assert at.title[0].value == "Dossier client"


def test_admin_unlocks_only_a_locked_account_and_the_page_says_until_when(monkeypatch, live_api: LiveApi):
    admin = {"Authorization": f"Bearer {api_token(live_api, 'admin')}"}
    username = f"lock-{int(time.time() * 1000) % 10**9}"
    created = httpx.post(f"{live_api.url}/api/v1/users", json={"username": username, "full_name": "Locked Out",
                                                                "role": "comex"}, headers=admin, timeout=30)
    assert created.status_code == 201, created.text
    at = _logged_in(monkeypatch, live_api, "admin")
    at.selectbox(key="manage_user").set_value(username).run()
    assert not at.exception and not _errors(at), _errors(at)
    assert at.button(key="manage_unlock").disabled  # nothing to unlock: not offered
    assert any(f"{username} n'est pas verrouillé" in m.value for m in at.markdown)

    for _ in range(5):  # the lockout threshold
        failed = httpx.post(f"{live_api.url}/api/v1/auth/token", data={"username": username, "password": "wrong"},
                            timeout=30)
        assert failed.status_code == 401, failed.text
    at.run()
    assert not at.button(key="manage_unlock").disabled
    assert any(f"{username} est verrouillé jusqu'au " in m.value for m in at.markdown), [m.value for m in at.markdown]
    table = next(d.value for d in at.dataframe if "Verrouillé jusqu'au" in d.value.columns)
    assert table.set_index("Identifiant").loc[username, "Verrouillé jusqu'au"] != "—"
    at.button(key="manage_unlock").click().run()
    assert not at.exception and not _errors(at), _errors(at)
    assert any(f"Le compte {username} est déverrouillé" in s.value for s in at.success)
    users = httpx.get(f"{live_api.url}/api/v1/users", headers=admin, timeout=30).json()
    assert next(u for u in users if u["username"] == username)["locked_until"] is None


def test_a_refused_new_password_says_every_broken_rule_in_french(monkeypatch, live_api: LiveApi):
    password = live_api.credentials["comex"][1]
    at = _logged_in(monkeypatch, live_api, "comex")
    at.switch_page("screens/account.py").run()
    weak = "password12"  # too short, and too common
    inputs = at.text_input
    inputs[0].input(password)
    inputs[1].input(weak)
    inputs[2].input(weak)
    next(b for b in at.button if b.label == "Enregistrer").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Saisie refusée : Nouveau mot de passe — trop court (12 caractères au moins), trop courant ou trop "
        "répétitif"]
    assert api_token(live_api, "comex")  # nothing changed: the old password still signs in


def test_client_report_pdf_is_generated_streamed_and_audited(live_api: LiveApi):
    advisor = api_token(live_api, "advisor")
    answer = httpx.get(
        f"{live_api.url}/api/v1/clients/{live_api.client_id}/report.pdf",
        params={"lang": "en"},
        headers={"Authorization": f"Bearer {advisor}"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-") and len(answer.content) > 1500
    assert live_api.client_id not in answer.headers["content-disposition"]
    assert answer.headers["cache-control"] == "no-store"
    compliance = api_token(live_api, "compliance")
    events = httpx.get(
        f"{live_api.url}/api/v1/audit/events",
        params={"action": "report.generate"},
        headers={"Authorization": f"Bearer {compliance}"},
        timeout=30,
    ).json()["events"]
    assert events and events[0]["outcome"] == "success" and events[0]["input_hash"]
    assert live_api.client_id not in str(events[0])


def test_client_report_needs_the_reports_permission_and_a_known_client(live_api: LiveApi):
    comex = api_token(live_api, "comex")
    denied = httpx.get(
        f"{live_api.url}/api/v1/clients/{live_api.client_id}/report.pdf",
        headers={"Authorization": f"Bearer {comex}"},
        timeout=30,
    )
    assert denied.status_code == 403
    advisor = api_token(live_api, "advisor")
    unknown = httpx.get(
        f"{live_api.url}/api/v1/clients/{live_api.unknown_client_id}/report.pdf",
        headers={"Authorization": f"Bearer {advisor}"},
        timeout=30,
    )
    assert unknown.status_code == 404
    assert live_api.unknown_client_id not in unknown.text


def test_advisor_comparison_similar_and_report_tabs_work(monkeypatch, live_api: LiveApi):
    at = _logged_in(monkeypatch, live_api, "advisor")
    at.session_state[CLIENT_KEY] = live_api.client_id
    at.run()
    assert not at.exception and not _errors(at)
    assert len(at.get("plotly_chart")) >= 4  # gauge, contributions, density, scatter or radar
    # The slider counts what the table lists: anonymous groups, one row each (not clients).
    slider = at.slider(key="similar_k")
    table = next(d for d in tables(at) if "Taille du groupe" in d.columns)
    assert slider.label == "Nombre de groupes similaires" and len(table) == 1 + slider.value == 11
    # The client's own values head the table, in the columns the groups' medians fill.
    assert list(table["Profil"]) == ["Ce client"] + [f"Groupe {n}" for n in range(1, 11)]
    assert table["Taille du groupe"].iloc[0] == "—"
    groups = table.iloc[1:]
    sizes = sum(int(str(v).replace("\u202f", "").replace("\xa0", "")) for v in groups["Taille du groupe"])
    # Each value in the unit its label promises: years to one decimal, amounts in euros,
    # categories in words ("Âge 32,20", "Annuité 18 500", "Secondary / ..." before).
    for value in table["Âge (années)"]:
        assert re.fullmatch(r"\d+,\d", value), value
    for value in table["Annuité du prêt"]:
        assert value.endswith("\xa0€"), value
    from ml.labels import level_label
    from ml.schema import LEVELS

    for category, name in (("Profession", "OCCUPATION_TYPE"), ("Secteur de l'employeur", "ORGANIZATION_TYPE")):
        raw = {level for level in LEVELS[name] if level_label(level, "fr") != level}
        assert not raw.intersection(table[category]), list(table[category])
    assert table["Profession"].iloc[0] not in ("", "—") or table["Secteur de l'employeur"].iloc[0] not in ("", "—")
    assert any(f"Taux de défaut des 10 groupes les plus proches ({i18n.number(sizes, 'fr')} personnes)" in m.value
               for m in at.markdown), [m.value for m in at.markdown]
    next(b for b in at.button if b.label == "Générer le rapport").click().run()
    assert not at.exception and not _errors(at), _errors(at)
    assert at.get("download_button")


def test_the_contribution_bars_add_up_to_the_client_s_probability_from_the_reference_point(
    monkeypatch, live_api: LiveApi
):
    """The caption says the effects add up from the model's reference point to the client's
    probability: the chart shows the features not listed as one grey bar, so they do."""
    at = _logged_in(monkeypatch, live_api, "advisor")
    at.session_state[CLIENT_KEY] = live_api.client_id
    at.run()
    assert not at.exception and not _errors(at), _errors(at)
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    [bars] = [t for c in charts for t in c["data"] if t.get("type") == "bar" and t.get("orientation") == "h"
              and any(" = " in y for y in t["y"])]
    [rest] = [i for i, y in enumerate(bars["y"]) if y.startswith("Les ") and y.endswith(" autres facteurs, ensemble")]
    assert rest == 0 and bars["marker"]["color"][0] == "#8c959f"  # the bottom bar, grey
    explanation = httpx.get(f"{live_api.url}/api/v1/clients/{live_api.client_id}/explanation",
                            headers={"Authorization": f"Bearer {api_token(live_api, 'advisor')}"},
                            params={"top": 10}, timeout=30).json()
    assert len(bars["x"]) == 11 and bars["y"][0] == f"Les {explanation['other']['count']} autres facteurs, ensemble"
    points = 100 * (explanation["probability"] - explanation["reference_probability"])
    assert sum(bars["x"]) == pytest.approx(points, abs=1e-9)


def _scatter_traces(at: AppTest) -> list[dict]:
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    [scatter] = [c for c in charts if any(t.get("name") == "Groupes sous la moyenne" and t.get("type") == "scatter" and t.get("mode") == "markers" for t in c["data"])]
    return scatter["data"]


def test_comparison_scatter_shows_the_population_by_outcome_with_the_client(monkeypatch, live_api: LiveApi):
    at = _logged_in(monkeypatch, live_api, "advisor")
    at.session_state[CLIENT_KEY] = live_api.client_id
    at.run()
    assert not at.exception and not _errors(at), _errors(at)
    traces = {t["name"]: t for t in _scatter_traces(at)}
    below, above = "Groupes sous la moyenne", "Groupes au-dessus de la moyenne"
    assert set(traces) == {below, above, "Client"}
    # The anonymous prototypes (groups of clients), both sides of the average, not people.
    assert 10 < len(traces[below]["x"]) + len(traces[above]["x"]) <= SAMPLE_SIZE
    assert traces[above]["x"] and traces["Client"]["marker"]["symbol"] == "star"
    assert any("groupes anonymes" in c.value and "croix rouges = au-dessus" in c.value for c in at.caption)
    at.checkbox(key="cmp_show_similar").check().run()
    assert not at.exception
    overlay = {t["name"]: t for t in _scatter_traces(at)}["Clients similaires"]
    assert len(overlay["x"]) == 10  # the similar tab's default k


def _spec(live: LiveApi) -> dict[str, dict]:
    answer = httpx.get(f"{live.url}/api/v1/scoring/inputs", headers={"Authorization": f"Bearer {api_token(live, 'advisor')}"},
                       timeout=30)
    assert answer.status_code == 200, answer.text
    return {f["name"]: f for f in answer.json()["fields"]}


def _inputs_fetches(live: LiveApi) -> int:
    """How many times the spec was served (the route records a model.read 'inputs' view)."""
    events = httpx.get(f"{live.url}/api/v1/audit/events", params={"action": "model.read", "limit": 500},
                       headers={"Authorization": f"Bearer {api_token(live, 'compliance')}"}, timeout=30).json()["events"]
    return sum(1 for e in events if (e["details"] or {}).get("view") == "inputs")


def _form_widgets(at: AppTest, prefix: str) -> list:
    return [w for w in [*at.text_input, *at.selectbox] if w.key and w.key.startswith(prefix)]


_SUFFIXES = re.compile(r"(@\d+)?(\.(fr|en))?$")


def _field(widget, prefix: str) -> str:
    """The input a form widget asks for: its key without the form's prefix, the client it is about
    (``ui.about_subject``: ``@n``) and, for a choice, the language (``ui.choice``: ``.fr``)."""
    return _SUFFIXES.sub("", widget.key.removeprefix(prefix))


def widget(at: AppTest, kind: str, base: str):
    """The one widget of ``kind`` (``"radio"``, ``"text_area"``...) keyed ``base``, whichever
    client and language suffix its key carries."""
    found = [w for w in getattr(at, kind) if w.key and w.key.startswith(base) and _SUFFIXES.sub("", w.key) == base]
    assert len(found) == 1, (base, [w.key for w in getattr(at, kind)])
    return found[0]


def test_the_what_if_starts_from_every_value_the_client_file_holds(monkeypatch, live_api: LiveApi, applicants_csv):
    """Each field of the what-if is pre-filled with the client's own value when the file has one
    (the family size stayed empty, "unknown", for every client)."""
    stored = pd.read_csv(applicants_csv)
    stored = stored[stored["SK_ID_CURR"] == int(live_api.client_id)].iloc[0]
    at = _logged_in(monkeypatch, live_api, "advisor")
    at.session_state[CLIENT_KEY] = live_api.client_id
    at.run()
    assert not at.exception and not _errors(at), _errors(at)
    empty = [_field(w, "whatif_") for w in _form_widgets(at, "whatif_")
             if w.value in (None, "") and pd.notna(stored[_field(w, "whatif_")])]
    assert not empty, f"left empty although the file holds a value: {empty}"


def test_the_profile_shows_amounts_in_euros_and_durations_in_years(monkeypatch, live_api: LiveApi):
    """It read "Revenu annuel 83 250" and "Âge (ans) 34,20"."""
    at = _logged_in(monkeypatch, live_api, "advisor")
    at.session_state[CLIENT_KEY] = live_api.client_id
    at.run()
    assert not at.exception and not _errors(at), _errors(at)
    shown = {m.value.split("**")[1]: m.value.split("\n", 1)[1] for m in at.markdown
             if m.value.startswith("**") and "  \n" in m.value}
    assert re.fullmatch(r"[\d\u202f\u00a0]+\u00a0€", shown["Revenu annuel"]), shown
    assert re.fullmatch(r"\d+,\d", shown["Âge (ans)"]), shown


def test_what_if_and_new_applicant_forms_are_built_from_the_api_input_spec(monkeypatch, live_api: LiveApi):
    spec = _spec(live_api)
    at = _logged_in(monkeypatch, live_api, "advisor")
    at.session_state[CLIENT_KEY] = live_api.client_id
    before = _inputs_fetches(live_api)
    at.run()
    at.run()
    assert not at.exception and not _errors(at), _errors(at)
    # Fetched once for the session (kept in its session_state), not on every rerun.
    assert _inputs_fetches(live_api) == before + 1
    assert {f.name for f in at.session_state[INPUTS_KEY]["spec"].fields} == set(spec)
    whatif = _form_widgets(at, "whatif_")
    family = [w.value for w in whatif if _field(w, "whatif_") == "CNT_FAM_MEMBERS"]
    assert re.fullmatch(r"\d+", family[0]), family  # a number of people: "2", not "2.000"
    at.switch_page("screens/advisor_new_applicant.py").run()
    assert not at.exception and not _errors(at), _errors(at)
    applicant = _form_widgets(at, "applicant_")
    # The form an advisor fills: the spec's form fields, in its order, the same in the what-if.
    asked = sorted((f["form_order"], name) for name, f in spec.items() if f["form_order"] is not None)
    assert [_field(w, "applicant_") for w in sorted(applicant, key=lambda w: asked.index(
        (spec[_field(w, "applicant_")]["form_order"], _field(w, "applicant_"))))] == [n for _, n in asked]
    assert {_field(w, "whatif_") for w in whatif} == {n for _, n in asked}
    for prefix, widgets in (("whatif_", whatif), ("applicant_", applicant)):
        assert widgets, prefix
        for box in widgets:
            name = _field(box, prefix)
            field = spec[name]  # only accepted inputs, never a computed feature
            if name in YEARS_FIELDS:
                continue  # asked in years (tests/e2e checks the conversion end to end)
            assert box.label == field["label"] + (" *" if field["required"] else "")
            if field["type"] == "category":
                assert box.type == "selectbox"
                assert len(box.options) == len(field["levels"]) + (1 if field["nullable"] else 0)
            else:
                # Typed the French way in a text field (Streamlit's number input dropped a comma).
                assert box.type == "text_input"
                digits = 0 if name.startswith("AMT_") or field["type"] == "integer" or name.startswith("CNT_") else 2
                bounds = (i18n.number(field["min"], "fr", digits), i18n.number(field["max"], "fr", digits))
                assert box.help == f"Entre {bounds[0]} et {bounds[1]}", (name, box.help)
    assert "CNT_FAM_MEMBERS" in {_field(w, "applicant_") for w in applicant}
    assert _inputs_fetches(live_api) == before + 1  # the new-applicant page reused it too


def _own_user(monkeypatch: pytest.MonkeyPatch, live: LiveApi, name: str, role: str) -> AppTest:
    """Signed in as a user of the test's own, created on the live API: the per-user budgets
    (scoring, 60 a minute; compliance's exports, 10 an hour) are not the ones the other
    dashboard tests share as ``live-<role>``."""
    password = LIVE_PASSWORD.format(role=f"own-{role}")
    octroi(live.env, "users", "create", name, "--role", role, "--password-stdin", stdin=password + "\n")
    at = _login(_app(monkeypatch, live.url), name, password)
    assert isinstance(at.session_state[TOKENS_KEY], Tokens)
    return at


def _own_advisor(monkeypatch: pytest.MonkeyPatch, live: LiveApi, name: str) -> AppTest:
    """An advisor of the test's own: opening several files spends the scoring budget."""
    return _own_user(monkeypatch, live, name, "advisor")


def _open(at: AppTest, client_id: str) -> AppTest:
    """The advisor types an id and opens the file, as in the page (the lookup's callback)."""
    at.text_input(key="lookup_id").input(client_id)
    next(b for b in at.button if b.key == "lookup_open").click().run()
    assert not at.exception and not _errors(at), _errors(at)
    return at


def test_another_client_opens_with_its_own_values_in_the_what_if_and_decision_forms(
    monkeypatch, live_api: LiveApi, applicant_ids
):
    """A keyed widget keeps its value whatever its new default: opening a second client showed
    the first one's income and age in the what-if form, and its choice in the decision form
    (found in Chromium). Each client's forms start from that client's own values."""
    # Clients no other test records a decision for: each shows the first decision's form.
    first, second = str(applicant_ids[11]), str(applicant_ids[12])
    fresh = _open(_own_advisor(monkeypatch, live_api, "forms-fresh"), second)
    own_income = widget(fresh, "text_input", "whatif_AMT_INCOME_TOTAL").value
    own_choice = widget(fresh, "radio", "final_decision_choice").value

    at = _open(_own_advisor(monkeypatch, live_api, "forms-two-clients"), first)
    income = widget(at, "text_input", "whatif_AMT_INCOME_TOTAL")
    typed = "123 457" if income.value != "123\u202f457" else "123 458"
    income.input(typed)
    next(b for b in at.button if b.label == "Simuler").click().run()
    assert widget(at, "text_input", "whatif_AMT_INCOME_TOTAL").value == typed
    choice = widget(at, "radio", "final_decision_choice")
    other = "refuse" if choice.value == "approve" else "approve"
    choice.set_value(other)
    _click_label(at, "Enregistrer la décision")  # refused: no reason given; the choice stays
    assert widget(at, "radio", "final_decision_choice").value == other

    _open(at, second)
    assert widget(at, "text_input", "whatif_AMT_INCOME_TOTAL").value == own_income != typed
    assert widget(at, "radio", "final_decision_choice").value == own_choice


def test_an_emptied_required_field_in_the_what_if_is_refused_in_words_not_scored(
    monkeypatch, live_api: LiveApi, applicant_ids
):
    """Found in Chromium: the income cleared and "Simuler" gave a probability 4 points lower and
    an approval (the model's "unknown" branch), with only a warning. Now refused, naming the
    field, nothing scored; the file's value typed back, it simulates."""
    at = _open(_own_advisor(monkeypatch, live_api, "whatif-blank"), str(applicant_ids[16]))
    income = widget(at, "text_input", "whatif_AMT_INCOME_TOTAL")
    own = income.value
    income.input("")
    widget(at, "text_input", "whatif_AMT_CREDIT").input("500 000")
    next(b for b in at.button if b.label == "Simuler").click().run()
    assert not at.exception
    assert _errors(at) == ["Champs obligatoires à remplir : Revenu annuel. Rien n'a été évalué."], _errors(at)
    assert not any("Nouvelle probabilité" in m.value for m in at.markdown)
    widget(at, "text_input", "whatif_AMT_INCOME_TOTAL").input(own)
    next(b for b in at.button if b.label == "Simuler").click().run()
    assert not at.exception and not _errors(at), _errors(at)
    assert any("Nouvelle probabilité" in m.value for m in at.markdown)


def test_a_choice_follows_a_language_switch_and_keeps_what_the_page_used(
    monkeypatch, live_api: LiveApi, applicant_ids
):
    """After a switch to English the decision radio is drawn anew, in English, on the option the
    page was using (the kept radio showed no option checked while one would be recorded)."""
    at = _open(_own_advisor(monkeypatch, live_api, "forms-language"), str(applicant_ids[13]))
    choice = widget(at, "radio", "final_decision_choice")
    other = "refuse" if choice.value == "approve" else "approve"
    choice.set_value(other)
    _click_label(at, "Enregistrer la décision")
    axis = widget(at, "selectbox", "cmp_x")
    picked = widget(at, "selectbox", "cmp_y").value  # another feature's name (the y axis's)
    axis.select(picked).run()
    french_label = widget(at, "selectbox", "cmp_x").options[widget(at, "selectbox", "cmp_x").index]
    at.radio(key="octroi_lang").set_value("en").run()
    assert not at.exception and not _errors(at), _errors(at)
    english = widget(at, "radio", "final_decision_choice")
    assert english.key.endswith(".en") and english.value == other and set(english.options) == {"Approved", "Refused"}
    axis = widget(at, "selectbox", "cmp_x")
    assert axis.key.endswith(".en") and axis.value == picked and axis.options[axis.index] != french_label
    at.radio(key="octroi_lang").set_value("fr").run()
    assert widget(at, "radio", "final_decision_choice").value == other


def _click_label(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception
    return at


def test_a_what_if_beyond_the_training_values_says_the_score_is_an_extrapolation(monkeypatch, live_api: LiveApi):
    """An income of 1 EUR was an approval like any other, and nothing said the model had never
    seen such a value (the twenty-sixth session's walk)."""
    at = _logged_in(monkeypatch, live_api, "advisor")
    at.session_state[CLIENT_KEY] = live_api.client_id
    at.run()
    widget(at, "text_input", "whatif_AMT_INCOME_TOTAL").input("1")
    next(b for b in at.button if b.label == "Simuler").click().run()
    assert not at.exception and not _errors(at), _errors(at)
    # The simulation's (the stored file's own, in the first tab, asks to check the file).
    [beyond] = [w.value for w in at.warning
                if w.value.startswith("Hors de ce que le modèle a appris") and w.value.endswith("Vérifiez la saisie.")]
    assert "Revenu annuel" in beyond and "Taux d'effort" in beyond and "extrapolation" in beyond, beyond


def test_what_if_and_new_applicant_forms_show_a_new_score(monkeypatch, live_api: LiveApi):
    at = _logged_in(monkeypatch, live_api, "advisor")
    at.session_state[CLIENT_KEY] = live_api.client_id
    at.run()
    income = widget(at, "text_input", "whatif_AMT_INCOME_TOTAL")
    # Inside a form, the new value and the submit click travel in the same run. Typed the French
    # way: Streamlit's number input, in a French browser, dropped the comma (420005 for 42000,5).
    income.input("95 000,5" if income.value != "95\u202f000,5" else "96 000,5")
    next(b for b in at.button if b.label == "Simuler").click().run()
    assert not at.exception and not _errors(at), _errors(at)
    assert any("Nouvelle probabilité" in m.value for m in at.markdown), ([i.value for i in at.info], income.value)
    at.switch_page("screens/advisor_new_applicant.py").run()
    next(b for b in at.button if b.label == "Évaluer la demande").click().run()
    assert not at.exception
    assert any("Champs obligatoires à remplir" in e.value for e in at.error), "an empty applicant is not scored"
    at.text_input(key="applicant_AMT_INCOME_TOTAL.fr").input("42 000")
    at.text_input(key="applicant_AMT_CREDIT.fr").input("150\u202f000")
    at.text_input(key="applicant_DAYS_BIRTH.fr").input("38,5")
    # The annuity is asked for: left blank it read as "unknown" and lowered most applicants' risk.
    next(b for b in at.button if b.label == "Évaluer la demande").click().run()
    assert any("Champs obligatoires à remplir" in e.value and "Annuité du prêt" in e.value for e in at.error), \
        [e.value for e in at.error]
    # Beyond the field's bounds (the API's input spec: at most 1 000 000): named, nothing scored.
    at.text_input(key="applicant_AMT_ANNUITY.fr").input("2 000 000")
    next(b for b in at.button if b.label == "Évaluer la demande").click().run()
    assert any("Valeurs à corriger" in e.value and "Annuité du prêt" in e.value
               and "est pas entre 1 et 1\u202f000\u202f000" in e.value for e in at.error), \
        [e.value for e in at.error]
    assert not any("Recommandation du modèle" in s.value for s in at.success)
    at.text_input(key="applicant_AMT_ANNUITY.fr").input("9000")
    # So is the contract type: never missing in training, "unknown" lowered most applicants' risk.
    next(b for b in at.button if b.label == "Évaluer la demande").click().run()
    assert any("Champs obligatoires à remplir" in e.value and "Type de contrat" in e.value for e in at.error), \
        [e.value for e in at.error]
    at.selectbox(key="applicant_NAME_CONTRACT_TYPE.fr").set_value("Cash loans")
    # Values impossible together (found in Chromium, both were scored): said, nothing scored.
    at.text_input(key="applicant_DAYS_EMPLOYED.fr").input("30")
    at.text_input(key="applicant_AMT_ANNUITY.fr").input("200 000")
    next(b for b in at.button if b.label == "Évaluer la demande").click().run()
    [impossible] = [e.value.replace("\\", "") for e in at.error]  # the markdown escapes read through
    assert impossible.startswith("Valeurs à corriger") and "plus longue que l'âge ne le permet" in impossible
    assert "dépasse le montant du crédit" in impossible, impossible
    assert not any("Recommandation du modèle" in s.value for s in at.success)
    at.text_input(key="applicant_DAYS_EMPLOYED.fr").input("")
    at.text_input(key="applicant_AMT_ANNUITY.fr").input("9000")
    next(b for b in at.button if b.label == "Évaluer la demande").click().run()
    assert not at.exception and not _errors(at), _errors(at)
    # Scored, and told which blanks the model never learned (decision 0030), by their labels.
    unlearned = [w.value for w in at.warning if w.value.startswith("Laissés vides")]
    assert len(unlearned) == 1 and "Prix du bien financé" in unlearned[0] and "GOODS" not in unlearned[0], unlearned
    # And what the form does not ask, counted: the score of a new applicant is indicative.
    assert "négatif" not in unlearned[0], unlearned[0]  # inputs named for an advisor, not how the API types them
    assert re.search(r"Inconnues aussi.*: \d+ variables que le formulaire ne demande pas \(dont [^_]+\)\. "
                     r"Ce score est indicatif\.", unlearned[0]), unlearned[0]
    assert any("Recommandation du modèle" in s.value for s in [*at.success, *at.error])


def test_a_what_if_sends_only_what_the_advisor_changed_even_for_a_pensioner(
    monkeypatch, live_api: LiveApi, applicants_csv
):
    """An income typed the French way is sent as that number (a French browser's number input
    made 420005 of 42000,5), and nothing else: a pensioner's employment, the "not employed"
    value the form cannot show in years, is left empty and is not sent as "unknown"."""
    from frontend.api import ApiClient

    frame = pd.read_csv(applicants_csv, usecols=[ID_COLUMN, "DAYS_EMPLOYED"])
    pensioner = str(int(frame.loc[frame["DAYS_EMPLOYED"] == 365243, ID_COLUMN].iloc[0]))
    sent: list[dict] = []
    post = ApiClient.post

    def recording(self, path, payload=None, params=None):
        if path == "/scoring/simulate":
            sent.append(payload)
        return post(self, path, payload, params)

    monkeypatch.setattr(ApiClient, "post", recording)
    at = _open(_own_advisor(monkeypatch, live_api, "whatif-pensioner"), pensioner)
    assert widget(at, "text_input", "whatif_DAYS_EMPLOYED").value == ""
    widget(at, "text_input", "whatif_AMT_INCOME_TOTAL").input("42 000,5")
    next(b for b in at.button if b.label == "Simuler").click().run()
    assert not at.exception and not _errors(at), _errors(at)
    assert [s["overrides"] for s in sent] == [{"AMT_INCOME_TOTAL": 42000.5}]
    # Read back beside the result as understood, the file's value first: only what changed.
    from frontend.i18n import money

    echo = next(m.value for m in at.markdown if m.value.startswith("Valeurs simulées")).replace("\\", "")
    lines = echo.splitlines()[1:]
    assert len(lines) == 1 and lines[0].startswith("- Revenu annuel") and "→" in lines[0], echo
    assert lines[0].endswith(f"**{money(42000.5, 'fr', 2)}**"), echo
    # Right under the new probability, not after the explanation.
    shown = [m.value for m in at.markdown]
    result = next(i for i, value in enumerate(shown) if value.startswith("Nouvelle probabilité"))
    assert shown[result + 1].startswith("Valeurs simulées"), shown[result:result + 3]


def test_an_input_is_named_to_an_advisor_without_the_api_s_typing_note():
    """Found in Chromium: « Ancienneté de la pièce d'identité (jours, négatif) » in a sentence to
    an advisor; the note says how the API takes the value, not what it is."""
    from frontend.views.advisor import _plain

    assert _plain("Ancienneté de la pièce d'identité (jours, négatif)") == "Ancienneté de la pièce d'identité"
    assert _plain("Days since ID document change (negative)") == "Days since ID document change"
    assert _plain("Jours depuis le changement de téléphone (négatif)") == "Jours depuis le changement de téléphone"
    assert _plain("Prix du bien financé") == "Prix du bien financé"
