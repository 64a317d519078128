"""Admin page: users and roles. One-time passwords are shown once and never kept in the
session after the next action."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from frontend import ui

ROLES = ("advisor", "comex", "compliance", "admin")
# Roles granted only on a second admin's approval (security.rbac.ROLES_NEEDING_APPROVAL).
APPROVED_ROLES = ("advisor", "compliance", "admin")
OTP_STATE_KEY = "admin_one_time_password"  # noqa: S105 - a session-state key name


def _show_one_time_password() -> None:
    shown = st.session_state.pop(OTP_STATE_KEY, None)
    if shown:
        message_key, username, password = shown
        st.success(ui.t(message_key, username=username))
        st.code(password, language=None)
        st.caption(ui.t("users.otp_note"))


def _password_from(answer: Any) -> str | None:
    return ui.pick(answer, "one_time_password", "password", "temporary_password")


def _create() -> None:
    with st.expander(ui.t("users.create")), st.form("create_user", clear_on_submit=True):
        username = st.text_input(ui.t("users.username"), key="new_username")
        full_name = st.text_input(ui.t("users.full_name"), key="new_full_name")
        role = st.selectbox(ui.t("users.role"), ROLES, format_func=lambda r: ui.t(f"role.{r}"), key="new_role")
        if st.form_submit_button(ui.t("users.create_submit"), type="primary"):
            if not username.strip():
                st.error(ui.t("users.empty_name"))
                return
            answer = ui.call(ui.client().post, "/users", {"username": username.strip(), "full_name": full_name.strip(), "role": role})
            if answer is not None:
                password = _password_from(answer)
                if password:
                    st.session_state[OTP_STATE_KEY] = ("users.created", username.strip(), password)
                elif ui.pick(answer, "access_request"):
                    st.toast(ui.t("access.pending_created", username=username.strip()))
                st.rerun()


def _manage(users: list[dict[str, Any]]) -> None:
    st.subheader(ui.t("users.manage"))
    names = [str(u.get("username")) for u in users]
    if not names:
        return
    username = st.selectbox(ui.t("users.pick"), names, key="manage_user")
    user = next(u for u in users if u.get("username") == username)
    api = ui.client()
    a, b, c, d = st.columns(4)
    with a:
        current = str(user.get("role"))
        role = st.selectbox(ui.t("users.role"), ROLES, index=ROLES.index(current) if current in ROLES else 0,
                            format_func=lambda r: ui.t(f"role.{r}"), key="manage_role")
        if role in APPROVED_ROLES and role != current:
            # Four-eyes (issue 14): this role is a request another admin decides.
            if st.button(ui.t("access.request_role"), key="manage_request_role"):
                _request_access(username, {"kind": "role", "role": role})
        elif st.button(ui.t("users.change_role"), key="manage_change_role") and ui.call(api.patch, f"/users/{username}", {"role": role}) is not None:
            st.toast(ui.t("users.done", username=username))
            st.rerun()
    with b:
        active = bool(user.get("active", True))
        label = ui.t("users.disable") if active else ui.t("users.enable")
        if not active and current in APPROVED_ROLES:
            if st.button(ui.t("access.request_enable"), key="manage_request_enable"):
                _request_access(username, {"kind": "enable"})
        elif st.button(label, key="manage_active") and ui.call(api.patch, f"/users/{username}", {"active": not active}) is not None:
            st.toast(ui.t("users.done", username=username))
            st.rerun()
    with c:
        if st.button(ui.t("users.unlock"), key="manage_unlock") and ui.call(api.post, f"/users/{username}/unlock") is not None:
            st.toast(ui.t("users.done", username=username))
            st.rerun()
    with d:
        if st.button(ui.t("users.reset"), key="manage_reset"):
            answer = ui.call(api.post, f"/users/{username}/reset-password")
            password = _password_from(answer)
            if password:
                st.session_state[OTP_STATE_KEY] = ("users.reset_done", username, password)
                st.rerun()
            elif ui.pick(answer, "access_request"):
                st.toast(ui.t("access.pending_reset", username=username))


# -- four-eyes access requests (issue 14) ---------------------------------------------------


def _request_access(username: str, body: dict[str, Any]) -> None:
    answer = ui.call(ui.client().post, f"/users/{username}/access-requests", body)
    if answer is not None:
        st.toast(ui.t("access.requested", id=ui.pick(answer, "id"), username=username))
        st.rerun()


def _pending_requests() -> None:
    """Approve or reject what another admin asked; the approver receives the new password."""
    st.subheader(ui.t("access.title"))
    st.caption(ui.t("access.intro"))
    answer = ui.fetch("/users/access-requests", status="pending")
    pending = [r for r in answer if isinstance(r, dict)] if isinstance(answer, list) else []
    if not pending:
        st.info(ui.t("access.none"))
        return
    labels = {
        int(r["id"]): ui.t("access.label", id=r["id"], kind=ui.t(f"access.kind.{r.get('kind')}"),
                           username=r.get("username"), role=ui.t(f"role.{r.get('role')}"),
                           requested_by=r.get("requested_by"))
        for r in pending
    }
    chosen = st.selectbox(ui.t("access.pick"), list(labels), format_func=labels.__getitem__, key="access_pick")
    confirmed = st.checkbox(ui.t("access.confirm"), key=f"access_confirm_{chosen}")
    approve, reject = st.columns(2)
    decision = None
    with approve:
        if st.button(ui.t("access.approve"), key="access_approve", type="primary", disabled=not confirmed):
            decision = "approve"
    with reject:
        if st.button(ui.t("access.reject"), key="access_reject", disabled=not confirmed):
            decision = "reject"
    if decision is None:
        return
    result = ui.call(ui.client().post, f"/users/access-requests/{chosen}/{decision}")
    if result is None:
        return
    request = next(r for r in pending if int(r["id"]) == chosen)
    password = _password_from(result)
    if password:
        st.session_state[OTP_STATE_KEY] = ("access.approved_otp", str(request.get("username")), password)
    else:
        st.toast(ui.t("access.rejected", id=chosen))
    st.rerun()


def users_page() -> None:
    st.title(ui.t("users.title"))
    _show_one_time_password()
    answer = ui.fetch("/users")
    users = answer if isinstance(answer, list) else ui.pick(answer, "users", "items", default=[])
    users = [u for u in users if isinstance(u, dict)]
    if users:
        frame = pd.DataFrame(users)
        columns = [c for c in ("username", "full_name", "role", "active", "locked", "locked_until", "must_change_password", "created_at") if c in frame.columns]
        st.dataframe(frame[columns], hide_index=True)
    _pending_requests()
    _create()
    _manage(users)
