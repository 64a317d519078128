"""The model card every role may read (EU AI Act Art. 13 transparency): version, threshold and
costs, metrics, the fairness figures per protected attribute and the limits of the model.

One renderer, used by the COMEX model page and by the shared "model card" page, so every role
reads the same card.
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from frontend import charts, contract, ui

# The model card is Markdown written by the training step; its "Limits" section is the one
# a reader must not miss, so it is lifted out and shown on its own.
_LIMITS_HEADING = re.compile(r"^#{2,3}\s*(limits|limites|limitations)\b.*$", re.IGNORECASE | re.MULTILINE)
_NEXT_HEADING = re.compile(r"^#{1,3}\s", re.MULTILINE)


def limits_section(markdown: str) -> str:
    """The body of the card's "Limits" section (empty when the card has none)."""
    found = _LIMITS_HEADING.search(markdown or "")
    if found is None:
        return ""
    rest = markdown[found.end():]
    following = _NEXT_HEADING.search(rest)
    return (rest[: following.start()] if following else rest).strip()


# The metrics the card shows, in this order (``contract.ModelMetrics`` fields; the total
# business cost depends on the training set's size and is left to the training report).
METRICS = ("auc", "pr_auc", "brier", "recall", "precision", "refusal_rate", "business_cost_per_client", "evaluation")
PERCENT_METRICS = frozenset({"recall", "precision", "refusal_rate"})
# How the data spells "not given" for an attribute (the fairness report's "unknown" row).
UNKNOWN_LEVELS = frozenset({"unknown", "XNA"})


def render_fairness(fairness: contract.FairnessReport) -> None:
    st.subheader(ui.t("model.fairness"))
    if not fairness.groups:
        st.caption(ui.t("card.no_fairness"))
        return
    st.caption(ui.t("card.fairness_intro"))
    for name, block in fairness.groups.items():
        rows = block.rows
        st.markdown(f"**{ui.t('card.attribute', name=ui.t_or(f'attribute.{name}', name))}**")
        left, right = st.columns([2, 3])
        members = [ui.level(r.group) for r in rows if r.pooled]
        # The pool named by what it holds: "Autres (regroupés)" beside "Femme" read as another
        # sex, while it held the men and 3 "non renseigné" (found in Chromium).
        groups_text = [ui.t("card.pool_of", groups=" + ".join(members)) if r.group == "pooled" and members
                       else ui.level(r.group) for r in rows]
        with left:
            if block.disparate_impact is not None:
                st.metric(ui.t("card.disparate_impact"), ui.num(block.disparate_impact, 3))
            if block.four_fifths_rule_met is not None:
                # Icon and words as well as colour: the verdict survives a grey-scale print.
                if block.four_fifths_rule_met:
                    st.success(ui.t("card.rule_met"), icon=":material/check_circle:")
                else:
                    st.warning(ui.t("card.rule_not_met"), icon=":material/warning:")
            ui.table(
                pd.DataFrame({
                    ui.t("card.group"): groups_text,
                    ui.t("card.count"): [ui.num(r.count) for r in rows],
                    ui.t("card.approval_rate"): [ui.t("card.in_pool") if r.pooled else _rate(r, "approval")
                                                 for r in rows],
                    ui.t("card.default_rate"): [_rate(r, "default") for r in rows],
                    ui.t("card.predicted_rate"): [ui.pct(r.predicted_default_rate) for r in rows],
                    ui.t("card.in_ratio"): [ui.show_value(r.in_ratio) if r.in_ratio is not None else "—" for r in rows],
                }),
            )
            if block.min_group_size is not None:
                # The ratio leaves small groups out: said, or a reader dividing the table's
                # extremes finds another verdict than the one above.
                st.caption(ui.t("card.ratio_groups", count=ui.num(block.min_group_size)))
                unknown_pooled = [r for r in rows if r.pooled and r.group in UNKNOWN_LEVELS]
                if unknown_pooled and any(r.group == "pooled" and r.in_ratio for r in rows):
                    st.caption(ui.t("card.ratio_pool_unknown", count=ui.num(sum(r.count for r in unknown_pooled))))
            if members:
                st.caption(ui.t("card.pooled", pool=ui.t("card.pool_of", groups=" + ".join(members)),
                                groups=", ".join(members)))
            if any({"approval", "default"} & set(r.withheld or []) for r in rows):  # the columns this table shows
                st.caption(ui.t("card.withheld"))
        with right:
            # A withheld rate is not drawn as 0 %: its bar is left out.
            drawn = [(text, r.approval_rate) for text, r in zip(groups_text, rows, strict=True)
                     if not r.masked and r.approval_rate is not None]
            if drawn:
                ui.plotly_chart(
                    charts.horizontal_bars([t for t, _ in drawn], [rate or 0.0 for _, rate in drawn],
                                           ui.t("card.approval_rate"), percent=True),
                    key=f"fairness_{name}",
                )


def _rate(row: contract.FairnessGroup, family: str) -> str:
    """A group's approval or default rate, or that it is withheld (``ml.fairness.OUTCOMES``)."""
    if family in (row.withheld or []):
        return ui.t("withheld.cell")
    return ui.pct(row.approval_rate if family == "approval" else row.default_rate)


def _metric_text(name: str, value: float | str) -> str:
    if name == "evaluation":
        return ui.t("metric.evaluation_value")
    if isinstance(value, str):
        return value
    return ui.pct(value) if name in PERCENT_METRICS else ui.num(value, 3 if abs(value) < 10 else 0)


def render_model_card(card: contract.ModelCard, *, heading: bool = True) -> None:
    if heading:
        st.subheader(ui.t("model.card"))
    # The version is what reproduces a decision: wide enough to be read whole, never "20261205-1204…".
    cols = st.columns([2, 1.3, 1])
    cols[0].metric(ui.t("model.version"), card.version)
    cols[1].metric(ui.t("model.trained_at"), ui.when(card.trained_at) if card.trained_at else "—")
    cols[2].metric(ui.t("model.threshold"), ui.pct(card.threshold))
    st.markdown(ui.t("model.costs_text", fn=ui.num(card.cost_fn), fp=ui.num(card.cost_fp)))
    values = card.metrics.model_dump()
    shown = [name for name in METRICS if values.get(name) is not None]
    if shown:
        st.markdown(f"**{ui.t('model.metrics')}**")
        ui.table(
            pd.DataFrame({
                ui.t("metric.name"): [ui.t(f"metric.{name}") for name in shown],
                ui.t("metric.value"): [_metric_text(name, values[name]) for name in shown],
            }),
        )
    render_fairness(card.fairness)
    if card.model_card.strip():
        limits = limits_section(card.model_card)
        if limits:
            st.subheader(ui.t("card.limits"))
            st.warning(limits, icon=":material/info:")
        with st.expander(ui.t("card.full")):
            st.markdown(card.model_card)


def model_card_page() -> None:
    st.title(ui.t("card.title"))
    card = ui.fetch_as(contract.ModelCard, "/model", lang=ui.lang())
    if card is not None:
        render_model_card(card, heading=False)  # the page title already says "model card"
