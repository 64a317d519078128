"""The client report as a PDF, drawn with fpdf2 from the same answers the client endpoints
give (profile, score, explanation, comparison). Pure: data in, bytes out; nothing written
to disk, so the report exists only in the response that carries it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from babel.dates import format_datetime
from babel.numbers import format_decimal, format_percent
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from backend.timezone import BANK_TIMEZONE
from ml.grades import distinct_digits
from ml.labels import format_value, level_label

# Issue 13: numbers the local way (Babel/CLDR) and the bank's local time on the page.
LOCALES = {"fr": "fr_FR", "en": "en_GB"}

LABELS: dict[str, dict[str, str]] = {
    "title": {"fr": "Rapport de scoring crédit", "en": "Credit scoring report"},
    "client": {"fr": "Client", "en": "Client"},
    "generated": {"fr": "Généré le {when} (heure de Paris) par {who}", "en": "Generated on {when} (Paris time) by {who}"},
    "scale": {"fr": "Probabilité de défaut (échelle 0 - {upper})", "en": "Probability of default (scale 0 - {upper})"},
    "threshold_mark": {"fr": "seuil {threshold}", "en": "threshold {threshold}"},
    "advisor": {"fr": "Décision du conseiller", "en": "Advisor's decision"},
    "advisor_recorded": {
        "fr": "{decision} le {when} par {who} (recommandation du modèle\u00a0: {recommendation}).",
        "en": "{decision} on {when} by {who} (model recommendation: {recommendation}).",
    },
    "advisor_reason": {"fr": "Motif\u00a0: {reason}", "en": "Reason: {reason}"},
    "advisor_none": {
        "fr": "Aucune décision enregistrée. Décision\u00a0: [ ] Accordé  [ ] Refusé   Motif\u00a0: ____________________   "
              "Signature\u00a0: __________",
        "en": "No decision recorded. Decision: [ ] Approved  [ ] Refused   Reason: ____________________   Signature: __________",
    },
    "score": {"fr": "Score et recommandation du modèle", "en": "Score and model recommendation"},
    "probability": {"fr": "Probabilité de défaut", "en": "Probability of default"},
    "threshold": {"fr": "Seuil", "en": "Threshold"},
    # The model recommends; the advisor's decision, the one in force, is its own block below.
    "recommendation": {"fr": "Recommandation", "en": "Recommendation"},  # under "... recommandation du modèle"
    "recommend_approve": {"fr": "ACCORD", "en": "APPROVE"},
    "recommend_refuse": {"fr": "REFUS", "en": "REFUSE"},
    "borderline": {"fr": "Cas limite (revue humaine)", "en": "Borderline (human review)"},
    "display_score": {"fr": "Score Octroi (0-1000, plus haut = plus sûr)", "en": "Octroi score (0-1000, higher is safer)"},
    "band": {"fr": "Classe de risque (échelle fixe)", "en": "Risk grade (fixed scale)"},
    "unlearned": {"fr": "Score indicatif\u00a0: inconnues dans ce dossier, et presque jamais manquantes dans les données "
                        "d'apprentissage\u00a0: {fields}. Le modèle n'a pas appris ce que « inconnu » y signifie.",
                  "en": "Indicative score: unknown in this file, and almost never missing in the training data: {fields}. "
                        "The model has not learned what \"unknown\" means there."},
    "beyond": {"fr": "Hors de ce que le modèle a appris\u00a0: {fields}. Moins de 10 personnes des données "
                     "d'apprentissage avaient une valeur aussi extrême\u00a0: ce score est une extrapolation.",
               "en": "Beyond what the model learned from: {fields}. Fewer than 10 people in the training data had "
                     "so extreme a value: this score is an extrapolation."},
    "approve": {"fr": "ACCORDÉ", "en": "APPROVED"},
    "refuse": {"fr": "REFUSÉ", "en": "REFUSED"},
    "profile": {"fr": "Profil", "en": "Profile"},
    "explanation": {"fr": "Principaux facteurs de la recommandation", "en": "Main factors of the recommendation"},
    "feature": {"fr": "Facteur", "en": "Factor"},
    "value": {"fr": "Valeur", "en": "Value"},
    "effect": {"fr": "Effet (pts de probabilité)", "en": "Effect (probability pts)"},
    "raises": {"fr": "augmente le risque", "en": "raises the risk"},
    "lowers": {"fr": "diminue le risque", "en": "lowers the risk"},
    "comparison": {"fr": "Comparaison avec la population", "en": "Comparison with the population"},
    "percentile": {"fr": "Centile", "en": "Percentile"},
    "atypical": {"fr": "Atypique", "en": "Atypical"},
    "atypical_others": {"fr": "Autres valeurs atypiques\u00a0: {items}.", "en": "Other atypical values: {items}."},
    "atypical_item": {"fr": "{label} = {value} (centile {percentile})", "en": "{label} = {value} (percentile {percentile})"},
    "yes": {"fr": "oui", "en": "yes"},
    "no": {"fr": "non", "en": "no"},
    "footer": {
        "fr": "Modèle {version}. Document généré à la demande\u00a0; Octroi ne le conserve pas. Empreinte des données\u00a0: {hash}",
        "en": "Model {version}. Generated on demand; Octroi does not keep it. Input fingerprint: {hash}",
    },
}

# The core fonts are encoded as Windows-1252 (``_Report``): the euro sign, typographic quotes,
# dashes, the ellipsis and "œ" pass as they are; what that code page lacks is folded. The narrow
# no-break space of French thousands becomes a no-break space (a number is never cut in two).
_REPLACEMENTS = {"\u202f": "\u00a0", "\u2212": "-", "\u2264": "<=", "\u2265": ">=", "\u2260": "<>"}
ENCODING = "windows-1252"


# "≠" in words (a client reads the report): the labels' two sides are of one gender in French
# ("Ville d'adresse autre que ville de travail"); a symbol left to the generic fold read "<>".
_NOT_EQUAL = {"fr": " autre que ", "en": " other than "}


def _text(value: object, lang: str | None = None) -> str:
    """Text the core fonts can draw (``ENCODING``): French accents and the euro sign pass,
    what the code page lacks is folded."""
    text = str(value)
    if lang is not None:
        text = text.replace(" \u2260 ", _NOT_EQUAL.get(lang, _NOT_EQUAL["fr"]))
    for old, new in _REPLACEMENTS.items():
        text = text.replace(old, new)
    return text.encode(ENCODING, "replace").decode(ENCODING)


def _label(key: str, lang: str, **values: object) -> str:
    entry = LABELS[key]
    return (entry.get(lang) or entry["fr"]).format(**values)


def _colon(lang: str) -> str:
    """A label's colon: French sets a no-break space before it (never alone at a line's start),
    English glues it to the word ("Probability of default: 16.1%")."""
    return "\u00a0: " if lang == "fr" else ": "


def _locale(lang: str) -> str:
    return LOCALES.get(lang, LOCALES["fr"])


def _signed(value: float, lang: str) -> str:
    """A change with its sign, one decimal, in the report's language (``+0,2`` / ``-0,7`` in French)."""
    return ("+" if value > 0 else "") + format_decimal(round(value, 1), "0.0", locale=_locale(lang))


def _fmt(value: Any, lang: str, unit: str | None = None) -> str:
    if value is None:
        return "-"
    if unit is not None and isinstance(value, int | float) and not isinstance(value, bool):
        # A model feature's value in its unit, as the dashboard and the explanation text write
        # it.
        return format_value(value, lang, unit)
    if isinstance(value, bool):
        return _label("yes" if value else "no", lang)
    if isinstance(value, float):
        return format_decimal(value, "#,##0.00" if abs(value) < 1000 else "#,##0", locale=_locale(lang))
    if isinstance(value, int):
        return format_decimal(value, "#,##0", locale=_locale(lang))
    # A category level ("Cash loans") in the report's language, as the dashboard shows it.
    return level_label(value, lang)


def _pct(value: float | None, lang: str, digits: int = 1) -> str:
    if value is None:
        return "-"
    decimals = "." + "0" * digits if digits else ""
    pattern = f"#,##0{decimals}\u00a0%" if lang == "fr" else f"#,##0{decimals}%"
    return format_percent(value, pattern, locale=_locale(lang), decimal_quantization=True)


def _when(moment: datetime, lang: str) -> str:
    """Local Paris time: ``1 déc. 2026, 11:53``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_datetime(moment.astimezone(BANK_TIMEZONE), "d MMM y, HH:mm", locale=_locale(lang))


def _get(mapping: Mapping[str, Any] | None, *names: str, default: Any = None) -> Any:
    if not mapping:
        return default
    for name in names:
        if mapping.get(name) is not None:
            return mapping[name]
    return default


def _ticks(upper: float) -> list[float]:
    """Round marks under the bar (0, 10, 20 ... %), at most six, as the dashboard's gauge draws
    them: the scale's own end (43.9 %) is printed above the bar, not as a mark."""
    step = next(s for s in (0.01, 0.02, 0.05, 0.1, 0.2, 0.25) if upper / s <= 6 + 1e-9)
    return [round(i * step, 4) for i in range(int(upper / step + 1e-9) + 1)]


def _grade(score: Mapping[str, Any], lang: str) -> str:
    """"D - Risque modéré (4,0-8,0 %)": the master-scale grade, its words and its PD range."""
    band = _get(score, "risk_band", default="-")
    label = _get(score, "risk_band_label", default="")
    bounds = _get(score, "risk_band_range")
    text = f"{band} - {label}" if label else str(band)
    if isinstance(bounds, Sequence) and len(bounds) == 2:
        text += f" ({_pct(bounds[0], lang)} - {_pct(bounds[1], lang)})"
    return text


class _Report(FPDF):
    footer_text = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.core_fonts_encoding = ENCODING  # the euro sign, typographic quotes and dashes

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("Helvetica", size=7)
        self.set_text_color(90, 90, 90)
        self.multi_cell(0, 3.5, _text(self.footer_text), align="C")


def build_report(
    *,
    client_id: str,
    profile: Sequence[Mapping[str, Any]],
    score: Mapping[str, Any],
    explanation: Mapping[str, Any],
    comparison: Mapping[str, Any],
    generated_by: str,
    lang: str = "fr",
    now: datetime | None = None,
    advisor_decision: Mapping[str, Any] | None = None,
) -> bytes:
    """The one-page report; ``profile`` is the list of ``{label, value}`` the client route gives."""
    now = now or datetime.now(UTC)
    pdf = _Report(format="A4")
    pdf.footer_text = _label(
        "footer", lang, version=_get(score, "model_version", default="-"), hash=str(_get(score, "input_hash", default="-"))[:16]
    )
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_margins(14, 12, 14)
    pdf.add_page()
    width = pdf.epw

    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 8, _text(f"Octroi - {_label('title', lang)}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=9)
    pdf.cell(0, 5, _text(f"{_label('client', lang)} {client_id}   -   "
                         + _label("generated", lang, when=_when(now, lang), who=generated_by)),
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)

    # Score block: the model's recommendation in words (never "the decision": the advisor's is
    # the block below), and a bar with the threshold marked.
    probability = float(score["probability"])
    threshold = float(score["threshold"])
    decision = str(score["decision"])
    refused = decision == "refuse"
    digits = distinct_digits(probability, threshold)  # 8,33 % against 8,32 %, never 8,3 % against 8,3 %
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 7, _text(_label("score", lang)), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_fill_color(*((207, 34, 46) if refused else (26, 127, 55)))
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("Helvetica", "B", 10)
    verdict = _label(f"recommend_{decision}", lang) if decision in ("approve", "refuse") else decision
    box = _text(f"{_label('recommendation', lang)}{_colon(lang)}{verdict}")
    box_width = pdf.get_string_width(box) + 8  # the words whole, whatever the language
    pdf.cell(box_width, 9, box, fill=True, align="C")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("Helvetica", size=9)
    facts = [
        (_label("probability", lang), _pct(probability, lang, digits)),
        (_label("threshold", lang), _pct(threshold, lang, digits)),
        (_label("borderline", lang), _fmt(bool(_get(score, "borderline", default=False)), lang)),
        (_label("display_score", lang), _fmt(_get(score, "display_score"), lang)),
        (_label("band", lang), _grade(score, lang)),
    ]
    pdf.cell(4, 9, "")
    pdf.multi_cell(width - box_width - 4, 4.5, _text("   ".join(f"{k}{_colon(lang)}{v}" for k, v in facts)), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    # The bar zooms on where decisions happen (as the dashboard's gauge), with its scale
    # printed under it and the threshold named above its mark.
    upper = min(1.0, max(threshold * 3, probability * 1.15, 0.2))
    pdf.set_font("Helvetica", size=7.5)
    pdf.cell(0, 5, _text(_label("scale", lang, upper=_pct(upper, lang))), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    bar_y = pdf.get_y() + 3
    x_threshold = pdf.l_margin + width * threshold / upper
    pdf.set_xy(x_threshold - 20, bar_y - 4.5)
    pdf.cell(40, 3, _text(_label("threshold_mark", lang, threshold=_pct(threshold, lang, digits))), align="C")
    pdf.set_fill_color(230, 230, 230)
    pdf.rect(pdf.l_margin, bar_y, width, 4, style="F")
    pdf.set_fill_color(*((207, 34, 46) if refused else (26, 127, 55)))
    pdf.rect(pdf.l_margin, bar_y, width * min(1.0, probability / upper), 4, style="F")
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.6)
    pdf.line(x_threshold, bar_y - 1.5, x_threshold, bar_y + 5.5)
    pdf.set_line_width(0.2)
    for tick in _ticks(upper):
        x = pdf.l_margin + width * tick / upper
        pdf.line(x, bar_y + 4, x, bar_y + 5.5)
        pdf.set_xy(x - 10, bar_y + 5.5)
        pdf.cell(20, 3, _text(_pct(tick, lang, 0)), align="C")
    pdf.set_y(bar_y + 10)
    unlearned = list(_get(score, "unlearned_labels", default=[]))
    if unlearned:
        # As under the dashboard's gauge: the blanks the model never learned (GET .../score).
        pdf.set_font("Helvetica", "I", 8.5)
        pdf.multi_cell(0, 4.2, _text(_label("unlearned", lang, fields=", ".join(unlearned))),
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    beyond = [str(_get(item, "label", "feature", default="?")) for item in _get(score, "beyond_training", default=[])]
    if beyond:
        # As on the client file: the inputs valued beyond the training population's ends.
        pdf.set_font("Helvetica", "I", 8.5)
        pdf.multi_cell(0, 4.2, _text(_label("beyond", lang, fields=", ".join(beyond))),
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    # The advisor's decision (GDPR Art. 22): the one recorded, or a place to write it.
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 7, _text(_label("advisor", lang)), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=8.5)
    if advisor_decision:
        verdict = str(advisor_decision["decision"])
        recommended = str(advisor_decision["recommendation"])
        pdf.multi_cell(0, 4.5, _text(_label(
            "advisor_recorded", lang, decision=_label(verdict, lang), when=_when(advisor_decision["decided_at"], lang),
            who=advisor_decision["advisor"], recommendation=_label(f"recommend_{recommended}", lang),
        )), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if advisor_decision.get("reason"):
            pdf.multi_cell(0, 4.5, _text(_label("advisor_reason", lang, reason=advisor_decision["reason"])),
                           new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:
        pdf.multi_cell(0, 4.5, _text(_label("advisor_none", lang)), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)

    # Profile, two columns of label: value.
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 7, _text(_label("profile", lang)), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=8.5)
    items = [(str(_get(p, "label", "name", default="?")), _fmt(_get(p, "value"), lang, _get(p, "unit"))) for p in profile][:14]
    for index in range(0, len(items), 2):
        for label, value in items[index : index + 2]:
            pdf.cell(width / 2, 4.5, _text(f"{label}{_colon(lang)}{value}", lang))
        pdf.ln(4.5)
    pdf.ln(1)

    # Explanation: signed bars, then the plain-language text.
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 7, _text(_label("explanation", lang)), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    # Reasons that can be given (never a protected attribute; external scores grouped).
    rows = list(_get(explanation, "reasons", default=[]))[:8]
    effects = [float(_get(r, "effect", "probability_effect", default=0.0)) for r in rows]
    biggest = max((abs(e) for e in effects), default=0.0) or 1.0
    pdf.set_font("Helvetica", size=8.5)
    label_w, value_w, bar_w = width * 0.42, width * 0.18, width * 0.40
    for row, effect in zip(rows, effects, strict=True):
        y = pdf.get_y()
        pdf.cell(label_w, 5, _text(str(_get(row, "label", "feature", default="?"))[:55], lang))
        pdf.cell(value_w, 5, _text(_fmt(_get(row, "client_value", "value"), lang, _get(row, "unit"))))
        centre = pdf.get_x() + bar_w / 2
        length = (bar_w / 2 - 12) * abs(effect) / biggest
        pdf.set_fill_color(*((207, 34, 46) if effect > 0 else (26, 127, 55)))
        pdf.rect(centre if effect > 0 else centre - length, y + 1, length, 3, style="F")
        pdf.set_xy(centre + (length + 1 if effect > 0 else -length - 11), y)
        pdf.cell(10, 5, _text(_signed(effect * 100, lang)))
        pdf.set_xy(pdf.l_margin, y + 5)
    text = _get(explanation, "text", "summary")
    if text:
        pdf.ln(1)
        pdf.set_font("Helvetica", "I", 8.5)
        pdf.multi_cell(0, 4.2, _text(text if isinstance(text, str) else " ".join(map(str, text)), lang),
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)

    # Comparison: where the client stands on the top features.
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 7, _text(_label("comparison", lang)), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "B", 8.5)
    columns = (width * 0.46, width * 0.2, width * 0.17, width * 0.17)
    for title, w in zip((_label("feature", lang), _label("value", lang), _label("percentile", lang), _label("atypical", lang)),
                        columns, strict=True):
        pdf.cell(w, 5, _text(title), border="B")
    pdf.ln(5)
    pdf.set_font("Helvetica", size=8.5)
    compared = list(_get(comparison, "features", default=[]))
    for feature in compared[:8]:
        # The API's percentiles are on the 0-100 scale: printed as they are.
        percentile = _get(feature, "percentile")
        cells = (
            str(_get(feature, "label", "feature", default="?"))[:60],
            _fmt(_get(feature, "client_value", "value"), lang, _get(feature, "unit")),
            "-" if percentile is None else f"{percentile:.0f}",
            _label("yes" if _get(feature, "atypical", default=False) else "no", lang),
        )
        for value, w in zip(cells, columns, strict=True):
            pdf.cell(w, 4.6, _text(value, lang))
        pdf.ln(4.6)
    # The comparison lists the atypical features after the top ones: the table above said
    # "Atypique : non" on every row while the client file flagged three others.
    others = [f for f in compared[8:] if _get(f, "atypical", default=False)]
    if others:
        pdf.set_font("Helvetica", "I", 8.5)
        named = [_label("atypical_item", lang, label=str(_get(f, "label", "feature", default="?")),
                        value=_fmt(_get(f, "client_value", "value"), lang, _get(f, "unit")),
                        percentile="-" if _get(f, "percentile") is None else f"{_get(f, 'percentile'):.0f}")
                 for f in others]
        items = (" ; " if lang == "fr" else "; ").join(named)
        pdf.multi_cell(0, 4.2, _text(_label("atypical_others", lang, items=items), lang),
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
