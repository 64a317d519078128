"""Compliance page: the audit trail, its verification and its export."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from frontend import ui

CURSORS_KEY = "audit_cursors"
FILTERS_KEY = "audit_filters"
EXPORT_KEY = "audit_export"
OUTCOMES = ("", "success", "denied", "error")


def _verify() -> None:
    if st.button(ui.t("audit.verify"), key="audit_verify", icon=":material/verified:"):
        result = ui.require_mapping(ui.call(ui.client().get, "/audit/verify"))
        if result is None:
            return
        if result.get("valid"):
            st.success(ui.t("audit.valid", events=ui.num(ui.pick(result, "events_checked", default=0)),
                            checkpoints=ui.num(ui.pick(result, "checkpoints_checked", default=0))))
        else:
            st.error(ui.t("audit.invalid", seq=ui.pick(result, "first_invalid_seq", default="?"),
                          reason=ui.pick(result, "reason", default="—")))


def _filters() -> dict[str, Any]:
    with st.form("audit_filters"):
        st.markdown(f"**{ui.t('audit.filters')}**")
        a, b, c = st.columns(3)
        actor = a.text_input(ui.t("audit.actor"), key="audit_actor")
        action = b.text_input(ui.t("audit.action"), key="audit_action")
        outcome = c.selectbox(ui.t("audit.outcome"), OUTCOMES, format_func=lambda o: o or ui.t("audit.any"), key="audit_outcome")
        d, e, f = st.columns(3)
        since = d.date_input(ui.t("audit.from"), value=None, key="audit_from")
        until = e.date_input(ui.t("audit.to"), value=None, key="audit_to")
        limit = f.selectbox(ui.t("audit.page_size"), (25, 50, 100, 500), index=1, key="audit_limit")
        if st.form_submit_button(ui.t("audit.search"), type="primary"):
            st.session_state[FILTERS_KEY] = {
                "actor": actor.strip() or None,
                "action": action.strip() or None,
                "outcome": outcome or None,
                "from": dt.datetime.combine(since, dt.time.min, dt.UTC).isoformat() if since else None,
                "to": dt.datetime.combine(until, dt.time.max, dt.UTC).isoformat() if until else None,
                "limit": limit,
            }
            st.session_state[CURSORS_KEY] = [None]
    return st.session_state.get(FILTERS_KEY, {"limit": 50})


def _events(filters: dict[str, Any]) -> None:
    cursors: list[str | None] = st.session_state.setdefault(CURSORS_KEY, [None])
    page = ui.require_mapping(ui.fetch("/audit/events", **filters, cursor=cursors[-1]))
    if page is None:
        return
    events = [e for e in ui.pick(page, "events", "items", default=[]) if isinstance(e, dict)]
    st.caption(ui.t("audit.page", page=len(cursors)))
    if not events:
        st.info(ui.t("audit.empty"))
    else:
        columns = ["seq", "ts", "actor", "role", "action", "resource", "outcome", "ip", "model_version", "request_id"]
        frame = pd.DataFrame(events)
        st.dataframe(frame[[c for c in columns if c in frame.columns]], hide_index=True)
    left, right = st.columns(2)
    if len(cursors) > 1 and left.button(ui.t("audit.first"), key="audit_first"):
        st.session_state[CURSORS_KEY] = [None]
        st.rerun()
    next_cursor = ui.pick(page, "next_cursor", "cursor")
    if next_cursor and right.button(ui.t("audit.next"), key="audit_next"):
        cursors.append(str(next_cursor))
        st.rerun()


def _export(filters: dict[str, Any]) -> None:
    st.subheader(ui.t("audit.export"))
    left, right = st.columns([1, 3])
    fmt = left.radio(ui.t("audit.export_format"), ("jsonl", "csv"), horizontal=True, key="audit_export_format")
    if right.button(ui.t("audit.export_prepare"), key="audit_export_prepare", icon=":material/download:"):
        params = {k: v for k, v in filters.items() if k != "limit"}
        export = ui.call(ui.client().download, "/audit/export", {"format": fmt, **params})
        if export is not None:
            st.session_state[EXPORT_KEY] = (export.content, export.filename or f"octroi-audit.{fmt}", export.media_type)
    stored = st.session_state.get(EXPORT_KEY)
    if stored:
        st.download_button(ui.t("audit.export_download"), data=stored[0], file_name=stored[1], mime=stored[2], key="audit_export_download")


def audit_page() -> None:
    st.title(ui.t("audit.title"))
    _verify()
    filters = _filters()
    _events(filters)
    _export(filters)
