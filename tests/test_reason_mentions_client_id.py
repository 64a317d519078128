"""A free-text reason may not write the client's id (issue 14), however it is split, but a date
or another number that only holds its digits when glued to its neighbours is not the id."""

from __future__ import annotations

import pytest

from security.pseudonym import mentions_client_id


@pytest.mark.parametrize("text", [
    "client 106202", "106202", "dossier 106 202 vu", "1 0 6 2 0 2", "106-202.", "réf.106202,", "106_202",
    "106202 le 11/06/2026", "vu le 11/06/2026 : 106 202",
    "dossier 106'202 vu", "106:202", "106\u200b202", "１０６２０２", "106\u00ad202",
    # The API reads "0106202" as client 106202, and any script's digits as digits (API sweep, 28th session).
    "client 0106202", "00106202", "dossier 0 106 202", "n° \u0661\u0660\u0666\u0662\u0660\u0662", "१०६२०२",
])
def test_the_id_written_whole_or_split_is_found(text):
    assert mentions_client_id(text, 106202)


@pytest.mark.parametrize("text", [
    "Bulletins de salaire reçus le 11/06/2026, revenus stables",  # was refused: 11|06|2026 glued
    "revenu 1 062 021 €", "1062021", "tél. 0610 62 02", "aucun chiffre", "10620200", "0 0", "1062020",
])
def test_a_date_or_other_number_is_not_the_id(text):
    assert not mentions_client_id(text, 106202)


def test_what_a_reader_sees_has_no_invisible_characters():
    from security.pseudonym import visible_text

    assert visible_text("\u200b\u00ad\x00") == "" and visible_text("ａｂ１") == "ab1"
    assert visible_text("ligne 1\nligne 2") == "ligne 1\nligne 2"
