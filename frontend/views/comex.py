"""COMEX pages: portfolio aggregates and the model. Aggregates only: no page here asks the
API about an individual client (the API refuses COMEX on every client route anyway)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from frontend import charts, contract, ui
from frontend.views import transparency

SEGMENT_AXES = ("contract_type", "gender", "age_band", "income_type", "education", "family_status")
# The API's histogram: 20 equal bins (split at the threshold), those under MIN_CELL applicants merged.
FINE_BIN = 0.05
MIN_CELL = 10


def _delta(change: float, text: str, color: str) -> dict[str, Any]:
    """A tile's delta: signed text (Streamlit reads the direction from a leading "-"), an arrow
    and a colour unless nothing changed; "inverse" where a rise is bad news (default, loss)."""
    if not change:
        return {"delta": f"={text}", "delta_arrow": "off", "delta_color": "off"}
    return {"delta": f"{'-' if change < 0 else '+'}{text}", "delta_color": color}


def _deltas(summary: contract.PortfolioSummary) -> list[dict[str, Any]]:
    """Per tile, the change since the previous comparable run (``previous``), or nothing."""
    before = summary.previous
    if before is None:
        return [{}] * 4

    def points(now: float | None, then: float | None, worse_when_up: bool) -> dict[str, Any]:
        if now is None or then is None:
            return {}
        change = round((now - then) * 100, 1)
        return _delta(change, f"{ui.num(abs(change), 1)}\u00a0pt", "inverse" if worse_when_up else "off")

    count = summary.applicants - before.applicants
    # A figure withheld (1 to 9 on a side of the threshold) now or then: no change to show.
    loss = None if summary.expected_loss is None or before.expected_loss is None else \
        round(summary.expected_loss - before.expected_loss)
    tiles = [
        _delta(count, ui.num(abs(count)), "off"),
        points(summary.approval_rate, before.approval_rate, worse_when_up=False),
        points(summary.expected_default_rate_approved, before.expected_default_rate_approved, worse_when_up=True),
        {} if loss is None else _delta(loss, ui.money_compact(abs(loss)), "inverse"),
    ]
    since = ui.t("portfolio.delta_vs", day=ui.short_day(before.computed_at))
    return [{**tile, "delta_description": since} if tile else tile for tile in tiles]


def _kpis(summary: contract.PortfolioSummary) -> None:
    deltas = _deltas(summary)
    withheld = summary.split_withheld  # a side of the threshold holds 1 to 9 applicants
    # Small, or changed by 1 to 9 people since a published result (approved_figures_moved).
    small_approved = withheld in ("approved", "both") or summary.approved_figures_moved

    def shown(value: str, hidden: bool) -> str:
        return ui.t("kpi.withheld") if hidden else value

    cards = st.columns(4)
    cards[0].metric(ui.t("kpi.applicants"), ui.num(summary.applicants), border=True, **deltas[0])
    cards[1].metric(ui.t("kpi.approval_rate"), shown(ui.pct(summary.approval_rate), withheld is not None), border=True,
                    help=ui.t("kpi.approval_rate_help", threshold=ui.pct(summary.threshold)), **deltas[1])
    cards[2].metric(ui.t("kpi.expected_default"), shown(ui.pct(summary.expected_default_rate_approved), small_approved),
                    border=True, help=ui.t("kpi.expected_default_help"), **deltas[2])
    # The tile holds the compact amount (a full one is cut off at this width); the caption the exact one.
    cards[3].metric(ui.t("kpi.expected_loss"), shown(ui.money_compact(summary.expected_loss), small_approved), border=True,
                    help=ui.t("kpi.expected_loss_help", lgd=ui.pct(summary.lgd, 0)) + f" ({ui.money(summary.expected_loss)})",
                    **deltas[3])
    if withheld is not None:
        st.caption(ui.t(f"portfolio.split_withheld.{withheld}", minimum=MIN_CELL, minimum_minus=MIN_CELL - 1))
    if summary.approved_figures_moved and withheld not in ("approved", "both"):
        st.caption(ui.t("portfolio.approved_moved", minimum=MIN_CELL, minimum_minus=MIN_CELL - 1))
    st.caption(" · ".join((
        ui.t("kpi.lgd", lgd=ui.pct(summary.lgd, 0)),
        ui.t("kpi.approved_credit", amount=ui.money(summary.approved_credit),
             loss_share=ui.pct(summary.expected_loss / summary.approved_credit
                               if summary.approved_credit and summary.expected_loss is not None else None)),
    )))
    before = summary.previous
    if before is None:
        st.caption(ui.t("portfolio.no_previous"))
    else:
        st.caption(ui.t("portfolio.previous", ts=ui.when(before.computed_at), version=before.model_version,
                        count=ui.num(before.applicants)))


def _histogram_notes(summary: contract.PortfolioSummary) -> tuple[str, str | None]:
    """The name of a bin straddling the threshold, and a note when bins were merged (or None).

    The API merges every bin of fewer than ``MIN_CELL`` applicants with its neighbours; it
    merges across the threshold only when a side of it holds fewer than ``MIN_CELL`` in all.
    A straddling bin is otherwise a result stored before the threshold became an edge."""
    edges, counts = summary.histogram.edges, summary.histogram.counts
    # The API withholds the split exactly when a side holds 1 to MIN_CELL - 1 (split_withheld).
    small_side = summary.split_withheld is not None
    straddling = ui.t("portfolio.straddling_merged" if small_side else "portfolio.straddling_threshold")
    merged = any(count and high - low > FINE_BIN + 1e-9
                 for low, high, count in zip(edges, edges[1:], counts, strict=False))
    return straddling, ui.t("portfolio.merged_bins", minimum=MIN_CELL, minimum_minus=MIN_CELL - 1) if merged else None


def _grades(card: contract.ModelCard | None) -> dict[str, contract.Grade]:
    return {grade.grade: grade for grade in card.master_scale} if card is not None else {}


def _band_meaning(band: contract.BandCount, grades: dict[str, contract.Grade]) -> str:
    """A row's definition: its grade's range, or for merged grades ("F-G") from the first's
    lower bound to the last's upper bound, their labels joined."""
    covered = band.grades or [band.band]
    if not all(g in grades for g in covered):
        return "—"
    first, last = grades[covered[0]], grades[covered[-1]]
    label = first.label if first is last else f"{first.label} – {last.label}"
    return ui.t("portfolio.band_range", label=label, low=ui.pct(first.pd_min), high=ui.pct(last.pd_max))


def portfolio_page() -> None:
    st.title(ui.t("portfolio.title"))
    summary = ui.stored_result(contract.PortfolioSummary, "/portfolio/summary", "portfolio.not_computed", lang=ui.lang())
    if summary is None:
        return
    ui.freshness(summary.freshness)
    _kpis(summary)
    st.subheader(ui.t("portfolio.summary"))
    st.info(summary.executive_summary)
    left, right = st.columns([3, 2])
    with left:
        st.subheader(ui.t("portfolio.distribution"))
        straddling, merged = _histogram_notes(summary)
        ui.plotly_chart(
            charts.score_histogram(summary.histogram.edges, summary.histogram.counts, summary.threshold,
                                   ui.t("portfolio.pd_axis"), ui.t("portfolio.density"),
                                   ui.t("score.threshold", threshold=ui.pct(summary.threshold)),
                                   (ui.t("portfolio.below_threshold"), ui.t("portfolio.above_threshold"), straddling)),
            key="histogram",
        )
        st.caption(ui.t("portfolio.distribution_note", threshold=ui.pct(summary.threshold)))
        if merged:
            st.caption(merged)
    with right:
        st.subheader(ui.t("portfolio.bands"))
        # The classes are the model's master scale: each one a fixed range of default risk.
        grades = _grades(ui.fetch_as(contract.ModelCard, "/model", lang=ui.lang()))
        ui.table(
            pd.DataFrame({
                ui.t("portfolio.band"): [b.band for b in summary.risk_bands],
                ui.t("portfolio.band_meaning"): [_band_meaning(b, grades) for b in summary.risk_bands],
                ui.t("portfolio.count"): [ui.num(b.count) for b in summary.risk_bands],
                ui.t("portfolio.share"): [ui.pct(b.share) for b in summary.risk_bands],
            }),
        )
        st.caption(ui.t("portfolio.bands_note"))
        if any(len(b.grades or []) > 1 for b in summary.risk_bands):
            st.caption(ui.t("portfolio.merged_bands", minimum=MIN_CELL))
    _segments()


@st.fragment
def _segments() -> None:
    """The segments by the axis chosen, a fragment: choosing another reads the segments again,
    not the summary and the model card above them."""
    st.subheader(ui.t("segments.title"))
    by = ui.choice(st.selectbox, ui.t("segments.by"), SEGMENT_AXES, format_func=lambda axis: ui.t(f"segments.{axis}"),
                   key="segments_by")
    data = ui.stored_result(contract.Segments, "/portfolio/segments", "portfolio.not_computed", by=by, lang=ui.lang())
    if data is None:
        return
    if data.segments:
        labels = [ui.level(r.segment) for r in data.segments]
        table = pd.DataFrame({
            ui.t("segments.segment"): labels,
            ui.t("segments.count"): [ui.num(r.count) for r in data.segments],
            ui.t("segments.approval_rate"): [ui.t("kpi.withheld") if r.approval_rate is None else ui.pct(r.approval_rate)
                                             for r in data.segments],
            ui.t("segments.mean_probability"): [ui.pct(r.mean_probability) for r in data.segments],
        })
        left, right = st.columns(2)
        left.dataframe(table, hide_index=True)
        with right:
            # A withheld rate is not drawn (a bar of 0 % would read as "nobody approved").
            drawn = [(label, r.approval_rate) for label, r in zip(labels, data.segments, strict=True)
                     if r.approval_rate is not None]
            if drawn:
                ui.plotly_chart(
                    charts.horizontal_bars([d[0] for d in drawn], [d[1] for d in drawn], ui.t("segments.approval_rate"),
                                           percent=True),
                    key="segments_chart",
                )
        if data.rates_withheld:
            st.caption(ui.t("segments.rates_withheld", count=ui.num(data.rates_withheld), minimum=MIN_CELL))
    if data.suppressed:
        # A pooled row, or (a result stored before pooling) the small and smallest rows left out.
        pooled = any(r.segment == ui.POOLED for r in data.segments)
        key = "segments.suppressed" if pooled else "segments.hidden" if data.segments else "segments.suppressed_all"
        if pooled and data.moved == data.suppressed:  # none small: all pooled for having moved
            st.caption(ui.t("segments.moved_only", count=ui.num(data.moved)))
        else:
            st.caption(ui.t(key, count=ui.num(data.suppressed)))
            if data.moved:
                st.caption(ui.t("segments.moved", count=ui.num(data.moved)))


def model_page() -> None:
    st.title(ui.t("model.title"))
    card = ui.fetch_as(contract.ModelCard, "/model", lang=ui.lang())
    if card is not None:
        # The same card every role reads (fairness figures and limits included).
        transparency.render_model_card(card)
    importance = ui.fetch_as(contract.GlobalImportance, "/model/importance", lang=ui.lang())
    if importance is not None and importance.features:
        st.subheader(ui.t("model.importance"))
        top = importance.features[:20]
        ui.plotly_chart(
            charts.horizontal_bars([r.label for r in top], [r.mean_abs_shap for r in top], ui.t("model.importance_axis")),
            key="importance",
        )
