"""Numbers typed the page's way in the advisor's forms (decision 0033).

Streamlit's number input, in a French browser, dropped the comma of ``42000,5`` and kept
420005 (an income ten times the one typed, in range, silently scored); it also showed and
asked for an English decimal point. The forms now read text with ``i18n.parse_entry``.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from frontend import i18n


@pytest.mark.parametrize(
    ("lang", "text", "value"),
    [
        ("fr", "42 000,5", 42000.5),
        ("fr", "42\u202f000", 42000.0),  # Babel's own group mark (narrow no-break space)
        ("fr", "42\u00a0000", 42000.0),  # a no-break space, as many keyboards type it
        ("fr", "1 250 000", 1250000.0),
        ("fr", "0,62", 0.62),
        ("fr", "0.62", 0.62),  # a point after a zero can only be the decimal mark
        ("fr", "0,620", 0.62),
        ("fr", " 38,5 ", 38.5),
        ("fr", "42 000 €", 42000.0),
        ("fr", "-3", -3.0),
        ("fr", "", None),
        ("fr", "   ", None),
        ("en", "42,000.5", 42000.5),
        ("en", "42000.5", 42000.5),
        ("en", "0.62", 0.62),
        ("en", "1,250,000", 1250000.0),
    ],
)
def test_a_number_typed_the_local_way_reads_as_written(lang, text, value):
    assert i18n.parse_entry(text, lang) == value


@pytest.mark.parametrize(
    ("lang", "text", "reason"),
    [
        ("fr", "42.000", "entry.ambiguous"),  # 42, or 42 thousand written the German way?
        ("fr", "42,000", "entry.ambiguous"),  # 42 in French, 42 thousand in English
        ("fr", "1.250.000", "entry.ambiguous"),
        ("fr", "1,250.50", "entry.not_a_number"),
        ("fr", "12,5,3", "entry.not_a_number"),
        ("fr", "1e3", "entry.not_a_number"),
        ("fr", "abc", "entry.not_a_number"),
        ("fr", "nan", "entry.not_a_number"),
        ("fr", "inf", "entry.not_a_number"),
        ("en", "0,62", "entry.not_a_number"),  # a French decimal in the English page: never 62
        ("en", "42000,5", "entry.not_a_number"),  # never 420005
        ("en", "42.000", "entry.ambiguous"),
    ],
)
def test_a_number_that_could_be_misread_is_refused_with_the_reason(lang, text, reason):
    with pytest.raises(i18n.EntryError) as refused:
        i18n.parse_entry(text, lang)
    assert refused.value.key == reason and refused.value.text == text.strip()
    assert {"fr", "en"} <= set(i18n.CATALOG[reason])


@pytest.mark.parametrize(("lang", "value", "digits", "shown"), [
    ("fr", 202500.5, 2, "202\u202f500,5"), ("fr", 0.62345678, 3, "0,623"), ("fr", 3.0, 0, "3"),
    ("en", 202500.5, 2, "202,500.5"), ("en", 0.62345678, 3, "0.623"), ("fr", None, 2, ""),
])
def test_a_value_is_shown_for_typing_grouped_and_without_trailing_zeros(lang, value, digits, shown):
    assert i18n.entry_text(value, lang, digits) == shown
    if value is not None:  # what is shown reads back as the value it rounds
        assert i18n.parse_entry(shown, lang) == round(value, digits)


def _entry_page() -> None:
    import streamlit as st

    from frontend import ui

    value = ui.number_entry(st.text_input, "Score", 0.62345678, key="score", digits=3, low=0.0, high=1.0)
    whole = ui.number_entry(st.text_input, "Foyer", 2.0, key="family", digits=0, low=1.0, high=20.0, whole=True)
    st.markdown(f"score={value!r}")
    st.markdown(f"family={whole!r}")


def _shown(at: AppTest) -> dict[str, str]:
    return dict(m.value.split("=", 1) for m in at.markdown)


def test_a_field_left_as_shown_gives_the_exact_value_and_a_typed_one_is_read_and_checked():
    at = AppTest.from_function(_entry_page).run()
    assert not at.exception
    assert at.text_input(key="score.fr").value == "0,623"
    assert _shown(at) == {"score": "0.62345678", "family": "2.0"}  # shown rounded, not changed
    at.text_input(key="score.fr").input("0,7").run()
    assert _shown(at)["score"] == "0.7"
    at.text_input(key="score.fr").input("1,5").run()
    assert _shown(at)["score"] == "Unreadable(reason=\"1,5 n'est pas entre 0 et 1\")"
    at.text_input(key="family.fr").input("2,5").run()
    assert _shown(at)["family"] == "Unreadable(reason=\"2,5 n'est pas un nombre entier\")"
    at.text_input(key="score.fr").input("42.000").run()
    assert "est ambigu" in _shown(at)["score"]
    at.text_input(key="score.fr").input("").run()
    assert _shown(at)["score"] == "None"  # blank: unknown


def test_a_language_switch_shows_the_value_in_use_the_new_way():
    at = AppTest.from_function(_entry_page).run()
    at.text_input(key="score.fr").input("0,7").run()
    at.session_state["octroi_lang"] = "en"
    at.run()
    assert at.text_input(key="score.en").value == "0.7" and _shown(at)["score"] == "0.7"
    at.text_input(key="score.en").input("0,8").run()  # French in the English page: refused, never 8
    assert "is not a number" in _shown(at)["score"]
