"""Model monitoring for COMEX and compliance: drift and backtesting over time.

Everything here comes from ``GET /monitoring/drift`` and ``GET /monitoring/backtest`` (parsed
with the contract's ``DriftReport`` and ``BacktestReport``), which serve what the batch jobs
stored (aggregates over at least 10 people). Every alert is said in plain words next to its
figure; a colour is never the only signal. Inputs are named by their label in the page's
language (the API's ``label``), the raw column only as a secondary column.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from frontend import charts, contract, ui
from frontend.views.comex import SEGMENT_AXES

TOP_INPUTS = 15
# The overall state as a banner (words, icon and colour), not as a tile: a tile's value must
# stay short enough to read whole at 1400 px.
LEVEL_BOX = {"ok": (st.success, ":material/check_circle:"), "watch": (st.warning, ":material/visibility:"),
             "act": (st.error, ":material/report:")}


def _level_text(level: str) -> str:
    return ui.t(f"monitoring.level.{level}")


def input_label(label: contract.InputLabel | None, raw: str) -> str:
    """An input's name for people in the page's language (the raw column when unnamed)."""
    if label is None:
        return raw
    return label.en if ui.lang() == "en" else label.fr


# The range a withheld PSI lies in (``psi_level``), drawn as a bar over it: "act" has no top.
PSI_RANGES = {"ok": (0.0, 0.10), "watch": (0.10, 0.25), "act": (0.25, 0.35)}


def _history_chart(times: list[Any], values: list[float | None], title: str, thresholds: bool,
                   y_range: tuple[float, float] | None = None, ranges: list[str | None] | None = None) -> go.Figure:
    """Oldest run first; ``times`` and ``values`` come newest first, as the API gives them. A run
    with no figure (a backtest before any outcome) is left out, not drawn as an empty date; one
    whose figure is withheld but its range given (``ranges``: a PSI's level) is drawn as a bar
    over that range, not as a value."""
    ranges = ranges or [None] * len(values)
    runs = [(moment, value, level) for moment, value, level in reversed(list(zip(times, values, ranges, strict=True)))
            if value is not None or level in PSI_RANGES]
    x = [ui.when(moment) for moment, _, _ in runs]
    fig = go.Figure(go.Scatter(
        x=x, y=[value for _, value, _ in runs], mode="lines+markers", line={"color": charts.CLIENT}, name=title,
    ))
    withheld = [(when, level) for when, (_, value, level) in zip(x, runs, strict=True) if value is None]
    if withheld:
        fig.add_trace(go.Bar(
            x=[when for when, _ in withheld], y=[PSI_RANGES[level][1] - PSI_RANGES[level][0] for _, level in withheld],
            base=[PSI_RANGES[level][0] for _, level in withheld], width=0.15,
            marker={"color": charts.NEUTRAL, "opacity": 0.6}, name=ui.t("monitoring.psi_range_only"),
            # The range as the card says it ("≥ 0,25": the bar's top is only where the axis ends).
            customdata=[ui.t(f"monitoring.psi_card.{level}") for _, level in withheld],
            hovertemplate="%{customdata}<extra></extra>",
        ))
        fig.update_layout(showlegend=True, legend={"orientation": "h", "y": -0.25})
    if thresholds:
        fig.add_hline(y=0.10, line_dash="dot", line_color=charts.WATCH, annotation_text=ui.t("monitoring.watch_line"))
        fig.add_hline(y=0.25, line_dash="dash", line_color=charts.RISK, annotation_text=ui.t("monitoring.act_line"))
    # Paris-time labels in the page's language, one per run (not a date axis in English).
    fig.update_layout(yaxis_title=title, height=300, margin={"l": 10, "r": 10, "t": 30, "b": 40},
                      xaxis={"type": "category"})
    if y_range is not None:
        fig.update_yaxes(range=list(y_range))
    return charts.readable(fig)


def _score_distribution(score: contract.ScoreDrift, minimum: int) -> go.Figure:
    """Training and today's shares per training decile; a decile whose share today is withheld
    (``current_withheld``) has no bar today and says why under its name: "< 10 pers." (1 to 9
    people), "changed" (its people changed by 1 to 9 since a published report) or
    "not published" (withheld with those, since the shares add up to 100 %)."""
    withheld = list(score.current_withheld or []) + [None] * len(score.reference_shares)
    reasons = {"small": "monitoring.fewer_than", "moved": "monitoring.decile_moved"}
    labels = []
    for i in range(len(score.reference_shares)):
        label = ui.t("monitoring.decile", n=i + 1)
        if withheld[i] is not None:
            why = ui.t(reasons.get(withheld[i], "monitoring.decile_withheld"), minimum=minimum)
            label = f"{label}<br>{why}"
        labels.append(label)
    return charts.grouped_shares(
        labels,
        [(ui.t("monitoring.training"), score.reference_shares, charts.NEUTRAL),
         (ui.t("monitoring.current"), score.current_shares, charts.CLIENT)],
        x_title=ui.t("monitoring.score_bins"),
    )


def _share(value: float | None, minimum: int) -> str:
    """A share of people as the API serves it: None is 1 to ``minimum - 1`` people, not served
    exactly so that no one is singled out ("< 10 pers." / "fewer than 10")."""
    return ui.t("monitoring.fewer_than", minimum=minimum) if value is None else ui.pct(value)


def _unseen(row: contract.InputDrift, minimum: int) -> str:
    """A category's share of levels training never saw, with those held by at least ``minimum``
    people named and how many others are not; "—" for a number, which has no levels (a category
    read "—" here beside "0,0 %" outside the training range, which a category has none of)."""
    if row.kind != "category":
        return "—"
    named = [ui.level(c) for c in row.unseen_categories]
    if row.unseen_categories_suppressed:
        named.append(ui.t("monitoring.unseen_hidden", count=ui.num(row.unseen_categories_suppressed), minimum=minimum))
    share = _input_share(row, "unseen_category_share", minimum)
    return f"{share} ({', '.join(named)})" if named else share


def _out_of_range(row: contract.InputDrift, minimum: int) -> str:
    """A number's share outside the training range; "—" for a category (no range)."""
    return _input_share(row, "out_of_range_share", minimum) if row.kind == "number" else "—"


def _input_share(row: contract.InputDrift, key: str, minimum: int) -> str:
    """One of an input's shares of people: "a changé de < 10 pers." when it moved by 1 to 9 since
    a published report (``moved_shares``), else as ``_share``."""
    if key in (row.moved_shares or []):
        return ui.t("monitoring.share_moved", minimum=minimum)
    return _share(getattr(row, key), minimum)


def _alert_sentence(alert: contract.Alert) -> str:
    subject = ui.t("monitoring.the_score") if alert.subject == "score" else input_label(alert.subject_label, alert.subject)
    value = ui.num(alert.value, 2) if alert.value is not None else _psi_range(alert.level)
    return ui.t(f"monitoring.alert.{alert.level}", subject=subject, value=value,
                against=ui.t(f"monitoring.against.{alert.against}"))


def _psi_range(level: str | None) -> str:
    """A withheld PSI by the range its level gives ("au moins 0,25")."""
    return ui.t(f"monitoring.psi_range.{level or 'ok'}")


def _psi_card(value: float | None, level: str | None) -> str:
    if value is not None:
        return ui.num(value, 3)
    return "—" if level is None else ui.t(f"monitoring.psi_card.{level}")


def _status_banner(level: str) -> None:
    box, icon = LEVEL_BOX.get(level, (st.info, ":material/help:"))
    box(f"**{ui.t('monitoring.status_line', level=_level_text(level))}**", icon=icon)


def drift_tab() -> None:
    report: contract.DriftReport | None = ui.stored_result(contract.DriftReport, "/monitoring/drift", "monitoring.drift_missing")
    if report is None:
        return
    ui.freshness(report.freshness)
    _status_banner(report.level)
    score = report.score
    cards = st.columns(3)
    cards[0].metric(ui.t("monitoring.score_psi"), _psi_card(score.psi, score.psi_level), border=True)
    cards[1].metric(ui.t("monitoring.score_psi_previous"), _psi_card(score.psi_previous_period, score.psi_previous_level),
                    border=True)
    cards[2].metric(ui.t("monitoring.clients"), ui.num(report.rows), border=True)
    st.caption(ui.t("monitoring.thresholds_explained"))
    if score.psi is None:
        st.caption(ui.t("monitoring.psi_withheld", minimum=report.min_cell or 10))
    if score.expected_auc is not None:
        st.caption(ui.t("monitoring.expected_auc", auc=ui.num(score.expected_auc, 3)))
    alerts = report.alerts
    if alerts:
        st.subheader(ui.t("monitoring.alerts"))
        for alert in alerts[:10]:
            (st.error if alert.level == "act" else st.warning)(_alert_sentence(alert))
        if len(alerts) > 10:
            st.caption(ui.t("monitoring.more_alerts", count=len(alerts) - 10))
    else:
        st.success(ui.t("monitoring.no_alert"))
    minimum = report.min_cell or 10  # the API's MIN_CELL (ml.disclosure)
    left, right = st.columns(2)
    with left:
        st.subheader(ui.t("monitoring.psi_over_time"))
        history = report.history
        ui.plotly_chart(_history_chart([p.computed_at for p in history], [p.score_psi for p in history],
                                       ui.t("monitoring.score_psi"), True,
                                       ranges=[p.score_psi_level for p in history]), key="drift_history")
        if any(p.score_psi is None for p in history):
            st.caption(ui.t("monitoring.psi_history_withheld"))
    with right:
        st.subheader(ui.t("monitoring.score_distribution"))
        ui.plotly_chart(_score_distribution(score, minimum), key="drift_distribution")
        reasons = set(score.current_withheld or [])
        # "complement" beside a decile that changed is that one's (its caption says so).
        if "small" in reasons or ("complement" in reasons and "moved" not in reasons):
            st.caption(ui.t("monitoring.small_deciles", minimum=minimum, most=minimum - 1))
        if "moved" in reasons:
            st.caption(ui.t("monitoring.moved_deciles", minimum=minimum, most=minimum - 1))
    st.subheader(ui.t("monitoring.inputs"))
    rows = report.inputs[:TOP_INPUTS]
    ui.table(pd.DataFrame({
        ui.t("monitoring.input"): [input_label(r.label, r.input) for r in rows],
        ui.t("monitoring.csi"): [ui.num(r.csi, 3) for r in rows],
        ui.t("monitoring.csi_previous"): ["—" if r.csi_previous_period is None else ui.num(r.csi_previous_period, 3)
                                          for r in rows],
        ui.t("monitoring.status"): [_level_text(r.status) for r in rows],
        # Today's share beside training's: "57,0 %" alone did not say whether it changed.
        ui.t("monitoring.missing"): [f"{_input_share(r, 'missing_share', minimum)} "
                                     f"({_share(r.missing_share_training, minimum)})" for r in rows],
        ui.t("monitoring.out_of_range"): [_out_of_range(r, minimum) for r in rows],
        ui.t("monitoring.unseen"): [_unseen(r, minimum) for r in rows],
        ui.t("monitoring.column"): [ui.identifiers([r.input]) for r in rows],
    }), code=(ui.t("monitoring.column"),))
    # A share of 1 to 9 people (its flag; the training's has none), or an unseen level not named.
    if any(r.missing_suppressed or r.out_of_range_suppressed or r.unseen_category_suppressed
           or r.missing_share_training is None or r.unseen_categories_suppressed for r in rows):
        st.caption(ui.t("monitoring.small_shares", minimum=minimum, most=minimum - 1))
    if any(r.moved_shares for r in rows):
        st.caption(ui.t("monitoring.moved_shares", minimum=minimum, most=minimum - 1))


def _grades_chart(grades: list[contract.GradeBacktest]) -> go.Figure:
    shown = [g for g in grades if not g.suppressed and g.observed_rate is not None]
    observed = [g.observed_rate or 0.0 for g in shown]
    return charts.grouped_shares(
        [g.grade for g in shown],
        [(ui.t("monitoring.predicted"), [g.predicted_rate for g in shown], charts.NEUTRAL),
         (ui.t("monitoring.observed"), observed, charts.CLIENT)],
        x_title=ui.t("monitoring.grade"),
        errors=([(g.high if g.high is not None else o) - o for g, o in zip(shown, observed, strict=True)],
                [o - (g.low if g.low is not None else o) for g, o in zip(shown, observed, strict=True)]),
    )


def backtest_tab() -> None:
    report: contract.BacktestReport | None = ui.stored_result(contract.BacktestReport, "/monitoring/backtest",
                                                  "monitoring.backtest_missing")
    if report is None:
        return
    ui.freshness(report.freshness)
    if report.suppressed:
        st.info(ui.t("monitoring.too_few", minimum=report.min_cell))
        return
    auc, calibration = report.auc, report.calibration
    cards = st.columns(5)
    cards[0].metric(ui.t("monitoring.outcomes_short"), ui.num(report.n), border=True)
    cards[1].metric("AUC", ui.num(auc.auc if auc else None, 3), border=True)
    cards[2].metric("Gini", ui.num(auc.gini if auc else None, 3), border=True)
    cards[3].metric(ui.t("monitoring.observed_rate"), ui.pct(calibration.observed_rate if calibration else None), border=True)
    cards[4].metric(ui.t("monitoring.predicted_rate"), ui.pct(calibration.predicted_rate if calibration else None), border=True)
    if auc is not None:
        # The intervals in words under the tiles (a tooltip would hide them from a print and
        # carries Streamlit's own accessible text).
        st.caption(" · ".join((
            ui.t("monitoring.interval_named", name="AUC", low=ui.num(auc.low, 3), high=ui.num(auc.high, 3)),
            ui.t("monitoring.interval_named", name="Gini", low=ui.num(auc.gini_low, 3), high=ui.num(auc.gini_high, 3)),
        )))
    if report.expected_auc is not None and auc is not None:
        st.caption(ui.t("monitoring.expected_vs_realised", expected=ui.num(report.expected_auc, 3),
                        realised=ui.num(auc.auc, 3)))
    if report.outcomes_withheld:
        st.info(ui.t("monitoring.outcomes_withheld"))
    elif calibration is not None and calibration.p_value < 0.05:
        st.warning(ui.t("monitoring.calibration_off", observed=ui.pct(calibration.observed_rate),
                        predicted=ui.pct(calibration.predicted_rate)))
    else:
        st.success(ui.t("monitoring.calibration_ok"))
    for grade in report.grades:
        if grade.underestimated:
            st.error(ui.t("monitoring.grade_underestimated", grade=grade.grade, observed=ui.pct(grade.observed_rate),
                          predicted=ui.pct(grade.predicted_rate)))
    left, right = st.columns(2)
    with left:
        st.subheader(ui.t("monitoring.by_grade"))
        ui.plotly_chart(_grades_chart(report.grades), key="backtest_grades")
        st.caption(ui.t("monitoring.grades_explained"))
        withheld = [g.grade for g in report.grades if g.outcomes_withheld]
        if withheld:
            st.caption(ui.t("monitoring.grades_withheld", grades=", ".join(withheld)))
    with right:
        st.subheader(ui.t("monitoring.auc_over_time"))
        history = report.history
        aucs = [p.auc for p in history if p.auc is not None]
        # An AUC lies between 0 and 1, 0.5 being chance: the axis shows that span (it went to 1.5).
        floor = min([0.5, *(value - 0.05 for value in aucs)])
        ui.plotly_chart(_history_chart([p.computed_at for p in history], [p.auc for p in history], "AUC", False,
                                       y_range=(floor, 1.0)),
                        key="backtest_history")
    cohorts = [c for c in report.cohorts if not c.suppressed]
    if cohorts:
        st.subheader(ui.t("monitoring.cohorts"))
        ui.table(pd.DataFrame({
            ui.t("monitoring.cohort"): [ui.month(c.cohort) for c in cohorts],
            ui.t("monitoring.outcomes"): [ui.num(c.n) for c in cohorts],
            ui.t("monitoring.observed"): [ui.t("withheld.cell") if c.outcomes_withheld
                                          else ui.pct(c.observed_rate) for c in cohorts],
            ui.t("monitoring.predicted"): [ui.pct(c.predicted_rate) for c in cohorts],
            "AUC": [ui.t("withheld.cell") if c.outcomes_withheld
                    else ui.num(c.auc.auc if c.auc else None, 3) for c in cohorts],
        }))
    _segments_backtest(report)
    st.caption(ui.t("monitoring.suppression"))


def _segments_backtest(report: contract.BacktestReport) -> None:
    """Observed against predicted defaults by segment (the API computed them; the page showed
    only grades and months, while the demo's model predicted 7,9 % for men who defaulted at
    10,7 %: the validator's walk, twenty-eighth session). A segment off beyond chance is said."""
    axes = [axis for axis in SEGMENT_AXES if report.segments.get(axis)]
    if not axes:
        return
    st.subheader(ui.t("monitoring.by_segment"))
    for axis in axes:
        for row in report.segments[axis]:
            if row.miscalibrated and row.calibration is not None:
                st.warning(ui.t("monitoring.segment_off", axis=ui.t(f"segments.{axis}"), segment=ui.level(row.segment),
                                observed=ui.pct(row.observed_rate), predicted=ui.pct(row.predicted_rate),
                                direction=ui.t("monitoring.segment_under" if row.calibration.difference > 0
                                               else "monitoring.segment_over")),
                           icon=":material/balance:")
    axis = ui.choice(st.selectbox, ui.t("segments.by"), axes, format_func=lambda a: ui.t(f"segments.{a}"),
                     key="backtest_segment_axis")
    rows = [r for r in report.segments[axis] if not r.suppressed]
    withheld = ui.t("withheld.cell")
    ui.table(pd.DataFrame({
        ui.t("segments.segment"): [ui.level(r.segment) for r in rows],
        ui.t("monitoring.outcomes"): [ui.num(r.n) for r in rows],
        ui.t("monitoring.observed"): [withheld if r.outcomes_withheld else ui.pct(r.observed_rate) for r in rows],
        ui.t("monitoring.predicted"): [ui.pct(r.predicted_rate) for r in rows],
        ui.t("monitoring.segment_gap"): [
            withheld if r.outcomes_withheld else "—" if r.miscalibrated is None
            else ui.t("monitoring.segment_gap_yes" if r.miscalibrated else "monitoring.segment_gap_no") for r in rows],
        "AUC": [withheld if r.outcomes_withheld else ui.num(r.auc.auc if r.auc else None, 3) for r in rows],
    }))
    st.caption(ui.t("monitoring.segments_explained"))


def monitoring_page() -> None:
    st.title(ui.t("monitoring.title"))
    drift, backtest = st.tabs([ui.t("monitoring.drift"), ui.t("monitoring.backtest")])
    with drift:
        drift_tab()
    with backtest:
        backtest_tab()
