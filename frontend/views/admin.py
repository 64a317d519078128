"""Admin page: users and roles. One-time passwords are shown once and never kept in the
session after the next action. Granting access to personal data is a request a second admin
approves (issue 14); every action that changes someone's access asks for a confirmation
first and says what it did (issue 13)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st

from frontend import contract, ui

ROLES = ("advisor", "comex", "compliance", "admin")
# Roles granted only on a second admin's approval (security.rbac.ROLES_NEEDING_APPROVAL).
APPROVED_ROLES = ("advisor", "compliance", "admin")
OTP_STATE_KEY = "admin_one_time_password"  # noqa: S105 - a session-state key name
DONE_KEY = "admin_done"
# Whether "Créer un utilisateur" is open, kept by the server (a stateful expander): an unkeyed
# expander's state lived in the browser at its place on the page, and when the message above it
# went (a one-time password shown once), the browser took it for a new, closed one: the next
# error ("déjà utilisé") was drawn inside it, unseen.
CREATE_OPEN_KEY = "admin_create_open"
# The request and decision an admin clicked, set by the button itself: the page reruns before
# acting on a click, and the list it fetches then may no longer hold that request.
CLICKED_DECISION_KEY = "admin_access_clicked"


def _show_one_time_password() -> None:
    shown = st.session_state.pop(OTP_STATE_KEY, None)
    if shown:
        message_key, username, password = shown
        st.success(ui.t(message_key, username=username))
        st.code(password, language=None)
        st.caption(ui.t("users.otp_note"))


def _show_done() -> None:
    done = st.session_state.pop(DONE_KEY, None)
    if done:
        st.success(done, icon=":material/task_alt:")


def _done(message: str) -> None:
    st.session_state[DONE_KEY] = message
    st.rerun()


def _create() -> None:
    with (st.expander(ui.t("users.create"), key=CREATE_OPEN_KEY, on_change="rerun"),
          st.form("create_user", clear_on_submit=True)):
        username = st.text_input(ui.t("users.username"), key="new_username")
        full_name = st.text_input(ui.t("users.full_name"), key="new_full_name")
        role = ui.choice(st.selectbox, ui.t("users.role"), ROLES, format_func=ui.role, key="new_role")
        if st.form_submit_button(ui.t("users.create_submit"), type="primary"):
            if not username.strip():
                st.error(ui.t("users.empty_name"))
                return
            answer = ui.call_as(contract.UserCreated, ui.client().post, "/users",
                                {"username": username.strip(), "full_name": full_name.strip(), "role": role})
            if answer is None:
                return
            ui.forget("new_role")  # the form starts empty again, its role included
            if answer.one_time_password:
                st.session_state[OTP_STATE_KEY] = ("users.created", answer.username, answer.one_time_password)
                st.rerun()
            if answer.access_request is not None:
                _done(ui.t("access.pending_created", username=answer.username))
            st.rerun()


def _patched(username: str, payload: dict, message: str) -> None:
    if ui.call_as(contract.UserOut, ui.client().patch, f"/users/{username}", payload) is not None:
        _done(message)


def _request_access(username: str, body: dict[str, Any]) -> None:
    answer = ui.call_as(contract.AccessRequestOut, ui.client().post, f"/users/{username}/access-requests", body)
    if answer is not None:
        _done(ui.t("access.requested", id=answer.id, username=username))


def _role_row(username: str, user: contract.UserOut) -> None:
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    # Keyed by user: the selector starts on the chosen user's current role, never on the value
    # left by the previous user.
    role = ui.choice(left.selectbox, ui.t("users.new_role"), ROLES, index=ROLES.index(user.role),
                     format_func=ui.role, key=f"manage_role_{username}")
    confirmed = role != user.role and left.checkbox(
        ui.t("users.confirm_role", username=username, old=ui.role(user.role), new=ui.role(role)),
        key=f"confirm_role_{username}_{role}",
    )
    if role in APPROVED_ROLES and role != user.role:
        # Four-eyes (issue 14): this role is a request another admin decides.
        if right.button(ui.t("access.request_role"), key="manage_request_role", disabled=not confirmed):
            _request_access(username, {"kind": "role", "role": role})
    elif right.button(ui.t("users.change_role"), key="manage_change_role", disabled=not confirmed):
        _patched(username, {"role": role}, ui.t("users.role_done", username=username, role=ui.role(role)))


def _active_row(username: str, user: contract.UserOut) -> None:
    left, right = st.columns([3, 1], vertical_alignment="center")
    confirmed = left.checkbox(ui.t("users.confirm_disable" if user.active else "users.confirm_enable", username=username),
                              key=f"confirm_active_{username}_{user.active}")
    if not user.active and user.role in APPROVED_ROLES:
        if right.button(ui.t("access.request_enable"), key="manage_request_enable", disabled=not confirmed):
            _request_access(username, {"kind": "enable"})
    elif right.button(ui.t("users.disable") if user.active else ui.t("users.enable"), key="manage_active",
                      disabled=not confirmed):
        message = ui.t("users.disabled_done" if user.active else "users.enabled_done", username=username)
        _patched(username, {"active": not user.active}, message)


def _locked(user: contract.UserOut) -> bool:
    """Locked now (after too many failed sign-ins); a lock whose time has passed no longer is."""
    return user.locked_until is not None and user.locked_until > datetime.now(UTC)


def _manage(users: list[contract.UserOut], pending: list[contract.AccessRequestOut]) -> None:
    st.subheader(ui.t("users.manage"))
    if not users:
        return
    by_name = {u.username: u for u in users}
    # Plain names as options: a label that changes with the role would make Streamlit treat
    # it as a new widget and jump back to the first user after a change.
    username = st.selectbox(ui.t("users.pick"), list(by_name), key="manage_user")
    user = by_name[username]
    st.markdown(ui.t("users.current", username=user.username, role=ui.role(user.role),
                     state=ui.t("users.state_active") if user.active else ui.t("users.state_disabled")))
    waiting = next((r for r in pending if r.username == username), None)
    current = ui.tokens()
    if waiting is not None:
        # The API refuses every change beside a pending request (409 request_pending): the
        # approver must decide on the account as it was asked for. Said, not offered.
        st.info(ui.t("users.pending_block", id=waiting.id, kind=ui.t(f"access.kind.{waiting.kind}"),
                     username=username))
        if user.active and (current is None or current.username != username):
            # Taking access away goes through, and withdraws the request (the API's rule).
            _active_row(username, user)
    elif current is not None and current.username == username:
        # The API refuses it (409 own_account): said, not offered.
        st.info(ui.t("users.own_account"))
    else:
        # One row per action: what it will do (confirmation box), then the button.
        _role_row(username, user)
        _active_row(username, user)
    left, right = st.columns([3, 1], vertical_alignment="center")
    locked = _locked(user)
    left.markdown(ui.t("users.unlock_note", username=username, until=ui.when(user.locked_until)) if locked
                  else ui.t("users.not_locked", username=username))
    if right.button(ui.t("users.unlock"), key="manage_unlock", disabled=not locked):
        if ui.call_as(contract.UserOut, ui.client().post, f"/users/{username}/unlock") is not None:
            _done(ui.t("users.unlocked_done", username=username))
    if waiting is not None:
        return
    left, right = st.columns([3, 1], vertical_alignment="center")
    confirmed = left.checkbox(ui.t("users.confirm_reset", username=username), key=f"confirm_reset_{username}")
    if right.button(ui.t("users.reset"), key="manage_reset", disabled=not confirmed):
        answer = ui.call_as(contract.PasswordReset, ui.client().post, f"/users/{username}/reset-password")
        if answer is None:
            return
        if answer.one_time_password:
            st.session_state[OTP_STATE_KEY] = ("users.reset_done", answer.username, answer.one_time_password)
            st.rerun()
        if answer.access_request is not None:
            _done(ui.t("access.pending_reset", username=username))


# -- four-eyes access requests (issue 14) ---------------------------------------------------


def _pending_requests() -> list[contract.AccessRequestOut]:
    """Approve or reject what another admin asked; the approver receives the new password.
    Returns the pending requests (no change is offered on their accounts meanwhile)."""
    st.subheader(ui.t("access.title"))
    st.caption(ui.t("access.intro"))
    clicked = st.session_state.pop(CLICKED_DECISION_KEY, None)
    if clicked is not None:
        # Sent even if the request left the list meanwhile (another admin decided it): the API
        # then says so (409 request_decided), where the click used to vanish without a word.
        _decide(*clicked)
    pending = ui.fetch_as(list[contract.AccessRequestOut], "/users/access-requests", status="pending") or []
    if not pending:
        st.info(ui.t("access.none"))
        return pending
    labels = {
        r.id: ui.t("access.label", id=r.id, kind=ui.t(f"access.kind.{r.kind}"), username=r.username,
                   role=ui.role(r.role), requested_by=r.requested_by)
        for r in pending
    }
    # What this admin asked for, or what concerns their own account, another admin decides
    # (the API refuses it, 403 four_eyes): listed as waiting, never offered to decide.
    me = current.username if (current := ui.tokens()) is not None else None
    mine = [r.id for r in pending if me in (r.requested_by, r.username)]
    if mine:
        st.markdown(ui.t("access.waiting") + "\n" + "\n".join(f"- {labels[i]}" for i in mine))
        # Its requester may withdraw it (the API's reject), never approve it.
        asked = [r.id for r in pending if r.requested_by == me]
        if asked:
            left, right = st.columns([3, 1], vertical_alignment="bottom")
            withdrawn = ui.choice(left.selectbox, ui.t("access.withdraw_pick"), asked, format_func=labels.__getitem__,
                                  key="access_withdraw_pick")
            # Withdrawn is final (asking again is a new request): confirmed first, as a decision is.
            sure = left.checkbox(ui.t("access.withdraw_confirm"), key=f"access_withdraw_confirm_{withdrawn}")
            right.button(ui.t("access.withdraw"), key="access_withdraw", disabled=not sure, on_click=_clicked,
                         args=(withdrawn, "withdraw"))
        for i in mine:
            labels.pop(i)
    if not labels:
        st.info(ui.t("access.none_to_decide"))
        return pending
    chosen = ui.choice(st.selectbox, ui.t("access.pick"), list(labels), format_func=labels.__getitem__, key="access_pick")
    confirmed = st.checkbox(ui.t("access.confirm"), key=f"access_confirm_{chosen}")
    approve, reject = st.columns(2)
    # The click keeps the request shown with it; it is decided at the top of the next run.
    approve.button(ui.t("access.approve"), key="access_approve", type="primary", disabled=not confirmed,
                   on_click=_clicked, args=(chosen, "approve"))
    reject.button(ui.t("access.reject"), key="access_reject", disabled=not confirmed,
                  on_click=_clicked, args=(chosen, "reject"))
    return pending


def _clicked(chosen: int, decision: str) -> None:
    st.session_state[CLICKED_DECISION_KEY] = (chosen, decision)


def _decide(chosen: int, decision: str) -> None:
    """``decision``: approve, reject, or withdraw (its requester's reject)."""
    route = "reject" if decision == "withdraw" else decision
    result = ui.call_as(contract.AccessDecision, ui.client().post, f"/users/access-requests/{chosen}/{route}")
    if result is None:
        return
    if result.one_time_password:
        st.session_state[OTP_STATE_KEY] = ("access.approved_otp", result.request.username, result.one_time_password)
        st.rerun()
    _done(ui.t("access.withdrawn" if decision == "withdraw" else "access.rejected", id=chosen))


def users_page() -> None:
    st.title(ui.t("users.title"))
    _show_done()
    _show_one_time_password()
    users = ui.fetch_as(list[contract.UserOut], "/users") or []
    if users:
        st.dataframe(
            pd.DataFrame({
                ui.t("users.username"): [u.username for u in users],
                ui.t("users.full_name"): [u.full_name or "—" for u in users],
                ui.t("users.role"): [ui.role(u.role) for u in users],
                ui.t("users.active"): [ui.show_value(u.active) for u in users],
                ui.t("users.locked_until"): [ui.when(u.locked_until) if _locked(u) else "—" for u in users],
                ui.t("users.must_change"): [ui.show_value(u.must_change_password) for u in users],
                ui.t("users.created_at"): [ui.when(u.created_at) for u in users],
            }),
            hide_index=True,
        )
        if sum(u.role == "admin" and u.active for u in users) < 2:
            st.warning(ui.t("users.one_admin"), icon=":material/group_off:")
    pending = _pending_requests()
    _create()
    _manage(users, pending)
