"""Streamlit glue shared by every page: language, session, API access, error display.

Everything user-specific lives in ``st.session_state`` (one per browser session). Nothing
here uses ``st.cache_data``/``st.cache_resource``: those are shared by every session of the
process, and a cached answer fetched with one user's token must never reach another user.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import math
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

import streamlit as st
from pydantic import TypeAdapter, ValidationError
from streamlit.errors import StreamlitAPIException

from frontend import charts, i18n
from frontend.api import ApiClient, ApiError, ErrorKind, Tokens
from frontend.config import DashboardConfig, load_config

TOKENS_KEY = "octroi_tokens"
LANG_KEY = "octroi_lang"
FLASH_KEY = "octroi_flash"
SUBJECT_KEY = "octroi_subject"  # how many clients this session put on screen (``about_subject``)
# The API's row of the small groups pooled together (portfolio segments, fairness groups; ml.disclosure).
POOLED = "pooled"

T = TypeVar("T")


_SPEAKING: contextvars.ContextVar[str | None] = contextvars.ContextVar("octroi_speaking", default=None)


def lang() -> str:
    value = _SPEAKING.get() or st.session_state.get(LANG_KEY, i18n.DEFAULT_LANGUAGE)
    return value if value in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE


@contextlib.contextmanager
def speaking(language: str) -> Iterator[None]:
    """Draw a document in its own language inside a page in another (a data-subject export
    generated in French, kept on screen after a switch to English, read half in each)."""
    token = _SPEAKING.set(language)
    try:
        yield
    finally:
        _SPEAKING.reset(token)


def t(key: str, **values: object) -> str:
    return i18n.translate(lang(), key, **values)


def recommendation(value: str | None) -> str:
    """The model's side as a recommendation (*Refus*), never as a decision taken (*Refusé*): the
    advisor decides (GDPR Art. 22). A value the catalog does not know is shown as sent."""
    return t(f"recommendation.{value}") if value in ("approve", "refuse") else "—" if value is None else str(value)


def role(name: str | None) -> str:
    """A role in the page's language ("conseiller"), a role the catalog does not know as sent,
    no role as a dash."""
    return t_or(f"role.{name}", name) if name else "—"


def t_or(key: str, fallback: str) -> str:
    """The catalog's sentence for ``key``, or ``fallback`` when the catalog lacks it (a name
    the API added since)."""
    return t(key) if key in i18n.CATALOG else fallback


def pct(value: float | None, digits: int = 1) -> str:
    return i18n.percent(value, lang(), digits)


def num(value: float | int | None, digits: int = 0) -> str:
    return i18n.number(value, lang(), digits)


def colon() -> str:
    """A label's colon in the page's language: French sets a no-break space before it."""
    return "\u00a0: " if lang() == "fr" else ": "


def signed(value: float, digits: int = 0) -> str:
    """A change with its sign, in the page's number format: ``+12,6`` / ``-1,3`` in French."""
    return ("+" if value > 0 else "") + num(value, digits)


def completed_years(years: float) -> float:
    """Years as every page writes them: completed years, to one decimal, rounded down (48.9993
    years is 48,9 and "48 ans", never 49,0), as the profile states them. A copy of
    ``ml.features.completed_years_of`` (the dashboard imports nothing from ``ml``; a test pins
    the two equal)."""
    return math.floor(years * 10 + 1e-9) / 10


# Under this share of the known values an answer is rare, atypical (``ml.disclosure.RARE_SHARE``).
RARE_SHARE = 0.01


def same_share(share: float) -> str:
    """The share of the population (0-1) with the same answer, as the plain-language text writes
    it (``ml.bundle.share_digits``, pinned by a test): whole percents, unless that would read
    0 % or 100 % without being so (``0,01 %``), or as the 1 % under which an answer is rare
    (``0,6 %``, ``0,99 %``), at most two decimals."""
    digits = max(i18n.distinct_digits(share, 0.0, 0, 2), i18n.distinct_digits(share, 1.0, 0, 2),
                 i18n.distinct_digits(share, RARE_SHARE, 0, 2))
    return pct(share, digits)


def money(value: float | int | None, digits: int = 0) -> str:
    return i18n.money(value, lang(), digits)


def money_compact(value: float | int | None) -> str:
    return i18n.money_compact(value, lang())


def when(value: Any, *, seconds: bool = False) -> str:
    """A timestamp as local Paris time, the page's way."""
    return i18n.when(value, lang(), seconds=seconds)


TIMEZONE = i18n.TIMEZONE


def day(value: Any) -> str:
    """A calendar day (a ``date`` or ``YYYY-MM-DD``) the page's way (``1 décembre 2026``)."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return value
    return i18n.day(value, lang())


def month(value: str | None) -> str:
    """A ``YYYY-MM`` month the page's way (``décembre 2026``)."""
    return i18n.month(value, lang())


def short_day(value: Any) -> str:
    """The Paris day of a timestamp, short enough for a tile (``12 nov.``)."""
    return i18n.short_day(value, lang())


def level(value: Any) -> str:
    """A category level in the page's language; the API's row of pooled small groups
    (``POOLED``: portfolio segments, fairness groups) as *Autres (regroupés)*."""
    return t("segments.pooled") if value == POOLED else i18n.level(value, lang())


def choice(widget: Callable[..., Any], label: str, options: Sequence[T], *, key: str,
           format_func: Callable[[T], str], index: int = 0, **kwargs: Any) -> T:
    """``widget`` (``st.selectbox``/``st.radio``, or a column's) whose option labels are in the
    page's language, drawn so that a language switch shows the truth.

    The browser keeps a keyed widget's choice as its label: after a switch it went on showing
    the other language's label (a selectbox) or no option at all (a radio), while the page used
    the choice, or the default, unseen; an advisor could record a decision no option showed.
    The widget is keyed by language (``{key}.{lang}``, a new one after a switch) and starts from
    the option the page last used, kept under ``key``; ``index`` is the choice before any.
    ``forget(key)`` drops both."""
    options = list(options)
    start = options.index(st.session_state[key]) if key in st.session_state and st.session_state[key] in options else index
    # The labels of this run, in this run's language: Streamlit may format an option again
    # outside the run (its test harness does), where the session's language is not at hand.
    labels = [format_func(option) for option in options]
    value = widget(label, options, index=start, format_func=lambda option: labels[options.index(option)],
                   key=f"{key}.{lang()}", **kwargs)
    st.session_state[key] = value
    return value


@dataclass(frozen=True)
class Unreadable:
    """What a number field holds when it cannot be used: why, in the page's language."""

    reason: str


def number_entry(widget: Callable[..., str], label: str, value: float | None, *, key: str, digits: int,
                 low: float | None = None, high: float | None = None, whole: bool = False,
                 **kwargs: Any) -> float | None | Unreadable:
    """A number typed the page's way (``42 000,5`` in French, ``42,000.5`` in English) in a text
    field (``widget``: ``st.text_input`` or a column's), read with ``i18n.parse_entry``; blank
    is None. Streamlit's number input would keep an English decimal point and, in a French
    browser, silently drop a typed comma (decision 0033).

    The field shows ``value`` (at most ``digits`` decimals); left as shown it gives ``value``
    back exactly (its rounding is not an edit) and is not checked against the bounds, so a
    client's own special value can be shown. Anything typed must lie in [``low``, ``high``]
    and, with ``whole``, be a whole number, or an :class:`Unreadable` says why. As
    ``choice``, the field is keyed by language and starts from the value the page last used,
    kept under ``key``; ``forget(key)`` drops it all."""
    language = lang()
    field_key = f"{key}.{language}"
    seed_key = f"{field_key}.shown"
    if field_key not in st.session_state or seed_key not in st.session_state:
        start = st.session_state.get(key, value)
        shown = i18n.entry_text(start, language, digits)
        st.session_state[field_key] = shown
        st.session_state[seed_key] = (shown, start)
    text = widget(label, key=field_key, **kwargs) or ""
    shown, start = st.session_state[seed_key]
    if text.strip() == shown:
        st.session_state[key] = start
        return start
    try:
        number = i18n.parse_entry(text, language)
    except i18n.EntryError as error:
        return Unreadable(t(error.key, text=error.text))
    if number is not None:
        if whole and not number.is_integer():
            return Unreadable(t("entry.whole", value=text.strip()))
        if (low is not None and number < low) or (high is not None and number > high):
            low_text, high_text = (i18n.entry_text(v, language, digits) or "…" for v in (low, high))
            return Unreadable(t("entry.range", value=text.strip(), low=low_text, high=high_text))
    st.session_state[key] = number
    return number


# The API's bound on a bank client id (``security.pseudonym.MAX_CLIENT_ID_DIGITS``; a test pins
# them equal): a longer id is refused here, in the page's words, not by the API's 422.
CLIENT_ID_DIGITS = 12


def valid_client_id(raw: object) -> str | None:
    """The bank client id typed in a look-up as the API expects it (ASCII digits, no leading
    zeros, at most ``CLIENT_ID_DIGITS``), or None. ``str.isdigit`` alone also admits "²" (a key
    of the French keyboard), which ``int`` then refuses with an exception on the page."""
    candidate = str(raw).strip()
    if not (candidate.isascii() and candidate.isdigit()):
        return None
    normalized = str(int(candidate))
    return normalized if normalized != "0" and len(normalized) <= CLIENT_ID_DIGITS else None


def new_subject() -> None:
    """Another client is on screen: the widgets keyed by ``about_subject`` start anew."""
    st.session_state[SUBJECT_KEY] = st.session_state.get(SUBJECT_KEY, 0) + 1


def about_subject(key: str) -> str:
    """``key`` for a widget about the client on screen, different for every client opened.

    A keyed widget keeps its value whatever its new default, and in the browser too: dropping its
    state on the server does not reach the browser, which sends the old value back with the next
    interaction. Only a new key starts it from the new client's values."""
    return f"{key}@{st.session_state.get(SUBJECT_KEY, 0)}"


def forget(*prefixes: str) -> None:
    """Drop every session value (widgets included) whose key starts with one of ``prefixes``."""
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefixes)]:
        del st.session_state[key]


def percent_suffix() -> str:
    """What Babel writes after a percentage's digits in the page's language (``20 %`` in
    French: a no-break space, ``20%`` in English)."""
    return re.sub(r"^[\d.,\s\u00a0\u202f]*\d", "", pct(0.2, 0))


def plotly_chart(fig: Any, key: str, **kwargs: Any) -> None:
    """A chart in the page's number format (``10,7 %`` in French, ticks as the text on the page),
    without Plotly's toolbar."""
    charts.localise(fig, separators=",\u202f" if lang() == "fr" else ".,", percent=percent_suffix())
    st.plotly_chart(fig, key=key, config={"displayModeBar": False}, **kwargs)


# st.table reads every cell as Markdown (and ``:name[...]`` directives, ``$...$`` formulas):
# any ASCII punctuation written with a backslash is shown as itself.
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def literal(text: object) -> str:
    """``text`` as Markdown that shows exactly those characters."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", str(text))


def identifiers(names: Sequence[object]) -> str:
    """Technical names (columns, settings) as inline code, for :func:`table`'s ``code`` columns."""
    # A backtick would end the code span early and let the rest be read as Markdown.
    return ", ".join(f"`{str(name).replace('`', chr(39))}`" for name in names) or "—"


def table(frame: Any, *, code: Sequence[str] = ()) -> None:
    """A table to read: every column and the whole of every cell on screen, wrapped to the
    page's width. ``st.dataframe`` draws a canvas that hides what does not fit behind a
    scroll (a COMEX reader saw "Dema" for "Demandes"); it stays for long lists to scroll.
    Cells are shown as written, except the ``code`` columns (built with :func:`identifiers`)."""
    shown = frame.copy()
    for name in frame.columns:
        if name not in code:
            # A missing value reads as a dash, as everywhere else on the pages (not "None").
            shown[name] = frame[name].map(lambda v: "—" if v is None or (isinstance(v, float) and v != v) else literal(v))
    shown.columns = [literal(name) for name in frame.columns]
    st.table(shown, hide_index=True)


def config() -> DashboardConfig:
    return load_config()


def tokens() -> Tokens | None:
    value = st.session_state.get(TOKENS_KEY)
    return value if isinstance(value, Tokens) else None


def _store_tokens(value: Tokens | None) -> None:
    if value is None:
        st.session_state.pop(TOKENS_KEY, None)
    else:
        st.session_state[TOKENS_KEY] = value


def client() -> ApiClient:
    """An API client bound to this session's tokens (refreshed tokens are stored back)."""
    return ApiClient(config(), tokens(), _store_tokens)


def flash(message_key: str) -> None:
    """A message shown once on the next page (e.g. after an expired session)."""
    st.session_state[FLASH_KEY] = message_key


def pop_flash() -> str | None:
    return st.session_state.pop(FLASH_KEY, None)


def end_session(message_key: str | None = None) -> None:
    """Forget every user-specific value of this session, keeping only the language."""
    keep = {LANG_KEY: st.session_state.get(LANG_KEY, i18n.DEFAULT_LANGUAGE)}
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state.update(keep)
    if message_key:
        flash(message_key)


def keep_session_fresh() -> None:
    """Refresh an access token about to expire before the page runs, so a page that makes
    no API call still notices a session that has ended (back to login, with a message)."""
    current = tokens()
    if current is None or current.expires_at - time.time() > config().refresh_margin_seconds:
        return
    try:
        client().refresh()
    except ApiError as error:
        if error.kind is ErrorKind.session_expired:
            end_session("session.expired")
        # Unreachable or slow: keep the session; the page's own calls will say so.


def error_message(error: ApiError) -> str:
    if error.kind in (ErrorKind.invalid, ErrorKind.conflict):
        return t(f"error.{error.kind}", detail=refusal_detail(error) or "—")
    if error.kind is ErrorKind.locked and error.retry_after:
        return t("login.locked", minutes=max(1, round(error.retry_after / 60)))
    if error.kind is ErrorKind.rate_limited:
        return t("error.rate_limited_wait", wait=wait_text(error.retry_after or 60))
    return t(f"error.{error.kind}")


def wait_text(seconds: int) -> str:
    """A Retry-After as a person reads it: seconds under a minute, else whole minutes rounded
    up ("45 min", never "2681 s"), hours and minutes from an hour on ("2 h 05 min")."""
    if seconds < 60:
        return t("wait.seconds", seconds=max(1, seconds))
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return t("wait.minutes", minutes=minutes)
    hours, rest = divmod(minutes, 60)
    return t("wait.hours", hours=hours) if not rest else t("wait.hours_minutes", hours=hours, minutes=f"{rest:02d}")


# Codes that name a status, not a rule: the English page keeps the API's own words for them.
_GENERIC_CODES = frozenset({"bad_request", "validation_error", "conflict"})


def refusal_detail(error: ApiError) -> str:
    """What a refused input breaks, in the page's language: each field by its label and the
    rule by the API's machine-readable reason (``FieldError.reason``), never the API's English
    in a French page. A rule the catalog does not know yet: its English words in English, a
    plain "invalid value" in French."""
    if not error.reasons:  # a refusal about the state of things: a specific code says which
        code = f"problem.{error.code}"
        if error.code not in _GENERIC_CODES and code in i18n.CATALOG:
            return t(code)
        return error.detail if lang() == "en" else t(f"problem.{error.kind}")
    problems: dict[str, dict[str, None]] = {}  # field label -> its problems, in order, once each
    for field, reason in error.reasons:
        known = f"problem.{reason}" in i18n.CATALOG
        if not known and lang() == "en":
            return error.detail
        label = t_or(f"field.{field.rsplit('.', 1)[-1]}", field)
        problems.setdefault(label, {})[t(f"problem.{reason}" if known else "problem.invalid")] = None
    return t("error.problems_joined").join(
        t("error.field_problem", field=label, problem=", ".join(found)) for label, found in problems.items()
    )


def show_error(error: ApiError) -> None:
    """Show ``error`` as a sentence; an expired session goes back to the login page."""
    if error.kind is ErrorKind.session_expired:
        end_session("session.expired")
        st.rerun()
    if error.kind is ErrorKind.password_change_required:
        current = tokens()
        if current is not None:
            from dataclasses import replace

            _store_tokens(replace(current, must_change_password=True))
        st.rerun()
    st.error(error_message(error))


def rerun_part() -> NoReturn:
    """Run again the fragment this is called from (``st.fragment``: the part of the page a
    click changed), or the whole page where there is none to run alone: outside a fragment, or
    when the fragment ran as part of the page (Streamlit refuses a fragment's rerun then, and
    AppTest always runs the page)."""
    with contextlib.suppress(StreamlitAPIException):
        st.rerun(scope="fragment")
    st.rerun()


def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Run an API call; on failure show the message and return None."""
    try:
        return fn(*args, **kwargs)
    except ApiError as error:
        show_error(error)
        return None


def fetch(path: str, **params: Any) -> Any:
    """GET ``path`` with this session's token; None (message shown) on failure."""
    with st.spinner(t("common.loading")):
        return call(client().get, path, params or None)


def parse(model: Any, value: Any) -> Any:
    """``value`` (an API answer) as the contract's ``model`` (a class of ``frontend.contract``
    or a type such as ``list[contract.UserOut]``); None, with a message, when it disagrees."""
    if value is None:
        return None
    try:
        return TypeAdapter(model).validate_python(value)
    except ValidationError:
        st.error(t("error.malformed"))
        return None


def fetch_as(model: Any, path: str, **params: Any) -> Any:
    """GET ``path`` parsed as ``model``; None (message shown) on failure."""
    return parse(model, fetch(path, **params))


def call_as(model: Any, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run an API call and parse its answer as ``model``; None (message shown) on failure."""
    return parse(model, call(fn, *args, **kwargs))


# A batch job's result that cannot be shown (not an error): never computed, or held.
NOT_COMPUTED, HELD = "aggregates_not_computed", "aggregates_held"


def stored_result(model: Any, path: str, missing_key: str, **params: Any) -> Any:
    """A batch job's stored result parsed as ``model``, or None with a sentence: the job has
    not run (``missing_key``), or its results are held (too few people changed since the one
    published, ``aggregates.held``)."""
    try:
        with st.spinner(t("common.loading")):
            answer = client().get(path, params or None)
    except ApiError as error:
        if error.code == NOT_COMPUTED:
            st.info(t(missing_key), icon=":material/hourglass_empty:")
        elif error.code == HELD:
            st.info(t("aggregates.held"), icon=":material/group:")
        else:
            show_error(error)
        return None
    return parse(model, answer)


def freshness(value: Any) -> None:
    """When a stored result was computed, and whether the population changed since (a
    ``contract.Freshness``)."""
    computed = when(value.computed_at)
    if value.current:
        st.caption(t("monitoring.fresh", when=computed))
    elif value.pending_changes:
        st.info(t("monitoring.held", when=computed, count=value.pending_changes), icon=":material/group:")
    else:
        st.warning(t("monitoring.stale", when=computed))


def value_text(value: Any) -> str:
    """A stored value as read on a page: a category level in words, a number or flag formatted."""
    return level(value) if isinstance(value, str) else show_value(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def feature_text(value: Any, unit: str | None) -> str:
    """A model feature's value in the unit the API gives beside it (``unit``): euros, completed
    years to one decimal (:func:`completed_years`), a 0/1 flag as no/yes, a whole count ("2",
    not "2,00"), a category in words, other numbers to three significant digits ("0,0937"), as
    the plain-language text writes them. A group's median between two whole values (a flag's
    0.5) stays a number."""
    if not _is_number(value):
        return value_text(value)
    if unit == "money":
        # Cents when there are (an annuity of 7 942,50 € read 7 942 €), as the API's text writes it.
        return money(value, 2 if math.isfinite(value) and round(value, 2) != round(value) else 0)
    if unit == "years":
        return num(completed_years(value), 1)
    if unit == "flag" and value in (0, 1):
        return t("common.yes") if value else t("common.no")
    if unit in ("flag", "integer") and value == round(value):
        return num(value, 0)
    return i18n.significant(value, lang())


def feature_column(values: list[Any], unit: str | None) -> list[str]:
    """One table column of a feature's values (the client, then each group), as
    :func:`feature_text` writes them, except that numbers share one precision: three
    significant digits for the largest need, at most three decimals ("0,790" above "0,089", not
    "0,79" above "0,0892")."""
    numbers = [v for v in values if _is_number(v)]
    if unit != "number" or not numbers:
        return [feature_text(v, unit) for v in values]
    digits = max(min(i18n.significant_decimals(v), 3) for v in numbers)
    return [num(v, digits) if _is_number(v) else feature_text(v, unit) for v in values]


def short_resource(resource: str | None) -> str:
    """A client's 64-character pseudonym as its first 12 characters ("6dac13198361…": exports
    keep every one); any other resource (``user:...``, a route) whole."""
    if resource is None:
        return "—"
    return resource[:12] + "…" if re.fullmatch(r"[0-9a-f]{64}", resource) else resource


def show_value(value: Any) -> str:
    if isinstance(value, bool):
        return t("common.yes") if value else t("common.no")
    if isinstance(value, float):
        return num(value, 2) if abs(value) < 1000 else num(value, 0)
    if isinstance(value, int):
        return num(value, 0)
    return "—" if value is None else str(value)
