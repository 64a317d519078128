"""Login and password pages."""

from __future__ import annotations

import streamlit as st

from frontend import ui
from frontend.api import ApiError, ErrorKind


def login_page() -> None:
    st.title(ui.t("login.title"))
    st.caption(ui.t("login.intro"))
    with st.form("login", clear_on_submit=False):
        username = st.text_input(ui.t("login.username"), key="login_username", autocomplete="username")
        password = st.text_input(ui.t("login.password"), type="password", key="login_password", autocomplete="current-password")
        submitted = st.form_submit_button(ui.t("login.submit"), type="primary")
    if not submitted:
        return
    if not username.strip() or not password:
        st.warning(ui.t("login.missing"))
        return
    try:
        ui.client().login(username.strip(), password)
    except ApiError as error:
        if error.kind is ErrorKind.bad_credentials:
            st.error(ui.t("login.failed"))
        else:
            st.error(ui.error_message(error))
        return
    # The password must not outlive the form in the session state.
    st.session_state.pop("login_password", None)
    st.rerun()


def change_password_page(*, forced: bool) -> None:
    st.title(ui.t("password.title"))
    if forced:
        st.warning(ui.t("password.forced"))
    st.caption(ui.t("password.rules"))
    with st.form("password", clear_on_submit=True):
        current = st.text_input(ui.t("password.current"), type="password", autocomplete="current-password")
        new = st.text_input(ui.t("password.new"), type="password", autocomplete="new-password")
        confirm = st.text_input(ui.t("password.confirm"), type="password", autocomplete="new-password")
        submitted = st.form_submit_button(ui.t("password.submit"), type="primary")
    if not submitted:
        return
    if new != confirm:
        st.error(ui.t("password.mismatch"))
        return
    try:
        ui.client().change_password(current, new)
    except ApiError as error:
        ui.show_error(error)
        return
    if forced:
        ui.flash("password.changed")
        st.rerun()
    st.success(ui.t("password.changed"))
