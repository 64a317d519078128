"""A pensioner in the advisor's forms (review of the advisor pages, finding 5): the bank codes
"not employed (pensioner, unemployed)" as ``DAYS_EMPLOYED = 365243``, which the years field
(0 to 68) cannot hold. The forms offer it as a "Sans emploi (retraité, etc.)" checkbox beside
the years: a pensioner's what-if starts with it ticked and, untouched, sends nothing for the
employment; ticked on a new applicant it sends the code, scored as the batch path scores it;
the read-back says "sans emploi", not "inconnu"; the API never calls the code an unknown."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from backend.scoring import service as scoring
from frontend.api import ApiClient
from ml.features import INPUT_COLUMNS
from ml.schema import DAYS_EMPLOYED_SENTINEL, ID_COLUMN
from tests.fixtures.live import LiveApi
from tests.test_dashboard_app import _errors, _open, _own_advisor, _spec, widget

TEXT = {
    "fr": {"box": "Sans emploi (retraité, etc.)", "simulate": "Simuler", "score": "Évaluer la demande",
           "echo": "Valeurs simulées", "none": "sans emploi", "field": "Ancienneté dans l'emploi",
           "unlearned": "Laissés vides", "fix": "Valeurs à corriger"},
    "en": {"box": "Not employed (pensioner, etc.)", "simulate": "Simulate", "score": "Score the application",
           "echo": "Values simulated", "none": "not employed", "field": "Years employed",
           "unlearned": "Left empty", "fix": "Values to correct"},
}


@pytest.fixture
def simulations(monkeypatch: pytest.MonkeyPatch) -> list[tuple[dict, dict]]:
    """Every ``/scoring/simulate`` the dashboard posts: (payload, answer)."""
    sent: list[tuple[dict, dict]] = []
    post = ApiClient.post

    def recording(self, path, payload=None, params=None):
        answer = post(self, path, payload, params)
        if path == "/scoring/simulate":
            sent.append((payload, answer))
        return answer

    monkeypatch.setattr(ApiClient, "post", recording)
    return sent


def _rows(applicants_csv) -> pd.DataFrame:
    return pd.read_csv(applicants_csv)


def _in(at: AppTest, lang: str) -> AppTest:
    if lang != "fr":
        at.radio(key="octroi_lang").set_value(lang).run()
        assert not at.exception and not _errors(at), _errors(at)
    return at


def _box(at: AppTest, prefix: str):
    """The "not employed" checkbox of the form keyed ``prefix``."""
    found = [c for c in at.checkbox if c.key and c.key.startswith(f"{prefix}_DAYS_EMPLOYED")]
    assert len(found) == 1, [c.key for c in at.checkbox]
    return found[0]


def _click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception
    return at


def _echo(at: AppTest, lang: str) -> list[str]:
    text = next(m.value for m in at.markdown if m.value.startswith(TEXT[lang]["echo"])).replace("\\", "")
    return text.splitlines()[1:]


def test_the_input_spec_offers_the_not_employed_code_and_the_api_never_calls_it_unknown(live_api: LiveApi,
                                                                                        model_bundle):
    """The spec gives the code as the field's special value; a blank employment is an unknown
    the model never learned (decision 0030), the code is not."""
    field = _spec(live_api)["DAYS_EMPLOYED"]
    assert field["special"] == [DAYS_EMPLOYED_SENTINEL] and field["form_order"] is not None
    assert field["min"] <= field["max"] <= 0
    assert "DAYS_EMPLOYED" in scoring.unlearned_unknowns(model_bundle, {"DAYS_EMPLOYED": None})
    assert "DAYS_EMPLOYED" not in scoring.unlearned_unknowns(model_bundle, {"DAYS_EMPLOYED": DAYS_EMPLOYED_SENTINEL})
    assert "DAYS_EMPLOYED" not in scoring.unlearned_unknowns(model_bundle, {"DAYS_EMPLOYED": float(DAYS_EMPLOYED_SENTINEL)})


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_pensioners_what_if_starts_not_employed_and_untouched_sends_no_employment(
    monkeypatch, live_api: LiveApi, applicants_csv, simulations, lang
):
    rows = _rows(applicants_csv)
    pensioner = str(int(rows.loc[rows["DAYS_EMPLOYED"] == DAYS_EMPLOYED_SENTINEL, ID_COLUMN].iloc[0]))
    at = _open(_in(_own_advisor(monkeypatch, live_api, f"pensioner-whatif-{lang}"), lang), pensioner)
    box = _box(at, "whatif")
    assert box.value is True and box.label == TEXT[lang]["box"]
    assert widget(at, "text_input", "whatif_DAYS_EMPLOYED").value == ""
    # The file's own score does not call the code an unknown to fill in.
    assert not any(TEXT[lang]["field"] in w.value for w in at.warning), [w.value for w in at.warning]
    widget(at, "text_input", "whatif_AMT_INCOME_TOTAL").input("42 000" if lang == "fr" else "42,000")
    _click(at, TEXT[lang]["simulate"])
    assert not _errors(at), _errors(at)
    assert [payload["overrides"] for payload, _ in simulations] == [{"AMT_INCOME_TOTAL": 42000.0}]
    assert not any(TEXT[lang]["field"] in w.value for w in at.warning), [w.value for w in at.warning]

    # Given a job instead: unticked, 5 years typed; read back from "not employed", not "unknown".
    _box(at, "whatif").uncheck()
    widget(at, "text_input", "whatif_DAYS_EMPLOYED").input("5")
    _click(at, TEXT[lang]["simulate"])
    assert not _errors(at), _errors(at)
    assert simulations[-1][0]["overrides"] == {"AMT_INCOME_TOTAL": 42000.0, "DAYS_EMPLOYED": -math.ceil(5 * 365.25)}
    line = next(line for line in _echo(at, lang) if line.startswith(f"- {TEXT[lang]['field']}"))
    assert f"{TEXT[lang]['none']} →" in line and ("5,0 ans" if lang == "fr" else "5.0 years") in line, line
    assert "inconnu" not in line and "unknown" not in line, line


def test_a_workers_what_if_can_be_ticked_not_employed_and_reads_it_back(
    monkeypatch, live_api: LiveApi, applicants_csv, simulations
):
    rows = _rows(applicants_csv)
    worker = str(int(rows.loc[rows["DAYS_EMPLOYED"] < -400, ID_COLUMN].iloc[0]))
    at = _open(_own_advisor(monkeypatch, live_api, "worker-whatif"), worker)
    assert _box(at, "whatif").value is False
    assert widget(at, "text_input", "whatif_DAYS_EMPLOYED").value != ""
    # Ticked while years are still typed: said, nothing sent.
    _box(at, "whatif").check()
    _click(at, "Simuler")
    assert any("Valeurs à corriger" in e and "Sans emploi" in e for e in _errors(at)), _errors(at)
    assert simulations == []
    widget(at, "text_input", "whatif_DAYS_EMPLOYED").input("")
    _click(at, "Simuler")
    assert not _errors(at), _errors(at)
    assert [payload["overrides"] for payload, _ in simulations] == [{"DAYS_EMPLOYED": DAYS_EMPLOYED_SENTINEL}]
    line = next(line for line in _echo(at, "fr") if line.startswith("- Ancienneté dans l'emploi"))
    assert line.endswith("→ **sans emploi**"), line
    assert not any("Ancienneté" in w.value for w in at.warning if w.value.startswith("Laissés vides"))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_new_applicant_ticked_not_employed_is_sent_the_code_and_scored_as_the_batch_path(
    monkeypatch, live_api: LiveApi, applicants_csv, simulations, model_bundle, lang
):
    rows = _rows(applicants_csv)
    row = rows.loc[(rows["DAYS_EMPLOYED"] == DAYS_EMPLOYED_SENTINEL) & rows["AMT_ANNUITY"].notna()].iloc[0]
    at = _in(_own_advisor(monkeypatch, live_api, f"pensioner-new-{lang}"), lang)
    at.switch_page("screens/advisor_new_applicant.py").run()
    assert not at.exception and not _errors(at), _errors(at)
    box = _box(at, "applicant")
    assert box.value is False and box.label == TEXT[lang]["box"]
    years = (-row["DAYS_BIRTH"]) / 365.25
    typed = {"AMT_INCOME_TOTAL": row["AMT_INCOME_TOTAL"], "AMT_CREDIT": row["AMT_CREDIT"],
             "AMT_ANNUITY": row["AMT_ANNUITY"]}
    for name, value in typed.items():
        widget(at, "text_input", f"applicant_{name}").input(f"{value:.2f}".replace(".", "," if lang == "fr" else "."))
    widget(at, "text_input", "applicant_DAYS_BIRTH").input(f"{years:.1f}".replace(".", "," if lang == "fr" else "."))
    widget(at, "selectbox", "applicant_NAME_CONTRACT_TYPE").set_value(row["NAME_CONTRACT_TYPE"])
    # Ticked with years typed too: said, nothing sent.
    _box(at, "applicant").check()
    widget(at, "text_input", "applicant_DAYS_EMPLOYED").input("3")
    _click(at, TEXT[lang]["score"])
    assert any(TEXT[lang]["fix"] in e and TEXT[lang]["box"].split(" (")[0] in e for e in _errors(at)), _errors(at)
    assert simulations == []
    widget(at, "text_input", "applicant_DAYS_EMPLOYED").input("")
    _click(at, TEXT[lang]["score"])
    assert not _errors(at), _errors(at)
    (payload, answer), = simulations
    features = payload["features"]
    assert features["DAYS_EMPLOYED"] == DAYS_EMPLOYED_SENTINEL
    # Not named among the blanks to fill in: the code is an answer, not an unknown.
    assert "DAYS_EMPLOYED" not in answer["unlearned_unknowns"]
    assert not any(TEXT[lang]["field"] in w.value for w in at.warning if w.value.startswith(TEXT[lang]["unlearned"]))
    # The same probability as the batch path gives that row: the bank's file of this applicant,
    # with only what the form asks known (the age as typed, in years), its other columns empty.
    assert {name: features[name] for name in typed} == pytest.approx({name: float(row[name]) for name in typed})
    batch_row = {name: row[name] for name in typed} | {
        "DAYS_EMPLOYED": row["DAYS_EMPLOYED"], "NAME_CONTRACT_TYPE": row["NAME_CONTRACT_TYPE"],
        "DAYS_BIRTH": features["DAYS_BIRTH"]}
    batch = model_bundle.score(pd.DataFrame([batch_row]).reindex(columns=INPUT_COLUMNS))
    assert math.isclose(answer["score"]["probability"], float(batch["probability"].iloc[0]),
                        rel_tol=1e-9, abs_tol=1e-12), (answer["score"], batch)
    assert answer["score"]["decision"] == batch["decision"].iloc[0]
