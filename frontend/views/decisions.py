"""The advisor's decision section and the decision history (issue 15; issue 13 item 5).

Before the form the advisor sees the client's decision history from
``GET /clients/{id}/decisions`` (who, when, decision, the model's recommendation, reason; a
revision names what it replaces; contests and reviews). Then, depending on the state the API
reports: the first decision, a revision (reason mandatory), recording the applicant's
contest, or reviewing an open contest (only another advisor may; the API answers 403
otherwise). Compliance also gets the overrides' reasons and contest counts, and can reproduce
any past decision from the data-subject page. Every sentence comes from ``frontend.i18n``.

Two advisors may have one file open. Every run reads the history anew, except the run of a
click on one of the forms: that click is judged against the history its advisor read, which the
request names (``revises``: the decision read as in force; the contested decision; the open
contest), and the API refuses it with 409 ``decision_changed`` when a colleague changed the file
meanwhile. After any request, recorded or refused, the page runs again: the history shown is the
one in force, a refusal is said above it, and a success banner goes once a later action (or a
colleague's decision) makes it history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from frontend import contract, ui
from frontend.api import ApiError, ErrorKind

# The widgets of the decision, revision and review forms (about the client on screen).
FORM_PREFIXES = ("final_", "revise_", "review_", "contest_")
HISTORY_KEY = "decision_history"  # (client id, contract.DecisionHistory): what the advisor last read
FINAL_KEY = "advisor_final_decision"  # (client id, contract.DecisionRecord); = views.advisor.FINAL_KEY
REPRODUCE_KEY = "decision_reproduce"  # (decision id, contract.Reproduction)
SUBMITTED_KEY = "decision_submitted"  # client id whose decision form was just submitted (set by its button)
NOTICE_KEY = "decision_notice"  # (client id, ApiError): a refusal, said above the history after the rerun
DONE_KEY = "decision_done"  # (client id, message): a contest or review recorded, said above the history
OPTIONS = ("approve", "refuse")
# The API's rules the section words itself (the code, or a generic code's FieldError.reason).
_GENERIC = frozenset({"conflict", "forbidden", "validation_error", "bad_request"})


def _verdict(value: Any) -> str:
    return ui.t(f"decision.{value}") if value in OPTIONS else "—"


def _other(value: str) -> str:
    return "refuse" if value == "approve" else "approve"


def _history(client_id: str, refresh: bool = False) -> contract.DecisionHistory | None:
    stored = st.session_state.get(HISTORY_KEY)
    if refresh or not stored or stored[0] != client_id:
        history = ui.fetch_as(contract.DecisionHistory, f"/clients/{client_id}/decisions")
        if history is None:
            return None
        st.session_state[HISTORY_KEY] = (client_id, history)
        return history
    return stored[1]


def _submitted(client_id: str) -> None:
    """A form's button: the next run judges the click against the history read (no refetch)."""
    st.session_state[SUBMITTED_KEY] = client_id


def _me() -> str | None:
    signed_in = ui.tokens()
    return signed_in.username if signed_in is not None else None


def review_authors(history: contract.DecisionHistory, decision: contract.DecisionEntry) -> set[str]:
    """The advisors whose contested decision a review turned into ``decision`` (kept it, or
    replaced it with it): the review's outcome is final for them (the API's ``review_final``)."""
    authors = {decision.advisor for c in decision.contests if c.status == "upheld"}
    for entry in history.entries:
        if any(c.revision_id == decision.id for c in entry.contests):
            authors.add(entry.advisor)
    return authors


def rule(error: ApiError) -> str | None:
    """The refusal's machine-readable rule: its code, or for a status's generic code the rule its
    first field names (``FieldError.reason``: how the API sends a rule its enum does not list)."""
    if error.code in _GENERIC and error.reasons:
        return error.reasons[0][1]
    return error.code


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
            ui.t("field.recommendation"): [ui.recommendation(e.recommendation) for e in entries],
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


def _post(model: Any, client_id: str, path: str, payload: dict[str, Any],
          landed: Callable[[contract.DecisionHistory], Any] | None = None) -> Any | None:
    """POST ``payload`` and parse the answer as ``model``; None when refused (the refusal is kept
    to be said above the history the next run reads). Either way an earlier success banner goes:
    this action is the latest.

    A double click sends the form twice: the first request is recorded, the second refused as
    the file having changed, and the page said « Un autre conseiller a enregistré une décision
    entre-temps… Votre saisie n'a pas été enregistrée » under the advisor's own decision (the
    validator's walk, twenty-eighth session). On a conflict the history is read again, and when
    ``landed`` finds this very action in it (by this advisor, as sent), that is the answer."""
    st.session_state.pop(FINAL_KEY, None)
    try:
        answer = ui.client().post(path, payload)
    except ApiError as error:
        if error.kind in (ErrorKind.session_expired, ErrorKind.password_change_required):
            ui.show_error(error)  # back to the login page, or to the password change
        if landed is not None and error.kind is ErrorKind.conflict:
            history = _history(client_id, refresh=True)
            found = landed(history) if history is not None else None
            if found is not None:
                return found
        st.session_state[NOTICE_KEY] = (client_id, error)
        return None
    return ui.parse(model, answer)


def _said_alike(sent: str | None, stored: str | None) -> bool:
    """A reason as sent and as stored (the API keeps what a reader sees, stripped)."""
    return (sent or "").split() == (stored or "").split()


def _decision_landed(decision: str, reason: str | None, revises: int | None
                     ) -> Callable[[contract.DecisionHistory], contract.DecisionEntry | None]:
    """The decision in force, when it is this advisor's, as sent: the first click's."""
    def landed(history: contract.DecisionHistory) -> contract.DecisionEntry | None:
        current = history.current
        if (current is not None and current.advisor == _me() and current.decision == decision
                and current.revises == revises and _said_alike(reason, current.reason)):
            return current
        return None
    return landed


def _contest_landed(decision_id: int, statement: str) -> Callable[[contract.DecisionHistory], bool | None]:
    def landed(history: contract.DecisionHistory) -> bool | None:
        entry = next((e for e in history.entries if e.id == decision_id), None)
        return True if entry is not None and any(
            c.status == "open" and c.recorded_by == _me() and _said_alike(statement, c.statement)
            for c in entry.contests) else None
    return landed


def _review_landed(contest_id: int, outcome: str, reason: str) -> Callable[[contract.DecisionHistory], bool | None]:
    def landed(history: contract.DecisionHistory) -> bool | None:
        return True if any(
            c.id == contest_id and c.status == outcome and c.reviewer == _me() and _said_alike(reason, c.review_reason)
            for e in history.entries for c in e.contests) else None
    return landed


def _refusal(error: ApiError) -> str:
    """A refused request, said in the page's language: the file having changed meanwhile first."""
    found = rule(error)
    if found == "decision_changed":
        return ui.t("lifecycle.decision_changed")
    if found == "review_final":
        return ui.t("lifecycle.review_final_refused")
    if found == "reviewer_is_decider":
        return ui.t("lifecycle.review_self")
    message = ui.error_message(error)
    if error.kind is ErrorKind.conflict:  # contested, superseded, reviewed meanwhile: the history shows it
        message = f"{message.rstrip('.')}. {ui.t('lifecycle.history_reread')}"
    return message


def _show_notice(client_id: str) -> None:
    stored = st.session_state.pop(NOTICE_KEY, None)
    if stored and stored[0] == client_id:
        st.error(_refusal(stored[1]), icon=":material/sync_problem:")
    done = st.session_state.pop(DONE_KEY, None)
    if done and done[0] == client_id:
        st.success(done[1], icon=":material/task_alt:")


@st.fragment
def render_decision_section(client_id: str, score: contract.Score) -> None:
    """History first, then the one action the decision's state allows. A fragment: a click
    here reads the history again, not the rest of the client's file."""
    recommendation = score.decision
    st.subheader(ui.t("final.title"))
    # A form's click is judged against the history read (the request names what it saw); any
    # other run reads the history anew (a colleague's decision, contest or review shows).
    submitted = st.session_state.pop(SUBMITTED_KEY, None) == client_id
    history = _history(client_id, refresh=not submitted)
    if history is None:
        return
    _show_notice(client_id)
    render_history(history)
    st.button(ui.t("lifecycle.refresh"), key="decision_refresh", icon=":material/refresh:", type="tertiary")
    current = history.current
    open_contest = next((c for c in current.contests if c.status == "open"), None) if current else None
    sent = False
    if current is None:
        st.markdown(ui.t("final.intro", recommendation=ui.recommendation(recommendation)))
        sent = _first_form(client_id, recommendation)
    elif open_contest is not None:
        sent = _review_form(client_id, history, current, open_contest)
    else:
        first, second = st.tabs([ui.t("lifecycle.revise_tab"), ui.t("lifecycle.contest_tab")])
        with first:
            sent = _revise_form(client_id, history, current)
        with second:
            sent = _contest_form(client_id, current) or sent
    if sent:  # recorded or refused: read the history again, say the refusal above it
        ui.rerun_part()
    stored = st.session_state.get(FINAL_KEY)
    if stored and stored[0] == client_id:
        record: contract.DecisionRecord = stored[1]
        if current is None or current.id != record.id:  # a colleague's decision came after it
            st.session_state.pop(FINAL_KEY, None)
            return
        st.success(ui.t("final.recorded", ts=ui.when(record.decided_at), decision=_verdict(record.decision),
                        recommendation=ui.recommendation(record.recommendation)), icon=":material/task_alt:")
        if record.is_override:
            st.caption(ui.t("final.override_note"))


def _first_form(client_id: str, recommendation: str) -> bool:
    """The first decision (no decision in force as the advisor read the history)."""
    with st.form("final_decision"):
        decision = ui.choice(st.radio, ui.t("final.decision"), OPTIONS,
                             index=OPTIONS.index(recommendation) if recommendation in OPTIONS else 0,
                             format_func=_verdict, horizontal=True, key=ui.about_subject("final_decision_choice"))
        reason = st.text_area(ui.t("final.reason"), max_chars=1000, key=ui.about_subject("final_reason"))
        st.caption(ui.t("final.reason_help"))
        submitted = st.form_submit_button(ui.t("final.submit"), type="primary", icon=":material/how_to_reg:",
                                          on_click=_submitted, args=(client_id,))
    if not submitted:
        return False
    reason = reason.strip() or None
    if reason is None and decision != recommendation:
        st.error(ui.t("final.reason_required", decision=_verdict(decision), recommendation=ui.recommendation(recommendation)),
                 icon=":material/edit_note:")
        return False
    payload = {"decision": decision, "reason": reason, "revises": None}
    record = _post(contract.DecisionRecord, client_id, f"/clients/{client_id}/decision", payload,
                   _decision_landed(decision, reason, None))
    if record is not None:
        st.session_state[FINAL_KEY] = (client_id, record)
    elif reason and (notice := st.session_state.get(NOTICE_KEY)) and rule(notice[1]) == "decision_changed":
        # A colleague decided meanwhile: the revision form comes next; the reason typed is kept
        # for it rather than lost (the validator's walk, twenty-eighth session).
        st.session_state[ui.about_subject("revise_reason")] = reason
    return True


def _revise_form(client_id: str, history: contract.DecisionHistory, current: contract.DecisionEntry) -> bool:
    """A revision of the decision in force: the other verdict (a revision that keeps it is
    refused), with a reason, naming the decision it revises."""
    if _me() in review_authors(history, current):
        # The API refuses it (403 review_final): said, not offered.
        st.info(ui.t("lifecycle.review_final", decision=_verdict(current.decision)), icon=":material/gavel:")
        return False
    new = _other(current.decision)
    st.caption(ui.t("lifecycle.revise_intro", decision=_verdict(current.decision)))
    with st.form("revise_decision"):
        st.markdown(ui.t("lifecycle.revise_to", decision=_verdict(new)))
        reason = st.text_area(ui.t("final.reason"), max_chars=1000, key=ui.about_subject("revise_reason"))
        st.caption(ui.t("lifecycle.revise_reason_help"))
        submitted = st.form_submit_button(ui.t("lifecycle.revise_submit"), type="primary", icon=":material/how_to_reg:",
                                          on_click=_submitted, args=(client_id,))
    if not submitted:
        return False
    if not reason.strip():
        st.error(ui.t("lifecycle.revise_reason_required", decision=_verdict(new)), icon=":material/edit_note:")
        return False
    payload = {"decision": new, "reason": reason.strip(), "revises": current.id}
    record = _post(contract.DecisionRecord, client_id, f"/clients/{client_id}/decision", payload,
                   _decision_landed(new, reason.strip(), current.id))
    if record is not None:
        st.session_state[FINAL_KEY] = (client_id, record)
    return True


def _contest_form(client_id: str, current: contract.DecisionEntry) -> bool:
    st.caption(ui.t("lifecycle.contest_intro"))
    with st.form("contest_decision"):
        statement = st.text_area(ui.t("lifecycle.statement"), max_chars=2000, key=ui.about_subject("contest_statement"))
        submitted = st.form_submit_button(ui.t("lifecycle.contest_submit"), icon=":material/forum:",
                                          on_click=_submitted, args=(client_id,))
    if not submitted:
        return False
    if not statement.strip():
        st.error(ui.t("lifecycle.statement_required"))
        return False
    path = f"/clients/{client_id}/decisions/{current.id}/contest"
    if _post(contract.ContestRecord, client_id, path, {"statement": statement.strip()},
             _contest_landed(current.id, statement.strip())) is not None:
        st.session_state[DONE_KEY] = (client_id, ui.t("lifecycle.contest_recorded"))
    return True


def _review_form(client_id: str, history: contract.DecisionHistory, current: contract.DecisionEntry,
                 contest: contract.ContestRecord) -> bool:
    me = _me()
    if me == current.advisor:
        # The API refuses the decider's own review (403 reviewer_is_decider): said, not offered.
        st.info(ui.t("lifecycle.review_by_another", advisor=current.advisor), icon=":material/gavel:")
        return False
    if me in review_authors(history, current):
        # A review of their decision made this one (403 review_final): said, not offered.
        st.info(ui.t("lifecycle.review_final", decision=_verdict(current.decision)), icon=":material/gavel:")
        return False
    st.warning(ui.t("lifecycle.review_intro", advisor=current.advisor), icon=":material/gavel:")
    with st.form("review_contest"):
        outcome = ui.choice(st.radio, ui.t("lifecycle.outcome"), ("upheld", "revised"), horizontal=True,
                            format_func=lambda v: ui.t(f"lifecycle.status_{v}"), key=ui.about_subject("review_outcome"))
        other = _other(current.decision)
        st.caption(ui.t("lifecycle.review_new_decision", decision=_verdict(other)))
        reason = st.text_area(ui.t("final.reason"), max_chars=1000, key=ui.about_subject("review_reason"))
        submitted = st.form_submit_button(ui.t("lifecycle.review_submit"), type="primary", icon=":material/gavel:",
                                          on_click=_submitted, args=(client_id,))
    if not submitted:
        return False
    if not reason.strip():
        st.error(ui.t("lifecycle.review_reason_required"))
        return False
    # The contest read: another one open by now (this one reviewed, the applicant contesting
    # anew) is refused as decision_changed rather than reviewed unread.
    payload: dict[str, Any] = {"outcome": outcome, "reason": reason.strip(), "contest": contest.id}
    if outcome == "revised":
        payload["decision"] = other
    path = f"/clients/{client_id}/decisions/{current.id}/review"
    if _post(contract.ReviewResult, client_id, path, payload,
             _review_landed(contest.id, outcome, reason.strip())) is not None:
        st.session_state[DONE_KEY] = (client_id, ui.t(f"lifecycle.review_recorded_{outcome}"))
    return True


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
            ui.t("field.recommendation"): [ui.recommendation(r.recommendation) for r in reasons],
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
                        decision=ui.recommendation(recomputed.decision), probability=ui.pct(recomputed.probability)),
                   icon=":material/verified:")
    else:
        st.error(ui.t("lifecycle.differs", version=answer.model_version), icon=":material/report:")
        ui.table(pd.DataFrame({
            ui.t("lifecycle.check"): [d.check for d in answer.differences],
            ui.t("lifecycle.recorded"): [ui.value_text(d.recorded) for d in answer.differences],
            ui.t("lifecycle.recomputed"): [ui.value_text(d.recomputed) for d in answer.differences],
        }).astype(str))
    if answer.audit_purged is not None:
        purged = answer.audit_purged
        st.info(ui.t("lifecycle.audit_purged", days=ui.num(purged.retention_days), seq=ui.num(purged.through_seq),
                     when=ui.when(purged.newest_purged_ts)), icon=":material/auto_delete:")
    if recomputed.explanation_text:
        st.caption(recomputed.explanation_text)
