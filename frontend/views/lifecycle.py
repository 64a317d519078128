"""COMEX and compliance: the model versions and the challenger beside the champion (issue 15).

Aggregates only (``GET /model/challenger``): applicants, agreement, decision flips each way and
the distribution of probability shifts, by day, the outcomes once the day is sealed and from 10
applicants; never a client or a score. A count of 1 to 9 people (flips, agreements, a shift
band), or one the applicants minus the counts shown would give back, comes null: it reads "non
publié", never 0. Both answers are parsed with the contract's models (``ModelVersions``,
``ChallengerReport``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from frontend import charts, contract, ui

V = TypeVar("V", int, float)


def bins(edges: list[float]) -> list[str]:
    """The shift bands in probability points, as the mean shifts beside them (a probability
    0.01 higher is +1 point), lowest first; both ends are open. A band reads as its language
    writes a half-open interval: "[+1 ; +2[" in French (its decimal comma needs the semicolon),
    "[+1, +2)" in English."""
    if not edges:
        return []
    points = [ui.signed(100 * edge) for edge in edges]
    labels = [f"< {points[0]}"]
    labels += [ui.t("challenger.band", low=a, high=b) for a, b in zip(points, points[1:], strict=False)]
    labels.append(f"≥ {points[-1]}")
    return labels


def _points(value: float | None, *, sign: bool = True) -> str:
    if value is None:
        return "—"
    return f"{ui.signed(100 * value, 2) if sign else ui.num(100 * value, 2)} pts"


def day_rows(rows: list[contract.ChallengerDay], current: tuple[str | None, str | None]) -> pd.DataFrame:
    """One line per day and version pair, as the page shows it (errors included: a challenger
    that fails is a finding, even if no advisor ever sees it). The pair is a column only when
    some day compared other versions than ``current`` (named above the table)."""
    pairs = [(r.champion_version, r.challenger_version) for r in rows]
    frame = pd.DataFrame({ui.t("challenger.day"): [ui.day(r.day) for r in rows]})
    if any(pair != current for pair in pairs):
        frame[ui.t("challenger.pair")] = [f"{a} / {b}" for a, b in pairs]
    frame = frame.assign(**{
        ui.t("challenger.requests"): [ui.num(r.applicants) for r in rows],
        ui.t("challenger.agreement"): [_outcome(r, r.agreement_rate, ui.pct) for r in rows],
        ui.t("challenger.flips_to_refuse"): [_outcome(r, r.flips_to_refuse, ui.num) for r in rows],
        ui.t("challenger.flips_to_approve"): [_outcome(r, r.flips_to_approve, ui.num) for r in rows],
        ui.t("challenger.mean_shift"): [_outcome(r, r.mean_shift, _points) for r in rows],
        ui.t("challenger.mean_abs_shift"): [_outcome(r, r.mean_abs_shift, _unsigned_points) for r in rows],
    })
    if any(r.late for r in rows):
        frame[ui.t("challenger.late")] = [ui.num(r.late) for r in rows]
    return frame.assign(**{
        ui.t("challenger.dropped"): [ui.num(r.dropped) for r in rows],
        ui.t("challenger.errors"): [ui.num(r.errors) for r in rows],
    })


def _unsigned_points(value: float | None) -> str:
    return _points(value, sign=False)


def _served(row: contract.ChallengerDay) -> bool:
    """The day's outcomes are served: sealed, of 10 applicants or more (its mean shift, never
    withheld on such a day, says so)."""
    return row.sealed and row.mean_shift is not None


def _outcome(row: contract.ChallengerDay, value: V | None, show: Callable[[V], str]) -> str:
    """A day's outcome as shown: "en cours" while the day is open, "—" under 10 applicants,
    "non publié" for a count the API withholds (1 to 9 people, or one that would give such a
    count back by difference with the applicants)."""
    if not row.sealed:
        return ui.t("challenger.open")
    if not _served(row):
        return "—"
    return ui.t("challenger.withheld") if value is None else show(value)


def withheld_outcomes(rows: list[contract.ChallengerDay]) -> bool:
    """Some served day has a withheld agreement or flip count (the page then says why)."""
    return any(_served(r) and None in (r.agreement_rate, r.flips_to_refuse, r.flips_to_approve) for r in rows)


def shift_chart(labels: list[str], counts: list[int | None]) -> go.Figure:
    """The shift bands of a day, a withheld band (null) drawn as no bar with "non publié" over
    its place on the axis: never a bar of 0, which would be a figure of its own."""
    fig = charts.shift_bars(labels, [c or 0 for c in counts], ui.t("challenger.shift_axis"), ui.t("challenger.requests"))
    fig.update_traces(y=list(counts))  # the withheld ones back to null: Plotly draws no bar there
    for label, count in zip(labels, counts, strict=True):
        if count is None:
            fig.add_annotation(x=label, y=0, yref="paper", yanchor="bottom", text=ui.t("challenger.withheld"),
                               textangle=-90, showarrow=False)
    return fig


def withheld_bands(labels: list[str], counts: list[int | None]) -> list[str]:
    return [label for label, count in zip(labels, counts, strict=True) if count is None]


def version_rows(rows: list[contract.ModelVersion]) -> pd.DataFrame:
    return pd.DataFrame({
        ui.t("challenger.version"): [v.version for v in rows],
        ui.t("challenger.status"): [ui.t(f"challenger.status_{v.status}") for v in rows],
        ui.t("challenger.trained"): [_trained(v.created_at) for v in rows],
        ui.t("challenger.auc"): [ui.num(v.auc, 3) for v in rows],
        ui.t("challenger.threshold"): [ui.pct(v.threshold) for v in rows],
        ui.t("challenger.cost"): [ui.num(v.business_cost_per_client, 3) for v in rows],
        ui.t("challenger.features"): [ui.num(v.features) for v in rows],
    })


def _trained(value: str | None) -> str:
    try:
        return ui.when(value)
    except ValueError:  # not ISO 8601: shown as the manifest says it
        return str(value)


def challenger_page() -> None:
    st.title(ui.t("challenger.title"))
    st.caption(ui.t("challenger.intro"))
    versions = ui.fetch_as(contract.ModelVersions, "/model/versions")
    if versions is not None:
        _versions(versions)
    _challenger_days()


@st.fragment
def _challenger_days() -> None:
    """The champion and challenger over the days asked for, a fragment: the slider reads the
    report again, not the versions above it."""
    days = st.slider(ui.t("challenger.days"), min_value=1, max_value=90, value=30, key="challenger_days")
    report = ui.fetch_as(contract.ChallengerReport, "/model/challenger", days=days)
    if report is None:
        return
    # Version ids are 24 characters: said in a line, where they read whole (a tile cuts them).
    cols = st.columns(2, border=True)
    cols[0].markdown(f"**{ui.t('challenger.champion')}**  \n{report.champion or ui.t('challenger.model_dir')}")
    cols[1].markdown(f"**{ui.t('challenger.challenger')}**  \n{report.challenger or ui.t('challenger.none')}")
    rows = report.days
    if not rows:
        st.info(ui.t("challenger.empty"))
        return
    ui.table(day_rows(rows, (report.champion, report.challenger)))
    st.caption(ui.t("challenger.publication"))
    if withheld_outcomes(rows):
        st.caption(ui.t("challenger.withheld_note"))
    latest = next((r for r in rows if r.shift_counts is not None), None)
    if latest is not None and latest.shift_counts is not None:
        st.subheader(ui.t("challenger.shift_title", day=ui.day(latest.day)))
        labels, counts = bins(report.shift_edges), latest.shift_counts
        if any(c is not None for c in counts):
            ui.plotly_chart(shift_chart(labels, counts), key="challenger_shifts")
            st.caption(ui.t("challenger.shift_caption"))
        hidden = withheld_bands(labels, counts)
        if hidden:
            st.caption(ui.t("challenger.bands_withheld", bands=ui.t("challenger.band_sep").join(hidden)))
    else:
        st.caption(ui.t("challenger.too_few"))


def _versions(versions: contract.ModelVersions) -> None:
    rows = versions.versions
    st.subheader(ui.t("challenger.versions"))
    if not rows:
        st.caption(ui.t("challenger.no_versions", serving=versions.serving or "—"))
        return
    ui.table(version_rows(rows))
    st.caption(ui.t("challenger.measured"))
