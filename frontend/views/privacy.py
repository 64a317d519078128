"""GDPR pages: data-subject requests (Art. 15/20 export, Art. 17 erasure) and the overrides
report for the compliance role; the Art. 30 register for every role.

The API audits each of these calls and refuses them fail-closed; this module only decides
when to call. An export is fetched once per look-up, not on every rerun nor on a language
switch (then on request only), so the audit trail counts the exports a compliance officer
actually asked for and the hourly export budget is not spent by the page itself; a look-up
runs its own part of the page (a fragment), not the pending requests' and the retention's
reads. The erasure and reproduction tabs work without the export (its budget spent, say).
"""

from __future__ import annotations

import copy
import datetime as dt
import time
from typing import Any

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from frontend import charts, contract, ui
from frontend.api import ApiError, ErrorKind
from frontend.views import decisions as decisions_view

SUBJECT_KEY = "privacy_subject_id"
EXPORT_KEY = "privacy_export"  # (client id, lang, export) on screen
EXPORTS_KEY = "privacy_exports"  # (client id, {lang: export}): the look-up's exports, each language once
EXPORT_FAILED_KEY = "privacy_export_failed"  # (client id, lang, ApiError, time.time()) of a refused export
ERASED_KEY = "privacy_erased"  # (client id, erasure result)
REQUESTED_KEY = "privacy_erase_requested"  # (client id, erasure request) this officer just made
REFUSED_KEY = "privacy_erase_refused"  # the number of the request just refused (said once)
STATUS_KEY = "privacy_status"  # (client id, erasure status) when no current client holds the id
OVERRIDES_DAYS = 30


def _ts(value: Any) -> str:
    """A timestamp as local Paris time, the page's way (the API answers in UTC)."""
    return ui.when(value)


def _verdict(value: Any) -> str:
    return ui.t(f"decision.{value}") if value in ("approve", "refuse") else str(value)


def _text_frame(columns: dict[str, list[Any]]) -> pd.DataFrame:
    # Stored values mix numbers, text and blanks: shown as text so one column has one type.
    return pd.DataFrame({name: ["—" if v is None else str(v) for v in values] for name, values in columns.items()})


# ----------------------------------------------------------------------------- data-subject requests


def _lookup() -> tuple[str | None, bool]:
    """The subject on screen, and whether the id just typed was refused. Any new look-up,
    refused or not, first forgets the previous subject: nothing of it (its export, its erasure
    tab, an error about it) stays under an id it is not."""
    with st.form("subject_lookup"):
        raw = st.text_input(ui.t("client.lookup"), help=ui.t("client.lookup_help"), key="subject_lookup_id")
        if st.form_submit_button(ui.t("subject.open"), type="primary"):
            for key in (SUBJECT_KEY, EXPORT_KEY, EXPORTS_KEY, EXPORT_FAILED_KEY, ERASED_KEY, REQUESTED_KEY, STATUS_KEY):
                st.session_state.pop(key, None)
            ui.new_subject()
            client_id = ui.valid_client_id(raw)
            if client_id is None:
                st.error(ui.t("client.bad_id"))
                return None, True
            st.session_state[SUBJECT_KEY] = client_id
    return st.session_state.get(SUBJECT_KEY), False


def _show_status(client_id: str, status: contract.ErasureStatus) -> None:
    if status.status == "erased":
        st.warning(ui.t("subject.status_erased", client_id=client_id, ts=_ts(status.erased_at)),
                   icon=":material/delete_forever:")
    else:  # "unknown" (or a client imported between the two calls: the next look-up shows it)
        st.warning(ui.t("subject.status_unknown", client_id=client_id, versions=ui.num(status.key_versions_checked)))


def _erasure_status(client_id: str) -> None:
    """No current client under the id: ask the API whether it was erased, and when (compliance
    only; the other roles' pages only ever learn "not found"). Asked once per look-up."""
    stored = st.session_state.get(STATUS_KEY)
    if stored and stored[0] == client_id:
        _show_status(client_id, stored[1])
        return
    try:
        status = ui.parse(contract.ErasureStatus, ui.client().get(f"/privacy/clients/{client_id}/erasure"))
    except ApiError as error:
        if error.kind is ErrorKind.not_found:
            st.warning(ui.t("client.unknown", client_id=client_id))
        else:
            ui.show_error(error)
        return
    if status is not None:
        st.session_state[STATUS_KEY] = (client_id, status)
        _show_status(client_id, status)


def _exports(client_id: str) -> dict[str, contract.ClientExport]:
    """The exports of this look-up, by language."""
    held = st.session_state.get(EXPORTS_KEY)
    return held[1] if held and held[0] == client_id else {}


def _fetch_export(client_id: str, lang: str) -> bool:
    """Ask the API for the export in ``lang`` (audited, spends the hourly export budget).
    False when the id holds no current client (then its erasure status is on screen)."""
    st.session_state.pop(EXPORT_FAILED_KEY, None)
    try:
        with st.spinner(ui.t("common.loading")):
            answer = ui.client().get(f"/privacy/clients/{client_id}/export", {"lang": lang})
        export = contract.ClientExport.model_validate(answer)
    except ApiError as error:
        if error.kind is ErrorKind.not_found:
            _erasure_status(client_id)
            return False
        if error.kind in (ErrorKind.session_expired, ErrorKind.password_change_required):
            ui.show_error(error)  # back to the login or password page
        # Kept for the export tab, with when it happened: the other tabs go on without it.
        st.session_state[EXPORT_FAILED_KEY] = (client_id, lang, error, time.time())
        return True
    except ValidationError:
        st.session_state[EXPORT_FAILED_KEY] = (client_id, lang, ApiError(ErrorKind.malformed), time.time())
        return True
    st.session_state[EXPORTS_KEY] = (client_id, {**_exports(client_id), lang: export})
    return True


def _load_export(client_id: str) -> tuple[bool, contract.ClientExport | None]:
    """(does a current client hold the id, the export to show). The export is fetched once per
    look-up in the page's language; after a language switch the one already fetched stays
    (``_export_tab`` offers it in the new language on request), after a refusal it waits for
    the officer's retry: no rerun exports, audits or spends the budget by itself."""
    status = st.session_state.get(STATUS_KEY)
    if status and status[0] == client_id:
        _show_status(client_id, status[1])  # already known to hold no current client
        return False, None
    held = _exports(client_id)
    failed = st.session_state.get(EXPORT_FAILED_KEY)
    if not held and not (failed and failed[0] == client_id) and not _fetch_export(client_id, ui.lang()):
        return False, None
    held = _exports(client_id)
    lang = ui.lang() if ui.lang() in held else next(iter(held), None)
    if lang is None:
        st.session_state.pop(EXPORT_KEY, None)
        return True, None
    st.session_state[EXPORT_KEY] = (client_id, lang, held[lang])
    return True, held[lang]


def _export_tab(client_id: str, export: contract.ClientExport | None) -> None:
    failed = st.session_state.get(EXPORT_FAILED_KEY)
    if failed and failed[0] == client_id:
        error = copy.copy(failed[2])
        if error.retry_after:  # the wait still left, not the one said when it was refused
            error.retry_after = max(1, round(error.retry_after - (time.time() - failed[3])))
        st.error(ui.error_message(error))
        again = ui.t("subject.export_retry") if export is None else ui.t("subject.export_in_lang")
        if st.button(again, key="subject_export_retry", icon=":material/refresh:"):
            _fetch_export(client_id, ui.lang())
            ui.rerun_part()
    elif export is not None and export.lang != ui.lang():
        # A language switch is not a request: the export on screen stays until asked for.
        st.caption(ui.t("subject.export_other_lang", language=ui.t(f"subject.lang.{export.lang}")))
        if st.button(ui.t("subject.export_in_lang"), key="subject_export_lang", icon=":material/translate:"):
            _fetch_export(client_id, ui.lang())
            ui.rerun_part()
    if export is not None:
        _download(export)  # the page's control, in the page's language
        # In its own language, headings, values and amounts alike: the caption above says so.
        with ui.speaking(export.lang):
            render_export(export)


def _reproduce_tab(export: contract.ClientExport | None) -> None:
    """Compliance recomputes a past decision: picked from the export's decisions, or, without
    the export, by its number."""
    if export is not None:
        if not any(d.id for d in export.human_decisions):
            st.caption(ui.t("subject.human_none"))
            return
        decisions_view.render_reproduce(export)
        return
    st.caption(ui.t("subject.reproduce_by_id"))
    typed = st.number_input(ui.t("lifecycle.decision_id"), min_value=1, step=1, value=None, format="%d",
                            key=ui.about_subject("reproduce_decision_id"))
    if typed is None:
        return
    # The reproduction reads only the decisions' numbers: one, the typed one.
    one = contract.ClientExport.model_construct(human_decisions=[contract.ExportHumanDecision.model_construct(id=int(typed))])
    decisions_view.render_reproduce(one)


def _download(export: contract.ClientExport) -> None:
    st.download_button(
        ui.t("subject.download"),
        data=export.model_dump_json(indent=2).encode("utf-8"),
        # Named after the pseudonym, not the bank id: the file may travel by e-mail.
        file_name=f"octroi-export-{str(export.subject.pseudonym)[:12]}.json",
        mime="application/json",
        key="subject_download",
        icon=":material/download:",
        on_click="ignore",  # a download reads nothing again
    )


def render_export(export: contract.ClientExport) -> None:
    subject = export.subject
    st.caption(ui.t("subject.generated", ts=_ts(export.generated_at)))
    pseudonym = str(subject.pseudonym)
    note = export.controller_note
    if note:
        st.info(str(note))
    cols = st.columns(3)
    cols[0].metric(ui.t("subject.pseudonym"), ui.short_resource(pseudonym))
    cols[1].metric(ui.t("subject.key_version"), str(subject.key_version))
    cols[2].metric(ui.t("subject.imported_at"), ui.when(subject.imported_at))

    stored = list(export.stored_data)
    with st.expander(f"{ui.t('subject.stored')} — {ui.t('subject.stored_count', count=len(stored))}", expanded=False):
        # As the client reads them (the API words them in the export's language), the bank's
        # own code beside for the officer.
        st.dataframe(
            _text_frame(
                {
                    ui.t("field.label"): [f.label for f in stored],
                    ui.t("common.value"): [f.value for f in stored],
                    ui.t("field.feature"): [f.feature for f in stored],
                    ui.t("subject.raw_value"): [f.raw_value for f in stored],
                }
            ),
            hide_index=True,
        )
    _automated(export)
    _human_decisions(export)
    _audit_events(export)


def _automated(export: contract.ClientExport) -> None:
    st.subheader(ui.t("subject.automated"))
    automated = export.automated_decision
    if automated is None:
        st.info(ui.t("subject.automated_none", reason=export.automated_decision_unavailable))
        return
    cols = st.columns(4)
    cols[0].metric(ui.t("field.recommendation"), ui.recommendation(automated.recommendation))
    cols[1].metric(ui.t("score.title"), ui.pct(automated.probability))
    cols[2].metric(ui.t("model.threshold"), ui.pct(automated.threshold))
    cols[3].metric(ui.t("score.display"), ui.num(automated.display_score))
    st.caption(
        f"{ui.t('score.model_version', version=automated.model_version)} · "
        f"{ui.t('model.costs')}{ui.colon()}{ui.show_value(automated.cost_fn)} / {ui.show_value(automated.cost_fp)} · "
        f"{ui.t('subject.features_used', count=len(automated.features_used))}"
    )
    if automated.unlearned_unknowns:
        # As on the advisor's file: blanks the model never learned make the score indicative.
        st.warning(ui.t("score.unlearned", fields=", ".join(u.label for u in automated.unlearned_unknowns)),
                   icon=":material/help:")
    if automated.beyond_training:
        # As on the advisor's file: values beyond the training population's ends make it an extrapolation.
        st.warning(ui.t("score.beyond_training", fields=", ".join(u.label for u in automated.beyond_training)),
                   icon=":material/warning:")
    text = automated.explanation_text
    if text:
        st.info(str(text))
    rows = list(automated.contributions)
    if rows:
        labels = [r.label for r in rows]
        values = [ui.feature_text(r.value, r.unit) for r in rows]
        effects = [ui.signed(100 * float(r.effect), 1) for r in rows]
        if automated.other_effect is not None and automated.other_count:
            # What the listed reasons leave out, so the effects add up to the probability.
            labels.append(ui.t("explanation.rest", count=automated.other_count))
            values.append("—")
            effects.append(ui.signed(100 * automated.other_effect, 1))
        ui.table(
            _text_frame(
                {
                    ui.t("field.label"): labels,
                    # Category levels in the page's language, as in the explanation sentence above.
                    ui.t("common.value"): values,
                    ui.t("field.effect"): effects,
                }
            ),
        )
        if automated.base_probability is not None and automated.reference_probability is not None:
            st.caption(ui.t("explanation.base", base=ui.pct(automated.base_probability),
                            reference=ui.pct(automated.reference_probability), probability=ui.pct(automated.probability)))


def _human_decisions(export: contract.ClientExport) -> None:
    st.subheader(ui.t("subject.human"))
    rows = list(export.human_decisions)
    if not rows:
        st.caption(ui.t("subject.human_none"))
        return
    ui.table(
        _text_frame(
            {
                ui.t("field.when"): [_ts(r.decided_at) for r in rows],
                ui.t("field.decision"): [_verdict(r.decision) for r in rows],
                ui.t("field.recommendation"): [ui.recommendation(r.recommendation) for r in rows],
                ui.t("field.override"): [ui.show_value(bool(r.is_override)) for r in rows],
                ui.t("field.reason"): [r.reason for r in rows],
                ui.t("field.model_version"): [r.model_version for r in rows],
            }
        ),
    )


def _audit_events(export: contract.ClientExport) -> None:
    st.subheader(ui.t("subject.events"))
    rows = list(export.audit_events)
    if not rows:
        st.caption(ui.t("subject.events_none"))
        return
    st.dataframe(
        _text_frame(
            {
                ui.t("field.when"): [_ts(r.ts) for r in rows],
                ui.t("field.role"): [ui.role(r.actor_role) for r in rows],
                ui.t("field.action"): [r.action_label or r.action for r in rows],
                ui.t("field.outcome"): [ui.t_or(f"outcome.{r.outcome}", r.outcome) for r in rows],
            }
        ),
        hide_index=True,
    )


def _show_erasure(result: contract.ErasureResult) -> None:
    st.success(
        ui.t(
            "subject.erased",
            ts=_ts(result.erased_at),
            features=ui.show_value(bool(result.features_deleted)),
            cache=ui.show_value(bool(result.cache_invalidated)),
            tombstone=ui.show_value(bool(result.tombstone_kept)),
            decisions=ui.num(result.decisions_anonymised),
        ),
        icon=":material/delete_forever:",
    )


def render_erasure(client_id: str) -> None:
    """Four-eyes: the first officer's submission records a request, another officer's (the
    same form, on the same client) confirms it and erases (``backend.privacy.erasure_requests``)."""
    requested = st.session_state.get(REQUESTED_KEY)
    if requested and requested[0] == client_id:
        request = requested[1]
        st.info(ui.t("subject.erase_requested", number=request.id, ts=_ts(request.requested_at),
                     expires=ui.when(request.expires_at)), icon=":material/group:")
    st.warning(ui.t("subject.erase_intro"), icon=":material/warning:")
    with st.form("subject_erase", clear_on_submit=True):
        # Keyed by the subject looked up: another subject's erasure starts unconfirmed.
        retyped = st.text_input(ui.t("subject.erase_retype"), key=ui.about_subject("erase_confirm_id"))
        acknowledged = st.checkbox(ui.t("subject.erase_ack"), key=ui.about_subject("erase_ack"))
        submitted = st.form_submit_button(ui.t("subject.erase_submit"), type="primary", icon=":material/delete_forever:")
    if not submitted:
        return
    # Both confirmations, checked before any call: a slip of the finger changes nothing.
    if ui.valid_client_id(retyped) != client_id:
        st.error(ui.t("subject.erase_mismatch", client_id=client_id))
        return
    if not acknowledged:
        st.error(ui.t("subject.erase_unchecked"))
        return
    try:
        with st.spinner(ui.t("common.loading")):
            answer = ui.client().delete(f"/privacy/clients/{client_id}")
    except ApiError as error:
        if error.kind is ErrorKind.not_found:
            st.warning(ui.t("client.unknown", client_id=client_id))
            return
        if error.code == "four_eyes":
            st.warning(ui.t("subject.erase_own_request"), icon=":material/group:")
            return
        ui.show_error(error)
        return
    if isinstance(answer, dict) and "erased_at" not in answer:
        request = ui.parse(contract.ErasureRequestOut, answer)
        if request is not None:
            st.session_state[REQUESTED_KEY] = (client_id, request)
            st.rerun()
        return
    result = ui.parse(contract.ErasureResult, answer)
    if result is None:
        return
    for key in (EXPORT_KEY, EXPORTS_KEY, EXPORT_FAILED_KEY, REQUESTED_KEY):
        st.session_state.pop(key, None)
    st.session_state[ERASED_KEY] = (client_id, result)
    st.rerun()


def _erasure_requests() -> None:
    """The erasure requests waiting for a second officer: who asked, when, until when; the
    requester may withdraw one, another officer refuse it. Confirming is erasing the client
    (its look-up, above): the bank id is not kept here."""
    st.subheader(ui.t("erasure_requests.title"))
    refused = st.session_state.pop(REFUSED_KEY, None)
    if refused is not None:
        st.success(ui.t("erasure_requests.refused", number=refused))
    listing = ui.fetch_as(contract.ErasureRequestList, "/privacy/erasure-requests")
    if listing is None:
        return
    if not listing.requests:
        st.caption(ui.t("erasure_requests.none"))
        return
    st.caption(ui.t("erasure_requests.intro"))
    ui.table(pd.DataFrame({
        ui.t("erasure_requests.number"): [str(r.id) for r in listing.requests],
        ui.t("erasure_requests.pseudonym"): [r.pseudonym[:12] + "…" for r in listing.requests],
        ui.t("erasure_requests.by"): [r.requested_by for r in listing.requests],
        ui.t("erasure_requests.at"): [_ts(r.requested_at) for r in listing.requests],
        ui.t("erasure_requests.expires"): [_ts(r.expires_at) for r in listing.requests],
    }))
    with st.form("erasure_request_refuse"):
        number = st.selectbox(ui.t("erasure_requests.choose"), [r.id for r in listing.requests],
                              key="erasure_request_number")
        refused = st.form_submit_button(ui.t("erasure_requests.refuse"), icon=":material/block:")
    if not refused:
        return
    answer = ui.call(ui.client().post, f"/privacy/erasure-requests/{number}/refuse")
    if answer is not None:
        st.session_state.pop(REQUESTED_KEY, None)
        st.session_state[REFUSED_KEY] = number  # said above the list, drawn again without it
        st.rerun()


def subject_request_page() -> None:
    st.title(ui.t("subject.title"))
    st.caption(ui.t("subject.intro"))
    _subject_request()
    _erasure_requests()
    _retention()


def _retention() -> None:
    """The applicants' retention period and what it means today (counts only); the purge
    itself is the operator's command."""
    st.subheader(ui.t("retention.title"))
    status = ui.fetch_as(contract.RetentionStatus, "/privacy/retention")
    if status is None:
        return
    cards = st.columns(4)
    cards[0].metric(ui.t("retention.period"), ui.t("retention.days", days=ui.num(status.client_retention_days)),
                    border=True, help=ui.t("retention.period_help"))
    cards[1].metric(ui.t("retention.held"), ui.num(status.clients_held), border=True)
    cards[2].metric(ui.t("retention.due"), ui.num(status.clients_due), border=True, help=ui.t("retention.due_help"))
    cards[3].metric(ui.t("retention.due_soon", days=status.notice_days), ui.num(status.clients_due_soon), border=True)
    last = status.last_purge
    if last is None:
        st.caption(ui.t("retention.never"))
    else:
        clients = ui.num(last.clients_deleted) if last.clients_deleted is not None else "—"
        st.caption(ui.t("retention.last", when=ui.when(last.at), actor=last.actor, clients=clients,
                        events=ui.num(last.events_deleted)))
    if status.clients_due:
        st.warning(ui.t("retention.run", count=ui.num(status.clients_due)), icon=":material/auto_delete:")


@st.fragment
def _subject_request() -> None:
    """The look-up and its tabs, a fragment: a look-up, an export or a refused erasure runs
    this part alone, without reading the pending requests and the retention summary again; an
    erasure requested or done runs the whole page (both change)."""
    client_id, refused = _lookup()
    if not client_id:
        if not refused:
            st.info(ui.t("client.prompt"))
        return
    erased = st.session_state.get(ERASED_KEY)
    if erased and erased[0] == client_id:
        _show_erasure(erased[1])
        return
    current, export = _load_export(client_id)
    if not current:
        return
    # The erasure and the reproduction do not need the export: they stay when it is refused.
    tabs = st.tabs([ui.t("subject.tab.export"), ui.t("subject.tab.reproduce"), ui.t("subject.tab.erase")])
    with tabs[0]:
        _export_tab(client_id, export)
    with tabs[1]:
        _reproduce_tab(export)
    with tabs[2]:
        render_erasure(client_id)


# ----------------------------------------------------------------------------- overrides report


def _period() -> tuple[dt.datetime, dt.datetime, dt.date, dt.date] | None:
    today = dt.datetime.now(ui.TIMEZONE).date()
    picked = st.date_input(
        ui.t("overrides.period"),
        value=(today - dt.timedelta(days=OVERRIDES_DAYS), today),
        max_value=today,
        key="overrides_period",
        format="DD/MM/YYYY",
    )
    if not isinstance(picked, tuple | list) or len(picked) != 2:
        # Streamlit hands back one date while the second one is still being picked.
        st.info(ui.t("overrides.bad_period"))
        return None
    start, end = picked
    # Whole days in Paris time: from the first day's midnight to the midnight after the last
    # day (the API's upper bound is exclusive).
    return (
        dt.datetime.combine(start, dt.time.min, ui.TIMEZONE),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, ui.TIMEZONE),
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
    report = ui.fetch_as(contract.OverridesReport, "/privacy/overrides", **{"from": start.isoformat(), "to": end.isoformat()})
    if report is None:
        return
    st.caption(ui.t("overrides.range", start=ui.day(first_day), end=ui.day(last_day)))
    overall = report.overall
    cards = st.columns(5)
    cards[0].metric(ui.t("overrides.decisions"), ui.num(overall.decisions), border=True)
    cards[1].metric(ui.t("overrides.overrides"), ui.num(overall.overrides), border=True)
    cards[2].metric(ui.t("overrides.rate"), ui.pct(overall.override_rate), border=True)
    cards[3].metric(ui.t("overrides.approved_against"), ui.num(overall.approved_against_refusal), border=True)
    cards[4].metric(ui.t("overrides.refused_against"), ui.num(overall.refused_against_approval), border=True)
    advisors = list(report.advisors)
    if not advisors:
        st.info(ui.t("overrides.empty"))
        return
    st.subheader(ui.t("overrides.per_advisor"))
    names = [str(a.advisor) for a in advisors]
    left, right = st.columns([3, 2])
    with left:
        ui.table(
            pd.DataFrame(
                {
                    ui.t("overrides.advisor"): names,
                    ui.t("overrides.decisions"): [ui.num(a.decisions) for a in advisors],
                    ui.t("overrides.overrides"): [ui.num(a.overrides) for a in advisors],
                    ui.t("overrides.rate"): [ui.pct(a.override_rate) for a in advisors],
                    ui.t("overrides.approved_against"): [ui.num(a.approved_against_refusal) for a in advisors],
                    ui.t("overrides.refused_against"): [ui.num(a.refused_against_approval) for a in advisors],
                }
            ),
        )
    with right:
        ui.plotly_chart(
            charts.horizontal_bars(names, [a.override_rate or 0.0 for a in advisors], ui.t("overrides.rate"), percent=True),
            key="overrides_chart",
        )
    decisions_view.render_override_extras(report)


# ----------------------------------------------------------------------------- Art. 30 register


def _bullets(items: Any) -> None:
    for item in items if isinstance(items, list) else []:
        st.markdown(f"- {item}")


def _key_values(mapping: dict[str, str], prefix: str) -> None:
    # The API's keys are field names; the page names them from the catalog.
    for key, value in mapping.items():
        st.markdown(f"- **{ui.t_or(f'{prefix}.{key}', key)}**{ui.colon()}{value}")


def _records(rows: list[dict[str, str]], prefix: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    return frame.rename(columns={name: ui.t_or(f"{prefix}.{name}", name) for name in frame.columns})


def register_page() -> None:
    st.title(ui.t("register.title"))
    # Every sentence and role name comes from the API in the page's language.
    register = ui.fetch_as(contract.ProcessingRegister, "/privacy/register", lang=ui.lang())
    if register is None:
        return
    st.caption(ui.t("register.intro", ts=_ts(register.generated_at)))
    st.markdown(f"**{ui.t('register.controller')}**{ui.colon()}{register.controller}")
    with st.expander(ui.t("register.system")):
        _key_values(register.system, "register.system")
    st.subheader(ui.t("register.purposes"))
    purposes = list(register.purposes)
    if purposes:
        ui.table(_records(purposes, "register.purpose"))
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{ui.t('register.legal_bases')}**")
        _bullets(register.legal_bases)
    with right:
        st.markdown(f"**{ui.t('register.subjects')}**")
        _bullets(register.data_subjects)
    st.subheader(ui.t("register.recipients"))
    recipients = list(register.recipients)
    ui.table(
        _text_frame(
            {
                ui.t("field.role"): [r.role_label for r in recipients],
                ui.t("register.col.access"): [r.personal_data_access for r in recipients],
                ui.t("register.col.permissions"): [ui.identifiers(r.permissions) for r in recipients],
            }
        ),
        code=(ui.t("register.col.permissions"),),
    )
    st.subheader(ui.t("register.retention"))
    retention = list(register.retention)
    ui.table(
        _text_frame(
            {
                ui.t("register.col.data"): [r.data for r in retention],
                ui.t("register.col.period"): [r.period for r in retention],
                ui.t("register.col.setting"): [ui.identifiers([r.setting] if r.setting else []) for r in retention],
                ui.t("register.col.value"): [r.value for r in retention],
            }
        ),
        code=(ui.t("register.col.setting"),),
    )
    st.subheader(ui.t("register.categories"))
    tables = list(register.data_categories)
    ui.table(
        _text_frame(
            {
                ui.t("register.col.table"): [ui.identifiers([r.table]) for r in tables],
                ui.t("register.col.category"): [r.category for r in tables],
                ui.t("register.col.personal"): [ui.show_value(bool(r.personal_data)) for r in tables],
                ui.t("register.col.columns"): [ui.identifiers(r.columns) for r in tables],
            }
        ),
        code=(ui.t("register.col.table"), ui.t("register.col.columns")),
    )
    features = list(register.model_features)
    with st.expander(ui.t("register.features", count=len(features))):
        ui.table(
            _text_frame({ui.t("field.feature"): [ui.identifiers([f.name]) for f in features],
                         ui.t("field.label"): [f.label for f in features]}),
            code=(ui.t("field.feature"),),
        )
    st.subheader(ui.t("register.security"))
    _bullets(register.security_measures)
    st.subheader(ui.t("register.processors"))
    processors = list(register.processors)
    if processors:
        ui.table(_records(processors, "register.processor"))
    st.markdown(f"**{ui.t('register.transfers')}**{ui.colon()}{register.transfers_outside_eu}")
    st.subheader(ui.t("register.automated"))
    _key_values(register.automated_decision_making, "register.automated")
