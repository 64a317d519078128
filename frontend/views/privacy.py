"""GDPR pages: data-subject requests (Art. 15/20 export, Art. 17 erasure) and the overrides
report for the compliance role; the Art. 30 register for every role.

The API audits each of these calls and refuses them fail-closed; this module only decides
when to call. An export is fetched once per look-up (and language), not on every rerun, so
the audit trail counts the exports a compliance officer actually asked for.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
import streamlit as st

from frontend import charts, ui
from frontend.api import ApiError, ErrorKind
from frontend.views import decisions as decisions_view

SUBJECT_KEY = "privacy_subject_id"
EXPORT_KEY = "privacy_export"  # (client id, lang, export) of the last look-up
ERASED_KEY = "privacy_erased"  # (client id, erasure result)
OVERRIDES_DAYS = 30


def valid_client_id(raw: str) -> str | None:
    """The bank id as the API expects it (digits, no leading zeros), or None."""
    candidate = raw.strip()
    if not candidate.isdigit() or int(candidate) <= 0:
        return None
    return str(int(candidate))


def _ts(value: Any) -> str:
    """An ISO 8601 timestamp as ``YYYY-MM-DD HH:MM`` (the API answers in UTC)."""
    text = str(value or "—")
    return text[:16].replace("T", " ")


def _verdict(value: Any) -> str:
    return ui.t(f"decision.{value}") if value in ("approve", "refuse") else str(value)


def _text_frame(columns: dict[str, list[Any]]) -> pd.DataFrame:
    # Stored values mix numbers, text and blanks: shown as text so one column has one type.
    return pd.DataFrame({name: ["—" if v is None else str(v) for v in values] for name, values in columns.items()})


# ----------------------------------------------------------------------------- data-subject requests


def _lookup() -> str | None:
    with st.form("subject_lookup"):
        raw = st.text_input(ui.t("client.lookup"), help=ui.t("client.lookup_help"), key="subject_lookup_id")
        if st.form_submit_button(ui.t("subject.open"), type="primary"):
            client_id = valid_client_id(raw)
            if client_id is None:
                st.error(ui.t("client.bad_id"))
            else:
                st.session_state[SUBJECT_KEY] = client_id
                st.session_state.pop(EXPORT_KEY, None)
                st.session_state.pop(ERASED_KEY, None)
    return st.session_state.get(SUBJECT_KEY)


def _load_export(client_id: str) -> dict[str, Any] | None:
    stored = st.session_state.get(EXPORT_KEY)
    if stored and stored[0] == client_id and stored[1] == ui.lang():
        return stored[2]
    try:
        with st.spinner(ui.t("common.loading")):
            export = ui.client().get(f"/privacy/clients/{client_id}/export", {"lang": ui.lang()})
    except ApiError as error:
        if error.kind is ErrorKind.not_found:
            st.warning(ui.t("client.unknown", client_id=client_id))
            return None
        ui.show_error(error)
        return None
    export = ui.require_mapping(export)
    if export is not None:
        st.session_state[EXPORT_KEY] = (client_id, ui.lang(), export)
    return export


def render_export(export: dict[str, Any]) -> None:
    subject = ui.pick(export, "subject", default={})
    st.caption(ui.t("subject.generated", ts=_ts(ui.pick(export, "generated_at"))))
    pseudonym = str(ui.pick(subject, "pseudonym", default="—"))
    st.download_button(
        ui.t("subject.download"),
        data=json.dumps(export, ensure_ascii=False, indent=2).encode("utf-8"),
        # Named after the pseudonym, not the bank id: the file may travel by e-mail.
        file_name=f"octroi-export-{pseudonym[:12]}.json",
        mime="application/json",
        key="subject_download",
        icon=":material/download:",
    )
    note = ui.pick(export, "controller_note")
    if note:
        st.info(str(note))
    cols = st.columns(3)
    cols[0].metric(ui.t("subject.pseudonym"), pseudonym[:12] + "…")
    cols[1].metric(ui.t("subject.key_version"), str(ui.pick(subject, "key_version", default="—")))
    cols[2].metric(ui.t("subject.imported_at"), _ts(ui.pick(subject, "imported_at"))[:10])

    stored = [f for f in ui.pick(export, "stored_data", default=[]) if isinstance(f, dict)]
    with st.expander(f"{ui.t('subject.stored')} — {ui.t('subject.stored_count', count=len(stored))}", expanded=False):
        st.dataframe(
            _text_frame(
                {
                    ui.t("field.label"): [ui.pick(f, "label") for f in stored],
                    ui.t("field.feature"): [ui.pick(f, "feature") for f in stored],
                    ui.t("common.value"): [ui.pick(f, "value") for f in stored],
                }
            ),
            hide_index=True,
        )
    _automated(export)
    _human_decisions(export)
    decisions_view.render_reproduce(export)
    _audit_events(export)


def _automated(export: dict[str, Any]) -> None:
    st.subheader(ui.t("subject.automated"))
    automated = ui.pick(export, "automated_decision")
    if not isinstance(automated, dict):
        st.info(ui.t("subject.automated_none", reason=ui.pick(export, "automated_decision_unavailable", default="—")))
        return
    cols = st.columns(4)
    cols[0].metric(ui.t("field.recommendation"), _verdict(ui.pick(automated, "recommendation")))
    cols[1].metric(ui.t("score.title"), ui.pct(ui.pick(automated, "probability")))
    cols[2].metric(ui.t("model.threshold"), ui.pct(ui.pick(automated, "threshold")))
    cols[3].metric(ui.t("score.display"), ui.num(ui.pick(automated, "display_score")))
    st.caption(
        f"{ui.t('score.model_version', version=ui.pick(automated, 'model_version', default='—'))} · "
        f"{ui.t('model.costs')} : {ui.show_value(ui.pick(automated, 'cost_fn'))} / {ui.show_value(ui.pick(automated, 'cost_fp'))} · "
        f"{ui.t('subject.features_used', count=len(ui.pick(automated, 'features_used', default=[])))}"
    )
    text = ui.pick(automated, "explanation_text")
    if text:
        st.info(str(text))
    rows = [r for r in ui.pick(automated, "contributions", default=[]) if isinstance(r, dict)]
    if rows:
        st.dataframe(
            _text_frame(
                {
                    ui.t("field.label"): [ui.pick(r, "label") for r in rows],
                    ui.t("common.value"): [ui.show_value(ui.pick(r, "value")) for r in rows],
                    ui.t("field.effect"): [f"{float(ui.pick(r, 'effect', default=0.0)) * 100:+.1f}" for r in rows],
                }
            ),
            hide_index=True,
        )


def _human_decisions(export: dict[str, Any]) -> None:
    st.subheader(ui.t("subject.human"))
    rows = [r for r in ui.pick(export, "human_decisions", default=[]) if isinstance(r, dict)]
    if not rows:
        st.caption(ui.t("subject.human_none"))
        return
    st.dataframe(
        _text_frame(
            {
                ui.t("field.when"): [_ts(ui.pick(r, "decided_at")) for r in rows],
                ui.t("field.decision"): [_verdict(ui.pick(r, "decision")) for r in rows],
                ui.t("field.recommendation"): [_verdict(ui.pick(r, "recommendation")) for r in rows],
                ui.t("field.override"): [ui.show_value(bool(ui.pick(r, "is_override", default=False))) for r in rows],
                ui.t("field.reason"): [ui.pick(r, "reason") for r in rows],
                ui.t("field.model_version"): [ui.pick(r, "model_version") for r in rows],
            }
        ),
        hide_index=True,
    )


def _audit_events(export: dict[str, Any]) -> None:
    st.subheader(ui.t("subject.events"))
    rows = [r for r in ui.pick(export, "audit_events", default=[]) if isinstance(r, dict)]
    if not rows:
        st.caption(ui.t("subject.events_none"))
        return
    st.dataframe(
        _text_frame(
            {
                ui.t("field.when"): [_ts(ui.pick(r, "ts")) for r in rows],
                ui.t("field.role"): [ui.pick(r, "actor_role") for r in rows],
                ui.t("field.action"): [ui.pick(r, "action") for r in rows],
                ui.t("field.outcome"): [ui.pick(r, "outcome") for r in rows],
            }
        ),
        hide_index=True,
    )


def _show_erasure(result: dict[str, Any]) -> None:
    st.success(
        ui.t(
            "subject.erased",
            ts=_ts(ui.pick(result, "erased_at")),
            features=ui.show_value(bool(ui.pick(result, "features_deleted", default=False))),
            cache=ui.show_value(bool(ui.pick(result, "cache_invalidated", default=False))),
            tombstone=ui.show_value(bool(ui.pick(result, "tombstone_kept", default=False))),
            decisions=ui.num(ui.pick(result, "decisions_anonymised", default=0)),
        ),
        icon=":material/delete_forever:",
    )


def render_erasure(client_id: str) -> None:
    st.warning(ui.t("subject.erase_intro"), icon=":material/warning:")
    with st.form("subject_erase", clear_on_submit=True):
        retyped = st.text_input(ui.t("subject.erase_retype"), key="erase_confirm_id")
        acknowledged = st.checkbox(ui.t("subject.erase_ack"), key="erase_ack")
        submitted = st.form_submit_button(ui.t("subject.erase_submit"), type="primary", icon=":material/delete_forever:")
    if not submitted:
        return
    # Both confirmations, checked before any call: a slip of the finger changes nothing.
    if valid_client_id(retyped) != client_id:
        st.error(ui.t("subject.erase_mismatch", client_id=client_id))
        return
    if not acknowledged:
        st.error(ui.t("subject.erase_unchecked"))
        return
    try:
        with st.spinner(ui.t("common.loading")):
            result = ui.client().delete(f"/privacy/clients/{client_id}")
    except ApiError as error:
        if error.kind is ErrorKind.not_found:
            st.warning(ui.t("client.unknown", client_id=client_id))
            return
        ui.show_error(error)
        return
    result = ui.require_mapping(result)
    if result is None:
        return
    st.session_state.pop(EXPORT_KEY, None)
    st.session_state[ERASED_KEY] = (client_id, result)
    st.rerun()


def subject_request_page() -> None:
    st.title(ui.t("subject.title"))
    st.caption(ui.t("subject.intro"))
    client_id = _lookup()
    if not client_id:
        st.info(ui.t("client.prompt"))
        return
    erased = st.session_state.get(ERASED_KEY)
    if erased and erased[0] == client_id:
        _show_erasure(erased[1])
        return
    export = _load_export(client_id)
    if export is None:
        return
    tabs = st.tabs([ui.t("subject.tab.export"), ui.t("subject.tab.erase")])
    with tabs[0]:
        render_export(export)
    with tabs[1]:
        render_erasure(client_id)


# ----------------------------------------------------------------------------- overrides report


def _period() -> tuple[dt.datetime, dt.datetime, dt.date, dt.date] | None:
    today = dt.datetime.now(dt.UTC).date()
    picked = st.date_input(
        ui.t("overrides.period"),
        value=(today - dt.timedelta(days=OVERRIDES_DAYS), today),
        max_value=today,
        key="overrides_period",
    )
    if not isinstance(picked, tuple | list) or len(picked) != 2:
        # Streamlit hands back one date while the second one is still being picked.
        st.info(ui.t("overrides.bad_period"))
        return None
    start, end = picked
    # Whole days: from the first day's midnight to the midnight after the last day (the API's
    # upper bound is exclusive).
    return (
        dt.datetime.combine(start, dt.time.min, dt.UTC),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, dt.UTC),
        start,
        end,
    )


def overrides_page() -> None:
    st.title(ui.t("overrides.title"))
    st.caption(ui.t("overrides.intro"))
    period = _period()
    if period is None:
        return
    start, end, first_day, last_day = period
    report = ui.require_mapping(ui.fetch("/privacy/overrides", **{"from": start.isoformat(), "to": end.isoformat()}))
    if report is None:
        return
    st.caption(ui.t("overrides.range", start=first_day.isoformat(), end=last_day.isoformat()))
    overall = ui.pick(report, "overall", default={})
    cards = st.columns(5)
    cards[0].metric(ui.t("overrides.decisions"), ui.num(ui.pick(overall, "decisions", default=0)), border=True)
    cards[1].metric(ui.t("overrides.overrides"), ui.num(ui.pick(overall, "overrides", default=0)), border=True)
    cards[2].metric(ui.t("overrides.rate"), ui.pct(ui.pick(overall, "override_rate")), border=True)
    cards[3].metric(ui.t("overrides.approved_against"), ui.num(ui.pick(overall, "approved_against_refusal", default=0)), border=True)
    cards[4].metric(ui.t("overrides.refused_against"), ui.num(ui.pick(overall, "refused_against_approval", default=0)), border=True)
    advisors = [a for a in ui.pick(report, "advisors", default=[]) if isinstance(a, dict)]
    if not advisors:
        st.info(ui.t("overrides.empty"))
        return
    st.subheader(ui.t("overrides.per_advisor"))
    names = [str(ui.pick(a, "advisor", default="?")) for a in advisors]
    left, right = st.columns([3, 2])
    left.dataframe(
        pd.DataFrame(
            {
                ui.t("overrides.advisor"): names,
                ui.t("overrides.decisions"): [int(ui.pick(a, "decisions", default=0)) for a in advisors],
                ui.t("overrides.overrides"): [int(ui.pick(a, "overrides", default=0)) for a in advisors],
                ui.t("overrides.rate"): [ui.pct(ui.pick(a, "override_rate")) for a in advisors],
                ui.t("overrides.approved_against"): [int(ui.pick(a, "approved_against_refusal", default=0)) for a in advisors],
                ui.t("overrides.refused_against"): [int(ui.pick(a, "refused_against_approval", default=0)) for a in advisors],
            }
        ),
        hide_index=True,
    )
    right.plotly_chart(
        charts.horizontal_bars(names, [float(ui.pick(a, "override_rate", default=0.0)) for a in advisors],
                               ui.t("overrides.rate"), percent=True),
        key="overrides_chart",
        config={"displayModeBar": False},
    )
    decisions_view.render_override_extras(report)


# ----------------------------------------------------------------------------- Art. 30 register


def _bullets(items: Any) -> None:
    for item in items if isinstance(items, list) else []:
        st.markdown(f"- {item}")


def _key_values(mapping: Any) -> None:
    for key, value in mapping.items() if isinstance(mapping, dict) else []:
        st.markdown(f"- **{key}** : {ui.show_value(value) if not isinstance(value, list | dict) else json.dumps(value, ensure_ascii=False)}")


def register_page() -> None:
    st.title(ui.t("register.title"))
    register = ui.require_mapping(ui.fetch("/privacy/register"))
    if register is None:
        return
    st.caption(ui.t("register.intro", ts=_ts(ui.pick(register, "generated_at"))))
    st.markdown(f"**{ui.t('register.controller')}** : {ui.pick(register, 'controller', default='—')}")
    with st.expander(ui.t("register.system")):
        _key_values(ui.pick(register, "system", default={}))
    st.subheader(ui.t("register.purposes"))
    purposes = [p for p in ui.pick(register, "purposes", default=[]) if isinstance(p, dict)]
    if purposes:
        st.dataframe(pd.DataFrame(purposes), hide_index=True)
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{ui.t('register.legal_bases')}**")
        _bullets(ui.pick(register, "legal_bases", default=[]))
    with right:
        st.markdown(f"**{ui.t('register.subjects')}**")
        _bullets(ui.pick(register, "data_subjects", default=[]))
    st.subheader(ui.t("register.recipients"))
    recipients = [r for r in ui.pick(register, "recipients", default=[]) if isinstance(r, dict)]
    st.dataframe(
        _text_frame(
            {
                ui.t("field.role"): [ui.pick(r, "role") for r in recipients],
                ui.t("register.col.access"): [ui.pick(r, "personal_data_access") for r in recipients],
                ui.t("register.col.permissions"): [", ".join(map(str, ui.pick(r, "permissions", default=[]))) for r in recipients],
            }
        ),
        hide_index=True,
    )
    st.subheader(ui.t("register.retention"))
    retention = [r for r in ui.pick(register, "retention", default=[]) if isinstance(r, dict)]
    st.dataframe(
        _text_frame(
            {
                ui.t("register.col.data"): [ui.pick(r, "data") for r in retention],
                ui.t("register.col.period"): [ui.pick(r, "period") for r in retention],
                ui.t("register.col.setting"): [ui.pick(r, "setting") for r in retention],
                ui.t("register.col.value"): [ui.pick(r, "value") for r in retention],
            }
        ),
        hide_index=True,
    )
    st.subheader(ui.t("register.categories"))
    tables = [r for r in ui.pick(register, "data_categories", default=[]) if isinstance(r, dict)]
    st.dataframe(
        _text_frame(
            {
                ui.t("register.col.table"): [ui.pick(r, "table") for r in tables],
                ui.t("register.col.category"): [ui.pick(r, "category") for r in tables],
                ui.t("register.col.personal"): [ui.show_value(bool(ui.pick(r, "personal_data", default=False))) for r in tables],
                ui.t("register.col.columns"): [", ".join(map(str, ui.pick(r, "columns", default=[]))) for r in tables],
            }
        ),
        hide_index=True,
    )
    features = [f for f in ui.pick(register, "model_features", default=[]) if isinstance(f, dict)]
    with st.expander(ui.t("register.features", count=len(features))):
        st.dataframe(
            _text_frame({ui.t("field.feature"): [ui.pick(f, "name") for f in features],
                         ui.t("field.label"): [ui.pick(f, "label") for f in features]}),
            hide_index=True,
        )
    st.subheader(ui.t("register.security"))
    _bullets(ui.pick(register, "security_measures", default=[]))
    st.subheader(ui.t("register.processors"))
    processors = [p for p in ui.pick(register, "processors", default=[]) if isinstance(p, dict)]
    if processors:
        st.dataframe(pd.DataFrame(processors), hide_index=True)
    st.markdown(f"**{ui.t('register.transfers')}** : {ui.pick(register, 'transfers_outside_eu', default='—')}")
    st.subheader(ui.t("register.automated"))
    _key_values(ui.pick(register, "automated_decision_making", default={}))
