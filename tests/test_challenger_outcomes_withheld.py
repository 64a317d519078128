"""A sealed challenger day of 10 applicants or more still held counts of fewer than 10 people
with an outcome: 3 flips to refuse among 40 applicants, a shift band of 2. ``GET
/model/challenger`` now withholds them as the portfolio's approval rates are withheld
(``ml.disclosure.withheld_rows``, k >= 10): a count of 1 to 9 people is served null, and so is
whatever the day's applicants minus the counts shown would give it back by (the agreement of 37
beside those 3 flips). Its meaning, pinned here: from a served day, no figure a reader has (a
count shown, the agreements as applicants x agreement_rate, applicants minus the counts shown)
is 1 to 9 people. The page says "non publié" for such a cell, never 0 or "—". API tests run on
SQLite and PostgreSQL; the page is read in Streamlit's AppTest against the live API."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, delete
from sqlalchemy.orm import Session

from backend.registry.challenger import BINS
from backend.registry.models import ChallengerDaily
from backend.timezone import bank_day
from frontend import contract, ui
from frontend.views import lifecycle
from ml.disclosure import MIN_CELL
from tests.fixtures.live import LiveApi
from tests.test_dashboard_app import _errors, _logged_in, tables

API = "/api/v1"
CENTRE = BINS // 2  # the band [0 ; +1[
CHALLENGER_PAGE = "screens/model_challenger.py"


def _day(back: int) -> str:
    """A day ``back`` days before today in Paris (within the report's default 30 days)."""
    return (date.fromisoformat(bank_day()) - timedelta(days=back)).isoformat()


def _row(day: str, agreements: int, to_refuse: int, to_approve: int, histogram: list[int] | None = None,
         *, sealed: bool = True) -> ChallengerDaily:
    applicants = agreements + to_refuse + to_approve
    if histogram is None:
        histogram = [applicants if i == CENTRE else 0 for i in range(BINS)]
    assert len(histogram) == BINS and sum(histogram) == applicants
    now = datetime.now(UTC)
    return ChallengerDaily(
        day=day, champion_version="champion-v1", challenger_version="challenger-v2", requests=applicants,
        agreements=agreements, flips_to_refuse=to_refuse, flips_to_approve=to_approve,
        shift_sum=0.002 * applicants, shift_abs_sum=0.01 * applicants, shift_histogram=histogram, dropped=0,
        errors=0, updated_at=now, sealed_at=now if sealed else None, late=0,
    )


def _replace(sessionmaker, rows: list[ChallengerDaily]) -> None:
    with sessionmaker() as db:
        db.execute(delete(ChallengerDaily))
        db.add_all(rows)
        db.commit()


def _days(client, auth_headers) -> dict[str, dict]:
    response = client.get(f"{API}/model/challenger", headers=auth_headers("comex"))
    assert response.status_code == 200, response.text
    return {d["day"]: d for d in response.json()["days"]}


def _figures(day: dict) -> list[int]:
    """Every count of people a reader gets from a served day: each count shown (the agreements
    as applicants x agreement_rate) and, for the decisions and for the shift bands, the
    applicants minus the counts shown (everything withheld there, together)."""
    applicants = day["applicants"]
    rate = day["agreement_rate"]
    agreements = None if rate is None else round(applicants * rate)
    figures = []
    for counts in ([agreements, day["flips_to_refuse"], day["flips_to_approve"]], day["shift_counts"]):
        shown = [c for c in counts if c is not None]
        figures += [*shown, applicants - sum(shown)]
    return figures


def _nothing_small(day: dict) -> None:
    assert all(f == 0 or f >= MIN_CELL for f in _figures(day)), (day, _figures(day))


def test_three_flips_among_forty_are_withheld_and_the_agreement_that_would_give_them_back_too(
    app, client, auth_headers
):
    _replace(app.state.sessionmaker, [_row(_day(1), 37, 3, 0)])
    [day] = _days(client, auth_headers).values()
    assert day["sealed"] and day["applicants"] == 40
    # 3 is a count of 3 people; shown, the agreement of 37 gives them back as 40 - 37 - 0.
    assert (day["flips_to_refuse"], day["agreement_rate"], day["flips_to_approve"]) == (None, None, 0)
    # The means are over 40 people, no count: served as before, and the bands (all 40 in one).
    assert day["mean_shift"] == pytest.approx(0.002) and day["mean_abs_shift"] == pytest.approx(0.01)
    assert day["shift_counts"] == [40 if i == CENTRE else 0 for i in range(BINS)]
    _nothing_small(day)


def test_a_day_without_flips_or_with_flips_of_ten_or_more_is_served_whole(app, client, auth_headers):
    _replace(app.state.sessionmaker, [_row(_day(1), 40, 0, 0), _row(_day(2), 33, 12, 15),
                                      _row(_day(3), 9, 0, 0), _row(_day(0), 30, 3, 0, sealed=False)])
    days = _days(client, auth_headers)
    none = days[_day(1)]
    assert (none["agreement_rate"], none["flips_to_refuse"], none["flips_to_approve"]) == (1.0, 0, 0)
    both = days[_day(2)]
    assert (both["agreement_rate"], both["flips_to_refuse"], both["flips_to_approve"]) == (0.55, 12, 15)
    assert both["shift_counts"][CENTRE] == 60
    # Unchanged: under 10 applicants, or the day still open, no outcome at all.
    for day in (days[_day(3)], days[_day(0)]):
        assert [day[k] for k in ("agreement_rate", "flips_to_refuse", "flips_to_approve", "mean_shift",
                                 "mean_abs_shift", "shift_counts")] == [None] * 6
    for day in (none, both):
        _nothing_small(day)


def test_a_shift_band_of_one_to_nine_is_withheld_with_the_smallest_band_that_would_give_it_back(
    app, client, auth_headers
):
    three = [0, 0, 3, 0, 0, 25, 12, 0, 0, 0, 0, 0]  # 40: the 3 and, else 40 - 37 = 3, the 12
    two = [0, 0, 0, 0, 2, 18, 20, 0, 0, 0, 0, 0]  # 40: the 2 and the 18 (the smaller of 18 and 20)
    _replace(app.state.sessionmaker, [_row(_day(1), 40, 0, 0, three), _row(_day(2), 40, 0, 0, two)])
    days = _days(client, auth_headers)
    assert days[_day(1)]["shift_counts"] == [0, 0, None, 0, 0, 25, None, 0, 0, 0, 0, 0]
    assert days[_day(2)]["shift_counts"] == [0, 0, 0, 0, None, None, 20, 0, 0, 0, 0, 0]
    for day in days.values():
        assert day["agreement_rate"] == 1.0  # the decisions are another table, all shown
        _nothing_small(day)
        assert 40 - sum(c for c in day["shift_counts"] if c is not None) >= MIN_CELL


@st.composite
def _sealed_day(draw) -> tuple[int, int, int, list[int]]:
    small_or_not = st.one_of(st.integers(0, 12), st.integers(0, 60))
    histogram = draw(st.lists(small_or_not, min_size=BINS, max_size=BINS).filter(lambda h: sum(h) > 0))
    applicants = sum(histogram)
    to_refuse = draw(st.one_of(st.integers(0, min(applicants, 12)), st.integers(0, applicants)))
    to_approve = draw(st.one_of(st.integers(0, min(applicants - to_refuse, 12)), st.integers(0, applicants - to_refuse)))
    return applicants - to_refuse - to_approve, to_refuse, to_approve, histogram


def test_no_figure_of_a_random_sealed_day_gives_one_to_nine_people(app, client, auth_headers):
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(_sealed_day(), min_size=1, max_size=4))
    def check(sealed_days):
        _replace(app.state.sessionmaker, [_row(_day(back), *counts) for back, counts in enumerate(sealed_days, 1)])
        days = _days(client, auth_headers)
        for back, (agreements, to_refuse, to_approve, histogram) in enumerate(sealed_days, 1):
            day = days[_day(back)]
            applicants = agreements + to_refuse + to_approve
            if applicants < MIN_CELL:
                assert day["flips_to_refuse"] is None and day["shift_counts"] is None
                continue
            _nothing_small(day)
            # What is shown is the true count, never moved; a count of 0 is never withheld.
            rate = day["agreement_rate"]
            assert rate is None or rate == round(agreements / applicants, 4)
            served = [day["flips_to_refuse"], day["flips_to_approve"], *day["shift_counts"]]
            assert all(s is None or s == c for s, c in zip(served, [to_refuse, to_approve, *histogram], strict=True))
            assert all(s is not None for s, c in zip(served, [to_refuse, to_approve, *histogram], strict=True)
                       if c == 0)
            assert day["mean_shift"] == pytest.approx(0.002)

    check()


# -- the page -------------------------------------------------------------------------------


def _served(**counts) -> contract.ChallengerDay:
    base = dict(day="2026-12-05", champion_version="a", challenger_version="b", sealed=True, applicants=40,
                agreement_rate=None, flips_to_refuse=None, flips_to_approve=0, mean_shift=0.002,
                mean_abs_shift=0.01, shift_counts=[40 if i == CENTRE else 0 for i in range(BINS)], late=0,
                dropped=0, errors=0)
    return contract.ChallengerDay(**{**base, **counts})


def test_the_page_says_not_published_for_a_withheld_count_and_dash_for_a_day_of_too_few(monkeypatch):
    small = _served(day="2026-12-04", applicants=7, agreement_rate=None, flips_to_refuse=None,
                    flips_to_approve=None, mean_shift=None, mean_abs_shift=None, shift_counts=None)
    whole = _served(day="2026-12-03", applicants=1200, agreement_rate=0.9775, flips_to_refuse=12,
                    flips_to_approve=15)
    table = lifecycle.day_rows([_served(), small, whole], ("a", "b"))
    assert table["Accord"].tolist() == ["non publié", "—", "97,8\u00a0%"]
    assert table["Accord → refus"].tolist() == ["non publié", "—", "12"]
    assert table["Refus → accord"].tolist() == ["0", "—", "15"]
    assert table["Demandeurs"].tolist() == ["40", "7", "1\u202f200"]
    assert table["Écart moyen"].tolist() == ["+0,20 pts", "—", "+0,20 pts"]
    assert lifecycle.withheld_outcomes([_served()]) and not lifecycle.withheld_outcomes([small, whole])
    monkeypatch.setattr(ui, "lang", lambda: "en")
    assert lifecycle.day_rows([_served()], ("a", "b"))["Approve → refuse"].tolist() == ["not published"]


def test_a_withheld_shift_band_is_named_and_drawn_without_a_bar_never_as_zero():
    from backend.registry.challenger import SHIFT_EDGES

    labels = lifecycle.bins(list(SHIFT_EDGES))
    counts = [0, 0, None, 0, 0, 25, None, 0, 0, 0, 0, 0]
    fig = lifecycle.shift_chart(labels, counts)
    assert list(fig.data[0].x) == labels and list(fig.data[0].y) == counts  # null: no bar, not 0
    assert [(a.x, a.text) for a in fig.layout.annotations] == [("[-10 ; -5[", "non publié"), ("[0 ; +1[", "non publié")]
    assert lifecycle.withheld_bands(labels, counts) == ["[-10 ; -5[", "[0 ; +1["]


def test_the_challenger_page_shows_not_published_and_the_withheld_bands_from_the_live_api(
    monkeypatch, live_api: LiveApi
):
    engine = create_engine(live_api.env["OCTROI_DATABASE_URL"])
    band = [0, 0, 3, 0, 0, 25, 12, 0, 0, 0, 0, 0]
    try:
        with Session(engine) as db:
            db.add(_row(_day(1), 37, 3, 0, band))
            db.commit()
        at = _logged_in(monkeypatch, live_api, "comex")
        at.switch_page(CHALLENGER_PAGE).run()
        assert not at.exception and not _errors(at), _errors(at)
        table = next(d for d in tables(at) if "Accord → refus" in d.columns)
        row = table.iloc[0]
        assert (row["Demandeurs"], row["Accord"], row["Accord → refus"], row["Refus → accord"]) == (
            "40", "non publié", "non publié", "0")
        captions = [c.value for c in at.caption]
        assert any(c.startswith("« non publié » : un nombre de 1 à 9 personnes (<\u00a010\u00a0pers.)")
                   for c in captions), captions
        assert any(c.startswith("Tranches non publiées, sans barre (ce n'est pas 0) : [-10 ; -5[, [0 ; +1[.")
                   for c in captions), captions

        at.radio(key="octroi_lang").set_value("en").run()
        table = next(d for d in tables(at) if "Approve → refuse" in d.columns)
        assert (table.iloc[0]["Agreement"], table.iloc[0]["Approve → refuse"]) == ("not published", "not published")
        assert any(c.value.startswith("Bands not published, drawn without a bar (this is not 0): [-10, -5); [0, +1).")
                   for c in at.caption), [c.value for c in at.caption]
    finally:
        with Session(engine) as db:  # the live API is shared: its other tests see no challenger day
            db.execute(delete(ChallengerDaily))
            db.commit()
        engine.dispose()
