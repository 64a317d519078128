"""The client report reads the French way: numbers and percentages in French format, the
local (Paris) time, a score bar with its scale and the threshold named, and the advisor's
recorded decision (or a place to write it)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from backend.reports.pdf import build_report
from tests.fixtures.pdf import drawn_strings

SCORE = {"probability": 0.1071, "threshold": 0.0896, "decision": "refuse", "borderline": False, "display_score": 497,
         "risk_band": "E", "risk_band_label": "Risque élevé", "risk_band_range": [0.08, 0.16], "model_version": "v1",
         "input_hash": "ab" * 32}
EXPLANATION = {"contributions": [{"feature": "AMT_ANNUITY", "label": "Annuité du prêt", "value": 50094.0,
                                  "effect": 0.012}], "text": "Risque estimé."}
COMPARISON = {"features": [{"feature": "AMT_ANNUITY", "label": "Annuité du prêt", "value": 50094.0, "percentile": 80.0,
                            "atypical": False}]}


def _text(pdf: bytes) -> str:
    """Every string drawn on the page."""
    return " ".join(drawn_strings(pdf))


def _report(**kwargs) -> str:
    return _text(build_report(client_id="100002", profile=[{"label": "Revenu annuel", "value": 173250.0}], score=SCORE,
                              explanation=EXPLANATION, comparison=COMPARISON, generated_by="conseiller", lang="fr",
                              now=datetime(2026, 12, 1, 10, 53, tzinfo=UTC), **kwargs))


def test_the_report_prints_paris_time_french_numbers_and_a_scaled_bar_with_the_threshold():
    text = _report()
    assert "1 déc. 2026, 11:53" in text and "heure de Paris" in text and "UTC" not in text
    assert "10,7 %" in text and "173 250" in text and "50 094" in text
    assert "seuil 9,0 %" in text and "échelle 0 - 26,9 %" in text  # zoomed scale: 3 x the threshold
    # Round marks under the bar, as the gauge draws them (were 0,0 / 5,4 / 10,8 ... / 26,9 %).
    marks = re.findall(r"\b(\d+) %", text)
    assert {"0", "5", "10", "15", "20", "25"} <= set(marks) and "5,4 %" not in text and "10,8 %" not in text


def test_the_bar_s_marks_are_round_whatever_the_scale():
    from backend.reports.pdf import _ticks

    assert _ticks(0.25) == [0, 0.05, 0.1, 0.15, 0.2, 0.25]
    assert _ticks(0.2689) == [0, 0.05, 0.1, 0.15, 0.2, 0.25]
    assert _ticks(0.439) == [0, 0.1, 0.2, 0.3, 0.4]
    assert _ticks(1.0) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert _ticks(0.2) == [0, 0.05, 0.1, 0.15, 0.2]


def test_the_report_carries_the_advisors_recorded_decision_or_a_place_to_write_it():
    assert "Aucune décision enregistrée" in _report()
    recorded = _report(advisor_decision={"decision": "approve", "recommendation": "refuse", "advisor": "conseiller",
                                         "decided_at": datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
                                         "reason": "Revenus complémentaires vérifiés"})
    assert "ACCORDÉ le 1 déc. 2026, 10:00 par conseiller" in recorded
    assert "Motif : Revenus complémentaires vérifiés" in recorded


def test_the_factors_effects_are_printed_in_the_report_s_number_format():
    """The bars' figures said "+1.2" / "-0.7" in a French report whose text says "+1,2 pt"."""
    reasons = [{"label": "Annuité du prêt", "value": 50094.0, "effect": 0.012},
               {"label": "Taux d'effort (annuité / revenu)", "value": 0.1, "effect": -0.0074}]
    explanation = {**EXPLANATION, "reasons": reasons}
    french = _text(build_report(client_id="100002", profile=[], score=SCORE, explanation=explanation,
                                comparison=COMPARISON, generated_by="conseiller", lang="fr"))
    assert "+1,2" in french and "-0,7" in french and "+1.2" not in french and "-0.7" not in french
    english = _text(build_report(client_id="100002", profile=[], score=SCORE, explanation=explanation,
                                 comparison=COMPARISON, generated_by="conseiller", lang="en"))
    assert "+1.2" in english and "-0.7" in english


def test_the_report_writes_each_factor_in_its_unit():
    """A flag printed "1,00", a count of bureau enquiries "2,00", a ratio "0,09" beside a text
    saying "0,0937": the report writes each value in the unit the API gives beside it, with the
    euro sign (in the text too). The label's "≠" was
    printed "?"."""
    reasons = [{"label": "Annuité du prêt", "value": 50094.0, "unit": "money", "effect": 0.012},
               {"label": "Ville d'adresse ≠ ville de travail", "value": 1.0, "unit": "flag", "effect": 0.004},
               {"label": "Demandes au bureau de crédit", "value": 2.0, "unit": "integer", "effect": 0.002},
               {"label": "Taux d'effort", "value": 0.0937, "unit": "number", "effect": -0.007}]
    comparison = {"features": [{"label": "Ville d'adresse ≠ ville de travail", "value": 0.0, "unit": "flag",
                                "percentile": None, "atypical": False}]}
    explanation = {**EXPLANATION, "reasons": reasons, "text": "Annuité du prêt = 50\u202f094\u00a0€ : augmente le risque."}
    text = _text(build_report(client_id="100002", profile=[], score=SCORE, explanation=explanation,
                              comparison=comparison, generated_by="conseiller", lang="fr"))
    assert "50 094 €" in text and "oui" in text and "non" in text and "0,0937" in text
    assert "1,00" not in text and "2,00" not in text and "?" not in text
    assert "Ville d'adresse autre que ville de travail" in text and "<>" not in text


def test_the_english_report_says_other_than_where_the_label_says_not_equal():
    reasons = [{"label": "Registered city ≠ work city", "value": 1.0, "unit": "flag", "effect": 0.004}]
    text = _text(build_report(client_id="100002", profile=[], score=SCORE, explanation={**EXPLANATION, "reasons": reasons},
                              comparison={"features": []}, generated_by="advisor", lang="en"))
    assert "Registered city other than work city" in text and "<>" not in text


def test_every_label_and_level_the_report_can_print_survives_its_latin_1_fonts():
    """A character outside Latin-1 prints as "?" in the PDF (the "≠" of two flags' labels did)."""
    from backend.reports.pdf import LABELS, _text
    from ml.features import FEATURE_NAMES
    from ml.labels import label, level_label
    from ml.schema import LEVELS

    for lang in ("fr", "en"):
        shown = [label(name, lang) for name in FEATURE_NAMES]
        shown += [level_label(level, lang) for levels in LEVELS.values() for level in levels]
        shown += [entry.get(lang) or entry["fr"] for entry in LABELS.values()]
        assert [s for s in shown if _text(s).count("?") > s.count("?")] == []


def test_the_profile_reads_in_the_units_the_api_gives():
    """"Âge (ans) : 54,80" and "Revenu annuel : 108 000" in the report, "54,8" and "108 000 €"
    on the page: both now write the profile in the unit each field carries."""
    from backend.clients.service import readable_profile

    profile = readable_profile({"DAYS_BIRTH": -20028, "AMT_INCOME_TOTAL": 108000.0, "CNT_FAM_MEMBERS": 3.0,
                                "AMT_CREDIT": 949100.0, "NAME_CONTRACT_TYPE": "Cash loans"}, "fr", ())
    units = {p["field"]: p["unit"] for p in profile}
    assert units["age_years"] == "years" and units["income"] == "money" and units["family_members"] == "integer"
    assert units["contract_type"] == "category" and units["credit_to_income"] == "number"
    text = _text(build_report(client_id="100002", profile=profile, score=SCORE, explanation=EXPLANATION,
                              comparison=COMPARISON, generated_by="conseiller", lang="fr"))
    assert "Âge (ans) : 54,8 " in text and "Revenu annuel : 108 000 €" in text and "Personnes au foyer : 3" in text
    assert "54,80" not in text


def test_the_report_says_the_score_is_indicative_when_the_file_lacks_what_training_never_lacked():
    assert "Score indicatif" not in _report()
    text = _text(build_report(client_id="100002", profile=[], score={**SCORE, "unlearned_labels": [
        "Prix du bien financé", "Score externe 2"]}, explanation=EXPLANATION, comparison=COMPARISON,
        generated_by="conseiller", lang="fr"))
    assert "Score indicatif : inconnues dans ce dossier" in text and "Prix du bien financé, Score externe 2" in text


def test_a_page_whose_deflated_stream_ends_in_a_carriage_return_is_read_whole():
    """The tests' reader cut a stream ending in "\\r" (one page in 256) and lost its text."""
    import zlib

    from tests.fixtures.pdf import drawn_strings

    data = next(d for d in (zlib.compress(f"BT (Page {i}) Tj ET".encode()) for i in range(5000)) if d.endswith(b"\r"))
    page = zlib.decompress(data).decode()
    assert drawn_strings(b"%PDF-1.3\n1 0 obj <<>> stream\n" + data + b"\nendstream endobj") == [page[4:-7]]


def test_the_report_gives_the_model_s_recommendation_as_such_and_the_advisor_s_decision_as_the_one_in_force():
    """The box at the top read "Décision : REFUSÉ" above "Décision du conseiller : ACCORDÉ" for a
    client the advisor approved against the model: the document handed to the client
    contradicted itself. The model recommends, the advisor decides."""
    recorded = _report(advisor_decision={"decision": "approve", "recommendation": "refuse", "advisor": "conseiller",
                                         "decided_at": datetime(2026, 12, 1, 9, 0, tzinfo=UTC), "reason": "Garant"})
    assert "Recommandation : REFUS" in recorded and "Décision :" not in recorded.split("Décision du")[0]
    assert "ACCORDÉ le 1 déc. 2026, 10:00 par conseiller (recommandation du modèle : REFUS)" in recorded
    assert "REFUSÉ" not in recorded
    english = _text(build_report(client_id="100002", profile=[], score=SCORE, explanation=EXPLANATION,
                                 comparison=COMPARISON, generated_by="conseiller", lang="en"))
    assert "Recommendation: REFUSE" in english


def test_a_probability_and_a_threshold_that_round_alike_are_printed_with_the_decimals_that_tell_them_apart():
    """8,3 % against a threshold of 8,3 %, once refused and once approved: the figures that decide
    must read differently (the rounding is what hid it)."""
    from ml.grades import distinct_digits

    assert distinct_digits(0.08336, 0.08332) == 2 and distinct_digits(0.1071, 0.0896) == 1
    assert distinct_digits(0.083334, 0.083324) == 3
    assert distinct_digits(0.0833, 0.0833) == 1  # equal: nothing to tell apart

    def report(**score):
        return _text(build_report(client_id="100002", profile=[], score={**SCORE, **score}, explanation=EXPLANATION,
                                  comparison=COMPARISON, generated_by="conseiller", lang="fr"))

    refused = report(probability=0.08336, threshold=0.08332)
    assert "8,34 %" in refused and "8,33 %" in refused and "8,3 %" not in refused
    approved = report(probability=0.083055, threshold=0.083325, decision="approve")
    assert "8,31 %" in approved and "8,33 %" in approved and "Recommandation : ACCORD" in approved


def test_amounts_print_the_euro_sign_and_stay_whole():
    """The report handed to a client wrote "50 094 EUR" (the core fonts were read as Latin-1,
    which has no euro sign); now "50 094 €", the number and its sign joined by no-break spaces
    so a line never cuts "50" from "094 €"."""
    from backend.reports.pdf import _Report, _text

    reasons = [{"label": "Annuité du prêt", "value": 50094.0, "unit": "money", "effect": 0.012}]
    explanation = {**EXPLANATION, "reasons": reasons, "text": "Annuité du prêt = 50\u202f094\u00a0€ : augmente le risque."}
    pdf = build_report(client_id="100002", profile=[], score=SCORE, explanation=explanation, comparison=COMPARISON,
                       generated_by="conseiller", lang="fr")
    drawn = drawn_strings(pdf)
    assert not re.search(r"\bEUR\b", " ".join(drawn))
    assert sum("50 094 €" in s for s in drawn) == 2  # the factor's value and the text
    narrow = _Report()
    narrow.add_page()
    narrow.set_font("Helvetica", size=10)
    for width in range(26, 44):
        narrow.multi_cell(width, 5, _text("montant de 50\u202f094\u00a0€ : risque", "fr"))
    lines = drawn_strings(bytes(narrow.output()))
    assert all("50 094 €" in line for line in lines if "094" in line or "50" in line), lines


def test_the_report_names_the_atypical_values_its_table_leaves_out():
    """The comparison lists the atypical features after the top ones; the report's table kept
    the first eight, all « Atypique : non », while the client file flagged three others
    (client 100347, the validator's walk). They are now named under the table."""
    top = [{"feature": f"F{i}", "label": f"Facteur {i}", "value": float(i), "percentile": 50.0, "atypical": False}
           for i in range(8)]
    odd = [{"feature": "NONLIVINGAREA_AVG", "label": "Surface non habitable", "value": 0.1098, "percentile": 100.0,
            "atypical": True},
           {"feature": "G", "label": "Pas atypique", "value": 1.0, "percentile": 40.0, "atypical": False}]
    text = " ".join(_text(build_report(client_id="100002", profile=[], score=SCORE, explanation=EXPLANATION,
                                       comparison={"features": top + odd}, generated_by="conseiller",
                                       lang="fr")).split())
    assert "Autres valeurs atypiques : Surface non habitable = 0,11 (centile 100)." in text, text
    assert "Pas atypique" not in text
    assert "Autres valeurs atypiques" not in _report()
    english = " ".join(_text(build_report(client_id="100002", profile=[], score=SCORE, explanation=EXPLANATION,
                                          comparison={"features": top + odd}, generated_by="advisor",
                                          lang="en")).split())
    assert "Other atypical values: Surface non habitable = 0.11 (percentile 100)." in english, english
