"""Admin page: users and roles. One-time passwords are shown once and never kept in the
session after the next action."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from frontend import ui

ROLES = ("advisor", "comex", "compliance", "admin")
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
        if st.button(ui.t("users.change_role"), key="manage_change_role") and ui.call(api.patch, f"/users/{username}", {"role": role}) is not None:
            st.toast(ui.t("users.done", username=username))
            st.rerun()
    with b:
        active = bool(user.get("active", True))
        label = ui.t("users.disable") if active else ui.t("users.enable")
        if st.button(label, key="manage_active") and ui.call(api.patch, f"/users/{username}", {"active": not active}) is not None:
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
    _create()
    _manage(users)
