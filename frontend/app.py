"""Octroi dashboard entry point: ``streamlit run frontend/app.py`` (``octroi serve dashboard``).

Builds the navigation from the session's role on every run: anonymous sessions get the login
page only, a one-time-password session only the password form, everyone else their role's
pages. The API base URL comes from ``OCTROI_API_URL``.
"""

from __future__ import annotations

import functools
import json
import re

import streamlit as st
from PIL import Image, ImageDraw
from streamlit.runtime.scriptrunner import get_script_run_ctx

from frontend import charts, i18n, ui
from frontend.navigation import CHANGE_PASSWORD, LOGIN, PageSpec, pages_behind_login, pages_for
from frontend.views.session import change_password_page, login_page


@functools.cache
def _favicon() -> Image.Image:
    """The tab's icon, drawn here and served by the dashboard itself: a ``:material/...:`` icon
    was fetched from fonts.gstatic.com by every browser that opened a page (none offline, and a
    bank's browsers told Google each time)."""
    icon = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    draw = ImageDraw.Draw(icon)
    draw.rounded_rectangle((2, 10, 62, 54), radius=8, fill=charts.CLIENT)
    draw.rectangle((2, 20, 62, 28), fill="#1f2328")
    draw.rounded_rectangle((10, 38, 30, 46), radius=2, fill="#ffffff")
    return icon


st.set_page_config(page_title="Octroi", page_icon=_favicon(), layout="wide")


def _page(spec: PageSpec, *, default: bool = False) -> st.Page:
    return st.Page(spec.file, title=ui.t(spec.title_key), icon=spec.icon, url_path=spec.url_path, default=default)


def _stand_in(spec: PageSpec, *, home: st.Page, state: str, explain: bool) -> st.Page:
    """A page this session is not given (before login, every page; after, another role's),
    under its own address and out of the menu. A reloaded page or an opened link ends on the
    login page (the session lives in the browser tab's connection): Streamlit then said, in
    English whatever the language, that a real page "does not seem to exist", and ran another.
    This shows nothing of the page it stands for. ``state``: ``anonymous``, the login form, which
    leads to the page once the role has it (with why the session ended, unless the page already
    said, after a logout); ``password``, a one-time password in use, the password form (the
    session's only page: there is no menu to choose it from); ``signed_in``, a sentence and a
    link to the session's first page."""

    def stand_in() -> None:
        if state == "password":
            change_password_page(forced=True)
        elif state == "signed_in":
            st.warning(ui.t("app.not_in_this_session"))
            st.page_link(home)
        else:
            if explain:
                st.info(ui.t("app.sign_in_again"))
            login_page()

    return st.Page(stand_in, title=ui.t(spec.title_key), icon=spec.icon, url_path=spec.url_path,
                   visibility="hidden")


def _sidebar() -> None:
    with st.sidebar:
        st.radio(
            "Langue / Language",
            options=list(i18n.LANGUAGES),
            format_func=lambda code: {"fr": "Français", "en": "English"}[code],
            horizontal=True,
            key=ui.LANG_KEY,
        )
        current = ui.tokens()
        if current is not None:
            st.markdown(ui.t("app.signed_in_as", username=current.username, role=ui.role(current.role)))
            if st.button(ui.t("app.logout"), key="logout", icon=":material/logout:"):
                ui.client().logout()
                ui.end_session("app.logged_out")
                st.rerun()


# Streamlit's page is ``<html lang="en">`` whatever it shows, and its captions are grey at
# 60 % opacity (under 4.5:1 on white): say the page's language and darken faded text.
_PAGE_FIX = """
<style>
  {date_placeholders}
  [data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] * {{ color: #4a4f5c !important; opacity: 1 !important; }}
  [data-testid="stWidgetLabel"] p, [data-testid="stMetricLabel"] p {{ color: #262730; }}
  /* A static table (ui.table) breaks lines between words, so a column is at least as wide as
     its longest word ("Secondaire", not "Secondai" over "re"); only a word longer than the
     whole column (a hash, a long setting name) is broken, rather than making one cell scroll
     on its own (unreachable from the keyboard). */
  [data-testid="stTable"] td, [data-testid="stTable"] td *,
  [data-testid="stTable"] th, [data-testid="stTable"] th * {{ overflow-wrap: break-word !important; }}
</style>
<script>
  document.documentElement.lang = "{lang}";
  window.octroiLang = "{lang}";
  window.octroiNames = {names};
  window.octroiPrefixes = {prefixes};
  window.octroiSuffixes = {suffixes};
  // Streamlit hands its widgets the browser's language (the date field's calendar: month and
  // day names, the first day of the week, its accessible names), read at each render of the
  // app: the page's language instead, so a French page has a French calendar on any browser.
  window.octroiLocale = "{locale}";
  if (!window.octroiLocaleSet) {{
    window.octroiLocaleSet = true;
    Object.defineProperty(navigator, "language", {{configurable: true, get: () => window.octroiLocale}});
    Object.defineProperty(navigator, "languages", {{configurable: true, get: () => [window.octroiLocale]}});
  }}
  // Streamlit's own accessible names (help icons, sidebar, table toolbar, a selectbox's
  // placeholder) are English in every
  // language and no option changes them: relabel them, both ways, whenever the page changes.
  if (!window.octroiRelabel) {{
    const relabel = () => {{
      const french = window.octroiLang === "fr";
      const prefixes = window.octroiPrefixes.map(([en, fr]) => french ? [en, fr] : [fr, en]);
      const suffixes = window.octroiSuffixes.map(([en, fr]) => french ? [en, fr] : [fr, en]);
      const names = french ? window.octroiNames
        : Object.fromEntries(Object.entries(window.octroiNames).map(([en, fr]) => [fr, en]));
      for (const attribute of ["aria-label", "title", "placeholder", "aria-valuetext"]) {{
        document.querySelectorAll("[" + attribute + "]").forEach((node) => {{
          const text = node.getAttribute(attribute);
          if (Object.hasOwn(names, text)) {{ node.setAttribute(attribute, names[text]); return; }}
          // "day, Période start date": a prefix, a suffix, or both around the widget's label.
          let relabelled = text;
          const prefix = prefixes.find(([from]) => relabelled.startsWith(from));
          if (prefix) relabelled = prefix[1] + relabelled.slice(prefix[0].length);
          const suffix = suffixes.find(([from]) => relabelled.endsWith(from));
          if (suffix) relabelled = relabelled.slice(0, relabelled.length - suffix[0].length) + suffix[1];
          if (relabelled !== text) node.setAttribute(attribute, relabelled);
        }});
      }}
    }};
    window.octroiRelabel = new MutationObserver(relabel);
    window.octroiRelabel.observe(document.body, {{subtree: true, childList: true, attributes: true,
                                                  attributeFilter: ["aria-label", "title", "placeholder", "aria-valuetext"]}});
    relabel();
  }}
</script>
"""


# An empty date field shows its segments' placeholders (dd / mm / yyyy), English whatever the
# browser's language: on a French page they read jj / mm / aaaa. Drawn by CSS over the
# hidden English (the segments' text belongs to the date field's own code, never rewritten).
_FRENCH_DATE_PLACEHOLDERS = "\n".join(
    f'[data-testid="stDateInput"] [data-placeholder="true"][data-type="{segment}"] {{ position: relative; '
    f'color: transparent !important; }}\n'
    f'[data-testid="stDateInput"] [data-placeholder="true"][data-type="{segment}"]::after {{ content: "{french}"; '
    f'position: absolute; left: 0; color: #6b7080; }}'
    for segment, french in (("day", "jj"), ("month", "mm"), ("year", "aaaa"))
) + (
    # A field being typed in says "Press Enter to submit form" (Ctrl+Enter in a text area),
    # English whatever the page's language: hidden, its French drawn in its place.
    '\n[data-testid="InputInstructions"] { visibility: hidden; position: relative; }'
    '\n[data-testid="InputInstructions"]::after { visibility: visible; content: "Entrée pour valider"; '
    'position: absolute; right: 0; top: 0; white-space: nowrap; }'
    '\n[data-testid="stTextArea"] [data-testid="InputInstructions"]::after { content: "Ctrl+Entrée pour valider"; }'
)


def _page_language() -> None:
    st.html(_PAGE_FIX.format(lang=ui.lang(), locale=i18n.LOCALES[ui.lang()].replace("_", "-"),
                             names=json.dumps(i18n.accessible_names()),
                             prefixes=json.dumps(i18n.accessible_prefixes()),
                             suffixes=json.dumps(i18n.accessible_suffixes()),
                             date_placeholders=_FRENCH_DATE_PLACEHOLDERS if ui.lang() == "fr" else ""),
            unsafe_allow_javascript=True)


# An address a page could have: one path segment of letters, digits, "_" and "-".
_ADDRESS = re.compile(r"[A-Za-z0-9_-]{1,100}")


def _requested_address() -> str:
    """The page address the browser asked for (``""`` for the root or when unknown), as
    Streamlit's navigation will look it up (``PagesManager.intended_page_name``)."""
    manager = getattr(get_script_run_ctx(), "pages_manager", None)
    name = getattr(manager, "intended_page_name", None)
    return name if isinstance(name, str) else ""


def _no_such_page(address: str, home: st.Page) -> st.Page:
    """A hidden page under an address that is no page at all (a mistyped or outdated link):
    Streamlit said so in English whatever the language, in a box, then ran the first page.
    This says it in the page's language, with a link to the session's first page."""

    def no_such_page() -> None:
        st.warning(ui.t("app.no_such_page"))
        st.page_link(home)

    return st.Page(no_such_page, title=ui.t("app.no_such_page_title"), icon=":material/link_off:",
                   url_path=address, visibility="hidden")


def main() -> None:
    if ui.LANG_KEY not in st.session_state:
        st.session_state[ui.LANG_KEY] = i18n.DEFAULT_LANGUAGE
    _page_language()
    try:
        ui.config()
    except ValueError as exc:
        st.error(ui.t("error.config", detail=str(exc)))
        st.stop()
    ui.keep_session_fresh()
    _sidebar()
    current = ui.tokens()
    specs = pages_for(
        current.role if current else None,
        must_change_password=bool(current and current.must_change_password),
    )
    message = ui.pop_flash()
    if message:
        st.info(ui.t(message))
    pages = [_page(spec, default=index == 0) for index, spec in enumerate(specs)]
    state = "anonymous" if current is None else "password" if current.must_change_password else "signed_in"
    given = {spec.url_path for spec in specs}
    stand_ins = [_stand_in(spec, home=pages[0], state=state, explain=message is None)
                 for spec in pages_behind_login() if spec.url_path not in given]
    known = {spec.url_path for spec in (*pages_behind_login(), LOGIN, CHANGE_PASSWORD)} | given
    address = _requested_address()
    unknown = [_no_such_page(address, pages[0])] if address not in known and _ADDRESS.fullmatch(address) else []
    navigation = st.navigation([*pages, *stand_ins, *unknown])
    try:
        navigation.run()
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        # An answer that parsed as JSON but lacks what the page needs: the API and the
        # dashboard disagree. Say so plainly instead of showing a traceback.
        st.error(ui.t("error.malformed"))


main()
