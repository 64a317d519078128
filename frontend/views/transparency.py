"""The model card every role may read (EU AI Act Art. 13 transparency): version, threshold and
costs, metrics, the fairness figures per protected attribute and the limits of the model.

One renderer, used by the COMEX model page and by the shared "model card" page, so every role
reads the same card.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import streamlit as st

from frontend import charts, ui

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


def _fairness_groups(fairness: Any) -> dict[str, dict[str, Any]]:
    groups = ui.pick(fairness, "groups", default={})
    return {str(k): v for k, v in groups.items() if isinstance(v, dict)} if isinstance(groups, dict) else {}


def render_fairness(fairness: Any) -> None:
    st.subheader(ui.t("model.fairness"))
    groups = _fairness_groups(fairness)
    if not groups:
        st.caption(ui.t("card.no_fairness"))
        return
    st.caption(ui.t("card.fairness_intro"))
    for name, block in groups.items():
        rows = [r for r in ui.pick(block, "rows", default=[]) if isinstance(r, dict)]
        impact = ui.pick(block, "disparate_impact")
        met = ui.pick(block, "four_fifths_rule_met")
        st.markdown(f"**{ui.t('card.attribute', name=name)}**")
        left, right = st.columns([2, 3])
        with left:
            if impact is not None:
                st.metric(ui.t("card.disparate_impact"), ui.num(float(impact), 3))
            if met is not None:
                # Icon and words as well as colour: the verdict survives a grey-scale print.
                if met:
                    st.success(ui.t("card.rule_met"), icon=":material/check_circle:")
                else:
                    st.warning(ui.t("card.rule_not_met"), icon=":material/warning:")
            st.dataframe(
                pd.DataFrame(
                    {
                        ui.t("card.group"): [str(ui.pick(r, "group", default="?")) for r in rows],
                        ui.t("card.count"): [ui.num(ui.pick(r, "count")) for r in rows],
                        ui.t("card.approval_rate"): [ui.pct(ui.pick(r, "approval_rate")) for r in rows],
                        ui.t("card.default_rate"): [ui.pct(ui.pick(r, "default_rate")) for r in rows],
                        ui.t("card.predicted_rate"): [ui.pct(ui.pick(r, "predicted_default_rate")) for r in rows],
                    }
                ),
                hide_index=True,
            )
        with right:
            if rows:
                st.plotly_chart(
                    charts.horizontal_bars(
                        [str(ui.pick(r, "group", default="?")) for r in rows],
                        [float(ui.pick(r, "approval_rate", default=0.0)) for r in rows],
                        ui.t("card.approval_rate"),
                        percent=True,
                    ),
                    key=f"fairness_{name}",
                    config={"displayModeBar": False},
                )


def render_model_card(card: dict[str, Any], *, heading: bool = True) -> None:
    if heading:
        st.subheader(ui.t("model.card"))
    cols = st.columns(3)
    cols[0].metric(ui.t("model.version"), str(ui.pick(card, "version", "model_version", default="—")))
    cols[1].metric(ui.t("model.trained_at"), str(ui.pick(card, "trained_at", "training_date", default="—"))[:10])
    threshold = ui.pick(card, "threshold")
    cols[2].metric(ui.t("model.threshold"), ui.pct(float(threshold)) if threshold is not None else "—")
    if ui.pick(card, "cost_fn") is not None:
        st.markdown(f"**{ui.t('model.costs')}** : {ui.show_value(card['cost_fn'])} / {ui.show_value(ui.pick(card, 'cost_fp'))}")
    metrics = ui.pick(card, "metrics")
    if isinstance(metrics, dict) and metrics:
        st.markdown(f"**{ui.t('model.metrics')}**")
        flat = {k: v for k, v in metrics.items() if isinstance(v, int | float | str)}
        st.dataframe(pd.DataFrame([flat]), hide_index=True)
    render_fairness(ui.pick(card, "fairness", "fairness_summary"))
    text = ui.pick(card, "model_card")
    if isinstance(text, str) and text.strip():
        limits = limits_section(text)
        if limits:
            st.subheader(ui.t("card.limits"))
            st.warning(limits, icon=":material/info:")
        with st.expander(ui.t("card.full")):
            st.markdown(text)


def model_card_page() -> None:
    st.title(ui.t("card.title"))
    card = ui.require_mapping(ui.fetch("/model", lang=ui.lang()))
    if card is not None:
        render_model_card(card, heading=False)  # the page title already says "model card"
