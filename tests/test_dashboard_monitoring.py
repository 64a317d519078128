"""The monitoring page (drift and backtesting) in Streamlit's AppTest against a live API whose
clients import ran the batch jobs; outcomes are imported with `octroi outcomes import`."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from frontend.navigation import MONITORING, pages_for
from ml.schema import ID_COLUMN
from tests.fixtures.live import LiveApi, octroi
from tests.test_dashboard_app import tables

APP = str(Path(__file__).resolve().parents[1] / "frontend" / "app.py")


def _page(monkeypatch, live: LiveApi, role: str) -> AppTest:
    monkeypatch.setenv("OCTROI_API_URL", live.url)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.text_input(key="login_username").input(live.credentials[role][0])
    at.text_input(key="login_password").input(live.credentials[role][1])
    next(b for b in at.button if b.label == "Se connecter").click().run()
    at.switch_page(MONITORING.file).run()
    assert not at.exception, at.exception
    return at


def _texts(at: AppTest) -> str:
    kinds = ("title", "error", "warning", "info", "success", "markdown", "caption")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def test_only_comex_and_compliance_are_given_the_monitoring_page():
    for role in ("advisor", "comex", "compliance", "admin"):
        assert (MONITORING in pages_for(role)) == (role in ("comex", "compliance"))


@pytest.fixture(scope="module")
def live_with_outcomes(live_api: LiveApi, applicants_csv: Path) -> LiveApi:
    ids = pd.read_csv(applicants_csv, usecols=[ID_COLUMN])[ID_COLUMN]
    rng = np.random.default_rng(4)
    path = live_api.tmp / "outcomes.csv"
    pd.DataFrame({ID_COLUMN: ids, "TARGET": (rng.random(len(ids)) < 0.15).astype(int)}).to_csv(path, index=False)
    output = octroi(live_api.env, "outcomes", "import", str(path))
    assert "job backtest:" in output, output
    return live_api


@pytest.mark.parametrize("role", ["comex", "compliance"])
def test_monitoring_page_shows_drift_and_backtesting_in_french_without_error(monkeypatch, live_with_outcomes, role):
    at = _page(monkeypatch, live_with_outcomes, role)
    text = _texts(at)
    assert at.title[0].value == "Surveillance du modèle"
    assert not [e.value for e in at.error if "Action requise" not in e.value and "sous-estimé" not in e.value]
    # What the page said instead, when the drift part is missing (a report not computed, an error).
    said = [box.value for kind in ("info", "warning", "error") for box in getattr(at, kind)]
    assert "Indice de stabilité" in text and "Toute case de moins de 10 personnes est masquée" in text, said
    labels = [m.label for m in at.metric]
    assert "Stabilité du score (PSI)" in labels and "AUC" in labels and "Gini" in labels
    assert len(at.get("plotly_chart")) >= 4  # PSI over time, score distribution, grades, AUC over time
    # The backtest by segment, which the API computed and the page did not show.
    assert "Par segment" in [h.value for h in at.subheader], [h.value for h in at.subheader]
    by_segment = next(d for d in tables(at) if "Écart au-delà du hasard" in d.columns)
    assert set(by_segment["Écart au-delà du hasard"]) <= {"oui", "non", "—", "Non publié (< 10 pers.)"}, by_segment
    # Tiles hold short values (they are cut at 1400 px otherwise); the state is a banner.
    assert all(len(str(m.value)) <= 10 for m in at.metric), [m.value for m in at.metric]
    assert any(box.value.startswith("**État : ") for kind in ("success", "warning", "error") for box in getattr(at, kind))
    # Inputs by their label in French; the raw column only in its own, last column.
    drift = next((d for d in tables(at) if d.columns[0] == "Variable"), pd.DataFrame({"Variable": []}))
    assert list(drift.columns)[0] == "Variable" and list(drift.columns)[-1] == "Colonne source"
    assert not [name for name in drift["Variable"] if re.fullmatch(r"[A-Z0-9_]+", name)], list(drift["Variable"])
    assert all(re.fullmatch(r"[A-Z0-9_]+", name) for name in drift["Colonne source"])
    # Missing values today beside training's: a share alone did not say whether it changed.
    missing = drift["Valeurs manquantes : aujourd'hui (apprentissage)"]
    assert len(missing) and all(re.fullmatch(r"\d+,\d\u00a0% \(\d+,\d\u00a0%\)", cell) for cell in missing), list(missing)
    # A category has no training range, a number no levels: "—" there, not "0,0 %" (the two
    # columns read the wrong way round for the employer's sector).
    from ml.schema import LEVELS

    assert any(source in LEVELS for source in drift["Colonne source"]) and \
        any(source not in LEVELS for source in drift["Colonne source"]), list(drift["Colonne source"])
    for source, outside, unseen in zip(drift["Colonne source"], drift["Hors plage d'apprentissage"],
                                       drift["Catégories inconnues"], strict=True):
        if source in LEVELS:
            assert outside == "—" and re.match(r"\d+,\d\u00a0%|<", unseen), (source, outside, unseen)
        else:
            assert unseen == "—" and outside != "—", (source, outside, unseen)


def test_monitoring_page_speaks_english_when_asked(monkeypatch, live_with_outcomes):
    at = _page(monkeypatch, live_with_outcomes, "comex")
    at.radio(key="octroi_lang").set_value("en").run()
    assert not at.exception
    assert at.title[0].value == "Model monitoring"
    drift = next((d for d in tables(at) if d.columns[0] == "Input"), pd.DataFrame({"Input": []}))
    said = [box.value for kind in ("info", "warning", "error") for box in getattr(at, kind)]
    assert list(drift.columns)[0] == "Input" and list(drift.columns)[-1] == "Source column", said
    assert not [name for name in drift["Input"] if re.fullmatch(r"[A-Z0-9_]+", name)], list(drift["Input"])


def test_the_auc_history_draws_only_runs_with_an_auc_on_an_axis_an_auc_can_take():
    """Backtests run before any outcome have no AUC: they were empty dates on the axis, and the
    axis went to 1.5 for a figure that cannot pass 1."""
    from datetime import UTC, datetime, timedelta

    from frontend.views.monitoring import _history_chart

    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    times = [start + timedelta(hours=h) for h in (3, 2, 1, 0)]  # newest first, as the API answers
    fig = _history_chart(times, [0.74, None, 0.76, None], "AUC", False, y_range=(0.5, 1.0))
    (trace,) = fig.data
    assert list(trace.y) == [0.76, 0.74] and len(trace.x) == 2  # oldest first, no empty run
    assert tuple(fig.layout.yaxis.range) == (0.5, 1.0)


def test_a_withheld_psi_is_drawn_as_its_range_never_as_a_value():
    """Every point of the PSI history was withheld (the demo's only run, beside the portfolio's
    threshold): the chart was empty, its axis from 0.10, and nothing said why. A withheld PSI
    whose range is given is a bar over that range, apart from the line of exact values."""
    from datetime import UTC, datetime, timedelta

    from frontend.views.monitoring import PSI_RANGES, _history_chart

    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    times = [start + timedelta(days=d) for d in (2, 1, 0)]  # newest first, as the API answers
    fig = _history_chart(times, [None, 0.04, None], "PSI", True, ranges=["watch", "ok", "ok"])
    line, bars = fig.data
    assert [v for v in line.y if v is not None] == [0.04]  # the one exact value, and no other
    assert list(bars.base) == [0.0, 0.10] and [round(b + h, 2) for b, h in zip(bars.base, bars.y, strict=True)] == [
        PSI_RANGES["ok"][1], PSI_RANGES["watch"][1]]
    assert list(bars.x) == [line.x[0], line.x[2]]  # oldest first, at their runs
    assert len(_history_chart(times[:1], [None], "PSI", True, ranges=[None]).data) == 1  # no range: not drawn


def test_withheld_outcomes_are_said_not_drawn_as_figures(monkeypatch, live_with_outcomes):
    """A grade or cohort whose defaults or repayments number 1 to 9 is served without its observed
    rate (``ml.monitoring.disclosed_outcomes``): the page names the grades left out of the chart
    and writes *Non publié* in the cohort table, never a rate or "calibration OK" it was not given."""
    import httpx

    from tests.fixtures.live import api_token

    body = httpx.get(f"{live_with_outcomes.url}/api/v1/monitoring/backtest",
                     headers={"Authorization": f"Bearer {api_token(live_with_outcomes, 'comex')}"}).json()
    at = _page(monkeypatch, live_with_outcomes, "comex")
    text = _texts(at)
    withheld = [g["grade"] for g in body["grades"] if g.get("outcomes_withheld")]
    if withheld:
        assert f"Défaut constaté non publié (classes {', '.join(withheld)})" in text
    # 240 outcomes drawn at 15 %: grades D to F hold 22 to 67 people but fewer than 10 defaults.
    # Against the backtest published before them (no outcome yet), each of those grades also
    # moved by 1 to 9 defaulters: served with its size and without its rate (pooled whole when
    # its people moved by 1 to 9 too); either way it is not drawn, and the caption says why.
    hidden = [g["grade"] for g in body["grades"] if g.get("outcomes_withheld") or g["suppressed"]]
    assert {"D", "E", "F"} <= set(hidden), body["grades"]
    assert "ou dont la population a changé de 1 à 9 personnes depuis un calcul publié" in text
    chart = next(c for c in at.get("plotly_chart") if "Classe de risque" in str(c.proto.spec))
    assert not any(f'"{grade}"' in str(chart.proto.spec) for grade in hidden)
    cohorts = [c for c in body["cohorts"] if not c["suppressed"]]
    table = next(d for d in tables(at) if "Mois" in d.columns)
    for cohort, observed in zip(cohorts, table["Constaté"], strict=True):
        assert (observed == "Non publié (< 10 pers.)") == cohort["outcomes_withheld"], (cohort, observed)
    assert ("Le taux de défaut constaté est compatible" in text) == (not body["outcomes_withheld"]
                                                                     and body["calibration"]["p_value"] >= 0.05)
