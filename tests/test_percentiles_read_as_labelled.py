"""Every figure and percentile shown for a feature reads the way its label says (review of the
advisor's file, findings 2 and 3):

- the durations the bank's file counts as negative days (ID document, registration, phone
  change) are shown as positive days since, with the percentile of that positive duration and
  mirrored histograms, in every answer (explanation, comparison, similar clients, sample),
  while the model's inputs and SHAP values stay exactly what they were;
- one percentile definition (``ml.bundle.percentile_rank``: share below plus half the share
  equal, linear between the stored quantiles), used by the API and by the page for the similar
  clients' median: the same value reads the same percentile;
- a yes/no gets no percentile: its sentence says oui/non and the share with the same answer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backend.clients.schemas import Explanation
from frontend.views import advisor
from ml.bundle import _explanation_text, percentile_rank
from ml.data import load_applications
from ml.features import DISPLAY_NEGATED, FEATURE_NAMES, display_value, value_unit
from ml.labels import feature_label, label

NEGATED = sorted(DISPLAY_NEGATED)


@pytest.fixture(scope="module")
def rows(synthetic_data_dir: Path) -> pd.DataFrame:
    return load_applications(synthetic_data_dir / "application_test.csv", require_target=False).head(200)


def _negated_in(bundle) -> list[str]:
    names = [n for n in NEGATED if n in bundle.feature_names]
    assert names, "the champion reads none of the day-count features: nothing to check"
    return names


def test_the_definition_reads_low_values_low_ties_in_their_middle_and_is_symmetric():
    q = [float(v) for v in range(101)]
    assert percentile_rank(q, -5.0) == 0 and percentile_rank(q, 500.0) == 100
    assert percentile_rank(q, 0.0) == 0 and percentile_rank(q, 100.0) == 100
    assert percentile_rank(q, 12.25) == pytest.approx(12.25)  # linear between quantiles
    tied = [0.0] * 88 + [float(v) for v in range(1, 14)]  # 0 held by q_0..q_87
    assert percentile_rank(tied, 0.0) == pytest.approx(43.5)
    rng = np.random.default_rng(0)
    for quantiles in (q, tied, sorted(rng.normal(size=101).round(1).tolist())):
        mirrored = [0.0 - v for v in reversed(quantiles)]
        for v in [*quantiles, *rng.normal(size=20).tolist(), -100.0, 100.0]:
            assert percentile_rank(mirrored, 0.0 - v) == pytest.approx(100 - percentile_rank(quantiles, v))


def test_labels_name_a_positive_duration_and_raw_inputs_keep_theirs():
    for name in NEGATED:
        for lang in ("fr", "en"):
            shown = feature_label(name, lang).lower()
            assert "négatif" not in shown and "negative" not in shown
            # An input typed as the bank's file holds it (negative days) still says so.
            assert "négatif" in label(name, "fr") or "negative" in label(name, "en")
        assert value_unit(name) == "integer"
    assert display_value("DAYS_ID_PUBLISH", -136.0) == 136.0 and str(display_value("DAYS_ID_PUBLISH", -0.0)) == "0.0"
    assert display_value("AMT_CREDIT", -1.0) == -1.0


def test_day_counts_are_shown_positive_with_their_own_percentile_and_the_model_is_unchanged(model_bundle, rows):
    names = _negated_in(model_bundle)
    raw = rows.head(40)
    x = model_bundle._matrix(raw)
    contrib = np.asarray(model_bundle.booster.predict(x, pred_contrib=True))
    explained = model_bundle.explain(raw, top=len(model_bundle.feature_names), lang="fr")
    for i, e in enumerate(explained):
        for c in e["contributions"]:
            j = model_bundle.feature_names.index(c["feature"])
            assert c["shap"] == contrib[i, j]  # the model's own SHAP values, untouched
            if c["feature"] not in names or c["value"] is None:
                continue
            assert x[i, j] <= 0  # the model still reads negative days
            assert c["value"] == -x[i, j] >= 0
            raw_q = model_bundle.population["features"][c["feature"]]["quantiles"]
            assert c["percentile"] == pytest.approx(100 - percentile_rank(raw_q, float(x[i, j])))
            assert "négatif" not in c["label"]
        for r in e["reasons"]:
            if r["key"] in names and r["value"] is not None:
                assert r["value"] >= 0
                if r["label"] in e["text"]:  # among the three the sentence quotes
                    assert "= -" not in e["text"].split(r["label"])[1].split(":")[0]


def test_fewer_days_read_lower(model_bundle, rows):
    for name in _negated_in(model_bundle):
        recent = rows.head(2).copy()
        recent[name] = [-10, -5000]
        compared = model_bundle.compare(recent, [name])
        fresh, aged = (c["features"][0] for c in compared)
        assert (fresh["value"], aged["value"]) == (10.0, 5000.0)
        assert fresh["percentile"] < aged["percentile"]


def test_comparison_histograms_medians_and_quantiles_are_mirrored(model_bundle, rows):
    for name in _negated_in(model_bundle):
        ref = model_bundle.population["features"][name]
        entry = model_bundle.compare(rows.head(1), [name])[0]["features"][0]
        edges = entry["hist_edges"]
        assert edges == sorted(edges) and edges == [-e for e in reversed(ref["hist_edges"])]
        assert entry["hist_repaid"] == list(reversed(ref["hist_repaid"]))
        assert entry["hist_defaulters"] == list(reversed(ref["hist_defaulters"]))
        assert entry["median_repaid"] == -ref["median_repaid"]
        assert entry["quantiles"] == [-q for q in reversed(ref["quantiles"])] and entry["quantiles"][0] >= 0
        assert entry["p01"] == -ref["quantiles"][99] and entry["p99"] == -ref["quantiles"][1]
        # The value lies in the histogram where its label says (a positive duration).
        if entry["value"] is not None:
            assert entry["value"] >= 0


def test_similar_clients_and_the_sample_are_in_the_shown_unit(model_bundle, rows):
    names = _negated_in(model_bundle)
    result = model_bundle.similar(rows.head(3), k=3)
    for r in result:
        for name in names:
            if name not in r["features"]:
                continue
            assert r["client"][name] is None or r["client"][name] >= 0
            for p in r["prototypes"]:
                s = p["features"][name]
                if s.get("median") is not None:
                    assert s["median"] >= 0 and s["q25"] <= s["median"] <= s["q75"]
    # The stored prototypes themselves are untouched (a copy is shown).
    for item in model_bundle.prototypes.items:
        for name in names:
            median = item["features"].get(name, {}).get("median")
            assert median is None or median <= 0
    sample = model_bundle.population_sample(50)
    for name in names:
        if name in sample["features"]:
            j = sample["features"].index(name)
            assert all(row[j] is None or row[j] >= 0 for row in sample["rows"])


def test_one_value_one_percentile_for_the_client_and_the_similar_median(model_bundle, rows):
    """The page places the similar clients' median with the API's quantiles and definition:
    the client's own value, put through the page's function, lands where the API put it."""
    checked = 0
    for c in model_bundle.compare(rows.head(30)):
        for f in c["features"]:
            if f["percentile"] is None:
                continue
            assert advisor._percentile_in(f["quantiles"], f["value"]) == f["percentile"]
            for v in [*f["quantiles"][::7], f["quantiles"][0] - 1, f["quantiles"][-1] + 1]:
                assert advisor._percentile_in(f["quantiles"], v) == percentile_rank(f["quantiles"], v)
            checked += 1
    assert checked > 50
    assert advisor._percentile_in(None, 1.0) is None and advisor._percentile_in([0.0, 1.0], None) is None


def test_yes_no_answers_get_no_percentile_but_the_share_with_the_same_answer(model_bundle, rows):
    flags = [n for n in model_bundle.feature_names if value_unit(n) == "flag"]
    assert flags
    explained = model_bundle.explain(rows, top=len(model_bundle.feature_names), lang="fr")
    for e in explained:
        for c in e["contributions"]:
            if c["unit"] == "flag":
                assert c["percentile"] is None
        for r in e["reasons"]:
            if r["unit"] == "flag" and r["value"] is not None:
                yes = model_bundle.population["features"][r["key"]]["mean"]
                assert r["percentile"] is None
                # 1 to 9 people gave one answer: the share is withheld (ml.train._population).
                assert r["same_share"] == (None if yes is None else pytest.approx(yes if r["value"] else 1 - yes))
    shared = [n for n in flags if model_bundle.population["features"][n]["mean"] is not None]
    assert shared
    for f in model_bundle.compare(rows.head(1), shared[:5])[0]["features"]:
        assert f["percentile"] is None and 0 <= f["same_share"] <= 1
    # The sentence: oui/non and the share, no "centile".
    reason = {"key": "REG_CITY_NOT_WORK_CITY", "label": "Ville d'adresse ≠ ville de travail",
              "features": ["REG_CITY_NOT_WORK_CITY"], "value": 1.0, "unit": "flag", "percentile": None,
              "same_share": 0.23, "shap": 0.1, "effect": 0.005}
    e = {"probability": 0.05, "decision": "approve", "base_probability": 0.08, "reasons": [reason]}
    fr, en = _explanation_text(e, 0.083, "fr"), _explanation_text(e, 0.083, "en")
    assert "Ville d'adresse ≠ ville de travail = oui, même réponse que 23\u00a0% de la population" in fr
    assert "= yes, the same answer as 23% of the population" in en
    assert "centile" not in fr and "percentile" not in en
    # The API's schema carries the share to the client-facing answers (PDF, export).
    answer = Explanation.model_validate({
        "model_version": "v", "probability": 0.05, "decision": "approve", "base_value": -2.0,
        "base_probability": 0.08, "reference_probability": 0.1, "logit": -2.9, "contributions": [],
        "other": {"shap": 0.0, "effect": 0.0, "count": 0}, "reasons": [reason], "text": fr, "lang": "fr",
    })
    assert answer.reasons[0].same_share == 0.23


def test_the_french_ordinal_of_the_first_percentile():
    reason = {"key": "DAYS_ID_PUBLISH", "label": "Ancienneté de la pièce d'identité (jours)",
              "features": ["DAYS_ID_PUBLISH"], "value": 136.0, "unit": "integer", "percentile": 0.8,
              "shap": 0.1, "effect": 0.003}
    e = {"probability": 0.05, "decision": "approve", "base_probability": 0.08, "reasons": [reason]}
    assert "= 136, 1er centile de la population" in _explanation_text(e, 0.083, "fr")
    assert all(n in FEATURE_NAMES for n in NEGATED)


def test_the_comparison_sentence_writes_the_percentile_as_an_ordinal_in_each_language():
    """« au 1e centile » and "the 22th percentile" (the validator's walk): ordinals now."""
    from frontend import i18n

    assert [i18n.ordinal(n, "fr") for n in (0, 1, 2, 22, 100)] == ["0e", "1er", "2e", "22e", "100e"]
    assert [i18n.ordinal(n, "en") for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 100, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "100th", "101st", "111th"]
    text = i18n.translate("en", "comparison.percentile", percentile=i18n.ordinal(22, "en"))
    assert text == "The client stands at the 22nd percentile of the population."


def test_a_rank_that_rounds_to_0_or_100_reads_below_the_first_or_above_the_99th_percentile():
    """« Le client se situe au 0e centile » and « = 1 €, 0e centile de la population » (the
    twenty-seventh session's list): a rank that rounds to 0 or 100 now reads below the 1st or
    above the 99th percentile, in the page's sentence and in the model's plain-language text."""
    from frontend import ui

    with ui.speaking("fr"):
        assert advisor.percentile_sentence(0.3) == (
            "Le client se situe sous le 1er centile de la population : moins de 1 % des clients ont une valeur plus basse.")
        assert advisor.percentile_sentence(99.6).startswith("Le client se situe au-dessus du 99e centile")
        assert advisor.percentile_sentence(0.6) == "Le client se situe au 1er centile de la population."
        assert advisor.percentile_sentence(99.4) == "Le client se situe au 99e centile de la population."
    with ui.speaking("en"):
        assert advisor.percentile_sentence(0.0).startswith("The client stands below the 1st percentile")
        assert advisor.percentile_sentence(100.0).startswith("The client stands above the 99th percentile")

    def text(pct: float, lang: str) -> str:
        reason = {"key": "AMT_INCOME_TOTAL", "label": "Revenu", "features": ["AMT_INCOME_TOTAL"], "value": 1.0,
                  "unit": "money", "percentile": pct, "shap": 0.4, "effect": 0.05}
        e = {"probability": 0.2, "decision": "refuse", "base_probability": 0.08, "reasons": [reason]}
        return _explanation_text(e, 0.083, lang)

    assert "Revenu = 1\u00a0€, sous le 1er centile de la population : augmente" in text(0.2, "fr"), text(0.2, "fr")
    assert ", au-dessus du 99e centile de la population" in text(99.7, "fr")
    assert ", 1er centile de la population" in text(0.5001, "fr") and ", 37e centile" in text(37.2, "fr")
    assert ", below the population's 1st percentile: raises" in text(0.2, "en")
    assert ", above the population's 99th percentile" in text(99.7, "en")
    assert ", population percentile 37:" in text(37.2, "en")
    assert "0e centile" not in text(0.2, "fr") + text(0.4999, "fr") and "100e" not in text(99.5, "fr")
