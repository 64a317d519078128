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

from frontend import ui
from frontend.api import ApiError

HISTORY_KEY = "decision_history"  # (client id, the API's history)
FINAL_KEY = "advisor_final_decision"  # (client id, the last decision recorded here); = views.advisor.FINAL_KEY
REPRODUCE_KEY = "decision_reproduce"  # (decision id, the API's answer)
OPTIONS = ("approve", "refuse")


def _verdict(value: Any) -> str:
    return ui.t(f"decision.{value}") if value in OPTIONS else "—"


def _ts(value: Any) -> str:
    return str(value or "—")[:16].replace("T", " ")


def _history(client_id: str, refresh: bool = False) -> dict[str, Any] | None:
    stored = st.session_state.get(HISTORY_KEY)
    if refresh or not stored or stored[0] != client_id:
        history = ui.require_mapping(ui.fetch(f"/clients/{client_id}/decisions"))
        if history is None:
            return None
        st.session_state[HISTORY_KEY] = (client_id, history)
        return history
    return stored[1]


def render_history(history: dict[str, Any]) -> None:
    entries = [e for e in history.get("entries", []) if isinstance(e, dict)]
    st.markdown(f"**{ui.t('lifecycle.history')}**")
    if not entries:
        st.caption(ui.t("lifecycle.history_none"))
        return
    st.dataframe(
        pd.DataFrame({
            ui.t("lifecycle.when"): [_ts(e.get("decided_at")) for e in entries],
            ui.t("lifecycle.kind"): [ui.t(f"lifecycle.kind_{e.get('kind', 'decision')}") for e in entries],
            ui.t("lifecycle.who"): [str(e.get("advisor", "—")) for e in entries],
            ui.t("field.decision"): [_verdict(e.get("decision")) for e in entries],
            ui.t("field.recommendation"): [_verdict(e.get("recommendation")) for e in entries],
            ui.t("field.reason"): [e.get("reason") or "—" for e in entries],
            ui.t("field.model_version"): [str(e.get("model_version", "—")) for e in entries],
            ui.t("lifecycle.in_force"): [ui.show_value(bool(e.get("current"))) for e in entries],
        }).astype(str),
        hide_index=True,
    )
    for e in entries:
        for c in e.get("contests", []) if isinstance(e.get("contests"), list) else []:
            status = str(c.get("status", "open"))
            line = ui.t("lifecycle.contest_line", when=_ts(c.get("contested_at")), status=ui.t(f"lifecycle.status_{status}"),
                        statement=c.get("statement") or "—")
            if status != "open":
                line += " " + ui.t("lifecycle.review_line", who=c.get("reviewer") or "—", when=_ts(c.get("reviewed_at")),
                                   reason=c.get("review_reason") or "—")
            (st.warning if status == "open" else st.info)(line, icon=":material/forum:")


def _post(path: str, payload: dict[str, Any]) -> Any | None:
    try:
        return ui.client().post(path, payload)
    except ApiError as error:
        if error.code == "reviewer_is_decider":
            st.error(ui.t("lifecycle.review_self"), icon=":material/block:")
        else:
            ui.show_error(error)
        return None


def render_decision_section(client_id: str, score: dict[str, Any]) -> None:
    """History first, then the one action the decision's state allows."""
    recommendation = str(score.get("decision", "approve"))
    st.subheader(ui.t("final.title"))
    history = _history(client_id)
    if history is None:
        return
    render_history(history)
    current = history.get("current") if isinstance(history.get("current"), dict) else None
    contests = current.get("contests", []) if current else []
    open_contest = next((c for c in contests if isinstance(c, dict) and c.get("status") == "open"), None)
    changed = False
    if current is None:
        st.markdown(ui.t("final.intro", recommendation=_verdict(recommendation)))
        changed = _decision_form(client_id, recommendation, recommendation, revision=False)
    elif open_contest is not None:
        changed = _review_form(client_id, current)
    else:
        first, second = st.tabs([ui.t("lifecycle.revise_tab"), ui.t("lifecycle.contest_tab")])
        with first:
            st.caption(ui.t("lifecycle.revise_intro", decision=_verdict(current.get("decision"))))
            changed = _decision_form(client_id, recommendation, str(current.get("decision")), revision=True)
        with second:
            changed = _contest_form(client_id, current) or changed
    if changed:
        _history(client_id, refresh=True)
        st.rerun()
    stored = st.session_state.get(FINAL_KEY)
    if stored and stored[0] == client_id:
        record = stored[1]
        st.success(ui.t("final.recorded", ts=_ts(record.get("decided_at")), decision=_verdict(record.get("decision")),
                        recommendation=_verdict(record.get("recommendation"))), icon=":material/task_alt:")
        if record.get("is_override"):
            st.caption(ui.t("final.override_note"))


def _decision_form(client_id: str, recommendation: str, preset: str, *, revision: bool) -> bool:
    key = "revise" if revision else "final"
    with st.form(f"{key}_decision"):
        decision = st.radio(ui.t("final.decision"), OPTIONS, index=OPTIONS.index(preset) if preset in OPTIONS else 0,
                            format_func=_verdict, horizontal=True, key=f"{key}_decision_choice")
        reason = st.text_area(ui.t("final.reason"), max_chars=1000, key=f"{key}_reason",
                              help=ui.t("lifecycle.revise_reason_help" if revision else "final.reason_help"))
        submitted = st.form_submit_button(ui.t("lifecycle.revise_submit" if revision else "final.submit"),
                                          type="primary", icon=":material/how_to_reg:")
    if not submitted:
        return False
    payload = {"decision": decision, "reason": reason.strip() or None}
    if payload["reason"] is None and (revision or decision != recommendation):
        st.error(ui.t("lifecycle.revise_reason_required" if revision else "final.reason_required",
                      decision=_verdict(decision), recommendation=_verdict(recommendation)), icon=":material/edit_note:")
        return False
    record = _post(f"/clients/{client_id}/decision", payload)
    if isinstance(record, dict):
        st.session_state[FINAL_KEY] = (client_id, record)
        return True
    return False


def _contest_form(client_id: str, current: dict[str, Any]) -> bool:
    st.caption(ui.t("lifecycle.contest_intro"))
    with st.form("contest_decision"):
        statement = st.text_area(ui.t("lifecycle.statement"), max_chars=2000, key="contest_statement")
        submitted = st.form_submit_button(ui.t("lifecycle.contest_submit"), icon=":material/forum:")
    if not submitted:
        return False
    if not statement.strip():
        st.error(ui.t("lifecycle.statement_required"))
        return False
    record = _post(f"/clients/{client_id}/decisions/{current['id']}/contest", {"statement": statement.strip()})
    return isinstance(record, dict)


def _review_form(client_id: str, current: dict[str, Any]) -> bool:
    st.warning(ui.t("lifecycle.review_intro", advisor=current.get("advisor", "—")), icon=":material/gavel:")
    with st.form("review_contest"):
        outcome = st.radio(ui.t("lifecycle.outcome"), ("upheld", "revised"), horizontal=True,
                           format_func=lambda v: ui.t(f"lifecycle.status_{v}"), key="review_outcome")
        other = "refuse" if current.get("decision") == "approve" else "approve"
        st.caption(ui.t("lifecycle.review_new_decision", decision=_verdict(other)))
        reason = st.text_area(ui.t("final.reason"), max_chars=1000, key="review_reason")
        submitted = st.form_submit_button(ui.t("lifecycle.review_submit"), type="primary", icon=":material/gavel:")
    if not submitted:
        return False
    if not reason.strip():
        st.error(ui.t("lifecycle.review_reason_required"))
        return False
    payload: dict[str, Any] = {"outcome": outcome, "reason": reason.strip()}
    if outcome == "revised":
        payload["decision"] = other
    record = _post(f"/clients/{client_id}/decisions/{current['id']}/review", payload)
    return isinstance(record, dict)


# ----------------------------------------------------------------------------- compliance


def render_override_extras(report: dict[str, Any]) -> None:
    """Contest counts and every override's reason, under the overrides figures."""
    contests = report.get("contests") if isinstance(report.get("contests"), dict) else None
    if contests:
        cols = st.columns(5)
        for col, key in zip(cols, ("contests", "open", "upheld", "revised", "revisions"), strict=True):
            col.metric(ui.t(f"lifecycle.count_{key}"), ui.num(contests.get(key, 0)), border=True)
    reasons = [r for r in report.get("reasons", []) if isinstance(r, dict)]
    st.subheader(ui.t("lifecycle.reasons"))
    if not reasons:
        st.caption(ui.t("lifecycle.reasons_none"))
        return
    st.dataframe(
        pd.DataFrame({
            ui.t("lifecycle.when"): [_ts(r.get("decided_at")) for r in reasons],
            ui.t("overrides.advisor"): [str(r.get("advisor", "—")) for r in reasons],
            ui.t("field.decision"): [_verdict(r.get("decision")) for r in reasons],
            ui.t("field.recommendation"): [_verdict(r.get("recommendation")) for r in reasons],
            ui.t("field.reason"): [r.get("reason") or ui.t("lifecycle.reason_erased") for r in reasons],
        }).astype(str),
        hide_index=True,
    )


def render_reproduce(export: dict[str, Any]) -> None:
    """Compliance: recompute a past decision with its own model version (nothing stored)."""
    ids = [d.get("id") for d in export.get("human_decisions", []) if isinstance(d, dict) and d.get("id")]
    if not ids:
        return
    st.markdown(f"**{ui.t('lifecycle.reproduce')}**")
    st.caption(ui.t("lifecycle.reproduce_intro"))
    left, right = st.columns([2, 1])
    chosen = left.selectbox(ui.t("lifecycle.decision_id"), ids, key="reproduce_choice")
    if right.button(ui.t("lifecycle.reproduce_button"), key="reproduce_go", icon=":material/replay:"):
        answer = ui.require_mapping(ui.fetch(f"/privacy/decisions/{chosen}/reproduce", lang=ui.lang()))
        if answer is not None:
            st.session_state[REPRODUCE_KEY] = (chosen, answer)
    stored = st.session_state.get(REPRODUCE_KEY)
    if not stored or stored[0] != chosen:
        return
    answer = stored[1]
    recomputed = answer.get("recomputed", {})
    if answer.get("verdict") == "identical":
        st.success(ui.t("lifecycle.identical", version=answer.get("model_version", "—"),
                        decision=_verdict(recomputed.get("decision")), probability=ui.pct(recomputed.get("probability"))),
                   icon=":material/verified:")
    else:
        st.error(ui.t("lifecycle.differs", version=answer.get("model_version", "—")), icon=":material/report:")
        st.dataframe(pd.DataFrame({
            ui.t("lifecycle.check"): [str(d.get("check")) for d in answer.get("differences", [])],
            ui.t("lifecycle.recorded"): [str(d.get("recorded")) for d in answer.get("differences", [])],
            ui.t("lifecycle.recomputed"): [str(d.get("recomputed")) for d in answer.get("differences", [])],
        }), hide_index=True)
    if recomputed.get("explanation_text"):
        st.caption(str(recomputed["explanation_text"]))
