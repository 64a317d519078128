"""An applicant who cannot pay was scored like any other (the twenty-sixth session's walk): the
income of client 100006 set to 1 EUR (or 1,200) gave *« Nouvelle probabilité 6,0 % : Accord »*,
its annuity 19 times its income; a goods price of 1 EUR on a 571,500 EUR credit gave 4 %. A tree
holds its outermost split beyond the values it learned from, so the model scored the most
extreme case it had seen, whatever the value, and nothing said so. The score now names the
inputs valued beyond anything in the training population (``Score.beyond_training``), and the
advisor's pages say the score is an extrapolation."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from backend.timezone import BANK_TIMEZONE

API = "/api/v1"
APPLICANT = {"AMT_INCOME_TOTAL": 54000.0, "AMT_CREDIT": 250000.0, "AMT_ANNUITY": 15000.0, "DAYS_BIRTH": -12000,
             "NAME_CONTRACT_TYPE": "Cash loans"}


@pytest.fixture
def settings(db_url, make_settings, trained_bundle_dir):
    return make_settings(db_url, model_dir=trained_bundle_dir)


def _beyond(body: dict) -> list[str]:
    return [item["feature"] for item in body["beyond_training"]]


def test_an_income_of_one_euro_is_named_beyond_training_with_the_ratios_it_makes(client, auth_headers, imported_clients):
    advisor = auth_headers("advisor")
    raw = str(imported_clients[0])
    own = _beyond(client.get(f"{API}/clients/{raw}/score", headers=advisor).json())
    assert not {"AMT_INCOME_TOTAL", "ANNUITY_INCOME_RATIO", "CREDIT_INCOME_RATIO"} & set(own), own
    for income in (1.0, 1200.0):
        what_if = client.post(f"{API}/scoring/simulate", headers=advisor,
                              json={"client_id": raw, "overrides": {"AMT_INCOME_TOTAL": income}})
        assert what_if.status_code == 200, what_if.text
        named = _beyond(what_if.json()["score"])
        assert {"AMT_INCOME_TOTAL", "ANNUITY_INCOME_RATIO", "CREDIT_INCOME_RATIO"} <= set(named), named
        labels = {item["feature"]: item["label"] for item in what_if.json()["score"]["beyond_training"]}
        assert labels["AMT_INCOME_TOTAL"] == "Revenu annuel" and labels["ANNUITY_INCOME_RATIO"].startswith("Taux d'effort")
    english = client.post(f"{API}/scoring/simulate", headers=advisor, json={
        "client_id": raw, "overrides": {"AMT_GOODS_PRICE": 1.0}, "lang": "en"}).json()["score"]
    assert {"AMT_GOODS_PRICE", "CREDIT_GOODS_RATIO"} <= set(_beyond(english))
    assert {i["feature"]: i["label"] for i in english["beyond_training"]}["AMT_GOODS_PRICE"] == "Price of the goods financed"


def test_a_typical_new_applicant_is_beyond_nothing_and_the_list_is_in_importance_order(client, auth_headers,
                                                                                        model_bundle):
    advisor = auth_headers("advisor")
    typical = client.post(f"{API}/scoring/simulate", headers=advisor, json={"features": APPLICANT}).json()
    # Its blank bureau scores are named apart (unlearned_unknowns), not as beyond anything.
    assert typical["score"]["beyond_training"] == [] and typical["unlearned_unknowns"]
    extreme = client.post(f"{API}/scoring/simulate", headers=advisor,
                          json={"features": {**APPLICANT, "AMT_INCOME_TOTAL": 1.0}}).json()["score"]
    rank = {row["feature"]: i for i, row in enumerate(model_bundle.global_importance())}
    named = _beyond(extreme)
    assert named == sorted(named, key=lambda n: rank.get(n, len(rank)))


def test_the_bundles_check_is_the_training_populations_published_ends_pushed_out_by_one_step(
    model_bundle, applicants_csv
):
    """Beyond the stored ends (the 10th smallest and largest values: the comparison's
    quantiles) pushed out by the span of the outermost percentile: at the top end plus that
    span nothing, a cent above it the income; at the top end itself nothing either (a building's
    area 0.0002 above its end, with 9 training people above it, was said to make the score an
    extrapolation: 138 of the demo's 8,333 files, 4 now)."""
    record = {k: (None if pd.isna(v) else v) for k, v in pd.read_csv(applicants_csv).iloc[0].items()}
    quantiles = model_bundle.population["features"]["AMT_INCOME_TOTAL"]["quantiles"]
    top, step = quantiles[-1], quantiles[-1] - quantiles[-2]
    assert step > 0
    for value in (top, top + 0.01, top + step):
        assert "AMT_INCOME_TOTAL" not in model_bundle.beyond_training({**record, "AMT_INCOME_TOTAL": value})
    assert "AMT_INCOME_TOTAL" in model_bundle.beyond_training({**record, "AMT_INCOME_TOTAL": top + step + 0.01})
    bottom, low_step = quantiles[0], quantiles[1] - quantiles[0]
    assert "AMT_INCOME_TOTAL" not in model_bundle.beyond_training({**record, "AMT_INCOME_TOTAL": bottom - low_step})
    assert "AMT_INCOME_TOTAL" in model_bundle.beyond_training({**record, "AMT_INCOME_TOTAL": bottom - low_step - 0.01})
    assert model_bundle.beyond_training({k: None for k in record}) == []  # unknowns are not beyond anything
    # A yes/no never is: its ends are clipped to the 10th answer, so a rare "yes" (a document 6
    # people gave) lay beyond them and two demo files were told to check theirs.
    flags = [n for n in model_bundle.feature_names if n.startswith("FLAG_DOCUMENT_")]
    assert flags and model_bundle.beyond_training({**record, **dict.fromkeys(flags, 1)}) == \
        model_bundle.beyond_training({**record, **dict.fromkeys(flags, 0)})
    assert not set(model_bundle.beyond_training({**record, **dict.fromkeys(flags, 1)})) & set(flags)


def test_the_report_and_the_data_subject_export_name_what_the_score_extrapolates(
    client, auth_headers, settings, write_applicants
):
    """The client file said so, the PDF and the data-subject export (Art. 15: what the model says
    now) did not: both now name the inputs valued beyond what the model learned from."""
    from tests.fixtures.clients import import_file
    from tests.fixtures.pdf import drawn_strings

    def one_euro(frame: pd.DataFrame) -> None:
        frame.loc[0, "AMT_INCOME_TOTAL"] = "1"

    import_file(settings, write_applicants(one_euro, rows=1))
    raw = str(pd.read_csv(write_applicants(rows=1))["SK_ID_CURR"][0])
    advisor, compliance = auth_headers("advisor"), auth_headers("compliance")
    for lang, income, sentence in (("fr", "Revenu annuel", "ce score est une extrapolation"),
                                   ("en", "Annual income", "this score is an extrapolation")):
        score = client.get(f"{API}/clients/{raw}/score", headers=advisor, params={"lang": lang}).json()
        assert "AMT_INCOME_TOTAL" in _beyond(score)
        pdf = client.get(f"{API}/clients/{raw}/report.pdf", headers=advisor, params={"lang": lang})
        assert pdf.status_code == 200
        # Named in its language, dated in Paris time as the page it holds (it was UTC, in French).
        stem = {"fr": "octroi-rapport-", "en": "octroi-report-"}[lang]
        assert re.fullmatch(rf'attachment; filename="{stem}\d{{8}}-\d{{6}}\.pdf"', pdf.headers["content-disposition"])
        named = pdf.headers["content-disposition"].split(stem)[1][:13]
        assert abs(datetime.strptime(named, "%Y%m%d-%H%M").replace(tzinfo=BANK_TIMEZONE)
                   - datetime.now(UTC)) < timedelta(minutes=5)
        text = " ".join(" ".join(drawn_strings(pdf.content)).split())
        assert sentence in text and income in text[text.index(sentence) - 300: text.index(sentence)], text
        export = client.get(f"{API}/privacy/clients/{raw}/export", headers=compliance, params={"lang": lang})
        assert export.status_code == 200, export.text
        named = export.json()["automated_decision"]["beyond_training"]
        assert named == score["beyond_training"]
