"""The model card speaks one language: the French card French throughout (the policy's
justifications, the fairness groups, the proxy questions), the English card English.

A reviewer found the French card ("Fiche complète") printing the policy's English reasons
("**sex**: Direct discrimination on the ground of sex…"), raw group codes ("F", "XNA",
"Civil marriage", "Widow") where the dashboard's own table beside it says "Femme", "Union
civile", "Veuf ou veuve", and proxy questions in English ("female vs male")."""

from __future__ import annotations

import re

import pytest

from ml.fairness import POOLED, PROXY_QUESTIONS
from ml.labels import level_label
from ml.policy import (
    ATTRIBUTE_LABELS,
    DEFAULT_POLICY,
    DEFAULT_TEXTS_FR,
    PROTECTED_ATTRIBUTES,
    attribute_text,
)
from ml.report import PROXY_QUESTIONS_FR, T, _fairness_md, _policy_md
from ml.schema import LEVELS

ENGLISH_TEXTS = [e.get("justification", e.get("reason")) for e in DEFAULT_POLICY["attributes"].values()]
# What the reviewer read in the French card.
REVIEWER_FOUND = (
    "Direct discrimination on the ground of sex",
    "is a ground of art. 225-1",
    "female vs male",
    "married or civil partnership vs other",
    "| F |", "| M |", "| XNA |", "| Civil marriage |", "| Widow |", "| Single / not married |",
    "M, XNA",
)  # fmt: skip
ENGLISH_WORDS = re.compile(r"(?i)\b(the|and|is|of|vs|with|never|not|from|to|by|or|an|at|per|other)\b")
FRENCH_WORDS = re.compile(r"(?i)\b(le|la|les|de|des|du|et|est|une|pour|dans|sur|jamais|contre|autres)\b")


def _prose(markdown: str) -> str:
    """The card without its code spans (`sex`, `NAME_INCOME_TYPE`, `Maternity leave`: the
    identifiers of the policy file and of the data, not sentences)."""
    return re.sub(r"`[^`]*`", "", markdown)


def _section(markdown: str, heading: str) -> str:
    """One "## " section of the card (the grade table above has a grade "F" too)."""
    return markdown.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def _clauses(text: str) -> list[str]:
    return [c.strip(" .") for c in re.split(r"[;()]", text) if len(c.strip(" .")) > 12]


def _fairness(levels: dict[str, list[str]]) -> dict:
    """A fairness block per attribute, every group big enough to be shown with its rates."""
    groups = {}
    for attribute, names in levels.items():
        rows = [{"group": g, "count": 1_000 + i, "approval_rate": 0.7, "default_rate": 0.08,
                 "predicted_default_rate": 0.08} for i, g in enumerate(names)]  # fmt: skip
        groups[attribute] = {"disparate_impact": 0.95, "four_fifths_rule_met": True, "rows": rows}
    proxies = {a: {"question": q, "auc": 0.6, "rows": 1000} for a, q in PROXY_QUESTIONS.items()}
    exclusions = {
        "policy": {"auc": 0.77, "cost_per_client": 0.51},
        "with_attribute": {a: {"auc": 0.771, "cost_per_client": 0.509, "auc_change_from_exclusion": -0.001,
                               "cost_change_from_exclusion": 0.001} for a in PROXY_QUESTIONS},
    }  # fmt: skip
    return {"groups": groups, "proxies": proxies, "exclusions": exclusions}


EVERY_LEVEL = _fairness({
    "CODE_GENDER": [*LEVELS["CODE_GENDER"], "unknown"],
    "NAME_FAMILY_STATUS": [*LEVELS["NAME_FAMILY_STATUS"], "unknown"],
    "age_band": ["<30", "30-39", "60+", "unknown"],
})


# ---------------------------------------------------------------------- the demo-like bundle
def test_the_french_card_has_none_of_the_english_the_reviewer_found(model_bundle):
    fr = model_bundle.model_card_for("fr")
    # The whole card for sentences; the fairness section for group codes (grade "F" is a grade).
    assert [s for s in REVIEWER_FOUND if not s.startswith("| ") and s in fr] == []
    assert [s for s in REVIEWER_FOUND if s in _section(fr, "Équité")] == []
    for text in ENGLISH_TEXTS:
        assert [c for c in _clauses(text) if c in fr] == [], text
    assert "| Femme |" in fr
    for attribute, entry in DEFAULT_POLICY["attributes"].items():
        assert f"- **{ATTRIBUTE_LABELS[attribute][0]}** (`{attribute}`) : {DEFAULT_TEXTS_FR[attribute]}" in fr
    # Generally: no English sentence left outside the code spans.
    assert ENGLISH_WORDS.findall(_prose(fr)) == []
    # The merged level in words, with the policy file's spelling beside it.
    assert "« Congé maternité » (`Maternity leave`) → « Salarié » (`Working`)" in fr


def test_the_english_card_has_no_french_and_names_groups_in_english_words(model_bundle):
    en = model_bundle.model_card_for("en")
    for text in DEFAULT_TEXTS_FR.values():
        assert [c for c in _clauses(text) if c in en] == [], text
    for text in ENGLISH_TEXTS:
        assert text in en  # the policy's own words
    assert "| Female |" in en and "| F |" not in _section(en, "Fairness")
    # Outside the policy's own texts (which quote the statute's French grounds, "Lieu de
    # résidence is a ground of art. 225-1"), no French.
    prose = _prose(en)
    for text in ENGLISH_TEXTS:
        prose = prose.replace(text, "")
    french = [*PROXY_QUESTIONS_FR.values(), *(fr for fr, _ in ATTRIBUTE_LABELS.values()),
              "Autres (regroupés)", "Femme", "Homme", "Union civile", "Veuf ou veuve", "Célibataire", "Marié(e)"]  # fmt: skip
    assert [w for w in french if w in prose] == []
    assert FRENCH_WORDS.findall(prose) == []
    assert '"Maternity leave" -> "Employed" (`Working`)' in en


def test_the_bundle_serves_the_fixed_card_without_retraining(model_bundle):
    """The card is rendered from the report at first use: the manifest's policy carries the
    English texts only, and the French card still prints the French."""
    assert model_bundle.manifest["fairness_policy"]["attributes"]["sex"]["reason"] == ENGLISH_TEXTS[0]
    assert DEFAULT_TEXTS_FR["sex"] in model_bundle.model_card_for("fr")


# ---------------------------------------------------------------------- from a report dict
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_group_level_is_named_in_words_as_the_dashboard_names_it(lang):
    text = _fairness_md(EVERY_LEVEL, lang)
    rows = [line.split(" | ")[0].removeprefix("| ") for line in text.splitlines() if line.startswith("| ")]
    for attribute in ("CODE_GENDER", "NAME_FAMILY_STATUS"):
        for level in LEVELS[attribute]:
            words = level_label(level, lang)
            assert words in rows, (level, words)
            if words != level:
                assert level not in rows, level
    assert T[lang]["unknown"] in rows and ("unknown" not in rows if lang == "fr" else True)
    assert {"<30", "30-39", "60+"} <= set(rows)


def test_the_french_fairness_section_has_no_english():
    fr = _fairness_md(EVERY_LEVEL, "fr")
    assert ENGLISH_WORDS.findall(_prose(fr)) == []
    for question in PROXY_QUESTIONS.values():
        assert question not in fr
        assert f"| {PROXY_QUESTIONS_FR[question]} |" in fr
    assert "| politique | 0,7700 | 0,5100 | |" in fr
    assert "| + Sexe | 0,7710 | 0,5090 | -0,0010 ; +0,0010 |" in fr
    for attribute in PROXY_QUESTIONS:
        assert f"| {attribute} |" not in fr and f"| + {attribute} |" not in fr


def test_the_english_fairness_section_has_no_french():
    en = _fairness_md(EVERY_LEVEL, "en")
    assert FRENCH_WORDS.findall(_prose(en)) == []
    assert "| policy | 0.7700 | 0.5100 | |" in en
    assert "| + Family status | 0.7710 | 0.5090 | -0.0010, +0.0010 |" in en
    for question in PROXY_QUESTIONS.values():
        assert f"| {question} |" in en


@pytest.mark.parametrize(("lang", "pool", "members"), [
    ("fr", "Homme + Non renseigné (regroupés)", "Homme, Non renseigné"),
    ("en", "Male + Not given (pooled)", "Male, Not given"),
])  # fmt: skip
def test_the_pooled_row_still_renders_with_its_members_in_words(lang, pool, members):
    small = {"groups": {"CODE_GENDER": {"disparate_impact": 0.97, "four_fifths_rule_met": True, "rows": [
        {"group": "F", "count": 33_072, "approval_rate": 0.68, "default_rate": 0.075, "predicted_default_rate": 0.084},
        {"group": "M", "count": 16_925, "approval_rate": 0.70, "default_rate": 0.099, "predicted_default_rate": 0.080},
        {"group": "XNA", "count": 3, "approval_rate": 2 / 3, "default_rate": 0.0, "predicted_default_rate": 0.095},
    ]}}}  # fmt: skip
    text = _fairness_md(small, lang)
    lines = text.splitlines()
    male, xna = (next(line for line in lines if line.startswith(f"| {level_label(g, lang)} |")) for g in ("M", "XNA"))
    assert "%" not in male and "%" not in xna and "66" not in xna
    pooled = next(line for line in lines if line.startswith(f"| {pool} |"))
    # Counts and shares as the pages write them (the card printed "16928" and, in English, "69.8 %").
    assert {"fr": "| 16\u202f928 |", "en": "| 16,928 |"}[lang] in pooled
    assert {"fr": "70,0\u00a0%", "en": "70.0%"}[lang] in pooled and " %" not in pooled
    assert f": {members}." in text
    assert POOLED not in [line.split(" | ")[0].removeprefix("| ") for line in lines]


# ---------------------------------------------------------------------- one source per text
def test_every_protected_attribute_and_proxy_question_has_its_french():
    assert set(DEFAULT_TEXTS_FR) == set(DEFAULT_POLICY["attributes"]) == set(PROTECTED_ATTRIBUTES)
    assert set(ATTRIBUTE_LABELS) == set(PROTECTED_ATTRIBUTES)
    assert set(PROXY_QUESTIONS_FR) == set(PROXY_QUESTIONS.values())
    for attribute, entry in DEFAULT_POLICY["attributes"].items():
        assert attribute_text(attribute, entry, "fr") == DEFAULT_TEXTS_FR[attribute]
        assert attribute_text(attribute, entry, "en") == entry.get("justification", entry.get("reason"))


def test_a_text_the_bank_wrote_is_printed_as_written_in_both_cards():
    """Only the default policy's texts have a translation; a policy file's own words are not
    replaced by the default's French (which would state a reason the bank did not give)."""
    policy = {**DEFAULT_POLICY, "attributes": {**DEFAULT_POLICY["attributes"],
              "age": {"treatment": "excluded", "reason": "La banque a choisi de ne pas utiliser l'âge."}}}  # fmt: skip
    for lang in ("fr", "en"):
        text = _policy_md(policy, lang)
        assert "La banque a choisi de ne pas utiliser l'âge." in text
        assert DEFAULT_TEXTS_FR["age"] not in text
