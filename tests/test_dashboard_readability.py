"""What a French reader sees, without a server: percent ticks written as Babel writes them
("20 %", not "20%"), category levels in words in the PDF report as on screen, drift inputs
named by their label, Streamlit's own accessible names in the page's language."""

from __future__ import annotations

import html
from datetime import UTC, datetime

import plotly.graph_objects as go
import pytest

from backend.monitoring.schemas import Alert, InputDrift
from backend.reports.pdf import build_report
from frontend import charts, contract, i18n, ui
from frontend.views import monitoring
from ml import labels as ml_labels
from ml.features import value_unit
from ml.labels import format_value
from tests.fixtures.pdf import drawn_strings

FRENCH_PERCENT = i18n.percent(0.2, "fr", 0).removeprefix("20")  # what Babel puts after the digits


def _percent_figures() -> list[go.Figure]:
    return [
        charts.gauge(0.107, 0.09, "Probabilité", "Risque élevé"),
        charts.density([0.0, 1.0, 2.0], [("Remboursé", [3, 1], "solid"), ("Défaut", [1, 3], "dash")], 1.2,
                       title="t", x_title="x", y_title="y", client_label="client"),
        charts.score_histogram([0.0, 0.1, 0.2], [5, 3], 0.12, "x", "y", "seuil", ("sous", "au-dessus")),
        charts.horizontal_bars(["a", "b"], [0.2, 0.35], "Taux", percent=True),
        charts.grouped_shares(["D1", "D2"], [("Apprentissage", [0.1, 0.2], charts.NEUTRAL),
                                             ("Aujourd'hui", [0.15, 0.25], charts.CLIENT)],
                              x_title="Déciles", errors=([0.01, 0.02], [0.01, 0.02])),
    ]


def _suffixes(fig: go.Figure) -> list[str]:
    found: list[str] = []
    fig.for_each_xaxis(lambda ax: found.append(ax.ticksuffix or ""))
    fig.for_each_yaxis(lambda ax: found.append(ax.ticksuffix or ""))
    for trace in fig.data:
        if isinstance(trace, go.Indicator):
            found += [trace.number.suffix or "", trace.gauge.axis.ticksuffix or ""]
    return [s for s in found if "%" in s]


@pytest.mark.parametrize(("lang", "expected"), [("fr", FRENCH_PERCENT), ("en", "%")])
def test_every_percent_axis_reads_as_babel_writes_a_percentage(lang, expected, monkeypatch):
    monkeypatch.setattr(ui, "lang", lambda: lang)
    assert ui.percent_suffix() == expected
    assert FRENCH_PERCENT in ("\u00a0%", "\u202f%")  # a no-break space in French, never glued
    for fig in _percent_figures():
        charts.localise(fig, separators=",\u202f", percent=ui.percent_suffix())
        assert _suffixes(fig), f"{fig.layout.title.text or fig.data[0].type}: no percent axis"
        assert set(_suffixes(fig)) == {expected}
        # d3's "%" format glues the sign to the number in every language: never used.
        formats: list[str] = []
        fig.for_each_xaxis(lambda ax: formats.append(ax.tickformat or ""))
        fig.for_each_yaxis(lambda ax: formats.append(ax.tickformat or ""))
        assert not [f for f in formats if "%" in f]
        if lang == "fr":  # hovers too: no percentage glued to its number
            assert not [t.hovertemplate for t in fig.data if "}%" in (getattr(t, "hovertemplate", None) or "")]


def test_percent_charts_are_drawn_in_percentage_points():
    fig = charts.horizontal_bars(["a"], [0.2], "Taux", percent=True)
    assert list(fig.data[0].x) == [pytest.approx(20.0)]
    shares = charts.grouped_shares(["D1"], [("x", [0.1], charts.CLIENT)], x_title="")
    assert list(shares.data[0].y) == [pytest.approx(10.0)]


def test_the_report_and_the_dashboard_name_category_levels_from_the_same_table():
    assert ml_labels.LEVELS == dict(i18n.LEVELS)
    assert ml_labels.LEVEL_FAMILIES == dict(i18n.LEVEL_FAMILIES)
    for raw in ("Cash loans", "Working", "Business Entity Type 3", "not in the table"):
        for lang in ("fr", "en"):
            assert ml_labels.level_label(raw, lang) == i18n.level(raw, lang)


def _pdf_text(pdf: bytes) -> str:
    return " ".join(drawn_strings(pdf))


ENGLISH_LEVELS = ("Cash loans", "Working", "Secondary / secondary special", "Married", "House / apartment")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_pdf_report_prints_category_levels_in_its_language(lang):
    profile = [{"label": "Type de contrat", "value": "Cash loans"}, {"label": "Type de revenu", "value": "Working"},
               {"label": "Niveau d'études", "value": "Secondary / secondary special"},
               {"label": "Situation familiale", "value": "Married"}, {"label": "Logement", "value": "House / apartment"}]
    score = {"probability": 0.05, "threshold": 0.09, "decision": "approve", "risk_band": "D",
             "risk_band_label": "Risque modéré", "risk_band_range": [0.04, 0.08], "model_version": "v1",
             "input_hash": "ab" * 32}
    explanation = {"reasons": [{"label": "Type de revenu", "value": "Working", "effect": 0.01}]}
    comparison = {"features": [{"label": "Type de contrat", "value": "Cash loans", "percentile": None, "atypical": False}]}
    text = _pdf_text(build_report(client_id="100002", profile=profile, score=score, explanation=explanation,
                                  comparison=comparison, generated_by="conseiller", lang=lang,
                                  now=datetime(2026, 12, 1, 10, 0, tzinfo=UTC)))
    for raw in ENGLISH_LEVELS:
        assert i18n.level(raw, lang) in text
        if lang == "fr":
            assert raw not in text
    if lang == "fr":
        assert "Prêt personnel" in text and "Salarié" in text and "Secondaire" in text


def test_the_explanation_sentence_names_a_category_level_in_its_language():
    assert format_value("Working", "fr") == "Salarié"
    assert format_value("Working", "en") == "Employed"


def test_drift_inputs_and_alerts_carry_their_label_in_both_languages():
    row = InputDrift(input="ORGANIZATION_TYPE", kind="category", csi=0.3, csi_previous_period=None, status="act",
                     missing_share=0.0, missing_share_training=0.0, out_of_range_share=0.0,
                     unseen_category_share=0.0, unseen_categories=[])
    assert row.model_dump()["label"] == {"fr": "Secteur de l'employeur", "en": "Employer's sector"}
    alert = Alert(subject="ORGANIZATION_TYPE", measure="csi", value=0.3, level="act", against="training")
    assert alert.model_dump()["subject_label"]["fr"] == "Secteur de l'employeur"
    score_alert = Alert(subject="score", measure="psi", value=0.3, level="act", against="training")
    assert score_alert.model_dump()["subject_label"] is None


@pytest.mark.parametrize(("lang", "expected"), [("fr", "Secteur de l'employeur"), ("en", "Employer's sector")])
def test_the_monitoring_page_names_a_drifting_input_by_its_label(lang, expected, monkeypatch):
    monkeypatch.setattr(ui, "lang", lambda: lang)
    alert = contract.Alert.model_validate(
        Alert(subject="ORGANIZATION_TYPE", measure="csi", value=0.31, level="act", against="training").model_dump())
    sentence = monitoring._alert_sentence(alert)
    assert expected in sentence and "ORGANIZATION_TYPE" not in sentence


def test_streamlit_accessible_names_have_a_french_name_and_help_keeps_the_label():
    names = i18n.accessible_names()
    assert names["Collapse sidebar"] == "Replier le menu latéral" and names["Help"] == "Aide"
    assert all(french and french != english for english, french in names.items())
    assert i18n.CATALOG["a11y.help_for"]["en"] == "Help for "  # Streamlit's exact prefix


def test_no_answer_is_read_as_a_bare_mapping_any_more():
    assert not hasattr(ui, "require_mapping")


def test_contribution_bar_labels_follow_the_page_separators():
    """The numbers printed on the explanation's bars are formatted by Plotly with the figure's
    separators (``-1,0`` on a French page), never by Python with a dot."""
    fig = charts.contributions(["a", "b"], [-0.0104, 0.0052], ["1", "2"], "x", "hausse", "baisse")
    bar = fig.data[0]
    assert bar.text is None
    assert bar.texttemplate == "%{x:+.1f}"
    charts.localise(fig, separators=",\u202f", percent=FRENCH_PERCENT)
    assert fig.layout.separators == ",\u202f"


@pytest.mark.parametrize("text", [
    "OCTROI_AUDIT_RETENTION_DAYS", "*gras* et _italique_", "[lien](https://exemple.fr)", ":red[rouge] :material/home:",
    "$x$ = 3,5 %", "`code`", "1. pas une liste", "- pas une puce", "# pas un titre", "<b>pas du HTML</b>",
    "a \\ b | c ~~d~~", "Veuf ou veuve", "",
])
def test_a_static_table_cell_shows_exactly_what_was_written(text):
    """``ui.table`` cells are Markdown (st.table): whatever a register sentence or a setting name
    holds is escaped, so the reader sees those characters, never formatting, a link or a formula."""
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark").renderInline(ui.literal(text))
    assert rendered == html.escape(text, quote=True).replace("&#x27;", "'"), rendered
    assert ui.identifiers(["a_b", "c"]) == "`a_b`, `c`" and ui.identifiers([]) == "—"
    assert MarkdownIt("commonmark").renderInline(ui.identifiers(["x` *y* `z"])) == "<code>x' *y* 'z</code>"


def test_the_audit_log_shows_a_client_pseudonym_short_and_other_resources_whole():
    """64 hex characters made the resource column a scroll of its own (axe: unreachable from the
    keyboard); the subject page shows the same 12 first characters, the export every one."""
    pseudonym = "6dac131983610ee48c3d29a35d5db6eeaf777db2bf3fec0f51aad9d8772dd1c3"
    assert ui.short_resource(pseudonym) == "6dac13198361…"
    assert ui.short_resource("user:conseiller") == "user:conseiller" and ui.short_resource("/api/v1/audit/events") == "/api/v1/audit/events"
    assert ui.short_resource(None) == "—"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_role_the_audit_trail_can_hold_reads_as_a_word(lang, monkeypatch):
    """The audit page printed "role.operator" for what was done from the command line (a
    promotion, the users created at set-up): every role an event can carry has a label."""
    from backend.audit.service import CLI_ROLE
    from security.rbac import Role

    monkeypatch.setattr(ui, "lang", lambda: lang)
    for role in [*Role, CLI_ROLE]:
        shown = ui.role(role)
        assert shown and "role." not in shown and shown == i18n.translate(lang, f"role.{role}"), role
    assert ui.role("operator") == {"fr": "exploitant (ligne de commande)", "en": "operator (command line)"}[lang]
    assert ui.role(None) == "—" and ui.role("auditor") == "auditor"  # a role added since: as sent


def test_a_static_table_shows_a_missing_value_as_a_dash(monkeypatch):
    import pandas as pd

    drawn = []
    monkeypatch.setattr(ui.st, "table", lambda frame, **_: drawn.append(frame))
    ui.table(pd.DataFrame({"Groupe": ["a_b", None], "Taux": [float("nan"), "8,3 %"]}))
    assert drawn[0].to_dict("list") == {"Groupe": ["a\\_b", "—"], "Taux": ["—", "8\\,3 \\%"]}


def test_a_feature_value_reads_in_the_unit_the_api_gives_beside_it():
    """Euros and years where the feature is one (the annuity read "11 246", a time in a job
    "9,95"); a flag as yes/no ("Ville d'adresse ≠ ville de travail = 1,00" before), a count whole
    (bureau enquiries "2,00"), other numbers to three significant digits as the plain-language
    text writes them (the bars said "0,09" beside a text saying "0,0937"). The names that only
    look like it keep their own unit: AMT_REQ_CREDIT_BUREAU_* count enquiries, YEARS_BUILD_*
    are normalised building scores."""

    def shown(name: str, value: object) -> str:
        return ui.feature_text(value, value_unit(name))

    # An amount keeps its cents (7 942,50 € read 7 942 €: rounded to even, the validator's walk).
    assert shown("AMT_ANNUITY", 11245.5) == "11\u202f245,50\xa0€" and shown("AMT_ANNUITY", 7942.0) == "7\u202f942\xa0€"
    assert shown("INCOME_PER_PERSON", 67500.0) == "67\u202f500\xa0€"
    # Completed years, as the profile and the header state them (9.9512 years in a job is not 10).
    assert shown("YEARS_EMPLOYED", 9.9512) == "9,9"
    assert shown("AGE_YEARS", 34.26) == "34,2"
    assert shown("AMT_REQ_CREDIT_BUREAU_YEAR", 2.0) == "2"
    assert shown("REG_CITY_NOT_WORK_CITY", 1.0) == "oui"
    assert shown("DAYS_EMPLOYED_ANOMALY", 0.0) == "non"
    assert shown("ANNUITY_INCOME_RATIO", 0.0937) == "0,0937"
    assert shown("YEARS_BUILD_AVG", 0.7552) == "0,755"
    assert shown("NAME_EDUCATION_TYPE", "Secondary / secondary special") == "Secondaire"
    assert shown("AMT_CREDIT", None) == "—"
    # A group's median between two whole values stays what it is.
    assert shown("REG_CITY_NOT_WORK_CITY", 0.5) == "0,5" and shown("CNT_FAM_MEMBERS", 2.5) == "2,5"
    for name, value in (("ANNUITY_INCOME_RATIO", 0.0937), ("AMT_REQ_CREDIT_BUREAU_YEAR", 3.0), ("AMT_ANNUITY", 7942.5),
                        ("CREDIT_GOODS_RATIO", 1.3412), ("AGE_YEARS", 54.83), ("YEARS_EMPLOYED", 17.12)):
        assert shown(name, value) == format_value(value, "fr", value_unit(name)), name


def test_the_client_file_names_each_blank_the_model_never_learned(monkeypatch):
    """A stored file lacking the goods price and external score 2 (never missing in training)
    was scored without a word; the file now names each, by label, and says the score is
    indicative."""
    from frontend.views import advisor

    fields = [contract.InputField(name="AMT_GOODS_PRICE", type="number", label="Prix du bien financé", nullable=True,
                                  required=False, form_order=5),
              contract.InputField(name="EXT_SOURCE_2", type="number", label="Score externe 2", nullable=True,
                                  required=False)]
    monkeypatch.setattr(advisor, "input_spec", lambda: contract.InputSpec(model_version="v1", lang="fr", fields=fields))
    shown: list[str] = []
    monkeypatch.setattr(advisor.st, "warning", lambda text, **_: shown.append(text))
    advisor._unlearned_in_file(["AMT_GOODS_PRICE", "EXT_SOURCE_2"])
    assert len(shown) == 1
    assert "Prix du bien financé, Score externe 2" in shown[0] and "ce score est indicatif" in shown[0]
    assert "GOODS" not in shown[0] and "EXT_SOURCE" not in shown[0]


def test_a_column_of_similar_groups_shares_one_precision():
    """The groups' medians at three significant digits each read "0,79" above "0,0892" and "1"
    above "1,16" in one column: a column now shares the precision its values need, three
    decimals at most; other units keep their own writing."""
    assert ui.feature_column([0.79, 0.0892, 0.843], "number") == ["0,790", "0,089", "0,843"]
    assert ui.feature_column([1.0, 1.16, None], "number") == ["1,00", "1,16", "—"]
    assert ui.feature_column([23.04, 33.2], "years") == ["23,0", "33,2"]
    assert ui.feature_column([1.0, 0.5], "flag") == ["oui", "0,5"]
    assert ui.feature_column(["Working", None], "category") == ["Salarié", "—"]


def test_the_browser_walks_catch_a_catalog_key_shown_untranslated():
    """The page checks of the browser tests (tests/e2e/journeys.py) flag "role.operator" as the
    audit page showed it, and leave the audit actions the trail names by their code."""
    from tests.e2e.journeys import untranslated_keys

    assert untranslated_keys("cli:root role.operator user.create") == ["role.operator"]
    assert untranslated_keys("audit.read decision.record outcome.maybe") == ["outcome.maybe"]
    assert untranslated_keys("Rôle : conseiller · Résultat : Succès") == []


@pytest.mark.parametrize("probability, threshold, decision, french, english", [
    (0.083334, 0.083324, "refuse", "8,333\u00a0%, au-dessus du seuil de 8,332\u00a0%",
     "8.333%, above the threshold of 8.332%"),
    (0.083055, 0.083325, "approve", "8,31\u00a0%, sous le seuil de 8,33\u00a0%", "8.31%, below the threshold of 8.33%"),
    (0.1071, 0.0896, "refuse", "10,7\u00a0%, au-dessus du seuil de 9,0\u00a0%", "10.7%, above the threshold of 9.0%"),
])
def test_the_gauge_s_words_tell_a_probability_from_the_threshold_it_is_held_against(
    monkeypatch, probability, threshold, decision, french, english
):
    """44 applicants of the demo read "8,3 % pour un seuil de 8,3 %", four refused and forty
    approved: the figures that decide are written with the decimals that tell them apart, and
    the side of the threshold in words."""
    from frontend.views import advisor

    score = contract.Score(borderline=False, borderline_interval=[0.07, 0.1], decision=decision, decision_label="", display_score=513,
                           model_version="v1", probability=probability, risk_band="E", risk_band_label="Risque élevé",
                           risk_band_range=[0.08, 0.16], threshold=threshold)
    monkeypatch.setattr(ui, "lang", lambda: "fr")
    assert advisor.gauge_text(score) == f"Probabilité de défaut {french} : Risque élevé."
    monkeypatch.setattr(ui, "lang", lambda: "en")
    assert advisor.gauge_text(score) == f"Probability of default {english}: Risque élevé."


def test_the_page_and_the_api_pick_the_same_decimals_for_a_probability_and_its_threshold():
    """``frontend.i18n.distinct_digits`` copies ``ml.grades.distinct_digits`` (the dashboard
    imports nothing from ``ml``): the gauge's words and the PDF must print the same figures."""
    from ml import grades

    pairs = [(0.1071, 0.0896), (0.08336, 0.08332), (0.083334, 0.083324), (0.0833, 0.0833), (0.5, 0.49999999)]
    assert [i18n.distinct_digits(a, b) for a, b in pairs] == [grades.distinct_digits(a, b) for a, b in pairs]
