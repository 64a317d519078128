"""One figure, one writing, wherever the advisor reads it (review of the advisor's file and PDF):

- an age or a time in a job is completed years everywhere (to one decimal, rounded down; whole
  completed years where an integer is shown): the profile said 48,9 and the bars, the
  comparison, the explanation text and the PDF's factors 49,0 for client 136238 (48.9993 years);
  one function (``ml.features.completed_years_of``), copied by the dashboard (which imports
  nothing from ``ml``) and pinned equal here, as is the profile's ``completed_years``;
- an atypical yes/no (or level) reads the share of the population with the same answer, not
  "(centile —)";
- no scientific notation in the plain-language text ("Taux d'effort = 6,67e-09");
- the English PDF glues its colons ("Probability of default: 16.1%"), the French one sets a
  no-break space before them.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from backend.reports.pdf import build_report
from frontend import contract, i18n, ui
from frontend.views import advisor
from ml.bundle import _explanation_text
from ml.features import DAYS_PER_YEAR
from ml.labels import format_value
from tests.fixtures.pdf import drawn_strings

# The demo's applicants the reviewer quoted: (days before the application, completed years).
AGE_136238 = 17897 / DAYS_PER_YEAR  # 48.9993: "48 ans", profile 48,9, was 49,0 elsewhere
AGE_100006 = 18290 / DAYS_PER_YEAR  # 50.0753: profile 50,0, bars said 50,1
EMPLOYED_177206 = 789 / DAYS_PER_YEAR  # 2.1602: profile 2,1, PDF said 2,2


@pytest.fixture
def french(monkeypatch):
    monkeypatch.setattr(ui, "lang", lambda: "fr")


def _years_grid() -> list[float]:
    days = [*range(0, 40000, 7), 17897, 18290, 789, 10584, 6570, 36500]
    return [d / DAYS_PER_YEAR for d in days] + [x / 10 for x in range(0, 1000)] + [48.95, 49.0, 12.0, 33.2]


def test_years_are_completed_years_in_the_text_the_pdf_and_the_page(french):
    from ml.features import completed_years_of

    assert completed_years_of(AGE_136238) == 48.9 and completed_years_of(AGE_100006) == 50.0
    assert completed_years_of(EMPLOYED_177206) == 2.1 and completed_years_of(33.2) == 33.2
    assert completed_years_of(48.0) == 48.0 and completed_years_of(0.0) == 0.0
    for lang, sep in (("fr", ","), ("en", ".")):
        assert format_value(AGE_136238, lang, "years") == f"48{sep}9"
        assert format_value(AGE_100006, lang, "years") == f"50{sep}0"
        assert format_value(EMPLOYED_177206, lang, "years") == f"2{sep}1"
    assert ui.feature_text(AGE_136238, "years") == "48,9"
    assert ui.feature_text(AGE_100006, "years") == "50,0"
    assert ui.feature_text(EMPLOYED_177206, "years") == "2,1"
    # The "Ce client" row of the similar clients' table.
    assert ui.feature_column([AGE_136238, 52.97], "years") == ["48,9", "52,9"]


def test_the_page_s_completed_years_copy_ml_s_and_the_profile_s():
    """The dashboard imports nothing from ``ml``: its copy must give the same figure for every
    value, and the profile (``backend.clients.service.completed_years``, from days) too."""
    from backend.clients.service import completed_years
    from ml.features import completed_years_of

    grid = _years_grid()
    assert [ui.completed_years(v) for v in grid] == [completed_years_of(v) for v in grid]
    for days in [*range(0, 40000, 7), 17897, 18290, 789, 10584]:
        assert completed_years(-days) == completed_years_of(days / DAYS_PER_YEAR), days


def test_every_writing_of_a_years_value_agrees_with_the_profile(french):
    from backend.clients.service import completed_years

    for days in range(0, 40000, 13):
        profile = completed_years(-days)
        years = days / DAYS_PER_YEAR
        shown = i18n.number(profile, "fr", 1)
        assert format_value(years, "fr", "years") == shown, days
        assert ui.feature_text(years, "years") == shown, days
        assert int(ui.completed_years(years)) == int(profile) == math.floor(years + 1e-9), days


def test_the_explanation_text_and_the_pdf_write_the_profile_s_age():
    """Client 136238's PDF said "Âge (ans) : 48,9" and, lower, "Âge (années) 49,0"."""
    from backend.clients.service import readable_profile

    reason = {"key": "AGE_YEARS", "label": "Âge (années)", "features": ["AGE_YEARS"], "value": AGE_136238,
              "unit": "years", "percentile": 61.0, "shap": 0.1, "effect": 0.004}
    e = {"probability": 0.05, "decision": "approve", "base_probability": 0.08, "reasons": [reason]}
    text = _explanation_text(e, 0.083, "fr")
    assert "Âge (années) = 48,9, 61e centile" in text and "49,0" not in text
    profile = readable_profile({"DAYS_BIRTH": -17897}, "fr", ())
    comparison = {"features": [{"label": "Âge (années)", "value": AGE_136238, "unit": "years", "percentile": 61.0,
                                "atypical": False}]}
    pdf = " ".join(drawn_strings(build_report(
        client_id="136238", profile=profile, score=_SCORE, explanation={"reasons": [reason], "text": text},
        comparison=comparison, generated_by="conseiller", lang="fr", now=datetime(2026, 12, 1, tzinfo=UTC))))
    assert "Âge (ans) : 48,9" in pdf and "49,0" not in pdf and pdf.count("48,9") == 4


# --------------------------------------------------------------------------- the what-if


def _years_field(name: str = "DAYS_BIRTH") -> contract.InputField:
    if name == "DAYS_BIRTH":
        return contract.InputField(name=name, type="integer", label="Âge", nullable=False, required=True,
                                   min=-36500, max=-6570)
    return contract.InputField(name=name, type="integer", label="Ancienneté", nullable=False, required=True,
                               min=-25000, max=0, special=[365243])


class _Column:
    text_input = None  # the widget ``ui.number_entry`` would draw (replaced in these tests)

    def checkbox(self, *_, value=False, **__):
        return value


def _field_shows(monkeypatch, field: contract.InputField, value, typed=None):
    """(the years the what-if's field starts from, the value the form gives back)."""
    seen = {}

    def entry(widget, label, start, **_):
        seen["start"] = start
        return start if typed is None else typed

    monkeypatch.setattr(ui, "number_entry", entry)
    returned = advisor._field_input(_Column(), field, value, "k")
    return seen["start"], returned


def test_the_what_if_field_starts_from_the_completed_years(monkeypatch, french):
    """The field said 49 beside a header saying 48 ans."""
    assert _field_shows(monkeypatch, _years_field(), -17897)[0] == 48.9
    assert _field_shows(monkeypatch, _years_field("DAYS_EMPLOYED"), -789)[0] == 2.1


def test_the_what_if_reads_back_the_years_the_profile_and_the_advisor_gave(monkeypatch, french):
    """From the profile (completed years) to the form's days and back, the same years; a typed
    50,1 the same way. Rounded to the nearest day, as before, 48,2 years became -17605 days,
    48,19986 years, which completed years read back 48,1."""
    field = _years_field()
    for tenths in range(180, 999):
        years = tenths / 10
        profile = contract.ClientProfile(imported_at=datetime(2026, 1, 1, tzinfo=UTC), key_version="k", pseudonym="p",
                                         profile=[contract.ProfileField(field="age_years", label="Âge", unit="years",
                                                                        value=years)])
        days = advisor._input_value(profile, field)
        start, returned = _field_shows(monkeypatch, field, days)
        assert start == years and returned == days, years
        assert advisor._form_value(field, days) == f"{i18n.number(years, 'fr', 1)} ans", years
        typed = _field_shows(monkeypatch, field, -17897, typed=years)[1]
        assert advisor._form_value(field, typed) == f"{i18n.number(years, 'fr', 1)} ans", years


# --------------------------------------------------------------------------- atypical yes/no


def _atypical_lines(monkeypatch, *features: contract.FeatureComparison) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr(advisor.st, "subheader", lambda *_, **__: None)
    monkeypatch.setattr(advisor.st, "metric", lambda *_, **__: None)
    monkeypatch.setattr(advisor.st, "caption", lambda *_, **__: None)
    monkeypatch.setattr(advisor.st, "warning", lambda text, **_: shown.append(text))
    comparison = contract.Comparison(atypical_features=[], atypicality=0.1, features=list(features), lang="fr",
                                     model_version="v1", population_default_rate=0.08, pseudonym="p")
    advisor._atypical(comparison)
    return shown


def test_an_atypical_yes_no_reads_the_share_with_the_same_answer(monkeypatch, french):
    """Client 120706: "Document n° 16 fourni : oui (centile —)"."""
    flag = contract.FeatureComparison(feature="FLAG_DOCUMENT_16", label="Document n° 16 fourni", kind="number",
                                      unit="flag", value=1.0, atypical=True, percentile=None, same_share=0.00986)
    rare = contract.FeatureComparison(feature="FLAG_DOCUMENT_7", label="Document n° 7 fourni", kind="number",
                                      unit="flag", value=1.0, atypical=True, percentile=None, same_share=0.00012)
    level = contract.FeatureComparison(feature="NAME_INCOME_TYPE", label="Type de revenu", kind="category",
                                       unit="category", value="Unemployed", atypical=True, percentile=None,
                                       levels=["Working", "Unemployed"], counts=[9960, 40])
    number = contract.FeatureComparison(feature="AMT_INCOME_TOTAL", label="Revenu", kind="number", unit="money",
                                        value=1_000_000.0, atypical=True, percentile=99.6)
    lines = _atypical_lines(monkeypatch, flag, rare, level, number)
    # Under the 1 % that makes an answer atypical, it does not read as 1 %.
    assert lines[0] == "**Document n° 16 fourni**\u00a0: oui (même réponse que 0,99\u00a0% de la population)"
    # A share that rounds to 0 % says how small it is.
    assert lines[1] == "**Document n° 7 fourni**\u00a0: oui (même réponse que 0,01\u00a0% de la population)"
    assert lines[2] == "**Type de revenu**\u00a0: Sans emploi (même réponse que 0,4\u00a0% de la population)"
    assert "centile 100" in lines[3]
    assert not any("—" in line for line in lines)


def test_the_page_and_the_text_give_one_share_for_one_answer(monkeypatch, french):
    """The atypical list and the plain-language text write the same share (0,01 %, not 0 %)."""
    from ml.disclosure import RARE_SHARE

    assert ui.RARE_SHARE == RARE_SHARE  # the page and the model read "rare" alike
    for share in (0.23, 0.00986, 0.00012, 0.99988, 0.5, 0.0004, 1.0, 0.0057, 0.013, 0.01):
        reason = {"key": "F", "label": "Document", "features": ["F"], "value": 1.0, "unit": "flag",
                  "percentile": None, "same_share": share, "shap": 0.1, "effect": 0.005}
        e = {"probability": 0.05, "decision": "approve", "base_probability": 0.08, "reasons": [reason]}
        assert f"même réponse que {ui.same_share(share)} de la population" in _explanation_text(e, 0.083, "fr"), share
        monkeypatch.setattr(ui, "lang", lambda: "en")
        assert f"the same answer as {ui.same_share(share)} of the population" in _explanation_text(e, 0.083, "en")
        monkeypatch.setattr(ui, "lang", lambda: "fr")


# --------------------------------------------------------------------------- no exponent


@pytest.mark.parametrize("value, french_text, english", [
    (1 / 150_000_000, "0,00000000667", "0.00000000667"),
    (0.0000123, "0,0000123", "0.0000123"),
    (-0.00042, "-0,00042", "-0.00042"),
    (0.0937, "0,0937", "0.0937"),
    (1.3412, "1,34", "1.34"),
    (0.3, "0,3", "0.3"),
    (0.0, "0", "0"),
])
def test_no_scientific_notation_in_the_plain_language_text(value, french_text, english):
    """Income 150 000 000, annuity 1: "Taux d'effort (annuité / revenu) = 6,67e-09"."""
    assert format_value(value, "fr", "number") == french_text
    assert format_value(value, "en", "number") == english
    # As the bars and the comparison write it.
    assert i18n.significant(value, "fr") == french_text
    reason = {"key": "ANNUITY_INCOME_RATIO", "label": "Taux d'effort (annuité / revenu)",
              "features": ["ANNUITY_INCOME_RATIO"], "value": value, "unit": "number", "percentile": 0.0,
              "shap": -0.1, "effect": -0.004}
    e = {"probability": 0.05, "decision": "approve", "base_probability": 0.08, "reasons": [reason]}
    for lang in ("fr", "en"):
        assert "e-" not in _explanation_text(e, 0.083, lang)


# --------------------------------------------------------------------------- colons in the PDF

_SCORE = {"probability": 0.161, "threshold": 0.0896, "decision": "refuse", "borderline": False, "display_score": 420,
          "risk_band": "F", "risk_band_label": "High risk", "risk_band_range": [0.16, 0.32], "model_version": "v1",
          "input_hash": "ab" * 32}


def _pdf_strings(monkeypatch, lang: str, **kwargs) -> list[str]:
    """The texts the report hands to its cells, before fpdf2 draws a wrapped line's no-break
    spaces as spaces (it keeps them from breaking the line, which is what they are for)."""
    from backend.reports import pdf as report

    given: list[str] = []
    for name in ("cell", "multi_cell"):
        drawn = getattr(report._Report, name)

        def spy(self, *args, _drawn=drawn, **kw):
            given.append(str(kw.get("text", args[2] if len(args) > 2 else "")))
            return _drawn(self, *args, **kw)

        monkeypatch.setattr(report._Report, name, spy)
    profile = [{"label": "Age (years)" if lang == "en" else "Âge (ans)", "value": 41.0, "unit": "years"},
               {"label": "Annual income" if lang == "en" else "Revenu annuel", "value": 108000.0, "unit": "money"}]
    build_report(client_id="100002", profile=profile, score=_SCORE, explanation={"reasons": [], "text": ""},
                 comparison={"features": []}, generated_by="advisor", lang=lang,
                 now=datetime(2026, 12, 1, tzinfo=UTC), **kwargs)
    monkeypatch.undo()
    return given


def test_the_english_report_glues_its_colons_and_the_french_one_keeps_them_off_the_line_start(monkeypatch):
    """The English PDF read "Probability of default : 16.1%" and "Age (years) : 41.0"."""
    english = " ".join(_pdf_strings(monkeypatch, "en", advisor_decision={
        "decision": "approve", "recommendation": "refuse", "advisor": "advisor",
        "decided_at": datetime(2026, 12, 1, 9, 0, tzinfo=UTC), "reason": "Guarantor"}))
    assert "Probability of default: 16.1%" in english and "Threshold: 9.0%" in english
    assert "Age (years): 41.0" in english and "Annual income: €108,000" in english
    assert "Recommendation: REFUSE" in english and "Reason: Guarantor" in english
    assert " :" not in english and "\u00a0:" not in english
    french = " ".join(_pdf_strings(monkeypatch, "fr", advisor_decision={
        "decision": "approve", "recommendation": "refuse", "advisor": "conseiller",
        "decided_at": datetime(2026, 12, 1, 9, 0, tzinfo=UTC), "reason": "Garant"}))
    assert "Probabilité de défaut\u00a0: 16,1\u00a0%" in french and "Âge (ans)\u00a0: 41,0" in french
    assert "Recommandation\u00a0: REFUS" in french and "Motif\u00a0: Garant" in french
    assert "(recommandation du modèle\u00a0: REFUS)" in french
    # Every French colon after a word is held to it by a no-break space, the unsigned form's too.
    assert " :" not in french and " :" not in " ".join(_pdf_strings(monkeypatch, "fr"))
