"""COMEX and compliance: the model versions and the challenger beside the champion (issue 15).

Aggregates only (``GET /model/challenger``): agreement, decision flips each way and the
distribution of probability shifts, by day; never a client or a score.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from frontend import ui


def _bins(edges: list[float]) -> list[str]:
    labels = [f"< {edges[0]:+.2f}"]
    labels += [f"[{a:+.2f} ; {b:+.2f})" for a, b in zip(edges, edges[1:], strict=False)]
    labels.append(f"≥ {edges[-1]:+.2f}")
    return labels


def challenger_page() -> None:
    st.title(ui.t("challenger.title"))
    st.caption(ui.t("challenger.intro"))
    versions = ui.require_mapping(ui.fetch("/model/versions"))
    if versions is not None:
        _versions(versions)
    days = st.slider(ui.t("challenger.days"), min_value=1, max_value=90, value=30, key="challenger_days")
    report = ui.require_mapping(ui.fetch("/model/challenger", days=days))
    if report is None:
        return
    cols = st.columns(2)
    cols[0].metric(ui.t("challenger.champion"), str(report.get("champion") or ui.t("challenger.model_dir")))
    cols[1].metric(ui.t("challenger.challenger"), str(report.get("challenger") or ui.t("challenger.none")))
    rows = [r for r in report.get("days", []) if isinstance(r, dict)]
    if not rows:
        st.info(ui.t("challenger.empty"))
        return
    st.dataframe(
        pd.DataFrame({
            ui.t("challenger.day"): [r.get("day") for r in rows],
            ui.t("challenger.pair"): [f"{r.get('champion_version')} / {r.get('challenger_version')}" for r in rows],
            ui.t("challenger.requests"): [ui.num(r.get("requests")) for r in rows],
            ui.t("challenger.agreement"): [ui.pct(r.get("agreement_rate")) for r in rows],
            ui.t("challenger.flips_to_refuse"): [ui.num(r.get("flips_to_refuse")) for r in rows],
            ui.t("challenger.flips_to_approve"): [ui.num(r.get("flips_to_approve")) for r in rows],
            ui.t("challenger.mean_shift"): [_points(r.get("mean_shift")) for r in rows],
            ui.t("challenger.mean_abs_shift"): [_points(r.get("mean_abs_shift")) for r in rows],
            ui.t("challenger.dropped"): [ui.num(r.get("dropped")) for r in rows],
        }).astype(str),
        hide_index=True,
    )
    latest = next((r for r in rows if isinstance(r.get("shift_counts"), list)), None)
    if latest is not None:
        st.subheader(ui.t("challenger.shift_title", day=latest.get("day")))
        labels = _bins([float(e) for e in report.get("shift_edges", [])])
        chart = pd.DataFrame({ui.t("challenger.shift_axis"): labels,
                              ui.t("challenger.requests"): latest["shift_counts"]})
        st.bar_chart(chart, x=ui.t("challenger.shift_axis"), y=ui.t("challenger.requests"))
        st.caption(ui.t("challenger.shift_caption"))
    else:
        st.caption(ui.t("challenger.too_few"))


def _points(value: Any) -> str:
    return "—" if value is None else f"{100 * float(value):+.2f} pts"


def _versions(versions: dict[str, Any]) -> None:
    rows = [v for v in versions.get("versions", []) if isinstance(v, dict)]
    st.subheader(ui.t("challenger.versions"))
    if not rows:
        st.caption(ui.t("challenger.no_versions", serving=versions.get("serving") or "—"))
        return
    st.dataframe(
        pd.DataFrame({
            ui.t("challenger.version"): [v.get("version") for v in rows],
            ui.t("challenger.status"): [ui.t(f"challenger.status_{v.get('status', 'registered')}") for v in rows],
            ui.t("challenger.trained"): [str(v.get("created_at") or "—")[:16].replace("T", " ") for v in rows],
            "AUC": [ui.num(v.get("auc"), 3) for v in rows],
            ui.t("challenger.features"): [ui.num(v.get("features")) for v in rows],
        }).astype(str),
        hide_index=True,
    )
