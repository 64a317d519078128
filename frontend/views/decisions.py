"""The advisor's decision section and the decision history (issue 15; issue 13 item 5).

Before the form the advisor sees the client's decision history from
``GET /clients/{id}/decisions`` (who, when, decision, the model's recommendation, reason; a
revision names what it replaces; contests and reviews). Then, depending on the state the API
reports: the first decision, a revision (reason mandatory), recording the applicant's
contest, or reviewing an open contest (only another advisor may; the API answers 403
otherwise). Compliance also gets the overrides' reasons and contest counts, and can reproduce
any past decision from the data-subject page. Every sentence comes from ``frontend.i18n``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from frontend import contract, ui
from frontend.api import ApiError

# The widgets of the decision, revision and review forms (about the client on screen).
FORM_PREFIXES = ("final_", "revise_", "review_", "contest_")
HISTORY_KEY = "decision_history"  # (client id, contract.DecisionHistory)
FINAL_KEY = "advisor_final_decision"  # (client id, contract.DecisionRecord); = views.advisor.FINAL_KEY
REPRODUCE_KEY = "decision_reproduce"  # (decision id, contract.Reproduction)
OPTIONS = ("approve", "refuse")


def _verdict(value: Any) -> str:
    return ui.t(f"decision.{value}") if value in OPTIONS else "—"


def _history(client_id: str, refresh: bool = False) -> contract.DecisionHistory | None:
    stored = st.session_state.get(HISTORY_KEY)
    if refresh or not stored or stored[0] != client_id:
        history = ui.fetch_as(contract.DecisionHistory, f"/clients/{client_id}/decisions")
        if history is None:
            return None
        st.session_state[HISTORY_KEY] = (client_id, history)
        return history
    return stored[1]


def render_history(history: contract.DecisionHistory) -> None:
    entries = history.entries
    st.markdown(f"**{ui.t('lifecycle.history')}**")
    if not entries:
        st.caption(ui.t("lifecycle.history_none"))
        return
    ui.table(
        pd.DataFrame({
            ui.t("lifecycle.when"): [ui.when(e.decided_at) for e in entries],
            ui.t("lifecycle.kind"): [ui.t(f"lifecycle.kind_{e.kind}") for e in entries],
            ui.t("lifecycle.who"): [e.advisor for e in entries],
            ui.t("field.decision"): [_verdict(e.decision) for e in entries],
            ui.t("field.recommendation"): [_verdict(e.recommendation) for e in entries],
            ui.t("field.reason"): [e.reason or "—" for e in entries],
            ui.t("field.model_version"): [e.model_version for e in entries],
            ui.t("lifecycle.in_force"): [ui.show_value(e.current) for e in entries],
        }).astype(str),
    )
    for e in entries:
        for c in e.contests:
            line = ui.t("lifecycle.contest_line", when=ui.when(c.contested_at), status=ui.t(f"lifecycle.status_{c.status}"),
                        statement=c.statement or "—")
            if c.status != "open":
                line += " " + ui.t("lifecycle.review_line", who=c.reviewer or "—", when=ui.when(c.reviewed_at),
                                   reason=c.review_reason or "—")
            (st.warning if c.status == "open" else st.info)(line, icon=":material/forum:")


def _post(model: Any, path: str, payload: dict[str, Any]) -> Any | None:
    """POST ``payload`` and parse the answer as ``model``; None (message shown) on failure."""
    try:
        answer = ui.client().post(path, payload)
    except ApiError as error:
        if error.code == "reviewer_is_decider":
            st.error(ui.t("lifecycle.review_self"), icon=":material/block:")
        else:
            ui.show_error(error)
        return None
    return ui.parse(model, answer)


def render_decision_section(client_id: str, score: contract.Score) -> None:
    """History first, then the one action the decision's state allows."""
    recommendation = score.decision
    st.subheader(ui.t("final.title"))
    history = _history(client_id)
    if history is None:
        return
    render_history(history)
    current = history.current
    open_contest = next((c for c in current.contests if c.status == "open"), None) if current else None
    changed = False
    if current is None:
        st.markdown(ui.t("final.intro", recommendation=_verdict(recommendation)))
        changed = _decision_form(client_id, recommendation, recommendation, revision=False)
    elif open_contest is not None:
        changed = _review_form(client_id, current)
    else:
        first, second = st.tabs([ui.t("lifecycle.revise_tab"), ui.t("lifecycle.contest_tab")])
        with first:
            st.caption(ui.t("lifecycle.revise_intro", decision=_verdict(current.decision)))
            changed = _decision_form(client_id, recommendation, current.decision, revision=True)
        with second:
            changed = _contest_form(client_id, current) or changed
    if changed:
        _history(client_id, refresh=True)
        st.rerun()
    stored = st.session_state.get(FINAL_KEY)
    if stored and stored[0] == client_id:
        record: contract.DecisionRecord = stored[1]
        st.success(ui.t("final.recorded", ts=ui.when(record.decided_at), decision=_verdict(record.decision),
                        recommendation=_verdict(record.recommendation)), icon=":material/task_alt:")
        if record.is_override:
            st.caption(ui.t("final.override_note"))


def _decision_form(client_id: str, recommendation: str, preset: str, *, revision: bool) -> bool:
    key = "revise" if revision else "final"
    with st.form(f"{key}_decision"):
        decision = ui.choice(st.radio, ui.t("final.decision"), OPTIONS, index=OPTIONS.index(preset) if preset in OPTIONS else 0,
                             format_func=_verdict, horizontal=True, key=ui.about_subject(f"{key}_decision_choice"))
        reason = st.text_area(ui.t("final.reason"), max_chars=1000, key=ui.about_subject(f"{key}_reason"))
        st.caption(ui.t("lifecycle.revise_reason_help" if revision else "final.reason_help"))
        submitted = st.form_submit_button(ui.t("lifecycle.revise_submit" if revision else "final.submit"),
                                          type="primary", icon=":material/how_to_reg:")
    if not submitted:
        return False
    payload = {"decision": decision, "reason": reason.strip() or None}
    if payload["reason"] is None and (revision or decision != recommendation):
        st.error(ui.t("lifecycle.revise_reason_required" if revision else "final.reason_required",
                      decision=_verdict(decision), recommendation=_verdict(recommendation)), icon=":material/edit_note:")
        return False
    record = _post(contract.DecisionRecord, f"/clients/{client_id}/decision", payload)
    if record is not None:
        st.session_state[FINAL_KEY] = (client_id, record)
        return True
    return False


def _contest_form(client_id: str, current: contract.DecisionEntry) -> bool:
    st.caption(ui.t("lifecycle.contest_intro"))
    with st.form("contest_decision"):
        statement = st.text_area(ui.t("lifecycle.statement"), max_chars=2000, key=ui.about_subject("contest_statement"))
        submitted = st.form_submit_button(ui.t("lifecycle.contest_submit"), icon=":material/forum:")
    if not submitted:
        return False
    if not statement.strip():
        st.error(ui.t("lifecycle.statement_required"))
        return False
    path = f"/clients/{client_id}/decisions/{current.id}/contest"
    return _post(contract.ContestRecord, path, {"statement": statement.strip()}) is not None


def _review_form(client_id: str, current: contract.DecisionEntry) -> bool:
    me = signed_in.username if (signed_in := ui.tokens()) is not None else None
    if me == current.advisor:
        # The API refuses the decider's own review (403 reviewer_is_decider): said, not offered.
        st.info(ui.t("lifecycle.review_by_another", advisor=current.advisor), icon=":material/gavel:")
        return False
    st.warning(ui.t("lifecycle.review_intro", advisor=current.advisor), icon=":material/gavel:")
    with st.form("review_contest"):
        outcome = ui.choice(st.radio, ui.t("lifecycle.outcome"), ("upheld", "revised"), horizontal=True,
                            format_func=lambda v: ui.t(f"lifecycle.status_{v}"), key=ui.about_subject("review_outcome"))
        other = "refuse" if current.decision == "approve" else "approve"
        st.caption(ui.t("lifecycle.review_new_decision", decision=_verdict(other)))
        reason = st.text_area(ui.t("final.reason"), max_chars=1000, key=ui.about_subject("review_reason"))
        submitted = st.form_submit_button(ui.t("lifecycle.review_submit"), type="primary", icon=":material/gavel:")
    if not submitted:
        return False
    if not reason.strip():
        st.error(ui.t("lifecycle.review_reason_required"))
        return False
    payload: dict[str, Any] = {"outcome": outcome, "reason": reason.strip()}
    if outcome == "revised":
        payload["decision"] = other
    path = f"/clients/{client_id}/decisions/{current.id}/review"
    return _post(contract.ReviewResult, path, payload) is not None


# ----------------------------------------------------------------------------- compliance


def render_override_extras(report: contract.OverridesReport) -> None:
    """Contest counts and every override's reason, under the overrides figures."""
    contests = report.contests
    if contests is not None:
        counts = (("contests", contests.contests), ("open", contests.open), ("upheld", contests.upheld),
                  ("revised", contests.revised), ("revisions", contests.revisions))
        for col, (key, count) in zip(st.columns(5), counts, strict=True):
            col.metric(ui.t(f"lifecycle.count_{key}"), ui.num(count), border=True)
        st.caption(ui.t("lifecycle.counts_note"))
    reasons = report.reasons or []
    st.subheader(ui.t("lifecycle.reasons"))
    if not reasons:
        st.caption(ui.t("lifecycle.reasons_none"))
        return
    st.dataframe(
        pd.DataFrame({
            ui.t("lifecycle.when"): [ui.when(r.decided_at) for r in reasons],
            ui.t("overrides.advisor"): [r.advisor for r in reasons],
            ui.t("field.decision"): [_verdict(r.decision) for r in reasons],
            ui.t("field.recommendation"): [_verdict(r.recommendation) for r in reasons],
            ui.t("field.reason"): [r.reason or ui.t("lifecycle.reason_erased") for r in reasons],
        }).astype(str),
        hide_index=True,
    )


def render_reproduce(export: contract.ClientExport) -> None:
    """Compliance: recompute a past decision with its own model version (nothing stored)."""
    ids = [d.id for d in export.human_decisions if d.id]
    if not ids:
        return
    st.markdown(f"**{ui.t('lifecycle.reproduce')}**")
    st.caption(ui.t("lifecycle.reproduce_intro"))
    left, right = st.columns([2, 1])
    chosen = left.selectbox(ui.t("lifecycle.decision_id"), ids, key="reproduce_choice")
    if right.button(ui.t("lifecycle.reproduce_button"), key="reproduce_go", icon=":material/replay:"):
        answer = ui.fetch_as(contract.Reproduction, f"/privacy/decisions/{chosen}/reproduce", lang=ui.lang())
        if answer is not None:
            st.session_state[REPRODUCE_KEY] = (chosen, answer)
    stored = st.session_state.get(REPRODUCE_KEY)
    if not stored or stored[0] != chosen:
        return
    answer: contract.Reproduction = stored[1]
    recomputed = answer.recomputed
    if answer.verdict == "identical":
        st.success(ui.t("lifecycle.identical", version=answer.model_version,
                        decision=_verdict(recomputed.decision), probability=ui.pct(recomputed.probability)),
                   icon=":material/verified:")
    else:
        st.error(ui.t("lifecycle.differs", version=answer.model_version), icon=":material/report:")
        ui.table(pd.DataFrame({
            ui.t("lifecycle.check"): [d.check for d in answer.differences],
            ui.t("lifecycle.recorded"): [ui.value_text(d.recorded) for d in answer.differences],
            ui.t("lifecycle.recomputed"): [ui.value_text(d.recomputed) for d in answer.differences],
        }).astype(str))
    if recomputed.explanation_text:
        st.caption(recomputed.explanation_text)
