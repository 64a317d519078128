"""Compliance page: the audit trail, its verification and its export. The verification and the
export are fragments (``frontend/views/advisor.py`` says why): using either reads the trail's
page no second time."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from frontend import contract, ui
from frontend.i18n import TIMEZONE

CURSORS_KEY = "audit_cursors"
# The form's values as last submitted (the table's filters derive from them). Not the form's
# key: a session-state value named like a widget (the form "audit_filters") cannot be set once
# that widget exists (StreamlitWidgetAlreadyInstantiatedError).
APPLIED_KEY = "audit_applied_filters"
EXPORT_KEY = "audit_export"
VERIFICATION_KEY = "audit_verification"
OUTCOMES = ("", "success", "denied", "error")
PAGE_SIZES = (25, 50, 100, 500)


@st.fragment
def _verify() -> None:
    """The button, then the last verification's result and when it was made: it stays on the
    page while the officer searches and exports, until the next verification (or sign-out). A
    fragment: verifying reads the trail's page below no second time."""
    if st.button(ui.t("audit.verify"), key="audit_verify", icon=":material/verified:"):
        result = ui.call_as(contract.VerificationOut, ui.client().get, "/audit/verify")
        if result is not None:
            st.session_state[VERIFICATION_KEY] = (result, dt.datetime.now(dt.UTC))
    stored = st.session_state.get(VERIFICATION_KEY)
    if stored is not None:
        _show_verification(*stored)


def _show_verification(result: contract.VerificationOut, verified_at: dt.datetime) -> None:
    with st.container(border=True):
        st.caption(ui.t("audit.verified_at", when=ui.when(verified_at, seconds=True)))
        if result.valid:
            st.success(ui.t("audit.valid", events=ui.num(result.events_checked), checkpoints=ui.num(result.checkpoints_checked)))
        else:
            st.error(ui.t("audit.invalid", seq=result.first_invalid_seq if result.first_invalid_seq is not None else "?",
                          reason=_reason(result.reason_code)))
        # Events are committed by the requests and chained behind them by the sequencer.
        if result.unchained_events:
            st.caption(ui.t("audit.backlog", count=ui.num(result.unchained_events),
                            seconds=ui.num(result.sequencer_lag_seconds or 0, 1)))
        else:
            st.caption(ui.t("audit.no_backlog"))


def _reason(code: str | None) -> str:
    """Why the verification failed, in the page's language, from the answer's ``reason_code``
    (its ``reason`` is English, for people reading the API and the CLI)."""
    other = ui.t("audit.reason.other")
    return ui.t_or(f"audit.reason.{code}", other) if code else other


def _day_bound(day: dt.date, end: bool) -> str:
    """A whole day in Paris time, as the instant the API filters on."""
    moment = dt.datetime.combine(day + dt.timedelta(days=1) if end else day, dt.time.min, TIMEZONE)
    return moment.astimezone(dt.UTC).isoformat()


def _filters() -> dict[str, Any]:
    with st.form("audit_filters"):
        st.markdown(f"**{ui.t('audit.filters')}**")
        # Streamlit forgets a widget's value once a run does not draw it (the officer went to
        # another page): the form starts from the filters the table is filtered by, so it
        # always says what the table shows.
        applied = st.session_state.get(APPLIED_KEY, {})
        a, b, c = st.columns(3)
        actor = a.text_input(ui.t("audit.actor"), value=applied.get("actor", ""), key="audit_actor")
        action = b.text_input(ui.t("audit.action"), value=applied.get("action", ""), key="audit_action",
                              help=ui.t("audit.action_help"))
        outcome = ui.choice(c.selectbox, ui.t("audit.outcome"), OUTCOMES, index=OUTCOMES.index(applied.get("outcome", "")),
                            format_func=lambda o: ui.t(f"outcome.{o}") if o else ui.t("audit.any"), key="audit_outcome")
        g, d, e, f = st.columns(4)
        client_id = g.text_input(ui.t("audit.client"), value=applied.get("client_id", ""), key="audit_client",
                                 help=ui.t("audit.client_help"))
        since = d.date_input(ui.t("audit.from"), value=applied.get("since"), key="audit_from", format="DD/MM/YYYY")
        until = e.date_input(ui.t("audit.to"), value=applied.get("until"), key="audit_to", format="DD/MM/YYYY")
        limit = f.selectbox(ui.t("audit.page_size"), PAGE_SIZES, index=PAGE_SIZES.index(applied.get("limit", 50)),
                            key="audit_limit")
        if st.form_submit_button(ui.t("audit.search"), type="primary"):
            applied = st.session_state[APPLIED_KEY] = {"actor": actor, "action": action, "outcome": outcome,
                                                       "client_id": client_id, "since": since, "until": until,
                                                       "limit": limit}
            st.session_state[CURSORS_KEY] = [None]
    return _api_filters(applied)


def _api_filters(applied: dict[str, Any]) -> dict[str, Any]:
    """The submitted form as the API's query parameters (a whole Paris day for each date)."""
    since, until = applied.get("since"), applied.get("until")
    return {
        "actor": (applied.get("actor") or "").strip() or None,
        "action": (applied.get("action") or "").strip() or None,
        "outcome": applied.get("outcome") or None,
        # As the look-ups read it ("00100006" is 100006); an id the API would refuse is said here.
        "client_id": ui.valid_client_id(applied["client_id"]) if (applied.get("client_id") or "").strip() else None,
        "client_id_typed": (applied.get("client_id") or "").strip() or None,
        "from": _day_bound(since, end=False) if since else None,
        "to": _day_bound(until, end=True) if until else None,
        "limit": applied.get("limit", 50),
    }


def _events(filters: dict[str, Any]) -> None:
    cursors: list[str | None] = st.session_state.setdefault(CURSORS_KEY, [None])
    page = ui.fetch_as(contract.AuditPage, "/audit/events", **filters, cursor=cursors[-1])
    if page is None:
        return
    st.caption(ui.t("audit.page", page=len(cursors)))
    if not page.events:
        st.info(ui.t("audit.empty"))
    else:
        ui.table(
            pd.DataFrame({
                ui.t("audit.col.seq"): [e.seq for e in page.events],
                ui.t("audit.col.when"): [ui.when(e.ts, seconds=True) for e in page.events],
                ui.t("audit.actor"): [e.actor or "—" for e in page.events],
                ui.t("users.role"): [ui.role(e.role) for e in page.events],
                ui.t("audit.action"): [e.action for e in page.events],
                ui.t("audit.col.resource"): [ui.short_resource(e.resource) for e in page.events],
                ui.t("audit.outcome"): [ui.t_or(f"outcome.{e.outcome}", e.outcome) for e in page.events],
                ui.t("audit.col.ip"): [e.ip or "—" for e in page.events],
                ui.t("audit.col.model_version"): [e.model_version or "—" for e in page.events],
            }),
        )
    left, right = st.columns(2)
    if len(cursors) > 1 and left.button(ui.t("audit.first"), key="audit_first"):
        st.session_state[CURSORS_KEY] = [None]
        st.rerun()
    if page.next_cursor is not None and right.button(ui.t("audit.next"), key="audit_next"):
        cursors.append(str(page.next_cursor))
        st.rerun()


def _filters_text(filters: dict[str, Any]) -> str:
    """The filters the table (and so the export) applies, in words: the form's fields may have
    been changed since without "Rechercher" (an export of none under empty-looking fields)."""
    applied = st.session_state.get(APPLIED_KEY, {})
    parts = [ui.t("audit.export_filter", field=ui.t(label), value=value)
             for label, value in (("audit.actor", filters.get("actor")), ("audit.action", filters.get("action")),
                                  ("audit.client", filters.get("client_id"))) if value]
    if filters.get("outcome"):
        parts.append(ui.t("audit.outcome") + ui.colon() + ui.t("outcome." + str(filters["outcome"])))
    for label, day in (("audit.from", applied.get("since")), ("audit.to", applied.get("until"))):
        if day:
            parts.append(f"{ui.t(label)} {ui.day(day)}")
    return ui.t("audit.export_filters", filters=" · ".join(parts)) if parts else ui.t("audit.export_all")


@st.fragment
def _export(filters: dict[str, Any]) -> None:
    """A fragment: choosing the format or preparing the export reads the trail's page above no
    second time (its filters change only with the search form, which runs the whole page)."""
    st.subheader(ui.t("audit.export"))
    st.caption(_filters_text(filters))
    left, right = st.columns([1, 3])
    fmt = left.radio(ui.t("audit.export_format"), ("jsonl", "csv"), horizontal=True, key="audit_export_format",
                     format_func=lambda f: ui.t(f"audit.format.{f}"))
    params = {k: v for k, v in filters.items() if k != "limit"}
    if right.button(ui.t("audit.export_prepare"), key="audit_export_prepare", icon=":material/download:"):
        export = ui.call(ui.client().download, "/audit/export", {"format": fmt, **params})
        if export is not None:
            st.session_state[EXPORT_KEY] = (export.content, export.filename or f"octroi-audit.{fmt}", export.media_type,
                                            (fmt, repr(sorted(params.items()))))
            st.success(ui.t("audit.export_ready", size=ui.num(len(export.content) / 1024, 1)))
    stored = st.session_state.get(EXPORT_KEY)
    # Only the export prepared for the format and filters shown: a JSON Lines file kept after
    # choosing CSV was downloaded under the CSV choice (found in Chromium).
    if stored and stored[3:] == ((fmt, repr(sorted(params.items()))),):
        st.download_button(ui.t("audit.export_download"), data=stored[0], file_name=stored[1], mime=stored[2], key="audit_export_download",
                           on_click="ignore")


def audit_page() -> None:
    st.title(ui.t("audit.title"))
    _verify()
    filters = _filters()
    if filters.pop("client_id_typed") and filters["client_id"] is None:
        st.error(ui.t("client.bad_id"))
        return
    if filters["from"] and filters["to"] and filters["from"] >= filters["to"]:
        # "Du" after "Au": said here, not an empty table that would read "nothing happened".
        st.error(ui.t("audit.bad_period"))
        return
    _events(filters)
    _export(filters)
