"""COMEX pages: portfolio aggregates and the model. Aggregates only: no page here asks the
API about an individual client (the API refuses COMEX on every client route anyway)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from frontend import charts, ui
from frontend.views import transparency

SEGMENT_AXES = ("contract_type", "gender", "age_band", "income_type", "education", "family_status")


def _kpis(summary: dict[str, Any]) -> None:
    cards = st.columns(4)
    cards[0].metric(ui.t("kpi.applicants"), ui.num(ui.pick(summary, "applicants", "n_applicants", "count")), border=True)
    cards[1].metric(ui.t("kpi.approval_rate"), ui.pct(ui.pick(summary, "approval_rate")), border=True)
    cards[2].metric(
        ui.t("kpi.expected_default"),
        ui.pct(ui.pick(summary, "expected_default_rate", "expected_default_rate_approved")),
        border=True,
    )
    cards[3].metric(ui.t("kpi.expected_loss"), ui.num(ui.pick(summary, "expected_loss", "expected_loss_proxy")), border=True)


def portfolio_page() -> None:
    st.title(ui.t("portfolio.title"))
    summary = ui.require_mapping(ui.fetch("/portfolio/summary", lang=ui.lang()))
    if summary is None:
        return
    _kpis(summary)
    text = ui.pick(summary, "executive_summary", "summary")
    if text:
        st.subheader(ui.t("portfolio.summary"))
        st.info(text if isinstance(text, str) else "\n\n".join(map(str, text)))
    threshold = float(ui.pick(summary, "threshold", default=0.5))
    histogram = ui.pick(summary, "histogram", "score_histogram", default={})
    edges = [float(x) for x in ui.pick(histogram, "edges", "bins", "bin_edges", default=[])]
    counts = [float(x) for x in ui.pick(histogram, "counts", "values", default=[])]
    left, right = st.columns([3, 2])
    with left:
        st.subheader(ui.t("portfolio.distribution"))
        if edges and counts:
            st.plotly_chart(
                charts.score_histogram(edges, counts, threshold, ui.t("score.title"), ui.t("portfolio.count"),
                                       ui.t("score.threshold", threshold=ui.pct(threshold))),
                key="histogram",
            )
    with right:
        bands = ui.pick(summary, "risk_bands", "bands", default=[])
        if bands:
            st.subheader(ui.t("portfolio.bands"))
            rows = [b for b in bands if isinstance(b, dict)] if isinstance(bands, list) else []
            st.dataframe(
                pd.DataFrame(
                    {
                        ui.t("portfolio.band"): [str(ui.pick(b, "label", "band", default="?")) for b in rows],
                        ui.t("portfolio.count"): [ui.pick(b, "count", default=0) for b in rows],
                        ui.t("portfolio.share"): [ui.pct(ui.pick(b, "share")) for b in rows],
                    }
                ),
                hide_index=True,
            )
    _segments()


def _segments() -> None:
    st.subheader(ui.t("segments.title"))
    by = st.selectbox(ui.t("segments.by"), SEGMENT_AXES, format_func=lambda axis: ui.t(f"segments.{axis}"), key="segments_by")
    data = ui.require_mapping(ui.fetch("/portfolio/segments", by=by, lang=ui.lang()))
    if data is None:
        return
    rows = [r for r in ui.pick(data, "segments", default=[]) if isinstance(r, dict)]
    if rows:
        labels = [str(ui.pick(r, "label", "segment", "value", default="?")) for r in rows]
        table = pd.DataFrame(
            {
                ui.t("segments.segment"): labels,
                ui.t("segments.count"): [ui.pick(r, "count", "applicants", default=0) for r in rows],
                ui.t("segments.approval_rate"): [ui.pct(ui.pick(r, "approval_rate")) for r in rows],
                ui.t("segments.mean_probability"): [ui.pct(ui.pick(r, "mean_probability")) for r in rows],
            }
        )
        left, right = st.columns(2)
        left.dataframe(table, hide_index=True)
        right.plotly_chart(
            charts.horizontal_bars(labels, [float(ui.pick(r, "approval_rate", default=0.0)) for r in rows],
                                   ui.t("segments.approval_rate"), percent=True),
            key="segments_chart",
        )
    suppressed = ui.pick(data, "suppressed", "suppressed_segments", default=0)
    count = len(suppressed) if isinstance(suppressed, list) else int(suppressed or 0)
    if count:
        st.caption(ui.t("segments.suppressed", count=count))


def model_card(card: dict[str, Any]) -> None:
    # The same card every role reads (fairness figures and limits included).
    transparency.render_model_card(card)


def model_page() -> None:
    st.title(ui.t("model.title"))
    card = ui.require_mapping(ui.fetch("/model", lang=ui.lang()))
    if card is not None:
        model_card(card)
    importance = ui.fetch("/model/importance", lang=ui.lang())
    rows = ui.pick(importance, "features", "importance", default=importance if isinstance(importance, list) else [])
    if rows:
        st.subheader(ui.t("model.importance"))
        top = [r for r in rows if isinstance(r, dict)][:20]
        st.plotly_chart(
            charts.horizontal_bars(
                [str(ui.pick(r, "label", "feature")) for r in top],
                [float(ui.pick(r, "mean_abs_shap", "importance", default=0.0)) for r in top],
                ui.t("model.importance_axis"),
            ),
            key="importance",
        )
