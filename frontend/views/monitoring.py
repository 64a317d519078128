"""Model monitoring for COMEX and compliance: drift and backtesting over time.

Everything here comes from ``GET /monitoring/drift`` and ``GET /monitoring/backtest``, which
serve what the batch jobs stored (aggregates over at least 10 people). Every alert is said in
plain words next to its figure; a colour is never the only signal.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from frontend import charts, ui
from frontend.api import ApiError

NOT_COMPUTED = "aggregates_not_computed"
LEVEL_COLOURS = {"ok": charts.SAFE, "watch": charts.WATCH, "act": charts.RISK, "unknown": charts.NEUTRAL}
TOP_INPUTS = 15


def _get(path: str, empty_key: str) -> dict[str, Any] | None:
    """The stored result, or None with a sentence (a job that never ran is not an error)."""
    try:
        with st.spinner(ui.t("common.loading")):
            answer = ui.client().get(path)
    except ApiError as error:
        if error.code == NOT_COMPUTED:
            st.info(ui.t(empty_key))
            return None
        ui.show_error(error)
        return None
    return ui.require_mapping(answer)


def _freshness(freshness: dict[str, Any]) -> None:
    when = ui.when(freshness.get("computed_at"))
    if freshness.get("current"):
        st.caption(ui.t("monitoring.fresh", when=when))
    else:
        st.warning(ui.t("monitoring.stale", when=when))


def _level_text(level: str) -> str:
    return ui.t(f"monitoring.level.{level}")


def _history_chart(points: list[dict[str, Any]], field: str, title: str, thresholds: bool) -> go.Figure:
    ordered = list(reversed(points))
    fig = go.Figure(go.Scatter(
        x=[ui.when(p["computed_at"]) for p in ordered],
        y=[p.get(field) for p in ordered], mode="lines+markers", line={"color": charts.CLIENT}, name=title,
    ))
    if thresholds:
        fig.add_hline(y=0.10, line_dash="dot", line_color=charts.WATCH, annotation_text=ui.t("monitoring.watch_line"))
        fig.add_hline(y=0.25, line_dash="dash", line_color=charts.RISK, annotation_text=ui.t("monitoring.act_line"))
    # Paris-time labels in the page's language, one per run (not a date axis in English).
    fig.update_layout(yaxis_title=title, height=300, margin={"l": 10, "r": 10, "t": 30, "b": 40},
                      xaxis={"type": "category"})
    return fig


def _score_distribution(score: dict[str, Any]) -> go.Figure:
    labels = [ui.t("monitoring.decile", n=i + 1) for i in range(len(score["reference_shares"]))]
    fig = go.Figure([
        go.Bar(x=labels, y=score["reference_shares"], name=ui.t("monitoring.training"), marker_color=charts.NEUTRAL),
        go.Bar(x=labels, y=score["current_shares"], name=ui.t("monitoring.current"), marker_color=charts.CLIENT),
    ])
    fig.update_layout(barmode="group", yaxis_tickformat=".0%", height=320,
                      legend={"orientation": "h", "y": 1.12, "x": 0},  # above the plot, clear of the axis title
                      xaxis_title=ui.t("monitoring.score_bins"), margin={"l": 10, "r": 10, "t": 30, "b": 40})
    return fig


def _alert_sentence(alert: dict[str, Any]) -> str:
    subject = ui.t("monitoring.the_score") if alert["subject"] == "score" else alert["subject"]
    return ui.t(
        f"monitoring.alert.{alert['level']}",
        subject=subject, value=ui.num(alert["value"], 2),
        against=ui.t(f"monitoring.against.{alert['against']}"),
    )


def drift_tab() -> None:
    report = _get("/monitoring/drift", "monitoring.drift_missing")
    if report is None:
        return
    _freshness(report.get("freshness") or {})
    level = str(report.get("level", "ok"))
    score = report["score"]
    cards = st.columns(4)
    cards[0].metric(ui.t("monitoring.status"), _level_text(level), border=True)
    cards[1].metric(ui.t("monitoring.score_psi"), ui.num(score["psi"], 3), border=True)
    previous = score.get("psi_previous_period")
    cards[2].metric(ui.t("monitoring.score_psi_previous"), "—" if previous is None else ui.num(previous, 3), border=True)
    cards[3].metric(ui.t("monitoring.clients"), ui.num(report.get("rows")), border=True)
    st.caption(ui.t("monitoring.thresholds_explained"))
    if score.get("expected_auc") is not None:
        st.caption(ui.t("monitoring.expected_auc", auc=ui.num(score["expected_auc"], 3)))
    alerts = report.get("alerts") or []
    if alerts:
        st.subheader(ui.t("monitoring.alerts"))
        for alert in alerts[:10]:
            (st.error if alert["level"] == "act" else st.warning)(_alert_sentence(alert))
        if len(alerts) > 10:
            st.caption(ui.t("monitoring.more_alerts", count=len(alerts) - 10))
    else:
        st.success(ui.t("monitoring.no_alert"))
    left, right = st.columns(2)
    with left:
        st.subheader(ui.t("monitoring.psi_over_time"))
        st.plotly_chart(_history_chart(report.get("history") or [], "score_psi", ui.t("monitoring.score_psi"), True),
                        key="drift_history")
    with right:
        st.subheader(ui.t("monitoring.score_distribution"))
        st.plotly_chart(_score_distribution(score), key="drift_distribution")
    st.subheader(ui.t("monitoring.inputs"))
    rows = (report.get("inputs") or [])[:TOP_INPUTS]
    st.dataframe(pd.DataFrame({
        ui.t("monitoring.input"): [r["input"] for r in rows],
        ui.t("monitoring.csi"): [ui.num(r["csi"], 3) for r in rows],
        ui.t("monitoring.csi_previous"): ["—" if r["csi_previous_period"] is None else ui.num(r["csi_previous_period"], 3)
                                          for r in rows],
        ui.t("monitoring.status"): [_level_text(r["status"]) for r in rows],
        ui.t("monitoring.missing"): [ui.pct(r["missing_share"]) for r in rows],
        ui.t("monitoring.out_of_range"): [ui.pct(r["out_of_range_share"]) for r in rows],
        ui.t("monitoring.unseen"): [", ".join(r["unseen_categories"]) or "—" for r in rows],
    }), hide_index=True)


def _grades_chart(grades: list[dict[str, Any]]) -> go.Figure:
    shown = [g for g in grades if not g.get("suppressed")]
    names = [g["grade"] for g in shown]
    fig = go.Figure([
        go.Bar(x=names, y=[g["predicted_rate"] for g in shown], name=ui.t("monitoring.predicted"), marker_color=charts.NEUTRAL),
        go.Bar(x=names, y=[g["observed_rate"] for g in shown], name=ui.t("monitoring.observed"), marker_color=charts.CLIENT,
               error_y={"type": "data", "symmetric": False,
                        "array": [g["high"] - g["observed_rate"] for g in shown],
                        "arrayminus": [g["observed_rate"] - g["low"] for g in shown]}),
    ])
    fig.update_layout(barmode="group", yaxis_tickformat=".0%", height=340, legend={"orientation": "h"},
                      xaxis_title=ui.t("monitoring.grade"), margin={"l": 10, "r": 10, "t": 30, "b": 40})
    return fig


def backtest_tab() -> None:
    report = _get("/monitoring/backtest", "monitoring.backtest_missing")
    if report is None:
        return
    _freshness(report.get("freshness") or {})
    if report.get("suppressed"):
        st.info(ui.t("monitoring.too_few", minimum=report.get("min_cell", 10)))
        return
    auc = report.get("auc") or {}
    calibration = report.get("calibration") or {}
    cards = st.columns(4)
    cards[0].metric(ui.t("monitoring.outcomes"), ui.num(report.get("n")), border=True)
    cards[1].metric("AUC", ui.num(auc.get("auc"), 3), border=True,
                    help=ui.t("monitoring.interval", low=ui.num(auc.get("low"), 3), high=ui.num(auc.get("high"), 3)))
    cards[2].metric("Gini", ui.num(auc.get("gini"), 3), border=True,
                    help=ui.t("monitoring.interval", low=ui.num(auc.get("gini_low"), 3), high=ui.num(auc.get("gini_high"), 3)))
    cards[3].metric(ui.t("monitoring.observed_vs_predicted"),
                    f"{ui.pct(calibration.get('observed_rate'))} / {ui.pct(calibration.get('predicted_rate'))}", border=True)
    if report.get("expected_auc") is not None and auc.get("auc") is not None:
        st.caption(ui.t("monitoring.expected_vs_realised", expected=ui.num(report["expected_auc"], 3),
                        realised=ui.num(auc["auc"], 3)))
    p_value = calibration.get("p_value")
    if p_value is not None and p_value < 0.05:
        st.warning(ui.t("monitoring.calibration_off", observed=ui.pct(calibration["observed_rate"]),
                        predicted=ui.pct(calibration["predicted_rate"])))
    else:
        st.success(ui.t("monitoring.calibration_ok"))
    for grade in report.get("grades") or []:
        if grade.get("underestimated"):
            st.error(ui.t("monitoring.grade_underestimated", grade=grade["grade"], observed=ui.pct(grade["observed_rate"]),
                          predicted=ui.pct(grade["predicted_rate"])))
    left, right = st.columns(2)
    with left:
        st.subheader(ui.t("monitoring.by_grade"))
        st.plotly_chart(_grades_chart(report.get("grades") or []), key="backtest_grades")
        st.caption(ui.t("monitoring.grades_explained"))
    with right:
        st.subheader(ui.t("monitoring.auc_over_time"))
        st.plotly_chart(_history_chart(report.get("history") or [], "auc", "AUC", False), key="backtest_history")
    cohorts = [c for c in report.get("cohorts") or [] if not c.get("suppressed")]
    if cohorts:
        st.subheader(ui.t("monitoring.cohorts"))
        st.dataframe(pd.DataFrame({
            ui.t("monitoring.cohort"): [c["cohort"] for c in cohorts],
            ui.t("monitoring.outcomes"): [c["n"] for c in cohorts],
            ui.t("monitoring.observed"): [ui.pct(c["observed_rate"]) for c in cohorts],
            ui.t("monitoring.predicted"): [ui.pct(c["predicted_rate"]) for c in cohorts],
            "AUC": [ui.num((c.get("auc") or {}).get("auc"), 3) for c in cohorts],
        }), hide_index=True)
    st.caption(ui.t("monitoring.suppression"))


def monitoring_page() -> None:
    st.title(ui.t("monitoring.title"))
    drift, backtest = st.tabs([ui.t("monitoring.drift"), ui.t("monitoring.backtest")])
    with drift:
        drift_tab()
    with backtest:
        backtest_tab()
