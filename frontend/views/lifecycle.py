"""COMEX and compliance: the model versions and the challenger beside the champion (issue 15).

Aggregates only (``GET /model/challenger``): agreement, decision flips each way and the
distribution of probability shifts, by day; never a client or a score. Both answers are
parsed with the contract's models (``ModelVersions``, ``ChallengerReport``).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from frontend import contract, ui


def _signed(value: float) -> str:
    """A signed number the page's way (``+0,05`` / ``+0.05``)."""
    text = ui.num(value, 2)
    return text if text.startswith(("-", "−")) else "+" + text


def _bins(edges: list[float]) -> list[str]:
    """The shift bins in probability units (the caption says 0,01 = 1 point); both ends are open."""
    if not edges:
        return []
    labels = [f"< {_signed(edges[0])}"]
    labels += [f"[{_signed(a)} ; {_signed(b)})" for a, b in zip(edges, edges[1:], strict=False)]
    labels.append(f"≥ {_signed(edges[-1])}")
    return labels


def _points(value: float | None) -> str:
    return "—" if value is None else f"{_signed(100 * value)} pts"


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
    st.dataframe(
        pd.DataFrame({
            ui.t("challenger.day"): [ui.day(r.day) for r in rows],
            ui.t("challenger.pair"): [f"{r.champion_version} / {r.challenger_version}" for r in rows],
            ui.t("challenger.requests"): [ui.num(r.requests) for r in rows],
            ui.t("challenger.agreement"): [ui.pct(r.agreement_rate) for r in rows],
            ui.t("challenger.flips_to_refuse"): [ui.num(r.flips_to_refuse) for r in rows],
            ui.t("challenger.flips_to_approve"): [ui.num(r.flips_to_approve) for r in rows],
            ui.t("challenger.mean_shift"): [_points(r.mean_shift) for r in rows],
            ui.t("challenger.mean_abs_shift"): [_points(r.mean_abs_shift) for r in rows],
            ui.t("challenger.dropped"): [ui.num(r.dropped) for r in rows],
        }).astype(str),
        hide_index=True,
    )
    latest = next((r for r in rows if r.shift_counts is not None), None)
    if latest is not None and latest.shift_counts is not None:
        st.subheader(ui.t("challenger.shift_title", day=ui.day(latest.day)))
        chart = pd.DataFrame({ui.t("challenger.shift_axis"): _bins(report.shift_edges),
                              ui.t("challenger.requests"): latest.shift_counts})
        st.bar_chart(chart, x=ui.t("challenger.shift_axis"), y=ui.t("challenger.requests"))
        st.caption(ui.t("challenger.shift_caption"))
    else:
        st.caption(ui.t("challenger.too_few"))


def _versions(versions: contract.ModelVersions) -> None:
    rows = versions.versions
    st.subheader(ui.t("challenger.versions"))
    if not rows:
        st.caption(ui.t("challenger.no_versions", serving=versions.serving or "—"))
        return
    st.dataframe(
        pd.DataFrame({
            ui.t("challenger.version"): [v.version for v in rows],
            ui.t("challenger.status"): [ui.t(f"challenger.status_{v.status}") for v in rows],
            ui.t("challenger.trained"): [_trained(v.created_at) for v in rows],
            "AUC": [ui.num(v.auc, 3) for v in rows],
            ui.t("challenger.features"): [ui.num(v.features) for v in rows],
        }).astype(str),
        hide_index=True,
    )
