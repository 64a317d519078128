"""Advisor endpoints: profile, score, explanation, comparison, similar, simulation, model card.

Every test runs on SQLite and PostgreSQL (``db_url``), against the real app with a trained
bundle and the small applicant file imported.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from sqlalchemy import select

from backend.audit.models import AuditEvent
from ml import grades

API = "/api/v1"


@pytest.fixture
def settings(db_url, make_settings, trained_bundle_dir):
    return make_settings(db_url, model_dir=trained_bundle_dir)


@pytest.fixture
def advisor(client, auth_headers, imported_clients):
    return auth_headers("advisor")


def _events(app, action):
    with app.state.sessionmaker() as db:
        return db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)).all()


def test_profile_shows_pseudonym_and_readable_fields_and_is_audited(app, client, advisor, imported_clients):
    raw = imported_clients[0]
    response = client.get(f"{API}/clients/{raw}", headers=advisor, params={"lang": "en"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["pseudonym"]) == 64 and str(raw) not in response.text
    fields = {f["field"]: f for f in body["profile"]}
    assert 18 <= fields["age_years"]["value"] <= 100
    assert fields["income"]["label"] == "Annual income"
    assert fields["contract_type"]["value"] in ("Cash loans", "Revolving loans")
    [event] = _events(app, "client.read")
    assert event.resource == body["pseudonym"] and event.outcome == "success"
    assert event.model_version and len(event.input_hash) == 64


def test_ages_and_seniority_are_completed_years_as_a_person_states_them():
    """28.98 years read "29,0" in the profile and "29 ans" in the header (410 of the demo's
    applicants one year older than they are): completed years, to one decimal, rounded down."""
    from backend.clients.service import completed_years, readable_profile

    assert completed_years(-10584) == 28.9  # 28.977 years
    assert completed_years(-365.25 * 30) == 30.0 and completed_years(-1) == 0.0
    fields = {f["field"]: f["value"] for f in readable_profile({"DAYS_BIRTH": -10584, "DAYS_EMPLOYED": -730}, "fr", ())}
    assert fields["age_years"] == 28.9 and int(fields["age_years"]) == 28 and fields["employment_years"] == 1.9


def test_score_gives_decision_borderline_flag_grade_and_display_score(app, client, advisor, imported_clients, model_bundle):
    response = client.get(f"{API}/clients/{imported_clients[1]}/score", headers=advisor)
    assert response.status_code == 200, response.text
    body = response.json()
    p, t = body["probability"], body["threshold"]
    assert 0 < p < 1 and t == pytest.approx(model_bundle.threshold)
    assert body["decision"] == ("refuse" if p >= t else "approve")
    assert "confidence" not in body
    low, high = body["borderline_interval"]
    assert body["borderline"] == (low <= p < high)
    assert body["risk_band_range"][0] <= p < body["risk_band_range"][1] and body["risk_band"] in "ABCDEFG"
    assert body["display_score"] == grades.display_score(np.array([p]))[0]
    assert body["decision_label"] == grades.decision_label(body["decision"], "fr")
    assert body["model_version"] == model_bundle.version
    [event] = _events(app, "score.compute")
    assert event.resource == body["pseudonym"] and event.model_version == model_bundle.version
    # The audit event lets compliance recompute the score: the hash of the stored features.
    with app.state.sessionmaker() as db:
        from backend.clients.models import Client

        features = db.get(Client, body["pseudonym"]).features
    assert event.input_hash == model_bundle.input_hash(features)


def test_explanation_contributions_plus_base_value_give_back_the_score(client, advisor, imported_clients, model_bundle):
    for raw in imported_clients[:3]:
        score = client.get(f"{API}/clients/{raw}/score", headers=advisor).json()
        response = client.get(f"{API}/clients/{raw}/explanation", headers=advisor, params={"top": 5, "lang": "en"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["contributions"]) == 5 and body["other"]["count"] > 0
        logit = body["base_value"] + sum(c["shap"] for c in body["contributions"]) + body["other"]["shap"]
        assert 1 / (1 + math.exp(-logit)) == pytest.approx(score["probability"], abs=1e-9)
        effects = sum(c["effect"] for c in body["contributions"]) + body["other"]["effect"]
        assert body["reference_probability"] + effects == pytest.approx(score["probability"], abs=1e-9)
        # The average risk shown is the training population's real default rate.
        assert body["base_probability"] == pytest.approx(model_bundle.population_default_rate)
        assert body["text"].startswith("Estimated default risk")


def test_explanation_in_french_by_default_and_cached_answers_are_identical(client, advisor, imported_clients):
    url = f"{API}/clients/{imported_clients[0]}/explanation"
    first = client.get(url, headers=advisor)
    second = client.get(url, headers=advisor)
    assert first.json() == second.json()
    assert first.json()["lang"] == "fr" and "Risque de défaut" in first.json()["text"]
    # The model recommends, the advisor decides: the text (given to clients in the PDF and the
    # Art. 15 export) never says the application was refused or approved.
    text = first.json()["text"]
    assert ("refus recommandé" in text) != ("accord recommandé" in text)
    assert "demande refusée" not in text and "demande acceptée" not in text
    assert ("au-dessus du seuil de" in text) == ("refus recommandé" in text)


def test_comparison_gives_percentiles_histograms_and_atypicality(app, client, advisor, imported_clients):
    response = client.get(f"{API}/clients/{imported_clients[0]}/comparison", headers=advisor, params={"top": 5})
    assert response.status_code == 200, response.text
    body = response.json()
    # The top 5, then any feature the atypicality index counted beyond them.
    extra = [name for name in body["atypical_features"] if name not in [f["feature"] for f in body["features"][:5]]]
    assert len(body["features"]) == 5 + len(extra) and 0 <= body["atypicality"] <= 1
    numeric = [f for f in body["features"] if f["kind"] != "category"]
    assert numeric and all("hist_edges" in f and "median_defaulters" in f for f in numeric)
    assert _events(app, "client.compare")[0].resource == body["pseudonym"]


def test_similar_lists_anonymous_prototypes_never_a_person(app, client, advisor, imported_clients):
    response = client.get(f"{API}/clients/{imported_clients[0]}/similar", headers=advisor, params={"k": 7})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["k"] == 7 and len(body["prototypes"]) == 7
    distances = [p["distance"] for p in body["prototypes"]]
    assert distances == sorted(distances)
    sizes = [p["size"] for p in body["prototypes"]]
    assert min(sizes) >= body["min_size"] >= 10
    weighted = sum(p["size"] * p["default_rate"] for p in body["prototypes"]) / sum(sizes)
    assert body["default_rate"] == pytest.approx(weighted)
    assert all(set(p) == {"size", "default_rate", "distance", "features"} for p in body["prototypes"])
    assert "target" not in response.text
    assert _events(app, "client.similar")[0].details == {"k": 7}


@pytest.mark.parametrize("suffix", ["", "/score", "/explanation", "/comparison", "/similar"])
def test_unknown_and_malformed_ids_answer_404_and_422_without_echoing_the_id(client, advisor, suffix):
    unknown = client.get(f"{API}/clients/999999999991{suffix}", headers=advisor)
    assert unknown.status_code == 404 and unknown.json() == {"detail": "client not found", "code": "not_found"}
    malformed = client.get(f"{API}/clients/12ab5{suffix}", headers=advisor)
    assert malformed.status_code == 422
    assert "client_id" in malformed.text and "12 digits" in malformed.text and "12ab5" not in malformed.text
    too_long = client.get(f"{API}/clients/1234567890123{suffix}", headers=advisor)
    assert too_long.status_code == 422 and "1234567890123" not in too_long.text


def test_erased_client_gets_the_same_404_as_an_unknown_one(app, client, advisor, imported_clients):
    from backend.clients.service import erase_client, keyring

    raw = imported_clients[2]
    assert client.get(f"{API}/clients/{raw}/score", headers=advisor).status_code == 200
    pseudonym = keyring(app.state.settings).pseudonymize(raw)
    with app.state.sessionmaker() as db:
        erase_client(db, pseudonym.value, pseudonym.key_version)
        db.commit()
    app.state.result_cache.invalidate_pseudonym(pseudonym.value)
    erased = client.get(f"{API}/clients/{raw}/score", headers=advisor)
    unknown = client.get(f"{API}/clients/999999999991/score", headers=advisor)
    assert erased.status_code == unknown.status_code == 404 and erased.json() == unknown.json()


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/clients/{id}"),
        ("get", "/clients/{id}/score"),
        ("get", "/clients/{id}/explanation"),
        ("get", "/clients/{id}/comparison"),
        ("get", "/clients/{id}/similar"),
        ("post", "/scoring/simulate"),
    ],
)
def test_comex_is_refused_every_client_route(client, auth_headers, imported_clients, method, path):
    url = API + path.format(id=imported_clients[0])
    kwargs = {"json": {"client_id": str(imported_clients[0]), "overrides": {}}} if method == "post" else {}
    response = getattr(client, method)(url, headers=auth_headers("comex"), **kwargs)
    assert response.status_code == 403 and str(imported_clients[0]) not in response.text


def test_client_routes_need_a_token(client, imported_clients):
    assert client.get(f"{API}/clients/{imported_clients[0]}/score").status_code == 401


def test_simulation_of_a_new_applicant_scores_without_storing(app, client, advisor, imported_clients):
    features = {"AMT_INCOME_TOTAL": 120000.0, "AMT_CREDIT": 400000.0, "AMT_ANNUITY": 21000.0, "DAYS_BIRTH": -12000,
                "NAME_CONTRACT_TYPE": "Cash loans", "EXT_SOURCE_2": 0.6, "FLAG_OWN_CAR": "N"}
    response = client.post(f"{API}/scoring/simulate", headers=advisor, json={"features": features, "top": 4})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mode"] == "new" and body["score"]["pseudonym"] is None
    assert len(body["explanation"]["contributions"]) == 4
    assert body["score"]["probability"] == pytest.approx(body["explanation"]["probability"])
    [event] = _events(app, "score.simulate")
    assert event.resource is None and event.details == {"mode": "new", "overridden": []}


def test_what_if_changes_only_the_overridden_fields(app, client, advisor, imported_clients):
    raw = imported_clients[0]
    base = client.get(f"{API}/clients/{raw}/score", headers=advisor).json()
    same = client.post(f"{API}/scoring/simulate", headers=advisor, json={"client_id": str(raw), "overrides": {}})
    assert same.status_code == 200, same.text
    assert same.json()["score"]["probability"] == pytest.approx(base["probability"])
    better = client.post(
        f"{API}/scoring/simulate", headers=advisor,
        json={"client_id": str(raw), "overrides": {"EXT_SOURCE_2": 0.95, "EXT_SOURCE_3": 0.95}},
    ).json()
    assert better["mode"] == "what_if" and better["overridden"] == ["EXT_SOURCE_2", "EXT_SOURCE_3"]
    assert better["score"]["probability"] < base["probability"]
    assert _events(app, "score.simulate")[-1].resource == base["pseudonym"]


@pytest.mark.parametrize(
    "payload,field,fragment",
    [
        ({"features": {"INCOME": 1}}, "features.INCOME", "allowed features: AMT_ANNUITY"),
        ({"features": {"AMT_CREDIT": "a lot"}}, "features.AMT_CREDIT", "must be a number"),
        ({"features": {"AMT_CREDIT": -5}}, "features.AMT_CREDIT", "must be between 1 and 1e+07"),
        ({"features": {"DAYS_BIRTH": -12000.5}}, "features.DAYS_BIRTH", "whole number"),
        ({"features": {"FLAG_OWN_CAR": "Z"}}, "features.FLAG_OWN_CAR", "must be one of: N, Y"),
        ({"features": {"CODE_GENDER": "F"}}, "features.CODE_GENDER", "excluded by the fair-lending policy"),
        ({"client_id": "1", "overrides": {"CNT_CHILDREN": 2}}, "overrides.CNT_CHILDREN", "excluded by the fair"),
        ({"features": {"FLAG_MOBIL": None}}, "features.FLAG_MOBIL", "a value is required"),
        ({"client_id": "1", "overrides": {"DAYS_BIRTH": 10}}, "overrides.DAYS_BIRTH", "between -36500 and -6570"),
        ({"client_id": "x1", "overrides": {}}, "client_id", "12 digits"),
        ({}, "features", "either 'features'"),
        ({"features": {}, "client_id": "5"}, "features", "either 'features'"),
        ({"features": {}, "extra": 1}, "extra", "Extra inputs are not permitted"),
    ],
)
def test_simulation_rejects_bad_fields_naming_field_and_range(app, client, advisor, payload, field, fragment):
    before = len(_events(app, "score.simulate"))
    response = client.post(f"{API}/scoring/simulate", headers=advisor, json=payload)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert errors[0]["field"] == field and fragment in errors[0]["message"], errors
    assert len(_events(app, "score.simulate")) == before


def test_what_if_on_an_unknown_client_is_404(client, advisor):
    response = client.post(f"{API}/scoring/simulate", headers=advisor,
                           json={"client_id": "999999999991", "overrides": {}})
    assert response.status_code == 404 and "999999999991" not in response.text


@pytest.mark.parametrize("role", ["advisor", "comex", "compliance", "admin"])
def test_every_role_reads_the_model_card_and_importance(app, client, auth_headers, model_bundle, role):
    headers = auth_headers(role)
    card = client.get(f"{API}/model", headers=headers, params={"lang": "en"})
    assert card.status_code == 200, card.text
    body = card.json()
    assert body["version"] == model_bundle.version and body["trained_at"]
    assert body["threshold"] == pytest.approx(model_bundle.threshold)
    assert body["cost_fn"] == 10 and "auc" in body["metrics"] and body["fairness"]
    assert len(body["features"]) == len(model_bundle.feature_names)
    importance = client.get(f"{API}/model/importance", headers=headers).json()
    values = [f["mean_abs_shap"] for f in importance["features"]]
    assert values == sorted(values, reverse=True)
    assert [e.details["view"] for e in _events(app, "model.read")] == ["card", "importance"]


def test_model_card_metrics_and_fairness_are_typed_in_the_contract_and_carry_the_training_report(
    client, auth_headers, model_bundle
):
    from frontend import contract

    schemas = client.app.openapi()["components"]["schemas"]
    card_schema = schemas["ModelCard"]["properties"]
    assert card_schema["metrics"]["$ref"].endswith("/ModelMetrics")
    assert card_schema["fairness"]["$ref"].endswith("/FairnessReport")
    assert {"auc", "brier", "recall", "business_cost_per_client"} <= set(schemas["ModelMetrics"]["properties"])
    assert {"group", "count", "approval_rate", "default_rate"} <= set(schemas["FairnessGroup"]["properties"])

    body = client.get(f"{API}/model", headers=auth_headers("comex")).json()
    card = contract.ModelCard.model_validate(body)  # the dashboard's own parse
    report = model_bundle.fairness
    assert card.metrics.auc == pytest.approx(model_bundle.manifest["metrics"]["auc"])
    assert card.metrics.evaluation == model_bundle.manifest["metrics"]["evaluation"]
    assert set(card.fairness.groups) == set(report["groups"])
    sex = card.fairness.groups["CODE_GENDER"]
    assert sex.disparate_impact == pytest.approx(report["groups"]["CODE_GENDER"]["disparate_impact"])
    assert [r.group for r in sex.rows] == [r["group"] for r in report["groups"]["CODE_GENDER"]["rows"]]
    assert sum(r.count for r in sex.rows) == sum(r["count"] for r in report["groups"]["CODE_GENDER"]["rows"])
    assert set(card.fairness.proxies) == set(report.get("proxies", {}))


def test_model_card_lists_age_bands_youngest_first_even_from_a_bundle_stored_in_text_order(
    client, auth_headers, model_bundle
):
    """Fairlearn returns groups sorted as text: "<30" after "60+". The card reads youngest first,
    for new bundles (ml.fairness) and for bundles already trained (the API orders them)."""
    from backend.scoring.card import fairness_report
    from ml.fairness import AGE_BANDS

    bands = [name for name, _, _ in AGE_BANDS]
    body = client.get(f"{API}/model", headers=auth_headers("comex")).json()
    shown = [row["group"] for row in body["fairness"]["groups"]["age_band"]["rows"]]
    assert shown == [band for band in bands if band in shown] and len(shown) >= 4, shown
    assert [row["group"] for row in model_bundle.fairness["groups"]["age_band"]["rows"]] == shown

    stored = {"groups": {
        "age_band": {"rows": [{"group": g, "count": 50} for g in ("30-39", "60+", "<30", "unknown", "40-49")]},
        "CODE_GENDER": {"rows": [{"group": g, "count": 50} for g in ("M", "F")]},
    }}
    report = fairness_report(stored)
    assert [r.group for r in report.groups["age_band"].rows] == ["<30", "30-39", "40-49", "60+", "unknown"]
    assert [r.group for r in report.groups["CODE_GENDER"].rows] == ["M", "F"]  # other groupings as computed


def test_model_card_refuses_an_unknown_language_with_a_code(client, auth_headers, model_bundle):
    response = client.get(f"{API}/model", headers=auth_headers("comex"), params={"lang": "xx"})
    assert response.status_code == 422 and response.json()["code"] == "validation_error" and "lang" in response.text


def test_simulation_inputs_publish_the_spec_to_advisors_only(app, client, auth_headers, model_bundle):
    response = client.get(f"{API}/scoring/inputs", headers=auth_headers("advisor"), params={"lang": "en"})
    assert response.status_code == 200, response.text
    body = response.json()
    spec = model_bundle.input_spec()
    fields = {f["name"]: f for f in body["fields"]}
    assert body["model_version"] == model_bundle.version and set(fields) == set(spec)
    # Computed model features are not inputs: the form cannot set them.
    assert "AGE_YEARS" not in fields and "EXT_SOURCE_MEAN" not in fields
    credit = fields["AMT_CREDIT"]
    assert credit["type"] == "number" and (credit["min"], credit["max"]) == (spec["AMT_CREDIT"]["min"], spec["AMT_CREDIT"]["max"])
    assert credit["label"] == spec["AMT_CREDIT"]["label_en"]
    assert fields["FLAG_OWN_CAR"]["levels"] == ["N", "Y"] and fields["FLAG_OWN_CAR"]["min"] is None
    # The fair-lending policy's excluded attributes are not inputs.
    assert not {"CODE_GENDER", "NAME_FAMILY_STATUS", "CNT_CHILDREN"} & set(fields)
    assert fields["FLAG_MOBIL"]["nullable"] is False
    french = client.get(f"{API}/scoring/inputs", headers=auth_headers("advisor")).json()
    assert french["lang"] == "fr" and {f["name"]: f["label"] for f in french["fields"]}["AMT_CREDIT"] == spec["AMT_CREDIT"]["label_fr"]
    assert [e.details["view"] for e in _events(app, "model.read")] == ["inputs", "inputs"]
    assert client.get(f"{API}/scoring/inputs", headers=auth_headers("comex")).status_code == 403
    assert client.get(f"{API}/scoring/inputs", headers=auth_headers("advisor"), params={"lang": "de"}).status_code == 422


def test_comparison_population_sample_is_anonymous_fixed_and_capped(app, client, advisor, imported_clients):
    url = f"{API}/clients/{imported_clients[0]}/comparison"
    plain = client.get(url, headers=advisor).json()
    assert plain["sample"] is None
    response = client.get(url, headers=advisor, params={"sample": 300, "lang": "en"})
    assert response.status_code == 200, response.text
    sample = response.json()["sample"]
    assert set(sample) == {"features", "labels", "rows", "size", "default_rate"}
    # Prototypes, not people: at most as many as exist, each a group of at least 10.
    assert 0 < len(sample["rows"]) == len(sample["size"]) == len(sample["default_rate"]) <= 300
    assert min(sample["size"]) >= 10
    assert all(len(row) == len(sample["features"]) for row in sample["rows"])
    assert not any("SK_ID" in name or "pseudonym" in name.lower() for name in sample["features"])
    assert set(sample["labels"]) == set(sample["features"])
    # Another client sees the same population rows: the sample says nothing about the client.
    other = client.get(f"{API}/clients/{imported_clients[1]}/comparison", headers=advisor,
                       params={"sample": 300, "lang": "en"}).json()["sample"]
    assert other == sample
    assert _events(app, "client.compare")[-1].details == {"top": 8, "sample": 300}
    before = len(_events(app, "client.compare"))
    for bad in (2001, -1):
        refused = client.get(url, headers=advisor, params={"sample": bad})
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "sample", refused.json()
    assert len(_events(app, "client.compare")) == before


def _pdf_text(pdf: bytes) -> str:
    from tests.fixtures.pdf import content_streams

    # PDF string literals escape parentheses and backslashes.
    return "\n".join(c.decode("latin-1") for c in content_streams(pdf)).replace("\\(", "(").replace("\\)", ")")


def test_pdf_and_data_subject_export_give_no_protected_attribute_as_a_reason(
    client, advisor, auth_headers, imported_clients, model_bundle
):
    justified = {f for f in model_bundle.feature_names if model_bundle.policy.protected_attribute_of(f)}
    assert justified  # age and household size are model inputs under the default policy
    labels = model_bundle.feature_labels("en")
    forbidden = {labels[f] for f in justified} | {"Gender", "Family status", "Number of children"}
    compliance = auth_headers("compliance")
    for raw in imported_clients[:5]:
        explanation = client.get(f"{API}/clients/{raw}/explanation", headers=advisor,
                                 params={"lang": "en", "top": 50}).json()
        assert all(not set(r["features"]) & justified for r in explanation["reasons"])
        assert not any(label in explanation["text"] for label in forbidden)
        # The advisor's detailed view marks the justified attributes it shows.
        assert all(c["protected"] for c in explanation["contributions"] if c["feature"] in justified)
        pdf = client.get(f"{API}/clients/{raw}/report.pdf", headers=advisor, params={"lang": "en", "top": 15})
        assert pdf.status_code == 200
        text = _pdf_text(pdf.content)
        factors = text[text.index("Main factors of the recommendation"): text.index("Comparison with the population")]
        assert explanation["reasons"][0]["label"][:30] in factors  # the text search does read the PDF
        assert not any(label in factors for label in forbidden), factors
        export = client.get(f"{API}/privacy/clients/{raw}/export", headers=compliance, params={"lang": "en"}).json()
        decision = export["automated_decision"]
        assert not {c["feature"] for c in decision["contributions"]} & justified
        assert not any(label in decision["explanation_text"] for label in forbidden)
        assert not {"CODE_GENDER", "NAME_FAMILY_STATUS", "CNT_CHILDREN"} & set(decision["features_used"])


def test_every_feature_counted_in_the_atypicality_index_is_shown_with_its_flag(client, advisor, imported_clients):
    """The index counts every numeric feature, the page listed the flagged ones among the top 8
    only: "Indice d'atypicité 11 %" stood above "Aucune valeur atypique" for 754 of the demo's
    first 3,000 applicants. Each feature the index counts now comes with the top ones."""
    seen = 0
    for raw in imported_clients[:40]:
        body = client.get(f"{API}/clients/{raw}/comparison", headers=advisor, params={"top": 3}).json()
        shown = {f["feature"]: f for f in body["features"]}
        assert len(shown) >= 3
        assert all(shown[name]["atypical"] for name in body["atypical_features"])
        assert (body["atypicality"] > 0) == bool(body["atypical_features"])
        seen += bool(set(body["atypical_features"]) - set(list(shown)[:3]))
    assert seen  # some client's index counted a feature outside the top 3
