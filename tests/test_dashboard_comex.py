"""The COMEX portfolio page in Streamlit's AppTest against the live API
(``tests/fixtures/live.py``): the loss given default said on the page, and the tiles' change
since the previous comparable run (or a plain sentence when there is none)."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from backend.db import make_engine, make_sessionmaker
from backend.monitoring.models import MonitoringAggregate
from tests.fixtures.live import LiveApi, api_token, octroi
from tests.test_dashboard_app import _errors, _logged_in, _texts


def _portfolio(monkeypatch, live_api: LiveApi, lang: str = "fr") -> AppTest:
    at = _logged_in(monkeypatch, live_api, "comex")  # the portfolio is COMEX's first page
    assert at.title[0].value == "Portefeuille"
    if lang != "fr":
        at.radio(key="octroi_lang").set_value(lang).run()
    assert not at.exception and not _errors(at), _errors(at)
    return at


def _captions(at: AppTest) -> str:
    return "\n".join(c.value for c in at.caption)


def _serving_version(live_api: LiveApi) -> str:
    """Asked before a test session opens (on SQLite it holds the write lock the API's audited
    answer needs)."""
    comex = {"Authorization": f"Bearer {api_token(live_api, 'comex')}"}
    return httpx.get(f"{live_api.url}/api/v1/portfolio/summary", headers=comex, timeout=60).json()["model_version"]


def _served(db, version: str) -> MonitoringAggregate:
    """The portfolio result the page serves: the serving model's newest published one, as the
    API picks it (an earlier test's change to the population may have left a newer one held)."""
    return db.scalars(select(MonitoringAggregate).where(
        MonitoringAggregate.kind == "portfolio", MonitoringAggregate.model_version == version,
        MonitoringAggregate.published.is_(True),
    ).order_by(MonitoringAggregate.computed_at.desc(), MonitoringAggregate.id.desc())).first()


def _older_run(live_api: LiveApi, approval_rate_change: float) -> None:
    """An earlier run of another model version, just before the latest one (aggregates only)."""
    version = _serving_version(live_api)
    engine = make_engine(live_api.env["OCTROI_DATABASE_URL"])
    try:
        with make_sessionmaker(engine)() as db:
            latest = _served(db, version)
            summary = latest.payload["summary"]
            older = {**summary, "model_version": "comex-test-older", "applicants": summary["applicants"] - 25,
                     "approval_rate": summary["approval_rate"] - approval_rate_change,
                     "expected_loss": summary["expected_loss"] * 0.9}
            db.add(MonitoringAggregate(kind="portfolio", model_version="comex-test-older",
                                       population_revision="comex-test", computed_at=latest.computed_at - timedelta(seconds=1),
                                       duration_seconds=0.1, payload={**latest.payload, "summary": older}))
            db.commit()
    finally:
        engine.dispose()


def test_portfolio_page_says_the_loss_given_default_and_then_the_change_since_the_previous_run(
    monkeypatch, live_api: LiveApi
):
    octroi(live_api.env, "jobs", "run", "portfolio")
    at = _portfolio(monkeypatch, live_api)
    captions = _captions(at)
    assert "Perte en cas de défaut : 45\xa0%" in captions, captions
    loss = next(m for m in at.metric if m.label == "Perte attendue")
    assert "perte en cas de défaut (45\xa0%)" in loss.help and "OCTROI_LGD" in loss.help
    assert "perte en cas de défaut de 45 %" in "\n".join(i.value for i in at.info)  # the summary
    if "Pas de chiffre précédent" in captions:  # no earlier comparable run yet: said, no delta shown
        assert all(not m.delta for m in at.metric)

    _older_run(live_api, approval_rate_change=0.004)
    at.run()
    assert not at.exception and not _errors(at), _errors(at)
    captions = _captions(at)
    assert "Variations par rapport au calcul du" in captions and "comex-test-older" in captions, captions
    tiles = {m.label: m for m in at.metric}
    assert tiles["Demandes"].delta == "+25"
    assert tiles["Taux d'accord"].delta == "+0,4\u00a0pt"
    assert tiles["Perte attendue"].delta.startswith("+") and "€" in tiles["Perte attendue"].delta
    # The day only: "vs calcul du 5 déc." was cut short beside a loss in millions ("vs calcul du 5 d…").
    assert tiles["Taux d'accord"].proto.delta_description.startswith("vs ")
    assert len(tiles["Taux d'accord"].proto.delta_description) <= len("vs 30 sept.")
    assert tiles["Défaut attendu (accordés)"].delta.startswith("=")  # unchanged: said, no arrow

    english = _portfolio(monkeypatch, live_api, "en")
    captions = _captions(english)
    assert "Loss given default: 45%" in captions and "Changes since the run of" in captions, captions
    assert {m.label: m for m in english.metric}["Approval rate"].delta == "+0.4\u00a0pt"
    assert "Perte" not in _texts(english)


def _histogram_bars(at: AppTest) -> dict[str, float]:
    """The portfolio histogram's applicants added up per legend entry: each bar's area (its
    height, applicants per percentage point, times its bin's width), which its hover also says."""
    [figure] = [spec for spec in (json.loads(c.proto.spec) for c in at.get("plotly_chart"))
                if any(trace.get("type") == "bar" and trace.get("customdata") for trace in spec["data"])]
    assert figure["layout"]["yaxis"]["title"]["text"] == "Demandes par point de %"
    totals = {}
    for trace in figure["data"]:
        areas = [y * (high - low) for y, (low, high, _) in zip(trace["y"], trace["customdata"], strict=True)]
        assert areas == pytest.approx([count for _, _, count in trace["customdata"]])
        totals[trace["name"]] = round(sum(areas), 6)
    return totals


def test_the_histogram_s_green_bars_count_the_approved_and_its_red_bars_the_refused(monkeypatch, live_api: LiveApi):
    octroi(live_api.env, "jobs", "run", "portfolio")
    at = _portfolio(monkeypatch, live_api)
    tiles = {m.label: m.value for m in at.metric}
    applicants = int(tiles["Demandes"].replace("\u202f", "").replace("\xa0", "").replace(" ", ""))
    version = _serving_version(live_api)
    engine = make_engine(live_api.env["OCTROI_DATABASE_URL"])
    try:
        with make_sessionmaker(engine)() as db:
            summary = _served(db, version).payload["summary"]
    finally:
        engine.dispose()
    approved = round(summary["approval_rate"] * summary["applicants"])
    bars = _histogram_bars(at)
    assert bars == {"Sous le seuil : accordées": approved, "Au-dessus du seuil : refusées (hachuré)": applicants - approved}

    # Aggregates stored before the threshold became an edge: the bin that straddles it is its
    # own grey bar, named, counted on neither side.
    edges = [i / 20 for i in range(21)]
    straddling = next(i for i in range(20) if edges[i] < summary["threshold"] < edges[i + 1])
    version = _serving_version(live_api)
    engine = make_engine(live_api.env["OCTROI_DATABASE_URL"])
    try:
        with make_sessionmaker(engine)() as db:
            latest = _served(db, version)
            counts = [10] * 20
            latest.payload = {**latest.payload, "summary": {**summary, "histogram": {"edges": edges, "counts": counts}}}
            db.commit()
    finally:
        engine.dispose()
    at.run()
    bars = _histogram_bars(at)
    assert bars["À cheval sur le seuil (calcul antérieur, à relancer)"] == 10
    assert bars["Sous le seuil : accordées"] == 10 * straddling
    assert bars["Au-dessus du seuil : refusées (hachuré)"] == 10 * (19 - straddling)
    octroi(live_api.env, "jobs", "run", "portfolio")  # the page's true figures for the next tests


def test_segments_keep_their_axis_across_a_language_switch_in_their_own_order(monkeypatch, live_api: LiveApi):
    """The axis chosen stays chosen after a switch to English, on a selectbox drawn anew (its
    label in English: the kept one went on showing "Tranche d'âge"), and age bands come youngest
    first."""
    octroi(live_api.env, "jobs", "run", "portfolio")
    at = _portfolio(monkeypatch, live_api)
    at.selectbox(key="segments_by.fr").select("age_band").run()
    assert not at.exception and not _errors(at), _errors(at)
    french = at.dataframe[-1].value.iloc[:, 0].tolist()
    at.radio(key="octroi_lang").set_value("en").run()
    assert not at.exception and not _errors(at), _errors(at)
    axis = at.selectbox(key="segments_by.en")
    assert axis.value == "age_band" and axis.options[axis.index] == "Age band"
    assert not [s for s in at.selectbox if s.key == "segments_by.fr"]
    english = at.dataframe[-1].value.iloc[:, 0].tolist()
    # The bands too small to be shown alone come last, pooled, in words of the page's language.
    if "Autres (regroupés)" in french:
        assert french[-1] == "Autres (regroupés)" and english[-1] == "Other (pooled)"
        french, english = french[:-1], english[:-1]
    assert english == french and english == sorted(english, key=lambda band: (band != "<25", band)), english


def test_the_segments_too_small_to_show_are_one_pooled_row_that_the_page_explains(monkeypatch, live_api: LiveApi):
    """The rows add up to the portfolio (nothing left for a subtraction to find): the small
    segments are one row, named in words, and the caption says why."""
    octroi(live_api.env, "jobs", "run", "portfolio")
    at = _portfolio(monkeypatch, live_api)
    seen = False
    for axis in ("income_type", "education", "family_status", "age_band"):
        at.selectbox(key="segments_by.fr").select(axis).run()
        assert not at.exception and not _errors(at), _errors(at)
        labels = at.dataframe[-1].value.iloc[:, 0].tolist()
        if "Autres (regroupés)" in labels:
            seen = True
            assert labels[-1] == "Autres (regroupés)" and "pooled" not in labels
            assert any(c.value.startswith("« Autres (regroupés) » réunit") for c in at.caption)
    assert seen, "no segmentation of the test population pooled anything: the test proves nothing"


def test_a_held_run_leaves_the_published_figures_on_the_page_saying_why(monkeypatch, live_api: LiveApi):
    """A newer run on today's population, 1 to 9 people from the published one, is held
    (``ml.disclosure``): the page still shows the published figures, says when they were
    computed and why the newer ones are not shown, instead of "a new computation is due"."""
    from backend.clients.service import CLIENTS_REVISION_KEY
    from backend.models import ServiceMeta

    octroi(live_api.env, "jobs", "run", "portfolio")
    version = _serving_version(live_api)
    engine = make_engine(live_api.env["OCTROI_DATABASE_URL"])
    factory = make_sessionmaker(engine)
    try:
        with factory() as db:
            revision = db.get(ServiceMeta, CLIENTS_REVISION_KEY)
            today = revision.value
            served = _served(db, version)
            revision.value = "comex-test-held"  # the population changed since the published run
            held = MonitoringAggregate(kind="portfolio", model_version=served.model_version,
                                       population_revision="comex-test-held", computed_at=served.computed_at,
                                       duration_seconds=0.1, payload=served.payload, published=False, changed_people=3)
            db.add(held)
            db.commit()
        try:
            at = _portfolio(monkeypatch, live_api)
            notes = "\n".join(i.value for i in at.info)
            assert "Un calcul plus récent n'est pas publié" in notes and "(3)" in notes, notes
            assert not any("nouveau calcul est en attente" in w.value for w in at.warning)
            english = _portfolio(monkeypatch, live_api, "en")
            assert "A newer computation is not published" in "\n".join(i.value for i in english.info)
        finally:
            with factory() as db:
                db.delete(db.get(MonitoringAggregate, held.id))
                db.get(ServiceMeta, CLIENTS_REVISION_KEY).value = today
                db.commit()
    finally:
        engine.dispose()


def test_every_reason_the_split_is_withheld_has_its_sentence_in_both_languages():
    """The page writes ``portfolio.split_withheld.<reason>`` for the API's ``split_withheld``:
    every reason the contract allows ("moved" was added) has its sentence, filled in."""
    from typing import get_args

    from backend.portfolio.schemas import SplitWithheld
    from frontend import i18n

    for reason in get_args(SplitWithheld):
        for lang in ("fr", "en"):
            text = i18n.translate(lang, f"portfolio.split_withheld.{reason}", minimum=10, minimum_minus=9)
            assert text and "{" not in text and f"portfolio.split_withheld.{reason}" not in text, (reason, lang)
