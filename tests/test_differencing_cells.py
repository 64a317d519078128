"""Two published results one *cell* apart: the publication gate counts changed people in the
whole population, so an import of 10 with one newcomer alone in a segment was published, and
that segment's row moved by exactly that person (count, approvals, summed probability: the
person's decision and probability of default). Each published result now keeps its rows'
cells, and a job pools a segment or cohort that moved by 1 to 9 people since any published
result (``ml.disclosure.cell_moves``, ``pooled_cells(..., moves=...)``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.portfolio.service import SEGMENTS, cell_codes, cell_label, segment_values
from ml.disclosure import MIN_CELL, POOLED, cell_moves, pooled_cells, row_digests
from ml.monitoring import backtest
from tests.fixtures.clients import import_file

API = "/api/v1"


def _change(moves, cells, k):
    return max(sum(moves[i][k][0] for i in cells), sum(moves[i][k][1] for i in cells))


def test_a_cell_that_moved_by_one_is_pooled_with_one_that_moved_enough():
    # The 65+ row (15 people) gained one newcomer; nine others went to the first row.
    assert pooled_cells([100, 50, 15], moves=[[(0, 9)], [(0, 0)], [(0, 1)]]) == ([1], [0, 2])
    # The first row moved by 12 (shown alone it is fine), but the pool of 65+ alone moved by
    # one: the row that moved joins it, the row that did not stays shown.
    assert pooled_cells([100, 50, 15], moves=[[(0, 12)], [(0, 0)], [(0, 1)]]) == ([1], [0, 2])
    # Moved by 0 or at least 10 everywhere: the same as without moves.
    assert pooled_cells([100, 50, 15], moves=[[(0, 10)], [(0, 0)], [(10, 12)]]) == pooled_cells([100, 50, 15])
    # A segment emptied by one erasure (0 people now) still counts in the pool.
    assert pooled_cells([100, 50, 0], moves=[[(0, 20)], [(0, 0)], [(1, 0)]]) == ([1], [0])
    # Against two published results, each must be 0 or 10 apart.
    assert pooled_cells([100, 50, 30], moves=[[(0, 0), (0, 10)], [(0, 0), (0, 0)], [(0, 0), (0, 2)]]) == ([1], [0, 2])


@given(st.lists(st.tuples(st.integers(0, 60), st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)),
                                                       min_size=2, max_size=2)),
                min_size=1, max_size=8))
def test_no_two_results_give_fewer_than_ten_people_by_subtraction(cells):
    counts = [count for count, _ in cells]
    moves = [list(moved) for _, moved in cells]
    shown, pooled = pooled_cells(counts, moves=moves)
    everything = range(len(counts))
    for k in range(2):
        total = _change(moves, everything, k)
        if 0 < total < MIN_CELL:
            continue  # the publication gate holds such a result
        for i in shown:
            assert _change(moves, [i], k) in (0,) or _change(moves, [i], k) >= MIN_CELL
        rest = [i for i in everything if i not in shown]
        assert _change(moves, rest, k) == 0 or _change(moves, rest, k) >= MIN_CELL, (counts, moves, shown)
    assert all(counts[i] >= MIN_CELL for i in shown)


def test_cell_moves_counts_who_came_and_went_in_each_cell():
    dtype = [("age_band", np.uint16)]
    before = row_digests(["a", "b", "c"])
    after = row_digests(["a", "b", "d", "e"])  # c gone, d and e new
    moved = cell_moves(before, np.array([(0,), (1,), (1,)], dtype=dtype), after,
                       np.array([(0,), (1,), (2,), (1,)], dtype=dtype))
    assert moved == {"age_band": {1: (1, 1), 2: (0, 1)}}
    # Two people alike (one row twice) are two people.
    assert cell_moves(row_digests(["a"]), np.array([(0,)], dtype=dtype), row_digests(["a", "a"]),
                      np.array([(0,), (0,)], dtype=dtype)) == {"age_band": {0: (0, 1)}}


def test_cell_codes_name_every_segment_and_the_cohort():
    frame = pd.DataFrame({"NAME_CONTRACT_TYPE": ["Cash loans"], "CODE_GENDER": ["F"], "DAYS_BIRTH": [-70 * 365.25],
                          "NAME_INCOME_TYPE": [None], "NAME_EDUCATION_TYPE": ["Higher education"],
                          "NAME_FAMILY_STATUS": ["Married"]})
    codes = cell_codes(frame, ["2026-11"])
    values = segment_values(frame)
    assert {name: cell_label(name, codes[name][0]) for name in SEGMENTS} == {n: v[0] for n, v in values.items()}
    assert cell_label("cohort", codes["cohort"][0]) == "2026-11"


def test_a_backtest_cohort_one_outcome_apart_is_pooled():
    rng = np.random.default_rng(1)
    cohorts = np.array(["2026-09"] * 40 + ["2026-10"] * 30 + ["2026-11"] * 16, dtype=object)
    y = rng.integers(0, 2, cohorts.size)
    p = rng.uniform(0, 1, cohorts.size)
    plain = {row["cohort"]: row["suppressed"] for row in backtest(y, p, cohorts)["cohorts"]}
    assert plain == {"2026-09": False, "2026-10": False, "2026-11": False}
    # 2026-11 gained one outcome since the published run, 2026-09 twelve.
    moves = {"cohort": {"2026-11": [(0, 1)], "2026-09": [(0, 12)]}}
    served = {row["cohort"]: row["suppressed"] for row in backtest(y, p, cohorts, moves=moves)["cohorts"]}
    assert served == {"2026-09": True, "2026-10": False, "2026-11": True}


def test_a_backtest_grade_one_outcome_apart_is_pooled():
    """The backtest's grades were not compared across time: ten outcomes imported, one of them
    the only newcomer in grade F, and grade F's n and defaults before and after gave that
    person's outcome. Each row's grade is now a stored cell (``cell_codes(..., grades=)``)."""
    p = np.array([0.005] * 30 + [0.03] * 30 + [0.2] * 15, dtype=np.float64)  # grades A, C and F
    y = np.array(([0] * 27 + [1] * 3) * 2 + [0] * 10 + [1] * 5)
    cohorts = np.array(["2026-11"] * p.size, dtype=object)
    plain = {row["grade"]: row["suppressed"] for row in backtest(y, p, cohorts)["grades"]}
    assert (plain["A"], plain["C"], plain["F"]) == (False, False, False)
    moves = {"grade": {"F": [(0, 1)], "A": [(0, 12)]}}
    served = {row["grade"]: row["suppressed"] for row in backtest(y, p, cohorts, moves=moves)["grades"]}
    assert (served["A"], served["C"], served["F"]) == (True, False, True)
    frame = pd.DataFrame({"NAME_CONTRACT_TYPE": ["Cash loans"] * 3, "CODE_GENDER": ["F"] * 3,
                          "DAYS_BIRTH": [-40 * 365.25] * 3, "NAME_INCOME_TYPE": [None] * 3,
                          "NAME_EDUCATION_TYPE": ["Higher education"] * 3, "NAME_FAMILY_STATUS": ["Married"] * 3})
    codes = cell_codes(frame, grades=np.array(["A", "F", "G"]))
    assert [cell_label("grade", c) for c in codes["grade"]] == ["A", "F", "G"]


def test_a_backtest_cohort_whose_people_moved_enough_but_its_outcomes_by_few_keeps_its_size():
    """Moves crossed with the outcome (one column per published result for the people, then as
    many for the repaid and for the defaulters): 2026-09 gained 15 people, 9 repaid and 6
    defaulted; its size is shown and its outcomes withheld. What hides outcomes (2026-09 alone)
    then moved by 9 and 6: 2026-10, which moved by 10 and 10, loses its outcomes with it;
    2026-11, unmoved, keeps everything."""
    rng = np.random.default_rng(1)
    cohorts = np.array(["2026-09"] * 40 + ["2026-10"] * 30 + ["2026-11"] * 20, dtype=object)
    y = np.r_[np.ones(12), np.zeros(28), np.ones(12), np.zeros(18), np.ones(10), np.zeros(10)].astype(int)
    p = rng.uniform(0, 1, cohorts.size)
    moves = {"outcome": {"repaid": [(0, 19)], "default": [(0, 16)]},
             "cohort": {"2026-09": [(0, 15), (0, 9), (0, 6)], "2026-10": [(0, 20), (0, 10), (0, 10)]}}
    result = backtest(y, p, cohorts, moves=moves)
    rows = {row["cohort"]: row for row in result["cohorts"]}
    assert not result["outcomes_withheld"] and result["defaults"] == 34
    assert [rows[c]["n"] for c in ("2026-09", "2026-10", "2026-11")] == [40, 30, 20]
    assert [rows[c]["outcomes_withheld"] for c in ("2026-09", "2026-10", "2026-11")] == [True, True, False]
    assert rows["2026-09"]["defaults"] is None and rows["2026-09"]["auc"] is None
    assert rows["2026-11"]["defaults"] == 10
    # Moves that do not say how they split (no outcome table): pooled whole, as before.
    plain = backtest(y, p, cohorts, moves={"cohort": moves["cohort"]})
    assert {row["cohort"]: row["suppressed"] for row in plain["cohorts"]}["2026-09"]


@pytest.fixture
def settings(db_url, make_settings, trained_bundle_dir):
    return make_settings(db_url, model_dir=trained_bundle_dir)


def test_an_import_of_ten_with_one_newcomer_alone_in_a_segment_does_not_give_that_person(
    client, auth_headers, settings, applicants_csv, write_applicants, run_jobs, model_bundle
):
    """The reviewer's attack, on the API: a COMEX reader keeps every segmentation before an
    import of 10 applicants, one of them the only newcomer in a shown segment, and subtracts."""
    frame = pd.read_csv(applicants_csv)
    labels = segment_values(frame)
    # A segment shown before the import (10 or more without the newcomer) and one newcomer in it.
    name, label = next((n, v) for n in SEGMENTS for v, c in pd.Series(labels[n]).value_counts().items()
                       if c >= MIN_CELL + 3 and (pd.Series(labels[n]) != v).sum() >= 3 * MIN_CELL)
    inside = np.flatnonzero(labels[name] == label)
    outside = np.flatnonzero(labels[name] != label)
    newcomers = [int(inside[0]), *outside[:MIN_CELL - 1].tolist()]
    import_file(settings, write_applicants(lambda f: f.drop(index=newcomers)))
    assert run_jobs(settings, "portfolio")["portfolio"].published
    headers = auth_headers("comex")
    before = {by: client.get(f"{API}/portfolio/segments?by={by}", headers=headers).json() for by in SEGMENTS}
    assert any(row["segment"] == label for row in before[name]["segments"])

    import_file(settings, applicants_csv)  # the 10 newcomers
    result = run_jobs(settings, "portfolio")["portfolio"]
    assert result.published and result.changed_people == MIN_CELL
    after = {by: client.get(f"{API}/portfolio/segments?by={by}", headers=headers).json() for by in SEGMENTS}
    assert not any(row["segment"] == label for row in after[name]["segments"])  # pooled
    assert after[name]["moved"] >= 1
    for by in SEGMENTS:
        old = {row["segment"]: row for row in before[by]["segments"] if row["segment"] != POOLED}
        new = {row["segment"]: row for row in after[by]["segments"] if row["segment"] != POOLED}
        for common in old.keys() & new.keys():
            moved = new[common]["count"] - old[common]["count"]
            assert moved == 0 or moved >= MIN_CELL, (by, common, moved)
        # What is not in a row shown by both (the total minus those rows) moved by 0 or 10+ too.
        left = [sum(r["count"] for r in table[by]["segments"] if r["segment"] not in old.keys() & new.keys())
                for table in (before, after)]
        assert left[1] - left[0] in (0,) or left[1] - left[0] >= MIN_CELL, (by, left)


def test_an_import_of_ten_with_one_approved_withholds_the_figures_over_the_approved(
    client, auth_headers, settings, applicants_csv, write_applicants, run_jobs, model_bundle
):
    """Ten newcomers, one of them approved: the approved side moves by that one person, and the
    expected loss, expected default rate and approved credit before and after gave that
    applicant's probability and credit amount (the whole population moved by ten)."""
    from backend.clients.service import read_import_file

    frame = read_import_file(applicants_csv)
    approved = model_bundle.score(frame)["probability"].to_numpy() < model_bundle.threshold
    newcomers = [int(np.flatnonzero(approved)[0]), *np.flatnonzero(~approved)[:MIN_CELL - 1].tolist()]
    import_file(settings, write_applicants(lambda f: f.drop(index=newcomers)))
    assert run_jobs(settings, "portfolio")["portfolio"].published
    headers = auth_headers("comex")
    before = client.get(f"{API}/portfolio/summary", headers=headers).json()
    assert before["expected_loss"] is not None and before["approved_figures_moved"] is False

    import_file(settings, applicants_csv)
    assert run_jobs(settings, "portfolio")["portfolio"].published
    after = client.get(f"{API}/portfolio/summary", headers=headers).json()
    assert after["approved_figures_moved"] is True
    assert after["expected_loss"] is None and after["approved_credit"] is None
    assert after["expected_default_rate_approved"] is None
    assert after["applicants"] == before["applicants"] + MIN_CELL
    # The approval rate, before and after, gave the one approved too (and the 9 refused).
    assert after["approval_rate"] is None and after["split_withheld"] == "moved"
    text = client.get(f"{API}/portfolio/summary", headers=headers, params={"lang": "en"}).json()["executive_summary"]
    assert "approval rate is not published" in text and "Expected default and loss of the approved not published" in text


def test_each_published_population_is_compared_once_however_many_results_were_computed_on_it(app):
    """Reruns on the same people publish results with the same population; comparing each again
    cost 0.1 to 0.2 s per result at 300,000 rows (``bench/bench_publication.py``)."""
    from backend.monitoring import service as stored

    rows = row_digests([f"row-{i}" for i in range(40)])
    cells = np.zeros(40, dtype=[("age_band", np.uint16)])
    cells["age_band"][:20] = 5
    with app.state.sessionmaker() as db:
        for _ in range(3):  # three runs on the same 40 people
            stored.store(db, "portfolio", "v", "r", {"summary": {"applicants": 40}}, 0.1,
                         stored.publication(db, "portfolio", rows, cells))
        db.commit()
    one_more = np.concatenate([rows, row_digests(["newcomer"])])
    more_cells = np.concatenate([cells, np.array([(5,)], dtype=cells.dtype)])
    with app.state.sessionmaker() as db:
        decided = stored.publication(db, "portfolio", one_more, more_cells)
        db.rollback()
    assert not decided.published and decided.changed_people == 1  # the gate itself is unchanged
    ten_more = np.concatenate([rows, row_digests([f"newcomer-{i}" for i in range(10)])])
    ten_cells = np.concatenate([cells, np.array([(5,)] * 9 + [(0,)], dtype=cells.dtype)])
    with app.state.sessionmaker() as db:
        decided = stored.publication(db, "portfolio", ten_more, ten_cells)
        db.rollback()
    assert decided.published
    assert decided.moves == {"age_band": {"65+": [(0, 9)], "<25": [(0, 1)]}}  # one list entry: one population


def test_ten_newcomers_in_one_segment_three_of_them_refused_do_not_give_those_three(
    client, auth_headers, settings, applicants_csv, write_applicants, run_jobs, model_bundle
):
    """The segment moved by 10 people, so it was shown before and after the import; its
    approval rate times its count, before and after, gave how many of the 10 were approved (7)
    and refused (3): an outcome count of 1 to 9. Each segment is now also counted by side of the
    threshold (``cell_codes``: "age_band|side"), and one whose approved or refused moved by 1 to 9
    loses its rate; since the twenty-second session it keeps its count (its people moved by 10),
    where it was pooled whole before."""
    from backend.clients.service import read_import_file

    frame = read_import_file(applicants_csv)
    labels = segment_values(frame)
    approved = model_bundle.score(frame)["probability"].to_numpy() < model_bundle.threshold
    # A segment (the women, in this population) that loses 7 approved and 3 refused newcomers and
    # another that loses 3 and 7, each keeping 10 or more of each side before the import.
    def enough(name: str, label: str) -> bool:
        side = approved[labels[name] == label]
        return int(side.sum()) >= 7 + MIN_CELL and int((~side).sum()) >= 7 + MIN_CELL

    name, label, other = next((n, a, b) for n in ("gender", *SEGMENTS) for a, b in
                              [pd.Series(labels[n]).value_counts().index[:2]] if enough(n, a) and enough(n, b))
    inside = np.flatnonzero(labels[name] == label)
    newcomers = [*inside[approved[inside]][:7].tolist(), *inside[~approved[inside]][:3].tolist()]
    # And 3 approved, 7 refused men: the portfolio's approved and refused each move by 10 (its
    # split stays published), the women's by 7 and 3.
    beside = np.flatnonzero(labels[name] == other)
    newcomers += [*beside[approved[beside]][:3].tolist(), *beside[~approved[beside]][:7].tolist()]
    assert len(newcomers) == 2 * MIN_CELL
    import_file(settings, write_applicants(lambda f: f.drop(index=newcomers)))
    assert run_jobs(settings, "portfolio")["portfolio"].published
    headers = auth_headers("comex")
    before = client.get(f"{API}/portfolio/segments?by={name}", headers=headers).json()["segments"]
    import_file(settings, applicants_csv)
    result = run_jobs(settings, "portfolio")["portfolio"]
    assert result.published and result.changed_people == 2 * MIN_CELL
    assert client.get(f"{API}/portfolio/summary", headers=headers).json()["split_withheld"] is None
    after = client.get(f"{API}/portfolio/segments?by={name}", headers=headers).json()["segments"]

    def sides(rows):
        return {r["segment"]: (round(r["approval_rate"] * r["count"]), r["count"] - round(r["approval_rate"] * r["count"]))
                for r in rows if r["approval_rate"] is not None}

    old, new = sides(before), sides(after)
    assert label in old and label not in new, (before, after)  # its rate shown before, withheld now
    [was], [now] = ([r for r in rows if r["segment"] == label] for rows in (before, after))
    assert now["count"] == was["count"] + MIN_CELL and now["approval_rate"] is None  # its count still shown
    for common in old.keys() & new.keys():
        for side in (0, 1):
            moved = new[common][side] - old[common][side]
            assert moved == 0 or moved >= MIN_CELL, (common, side, moved)


def test_ten_newcomers_three_of_them_refused_do_not_give_those_three_by_the_headline(
    client, auth_headers, settings, applicants_csv, write_applicants, run_jobs, model_bundle
):
    """The portfolio's approval rate times its applicants, read before and after an import of
    10 (7 approved, 3 refused), gave 7 and 3; so did the count under the threshold, a bar edge.
    The split is now withheld ("moved") while the approved or the refused moved by 1 to 9 since
    a published result, the threshold is no bar or grade edge, and every segment's rate goes."""
    from backend.clients.service import read_import_file

    frame = read_import_file(applicants_csv)
    approved = model_bundle.score(frame)["probability"].to_numpy() < model_bundle.threshold
    newcomers = [*np.flatnonzero(approved)[:7].tolist(), *np.flatnonzero(~approved)[:3].tolist()]
    import_file(settings, write_applicants(lambda f: f.drop(index=newcomers)))
    assert run_jobs(settings, "portfolio")["portfolio"].published
    headers = auth_headers("comex")
    before = client.get(f"{API}/portfolio/summary", headers=headers).json()
    assert before["split_withheld"] is None and before["approval_rate"] is not None
    import_file(settings, applicants_csv)
    result = run_jobs(settings, "portfolio")["portfolio"]
    assert result.published and result.changed_people == MIN_CELL
    for lang in ("fr", "en"):
        after = client.get(f"{API}/portfolio/summary?lang={lang}", headers=headers).json()
        assert after["split_withheld"] == "moved" and after["approval_rate"] is None
        assert {"fr": "taux d'accord n'est pas publié", "en": "approval rate is not published"}[lang] in \
            after["executive_summary"]
    threshold = after["threshold"]
    assert threshold not in after["histogram"]["edges"]
    under = 0
    for low, high, count in zip(after["histogram"]["edges"], after["histogram"]["edges"][1:],
                                after["histogram"]["counts"], strict=False):
        assert not low < threshold < high or count  # the bar straddling the threshold holds people
        under += count if high <= threshold else 0
    approved_before = round(before["approval_rate"] * before["applicants"])
    # Nothing under the threshold tells the approved now: the count under the last bar edge
    # below it is not the approved count, before or after.
    assert under != approved_before + 7
    for by in ("gender", "age_band"):
        rows = client.get(f"{API}/portfolio/segments?by={by}", headers=headers).json()["segments"]
        assert all(r["approval_rate"] is None for r in rows), by


def _under(summary: dict) -> dict[float, int]:
    """How many applicants a served summary puts under each edge of its bars and its grades."""
    from ml.grades import grade_range

    under, total = {}, 0
    for high, count in zip(summary["histogram"]["edges"][1:], summary["histogram"]["counts"], strict=True):
        total += count
        under[round(high, 6)] = total
    total = 0
    for band in summary["risk_bands"]:
        total += band["count"]
        under.setdefault(round(grade_range(band["grades"][-1])[1], 6), total)
    return under


def test_ten_newcomers_in_two_bars_do_not_give_how_many_lie_in_each(
    client, auth_headers, settings, applicants_csv, write_applicants, run_jobs, model_bundle
):
    """10 refused newcomers, 3 in one bar of the histogram and 7 in another: the portfolio moved
    by 10 and each side by 0 or 10, so the summary was published; but each bar, read before and
    after, said that 3 of them lie in its range. Each row's piece of the probability scale is now
    counted (``cell_codes(..., piece=)``), and a range of bars or grades that moved by 1 to 9 is
    merged where it is served (``aligned_cells``)."""
    from backend.clients.service import read_import_file
    from backend.portfolio.service import histogram_edges

    frame = read_import_file(applicants_csv)
    p = model_bundle.score(frame)["probability"].to_numpy()
    refused = np.flatnonzero(p >= model_bundle.threshold)
    bars = np.searchsorted(histogram_edges(model_bundle.threshold), p[refused], side="right")
    crowded = pd.Series(bars).value_counts().index  # the refused side's fullest bars first
    first, second = (refused[bars == b] for b in crowded[:2])
    newcomers = [*first[:3].tolist(), *second[:7].tolist()]
    assert len(newcomers) == MIN_CELL
    import_file(settings, write_applicants(lambda f: f.drop(index=newcomers)))
    assert run_jobs(settings, "portfolio")["portfolio"].published
    headers = auth_headers("comex")
    before = client.get(f"{API}/portfolio/summary", headers=headers).json()
    import_file(settings, applicants_csv)
    assert run_jobs(settings, "portfolio")["portfolio"].published
    after = client.get(f"{API}/portfolio/summary", headers=headers).json()
    assert after["split_withheld"] is None and "piece_moves" not in after  # who moved is never served
    old, new = _under(before), _under(after)
    common = sorted(old.keys() & new.keys())
    for low, high in zip([0.0, *common], common, strict=False):
        moved = (new[high] - new.get(low, 0)) - (old[high] - old.get(low, 0))
        assert moved == 0 or moved >= MIN_CELL, (low, high, moved)
