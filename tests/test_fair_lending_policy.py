"""The fair-lending policy (issue 12, invariant 9): chosen at training, stored in the bundle,
enforced at load; no excluded attribute (nor a feature derived from it) reaches the model,
no pregnancy marker survives, and no protected attribute is ever given as a reason."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from backend.cli import app as cli
from ml.bundle import MANIFEST_FILE, PROTECTED_LEFT_OUT, BundleIntegrityError, ModelBundle
from ml.data import load_applications
from ml.features import FEATURE_SOURCES
from ml.policy import (
    DEFAULT_POLICY,
    DEFAULT_TEXTS_FR,
    PROTECTED_ATTRIBUTES,
    FairLendingPolicy,
    PolicyError,
)

from .fixtures.ml import FAST_TRAINING

POLICY_FILE = Path(__file__).parent.parent / "docs" / "fairness-policy.json"
EXCLUDED = ("CODE_GENDER", "NAME_FAMILY_STATUS", "CNT_CHILDREN", "REGION_POPULATION_RELATIVE",
            "REGION_RATING_CLIENT", "REGION_RATING_CLIENT_W_CITY")  # fmt: skip
JUSTIFIED_FEATURES = {"AGE_YEARS", "EMPLOYED_AGE_RATIO", "CNT_FAM_MEMBERS", "INCOME_PER_PERSON"}


@pytest.fixture(scope="module")
def rows(synthetic_data_dir: Path) -> pd.DataFrame:
    return load_applications(synthetic_data_dir / "application_test.csv", require_target=False).head(300)


def test_default_policy_excludes_sex_family_children_residence_and_is_the_documented_file():
    policy = FairLendingPolicy.default()
    assert set(policy.excluded_columns) == set(EXCLUDED)
    assert set(policy.justified_columns) == {"DAYS_BIRTH", "CNT_FAM_MEMBERS"}
    assert policy.merge_levels == {"NAME_INCOME_TYPE": {"Maternity leave": "Working"}}
    assert json.loads(POLICY_FILE.read_text(encoding="utf-8")) == DEFAULT_POLICY


def test_no_excluded_attribute_or_feature_derived_from_it_reaches_the_model(model_bundle, rows):
    assert model_bundle.manifest["fairness_policy"] == FairLendingPolicy.default().to_dict()
    for name in model_bundle.booster.feature_name():
        assert not set(FEATURE_SOURCES[name]) & set(EXCLUDED), name
    assert not set(EXCLUDED) & set(model_bundle.input_columns)
    # Derived features go too: nothing computed from the number of children, say.
    assert "CNT_CHILDREN" not in model_bundle.feature_names
    # Changing every excluded attribute changes nothing in the score or the explanation.
    changed = rows.copy()
    changed["CODE_GENDER"] = np.where(rows["CODE_GENDER"] == "F", "M", "F")
    changed["NAME_FAMILY_STATUS"] = "Widow"
    changed["CNT_CHILDREN"] = 7
    changed["REGION_POPULATION_RELATIVE"] = 0.072508
    changed["REGION_RATING_CLIENT"] = 3
    changed["REGION_RATING_CLIENT_W_CITY"] = 3
    pd.testing.assert_frame_equal(model_bundle.score(rows), model_bundle.score(changed))
    assert model_bundle.explain(rows.head(5)) == model_bundle.explain(changed.head(5))
    assert model_bundle.input_hash(rows.iloc[0].to_dict()) == model_bundle.input_hash(changed.iloc[0].to_dict())


def test_maternity_leave_is_scored_as_working_so_it_cannot_mark_a_pregnancy(model_bundle, rows):
    working = rows.head(50).copy()
    working["NAME_INCOME_TYPE"] = "Working"
    leave = working.copy()
    leave["NAME_INCOME_TYPE"] = "Maternity leave"
    pd.testing.assert_frame_equal(model_bundle.score(working), model_bundle.score(leave))


def test_excluded_attributes_are_kept_apart_for_the_fairness_report_only(model_bundle):
    fairness = model_bundle.fairness
    assert {r["group"] for r in fairness["groups"]["CODE_GENDER"]["rows"]} >= {"F", "M"}
    assert fairness["groups"]["NAME_FAMILY_STATUS"]["rows"]
    assert set(fairness["proxies"]) == {"sex", "family_status", "children", "place_of_residence"}
    population = model_bundle.population["features"]
    assert not set(EXCLUDED) & set(population)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda p: p["attributes"]["sex"].update(treatment="justified", justification="x" * 30), "attributes.sex.treatment"),
        (lambda p: p["attributes"]["age"].update(justification=""), "attributes.age.justification"),
        (lambda p: p["attributes"].pop("children"), "attributes"),
        (lambda p: p["attributes"].update(religion={"treatment": "excluded", "reason": "x" * 30}), "attributes.religion"),
        (lambda p: p["merge_levels"].pop("NAME_INCOME_TYPE"), "merge_levels.NAME_INCOME_TYPE"),
        (lambda p: p["merge_levels"].update(CODE_GENDER={"F": "Q"}), "merge_levels.CODE_GENDER.F"),
        (lambda p: p.update(format="other"), "format"),
    ],
)
def test_a_policy_that_breaks_a_rule_is_refused_naming_the_field(change, field):
    policy = copy.deepcopy(DEFAULT_POLICY)
    change(policy)
    with pytest.raises(PolicyError, match=rf"^{field}"):
        FairLendingPolicy.from_dict(policy)


def test_a_bundle_whose_policy_or_features_break_the_rules_is_refused_at_load(trained_bundle_dir, tmp_path):
    bundle = tmp_path / "bundle"
    shutil.copytree(trained_bundle_dir, bundle)
    manifest = json.loads((bundle / MANIFEST_FILE).read_text())
    # A policy edited to let sex in.
    tampered = copy.deepcopy(manifest)
    tampered["fairness_policy"]["attributes"]["sex"] = {"treatment": "justified", "justification": "y" * 40}
    (bundle / MANIFEST_FILE).write_text(json.dumps(tampered))
    with pytest.raises(BundleIntegrityError, match="attributes.sex.treatment"):
        ModelBundle.load(bundle)
    # A policy edited to exclude age while the model still reads it.
    tampered = copy.deepcopy(manifest)
    tampered["fairness_policy"]["attributes"]["age"] = {"treatment": "excluded", "reason": "z" * 40}
    (bundle / MANIFEST_FILE).write_text(json.dumps(tampered))
    with pytest.raises(BundleIntegrityError, match="do not match its fairness policy"):
        ModelBundle.load(bundle)
    (bundle / MANIFEST_FILE).write_text(json.dumps(manifest))
    ModelBundle.load(bundle)


def test_training_with_a_stricter_policy_file_drops_age_and_everything_derived(tmp_path, synthetic_data_dir):
    strict = copy.deepcopy(DEFAULT_POLICY)
    strict["name"] = "no-age"
    strict["attributes"]["age"] = {"treatment": "excluded", "reason": "The bank chose not to use age at all."}
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(strict))
    frame = pd.read_csv(synthetic_data_dir / "application_train.csv").head(2000)
    data = tmp_path / "train.csv"
    frame.to_csv(data, index=False)
    from ml.train import train

    train(data, tmp_path / "model", folds=2, seed=1, fairness_policy=FairLendingPolicy.read(path),
          threshold_bootstrap=20, logistic_baseline=False, **FAST_TRAINING)
    bundle = ModelBundle.load(tmp_path / "model")
    assert bundle.manifest["fairness_policy"]["name"] == "no-age"
    assert not {"AGE_YEARS", "EMPLOYED_AGE_RATIO"} & set(bundle.feature_names)
    assert "DAYS_BIRTH" not in bundle.input_columns
    assert "The bank chose not to use age at all." in bundle.model_card


def test_octroi_train_refuses_a_bad_policy_file_naming_the_field(tmp_path, synthetic_data_dir):
    bad = copy.deepcopy(DEFAULT_POLICY)
    bad["attributes"]["sex"] = {"treatment": "justified", "justification": "predictive " * 5}
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(bad))
    result = CliRunner().invoke(cli, ["train", "--data", str(synthetic_data_dir), "--out", str(tmp_path / "m"),
                                      "--fairness-policy", str(path)])
    assert result.exit_code != 0
    assert "attributes.sex.treatment" in result.output and not (tmp_path / "m").exists()


def test_no_protected_attribute_is_given_as_a_reason(model_bundle, rows):
    protected_features = {f for f in model_bundle.feature_names if model_bundle.policy.protected_attribute_of(f)}
    assert protected_features == JUSTIFIED_FEATURES
    labels = {lang: model_bundle.feature_labels(lang) for lang in ("fr", "en")}
    seen_in_contributions = set()
    for lang in ("fr", "en"):
        for e in model_bundle.explain(rows, top=len(model_bundle.feature_names), lang=lang):
            seen_in_contributions |= {c["feature"] for c in e["contributions"] if c["protected"]}
            assert all(not set(r["features"]) & protected_features for r in e["reasons"])
            for feature in protected_features:
                assert labels[lang][feature] not in e["text"]
    # The advisor's detailed view does see them, marked as justified attributes.
    assert seen_in_contributions == JUSTIFIED_FEATURES


def test_the_text_says_when_a_protected_attribute_outweighed_a_named_factor(model_bundle, rows):
    """The text names three reasons as the "main factors"; a justified protected attribute is
    never one. When one weighed more than a factor the text names, the "main factors" would
    mislead: the text then says that a protected attribute weighed more, without naming it."""
    said = {"fr": PROTECTED_LEFT_OUT["fr"].strip(), "en": PROTECTED_LEFT_OUT["en"].strip()}
    seen = {True: 0, False: 0}
    for lang in ("fr", "en"):
        for e in model_bundle.explain(rows, top=len(model_bundle.feature_names), lang=lang):
            weights: dict[str, float] = {}
            for c in e["contributions"]:
                if c["protected"]:
                    weights[c["protected"]] = weights.get(c["protected"], 0.0) + c["shap"]
            heaviest = max((abs(w) for w in weights.values()), default=0.0)
            outweighed = heaviest > min(abs(r["shap"]) for r in e["reasons"][:3])
            assert (said[lang] in e["text"]) == outweighed, (heaviest, e["text"])
            seen[outweighed] += 1
    assert seen[True] and seen[False]  # both cases occur in the test rows


def test_external_scores_are_one_reason(model_bundle, rows):
    for e in model_bundle.explain(rows.head(50), top=20):
        keys = [r["key"] for r in e["reasons"]]
        assert not any(k.startswith("EXT_SOURCE") for k in keys)
        family = [r for r in e["reasons"] if r["key"] == "external_scores"]
        if family:
            members = set(family[0]["features"])
            assert {"EXT_SOURCE_1", "EXT_SOURCE_2", "EXT_SOURCE_3", "EXT_SOURCE_MEAN"} <= members
            shap = {c["feature"]: c["shap"] for c in e["contributions"]}
            if members <= set(shap):
                assert family[0]["shap"] == pytest.approx(sum(shap[m] for m in members))


def test_every_protected_attribute_has_a_documented_treatment():
    policy = FairLendingPolicy.default()
    assert set(policy.attributes) == set(PROTECTED_ATTRIBUTES)


def test_model_card_in_both_languages_states_the_policy_grades_fairness_and_limits(model_bundle):
    en, fr = model_bundle.model_card_for("en"), model_bundle.model_card_for("fr")
    for card, headings in (
        (en, ("## Fair-lending policy", "## Threshold and calibration", "## Risk grades", "## Fairness", "## Limits")),
        (fr, ("## Politique de prêt équitable", "## Seuil et calibration", "## Classes de risque", "## Équité",
              "## Limites")),
    ):
        assert all(h in card for h in headings), [h for h in headings if h not in card]
        for attribute, entry in DEFAULT_POLICY["attributes"].items():
            # The French card prints the French of the default policy's texts (ml.policy.DEFAULT_TEXTS_FR).
            assert (DEFAULT_TEXTS_FR[attribute] if card is fr else entry.get("justification", entry.get("reason"))) in card
        assert "Maternity leave" in card and "| G |" in card
    with pytest.raises(ValueError):
        model_bundle.model_card_for("de")


def test_the_disparate_impact_is_what_the_groups_marked_in_the_ratio_give_and_small_groups_show_a_count_only(
    model_bundle,
):
    """The model card showed "Veuf ou veuve" (374 of 50,000, under 1 %) at 86.9 % approval and a
    3-person "Non renseigné" beside a ratio of 0.987 "respectée": dividing the table's extremes
    gave 0.77. Each group now says whether the ratio counts it, and the ratio is exactly what
    those groups give; a group under 10 people shows its count only, pooled."""
    from backend.scoring.card import fairness_report
    from ml.fairness import POOLED

    report = fairness_report(model_bundle.fairness)
    assert report.groups
    for block in report.groups.values():
        counted = [r.approval_rate for r in block.rows if r.in_ratio]
        assert counted and block.disparate_impact == pytest.approx(min(counted) / max(counted))
        total = sum(r.count for r in block.rows if r.group != POOLED)
        assert block.min_group_size == max(30, -(-total // 100))
        for row in block.rows:
            assert row.in_ratio == (row.group != "unknown" and row.count >= block.min_group_size and not row.masked
                                    and "approval" not in row.withheld)
            assert row.masked == (row.count < 10 or row.pooled)
            if row.masked:
                assert (row.approval_rate, row.default_rate, row.predicted_default_rate, row.approval_rate_ci) == (
                    None, None, None, None)

    raw = {"groups": {"NAME_FAMILY_STATUS": {"disparate_impact": 0.98, "four_fifths_rule_met": True, "rows": [
        {"group": "Married", "count": 33_000, "approval_rate": 0.68},
        {"group": "Widow", "count": 374, "approval_rate": 0.87},
        {"group": "unknown", "count": 3, "approval_rate": 0.67, "default_rate": 0.0},
        {"group": "Single / not married", "count": 16_623, "approval_rate": 0.69},
    ]}}}
    block = fairness_report(raw).groups["NAME_FAMILY_STATUS"]
    assert block.min_group_size == 500
    # The 3 are pooled with the smallest group shown (alone, the widows' row would give them away).
    assert {r.group: (r.in_ratio, r.masked) for r in block.rows} == {
        "Married": (True, False), "Widow": (False, True), "unknown": (False, True), "Single / not married": (True, False),
        POOLED: (False, False)}
    assert [r.default_rate for r in block.rows if r.group in ("unknown", "Widow")] == [None, None]
    pooled = next(r for r in block.rows if r.group == POOLED)
    assert pooled.count == 377 and pooled.approval_rate == pytest.approx(round(374 * 0.87 + 3 * 0.67) / 377)


# The demo's training applicants: three gave gender "XNA". Their rates were masked in the table,
# but the totals (any other table, the headline refusal rate) minus the rows shown gave them,
# and the Markdown card printed them outright: 2 of 3 approved out of fold, none defaulted.
GENDER = {"groups": {"CODE_GENDER": {"disparate_impact": 0.974, "four_fifths_rule_met": True, "rows": [
    {"group": "F", "count": 33_072, "approval_rate": 22_497 / 33_072, "default_rate": 2_470 / 33_072,
     "predicted_default_rate": 0.0838, "true_positive_rate": 1_713 / 2_470, "false_positive_rate": 8_862 / 30_602},
    {"group": "M", "count": 16_925, "approval_rate": 11_821 / 16_925, "default_rate": 1_680 / 16_925,
     "predicted_default_rate": 0.0798, "true_positive_rate": 1_151 / 1_680, "false_positive_rate": 3_953 / 15_245},
    {"group": "XNA", "count": 3, "approval_rate": 2 / 3, "default_rate": 0.0, "predicted_default_rate": 0.095,
     "true_positive_rate": None, "false_positive_rate": 1 / 3},
]}, "age_band": {"disparate_impact": 1.0, "four_fifths_rule_met": True, "rows": [
    {"group": "<30", "count": 20_000, "approval_rate": 13_728 / 20_000, "default_rate": 1_660 / 20_000},
    {"group": "30-39", "count": 30_000, "approval_rate": 20_592 / 30_000, "default_rate": 2_490 / 30_000},
]}}}


def test_no_subtraction_from_the_fairness_tables_gives_a_group_of_fewer_than_ten():
    from backend.scoring.card import fairness_report
    from ml.fairness import POOLED

    report = fairness_report(GENDER)
    approvals = sum(r.count * r.approval_rate for r in report.groups["age_band"].rows)
    defaults = sum(r.count * r.default_rate for r in report.groups["age_band"].rows)
    gender = report.groups["CODE_GENDER"].rows
    assert {r.group: (r.masked, r.pooled) for r in gender} == {
        "F": (False, False), "M": (True, True), "XNA": (True, True), POOLED: (False, False)}
    shown = [r for r in gender if not r.masked]
    # What the other table's totals minus the rows shown give: nobody.
    assert sum(r.count for r in shown) == 50_000
    assert sum(r.count * r.approval_rate for r in shown) == pytest.approx(approvals)
    assert sum(r.count * r.default_rate for r in shown) == pytest.approx(defaults)
    # The ratio compares what is shown: F against the pool (M's own rate would give XNA back).
    pool = next(r for r in gender if r.group == POOLED)
    assert report.groups["CODE_GENDER"].disparate_impact == pytest.approx(
        min(pool.approval_rate, shown[0].approval_rate) / max(pool.approval_rate, shown[0].approval_rate))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_markdown_card_prints_no_rate_of_a_small_group(lang):
    from ml.report import _fairness_md

    text = _fairness_md(GENDER, lang)
    # Groups in words, as the dashboard names them (ml.labels): M and XNA are "Homme" and "Non renseigné".
    male_words, xna_words = ("Homme", "Non renseigné") if lang == "fr" else ("Male", "Not given")
    xna = next(line for line in text.splitlines() if line.startswith(f"| {xna_words} |"))
    male = next(line for line in text.splitlines() if line.startswith(f"| {male_words} |"))
    assert "%" not in xna and "%" not in male and "66" not in xna, xna
    # The pool named by what it holds, as the dashboard names it ("Other (pooled)" beside
    # "Female" read as another sex).
    assert f"| {male_words} + {xna_words} ({'regroupés' if lang == 'fr' else 'pooled'}) |" in text
    assert "Autres (regroupés)" not in text and "Other (pooled)" not in text
    assert f"{male_words}, {xna_words}" in text  # the note names what the pool holds


def test_a_bundle_written_before_pooling_serves_a_card_rendered_by_today_s_rules(model_bundle):
    """The Markdown is rendered again at load from the report the manifest vouches for."""
    from ml.report import model_card_markdown

    assert model_bundle.model_card_for("fr") == model_card_markdown(
        model_bundle.report, model_bundle.global_importance("en"), model_bundle.feature_labels("en"), lang="fr")

def _fairness_page(report: dict) -> None:
    from frontend import contract
    from frontend.views.transparency import render_fairness

    render_fairness(contract.FairnessReport.model_validate(report))


@pytest.mark.parametrize(("lang", "pooled", "in_pool"), [("fr", "Homme + Non renseigné (regroupés)", "regroupé"),
                                                        ("en", "Male + Not given (pooled)", "pooled")])
def test_the_model_card_page_names_the_pool_and_what_it_holds(lang, pooled, in_pool):
    """(``tests/conftest.py: _keep_main_module`` gives ``__main__`` back after the AppTest.)"""
    from streamlit.testing.v1 import AppTest

    from backend.scoring.card import fairness_report

    report = fairness_report(GENDER).model_dump(mode="json")
    at = AppTest.from_function(_fairness_page, args=(report,))
    at.session_state["octroi_lang"] = lang
    at.run()
    assert not at.exception
    table = at.table[0].value if at.table else None
    text = "\n".join(m.value for m in at.markdown) + "\n".join(c.value for c in at.caption)
    shown = (table.to_string() if table is not None else text).replace("\\", "")
    assert pooled in shown and in_pool in shown, shown
    members = "Homme, Non renseigné" if lang == "fr" else "Male, Not given"
    # Named by what it holds: "Autres (regroupés)" beside "Femme" read as another sex.
    assert "Autres (regroupés)" not in shown and "Other (pooled)" not in shown
    assert any(c.value.startswith(f"« {pooled} »" if lang == "fr" else f'"{pooled}"') and members in c.value
               for c in at.caption), [c.value for c in at.caption]
    # The 3 "not given" sit in the pool, which enters the ratio: said, not "left out".
    assert any(("3 « non renseigné »" if lang == "fr" else '3 "not given"') in c.value for c in at.caption), \
        [c.value for c in at.caption]
