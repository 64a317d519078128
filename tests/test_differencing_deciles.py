"""Two drift reports one import of 10 apart: the publication gate counted the whole population
(10 people), so both were published, and each training decile of the score, read before and
after, said how many of the newcomers lie in its range (3 in one, 7 in another). The portfolio's
bars had the same gap closed in the twentieth session (``piece_moves``); the drift report's
deciles, and a range between a decile edge and a bar edge, had not. Each drift result now keeps
its rows' pieces of the probability scale, cut at the deciles as well as at the portfolio's
edges, and a decile whose people moved by 1 to 9 since a published result is withheld with
the smallest others (``ml.monitoring.protected_score(..., moved=)``); the portfolio counts the
same pieces, so a bar edge beside a decile edge gives way when the range between them moved by
1 to 9 (``portfolio.service.aligned_cells``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ml.disclosure import MIN_CELL
from tests.fixtures.clients import import_file
from tests.test_small_cells_histogram_drift import _population, under_read_together

API = "/api/v1"


@pytest.fixture
def settings(db_url, make_settings, trained_bundle_dir):
    return make_settings(db_url, model_dir=trained_bundle_dir)


def _decile_under(drift: dict) -> dict[float, int]:
    """What the served deciles tell, as ``ml.monitoring.known_under`` works it out."""
    from ml.monitoring import known_under

    return known_under(drift["score"], drift["rows"])


def _shown(drift: dict) -> dict[int, int]:
    rows = drift["rows"]
    return {j: round(share * rows) for j, share in enumerate(drift["score"]["current_shares"]) if share is not None}


def _probabilities(model_bundle, applicants_csv) -> np.ndarray:
    from backend.clients.service import read_import_file

    return model_bundle.score(read_import_file(applicants_csv))["probability"].to_numpy()


def test_ten_newcomers_in_two_deciles_do_not_give_how_many_lie_in_each(
    client, auth_headers, settings, applicants_csv, write_applicants, run_jobs, model_bundle
):
    p = _probabilities(model_bundle, applicants_csv)
    edges = np.asarray(model_bundle.monitoring_reference["score"]["edges"])
    deciles = np.searchsorted(edges, p, side="right")
    crowded = pd.Series(deciles).value_counts().index  # the fullest deciles first
    first, second = (np.flatnonzero(deciles == d) for d in crowded[:2])
    newcomers = [*first[:3].tolist(), *second[:7].tolist()]
    import_file(settings, write_applicants(lambda f: f.drop(index=newcomers)))
    assert run_jobs(settings, "drift")["drift"].published
    headers = auth_headers("comex")
    before = client.get(f"{API}/monitoring/drift", headers=headers).json()
    import_file(settings, applicants_csv)
    assert run_jobs(settings, "drift")["drift"].published
    after = client.get(f"{API}/monitoring/drift", headers=headers).json()
    assert after["rows"] == before["rows"] + MIN_CELL and "piece_moves" not in after  # who moved: never served
    old, new = _shown(before), _shown(after)
    for j in old.keys() & new.keys():
        assert new[j] - old[j] == 0 or new[j] - old[j] >= MIN_CELL, (j, old[j], new[j])
    old_under, new_under = _decile_under(before), _decile_under(after)
    common = sorted(old_under.keys() & new_under.keys())
    for low, high in zip(common, common[1:], strict=False):
        moved = (new_under[high] - new_under[low]) - (old_under[high] - old_under[low])
        assert moved == 0 or moved >= MIN_CELL, (low, high, moved)
    # What the withheld deciles hold together moved by 0 or 10 or more too.
    withheld = [r["rows"] - sum(_shown(r).values()) for r in (before, after)]
    assert withheld[1] - withheld[0] == 0 or withheld[1] - withheld[0] >= MIN_CELL, withheld
    assert sum(share is None for share in after["score"]["current_shares"]) >= 2  # the two deciles went


# ----------------------------------------------------------------------------- the portfolio beside the deciles


def _with_moves(p: np.ndarray, threshold: float, deciles: list[float], newcomers: dict[float, int]) -> dict:
    """The stored summary of ``p`` whose job saw ``newcomers`` (a probability: how many there)
    arrive since one published result, pieces cut at ``deciles`` as the job cuts them."""
    from backend.portfolio.service import PIECE, compute_aggregates, piece_moves, piece_of

    summary = compute_aggregates(_population(p), p, threshold, "v")["summary"]
    at = piece_of(np.array(list(newcomers)), threshold, deciles)
    moves = {PIECE: {str(int(k)): [(0, n)] for k, n in zip(at, newcomers.values(), strict=True)}}
    return {**summary, "piece_moves": piece_moves(moves, threshold, deciles)}


def test_a_bar_edge_gives_way_when_the_people_between_it_and_a_decile_edge_moved_by_one_to_nine():
    """The drift report (published first on these people) gives how many lie under its decile
    edge 4.983 %, the histogram how many under 5 %: 30 between them, enough to read. But 3 of the
    30 are newcomers since the last published summary, and 7 more arrived just under 4.983 %:
    the bar moved by 10 and the decile below by 7 + 3 = 10, each safe, while the two summaries,
    each read with its drift report, said that 3 newcomers lie between 4.983 % and 5 %. The pieces
    are now cut at the deciles, so the bar edge at 5 % gives way."""
    from backend.portfolio.service import with_lgd

    p = np.concatenate([np.full(200, 0.045), np.full(30, 0.0499), np.full(150, 0.07), np.full(80, 0.2)])
    deciles = [0.04983, 0.1]
    elsewhere = {0.04983: 200, 0.1: 380}
    summary = _with_moves(p, 0.5, deciles, {0.0499: 3, 0.045: 7})
    served = with_lgd(summary, 1.0, elsewhere)
    assert 0.05 not in served["histogram"]["edges"] and sum(served["histogram"]["counts"]) == len(p)
    # Cut as before (no decile among the pieces), the range was not counted and 5 % stayed.
    before = _with_moves(p, 0.5, [], {0.0499: 3, 0.045: 7})
    assert 0.05 in with_lgd(before, 1.0, elsewhere)["histogram"]["edges"]
    # Newcomers that moved the range by 10 leave the bar where it was.
    assert 0.05 in with_lgd(_with_moves(p, 0.5, deciles, {0.0499: 10}), 1.0, elsewhere)["histogram"]["edges"]


def test_the_split_is_withheld_when_the_people_between_the_threshold_and_a_decile_edge_moved_by_one_to_nine():
    """The threshold cannot give way: the approval rate goes ("moved") instead."""
    from backend.portfolio.service import with_lgd

    p = np.concatenate([np.full(200, 0.045), np.full(30, 0.0499), np.full(150, 0.07), np.full(80, 0.2)])
    elsewhere = {0.04983: 200, 0.1: 380}
    served = with_lgd(_with_moves(p, 0.05, [0.04983, 0.1], {0.0499: 3, 0.045: 7}), 1.0, elsewhere)
    assert served["approval_rate"] is None and served["split_withheld"] == "moved"
    kept = with_lgd(_with_moves(p, 0.05, [0.04983, 0.1], {0.0499: 10, 0.045: 10}), 1.0, elsewhere)
    assert kept["split_withheld"] is None and kept["approval_rate"] == round(230 / len(p), 6)


def test_a_decile_moved_by_one_to_nine_goes_with_the_smallest_others_until_the_withheld_moved_enough():
    """The rule on its own: shares of 5 deciles, one moved by 3 (withheld, "moved"); the withheld
    then moved by 3 together, so the smallest other deciles that moved join them until they
    moved by 10 or more; and a decile beside a portfolio edge whose range to it moved by 1 to 9
    goes too."""
    from backend.portfolio.service import piece_moves
    from ml.monitoring import MOVED, protected_score

    edges = [0.1, 0.2, 0.3, 0.4]
    score = {"edges": edges, "current_shares": [0.2, 0.2, 0.2, 0.2, 0.2], "current_withheld": [None] * 5}
    pieces = [0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 1.0]
    moved = {"edges": pieces, "moves": {"2": [[0, 3]], "4": [[0, 12]]}}  # [0.1, 0.2): 3; [0.3, 0.4): 12
    out = protected_score(score, 500, moved=moved)
    assert out["current_withheld"][1] == MOVED
    hidden = [j for j, why in enumerate(out["current_withheld"]) if why]
    assert 3 in hidden  # the 12 who moved joined the 3: together 15
    assert out["current_shares"][0] == 0.2 and out["current_shares"][4] == 0.2
    # A portfolio edge at 0.05 (published first) and 3 newcomers between it and 0.1.
    beside_moved = {"edges": pieces, "moves": {"1": [[0, 3]], "0": [[0, 12]]}}
    near = protected_score(score, 500, beside={0.05: 40}, moved=beside_moved)
    assert near["current_shares"][0] is None and near["current_shares"][1] is None
    # The job's own cut (``piece_moves``) names the same edges the drift report serves.
    stored = piece_moves({"piece": {"0": [(0, 1)]}}, 0.5, [0.04983, 0.1])
    assert 0.04983 in stored["edges"] and 0.05 in stored["edges"] and 0.5 in stored["edges"]


def _read_together(summary: dict, drift: dict) -> dict[float, int]:
    """The applicants under every edge the served summary (bars, grades, threshold) and the
    served drift report (deciles) give, read together."""
    return {**under_read_together(summary), **_decile_under(drift)}


def test_the_portfolio_and_the_drift_report_read_before_and_after_an_import_give_no_range_of_one_to_nine(
    client, auth_headers, settings, applicants_csv, write_applicants, run_jobs, model_bundle
):
    """The reviewer's attack across both reports: the drift report published first on each
    population, then the portfolio (whose bars give way to its deciles); 10 newcomers, 3 just
    above a decile edge and 7 just under it, all in one piece of the portfolio's scale. Every
    range between two edges that the four answers give moved by 0 or at least 10."""
    from backend.portfolio.service import pieces

    p = _probabilities(model_bundle, applicants_csv)
    deciles = [float(e) for e in model_bundle.monitoring_reference["score"]["edges"]]
    cut = pieces(float(model_bundle.threshold))  # the portfolio's own edges
    piece = np.searchsorted(cut, p, side="right")

    def around(edge: float) -> tuple[np.ndarray, np.ndarray]:
        same = piece == np.searchsorted(cut, edge, side="right")
        return np.flatnonzero(same & (p >= edge)), np.flatnonzero(same & (p < edge))

    edge = max(deciles, key=lambda e: min(len(side) for side in around(e)))
    above, below = around(edge)
    assert len(above) >= 3 and len(below) >= 7
    newcomers = [*above[:3].tolist(), *below[:7].tolist()]
    import_file(settings, write_applicants(lambda f: f.drop(index=newcomers)))
    headers = auth_headers("comex")

    summaries = []

    def read() -> dict[float, int]:
        results = run_jobs(settings, "drift", "portfolio")
        assert all(r.published for r in results.values())
        drift = client.get(f"{API}/monitoring/drift", headers=headers).json()
        summaries.append(client.get(f"{API}/portfolio/summary", headers=headers).json())
        return _read_together(summaries[-1], drift)

    old = read()
    import_file(settings, applicants_csv)
    new = read()
    common = sorted(old.keys() & new.keys())
    for low, high in zip(common, common[1:], strict=False):
        moved = (new[high] - new[low]) - (old[high] - old[low])
        assert moved == 0 or moved >= MIN_CELL, (low, high, moved)
    # A later run compares with that one as it was served: a split withheld then (here "beside",
    # at 240 applicants) stays withheld in the later run's ``previous``.
    import_file(settings, write_applicants(lambda f: f.head(MIN_CELL).assign(SK_ID_CURR=[str(990_000 + i) for i in
                                                                                       range(MIN_CELL)])))
    read()
    previous = summaries[-1]["previous"]
    assert previous["applicants"] == summaries[1]["applicants"]
    assert previous["approval_rate"] == summaries[1]["approval_rate"]


def test_the_monitoring_chart_names_why_each_decile_is_withheld_in_both_languages(monkeypatch):
    from frontend import contract, ui
    from frontend.views import monitoring as page

    score = contract.ScoreDrift.model_validate({
        "psi": None, "psi_previous_period": None, "psi_level": "ok", "psi_previous_level": None, "status": "ok",
        "edges": [0.1, 0.2, 0.3], "reference_shares": [0.25] * 4, "current_shares": [0.5, None, None, None],
        "current_withheld": [None, "moved", "complement", "small"], "mean_probability_training": 0.2,
        "mean_probability": 0.2})
    expected = {"fr": ["D1", "D2<br>a changé", "D3<br>non publié", "D4<br><\u00a010\u00a0pers."],
                "en": ["D1", "D2<br>changed", "D3<br>not published", "D4<br>fewer than 10"]}
    for lang, labels in expected.items():
        monkeypatch.setattr(ui, "lang", lambda lang=lang: lang)
        figure = page._score_distribution(score, MIN_CELL)
        assert list(figure.data[1].x) == labels and list(figure.data[1].y) == [50.0, None, None, None]  # in %
        assert ("depuis un rapport publié" if lang == "fr" else "since a published report") in \
            ui.t("monitoring.moved_deciles", minimum=MIN_CELL, most=MIN_CELL - 1)


# ----------------------------------------------------------------------------- the drift report's input shares


def test_ten_newcomers_three_without_a_value_do_not_give_those_three_by_the_missing_share(
    client, auth_headers, settings, applicants_csv, write_applicants, run_jobs
):
    """Each input's missing share, read before and after an import of 10 (3 of them without a
    value), said that 3 newcomers left it blank. The share is now withheld (``moved_shares``)
    while it, or the rows beside it, moved by 1 to 9 since a published report."""
    frame = pd.read_csv(applicants_csv, dtype=str, keep_default_na=False)
    column = max((c for c in frame.columns if c.startswith("AMT_") or c.startswith("EXT_")),
                 key=lambda c: min((frame[c] == "").sum(), (frame[c] != "").sum()))
    filled = frame.loc[frame[column] != "", column].iloc[0]
    newcomers = list(range(10))

    def edited(f: pd.DataFrame) -> pd.DataFrame:
        f.loc[newcomers, column] = filled
        f.loc[newcomers[:3], column] = ""  # 3 of the 10 without a value
        return f

    full = write_applicants(edited)
    import_file(settings, write_applicants(lambda f: edited(f).drop(index=newcomers)))
    assert run_jobs(settings, "drift")["drift"].published
    headers = auth_headers("comex")

    def row(report: dict) -> dict:
        return next(r for r in report["inputs"] if r["input"] == column)

    before = client.get(f"{API}/monitoring/drift", headers=headers).json()
    assert row(before)["missing_share"] is not None and row(before)["missing_share"] * before["rows"] >= MIN_CELL
    import_file(settings, full)
    assert run_jobs(settings, "drift")["drift"].published
    after = client.get(f"{API}/monitoring/drift", headers=headers).json()
    assert after["rows"] == before["rows"] + MIN_CELL
    assert row(after)["missing_share"] is None and row(after)["moved_shares"] == ["missing_share"]
    assert row(after)["missing_suppressed"] is False  # not "1 to 9 people": it holds more
    for r in after["inputs"]:  # no share shown before and after moved by 1 to 9, nor the rest beside it
        old = row(before) if r["input"] == column else next(o for o in before["inputs"] if o["input"] == r["input"])
        for key in ("missing_share", "out_of_range_share", "unseen_category_share"):
            if r[key] is not None and old[key] is not None:
                moved = round(r[key] * after["rows"]) - round(old[key] * before["rows"])
                rest = MIN_CELL - moved  # the rows grew by 10
                assert moved == 0 or (abs(moved) >= MIN_CELL and (rest == 0 or abs(rest) >= MIN_CELL)), \
                    (r["input"], key, moved)


def test_an_input_share_is_compared_with_every_report_for_blanks_and_with_the_same_definition_for_the_rest():
    from ml.monitoring import apart_inputs

    row = {"input": "X", "missing_share": 0.2, "out_of_range_share": 0.2, "unseen_category_share": 0.0}
    then = {"input": "X", "missing_share": 18 / 95, "out_of_range_share": 18 / 95, "unseen_category_share": 0.0}
    today = {"X": "1.0..9.0"}
    # 100 rows today, 95 then: 20 against 18 (moved by 2) in both shares.
    same = apart_inputs([row], 100, [(95, {"X": then}, {"X": "1.0..9.0"})], today)[0]
    assert same["missing_share"] is None and same["out_of_range_share"] is None
    # A share of 0 then and now did not move: the rest moved as the rows did (public).
    assert same["moved_shares"] == ["missing_share", "out_of_range_share"] and same["unseen_category_share"] == 0.0
    # Another training range (a retrain on other rows): out of range counted other people.
    other = apart_inputs([row], 100, [(95, {"X": then}, {"X": "0.0..9.0"})], today)[0]
    assert other["missing_share"] is None and other["out_of_range_share"] == 0.2
    # A report stored before definitions were kept: compared as the same.
    assert apart_inputs([row], 100, [(95, {"X": then}, {})], today)[0]["out_of_range_share"] is None
    # 10 newcomers, all blank: the share moved by 10 and the rest by 0: shown.
    ten = {**then, "missing_share": 10 / 90, "out_of_range_share": 20 / 90}
    assert apart_inputs([row], 100, [(90, {"X": ten}, today)], today)[0]["missing_share"] == 0.2
    # A share withheld then is not compared.
    held = {**then, "missing_share": None, "out_of_range_share": None}
    assert apart_inputs([row], 100, [(90, {"X": held}, today)], today)[0]["missing_share"] == 0.2


def test_the_rows_in_range_beside_two_shares_that_moved_enough_do_not_give_three_people():
    """A number's rows are blank, out of range or in range: with 23 newcomers, 10 blank, 10 out
    of range and 3 in range, each share moved by 10 and the rows in range (the rest) by 3. The
    share that moved least goes, and the rest beside what is left moved by 13."""
    from ml.monitoring import apart_inputs

    then = {"input": "X", "missing_share": 0.2, "out_of_range_share": 0.3, "unseen_category_share": 0.0}
    row = {"input": "X", "missing_share": 30 / 123, "out_of_range_share": 40 / 123, "unseen_category_share": 0.0}
    out = apart_inputs([row], 123, [(100, {"X": then}, {})])[0]
    assert out["moved_shares"] == ["missing_share"] and out["missing_share"] is None
    assert out["out_of_range_share"] == 40 / 123  # beside it: 83 against 70 then, 13 people


def test_the_monitoring_table_says_a_moved_share_changed_and_a_small_one_holds_fewer_than_ten(monkeypatch):
    from frontend import contract, ui
    from frontend.views import monitoring as page

    row = contract.InputDrift.model_validate({
        "input": "AMT_INCOME_TOTAL", "kind": "number", "csi": 0.01, "csi_previous_period": None, "status": "ok",
        "missing_share": None, "missing_suppressed": False, "missing_share_training": 0.1,
        "out_of_range_share": None, "out_of_range_suppressed": True, "unseen_category_share": 0.0,
        "unseen_categories": [], "moved_shares": ["missing_share"], "label": {"fr": "Revenu", "en": "Income"}})
    for lang, moved, small in (("fr", "a changé de <\u00a010\u00a0pers.", "<\u00a010\u00a0pers."),
                               ("en", "changed by fewer than 10", "fewer than 10")):
        monkeypatch.setattr(ui, "lang", lambda lang=lang: lang)
        assert page._input_share(row, "missing_share", MIN_CELL) == moved
        assert page._out_of_range(row, MIN_CELL) == small


# ----------------------------------------------------------------------------- results cut otherwise


def test_people_gone_since_a_result_cut_otherwise_are_counted_in_today_s_pieces():
    """A result stored before the deciles were a cut numbered its pieces at the bars, grades and
    threshold only. Compared by number with today's pieces, 10 erasures (3 in the bar [10 %, 15 %),
    7 at 2 %) were counted in the wrong pieces, and the bar, served 50 then 47, gave those 3
    (the reviewer's finding). Its pieces are now put in today's cut (``recut``): under each of its
    own edges who moved is exact, under a decile it did not cut at it is unknown (blind)."""
    from types import SimpleNamespace

    from backend.monitoring.service import _in_cut, _moves
    from backend.portfolio.service import (
        PIECE,
        compute_aggregates,
        piece_cells,
        piece_edges,
        piece_moves,
        piece_of,
        with_lgd,
    )
    from ml.disclosure import Population, compare

    threshold, deciles = 0.5, [0.03, 0.06]
    p = np.concatenate([np.full(100, 0.02), np.full(100, 0.07), np.full(50, 0.12), np.full(100, 0.3),
                        np.full(100, 0.7)])
    digests = np.arange(len(p), dtype=np.uint64) + 1
    erased = np.r_[np.flatnonzero(p == 0.12)[:3], np.flatnonzero(p == 0.02)[:7]]
    keep = np.setdiff1d(np.arange(len(p)), erased)
    legacy = SimpleNamespace(payload={"summary": {"threshold": threshold}})  # no "piece_edges": cut before
    cut = piece_edges(threshold, deciles)
    old_cells, blind = _in_cut(legacy, piece_cells(piece_of(p, threshold)), cut)
    assert blind == [0.03, 0.06]
    _, moved = compare(Population(digests), Population(digests[keep]), old_cells,
                       piece_cells(piece_of(p[keep], threshold, deciles)))
    moves = _moves([moved])
    summary = compute_aggregates(_population(p[keep]), p[keep], threshold, "v")["summary"]
    served = with_lgd({**summary, "piece_moves": piece_moves(moves, threshold, deciles, [blind])}, 1.0)
    before = with_lgd(compute_aggregates(_population(p), p, threshold, "v")["summary"], 1.0)
    old = dict(zip(before["histogram"]["edges"][1:], np.cumsum(before["histogram"]["counts"]).tolist(), strict=True))
    new = dict(zip(served["histogram"]["edges"][1:], np.cumsum(served["histogram"]["counts"]).tolist(), strict=True))
    common = sorted(old.keys() & new.keys())
    for low, high in zip([0.0, *common], common, strict=False):
        change = (new[high] - new.get(low, 0)) - (old[high] - old.get(low, 0))
        assert change == 0 or abs(change) >= MIN_CELL, (low, high, change)
    # A result cut as today is compared as it is; a piece's people land under its own top edge.
    same = SimpleNamespace(payload={"piece_edges": cut})
    cells = piece_cells(piece_of(p, threshold, deciles))
    assert _in_cut(same, cells, cut)[0] is cells
    # At 2 %, in [2 %, 4 %) then: today in [3 %, 4 %), the top of that piece (4 % is an edge of both).
    assert np.unique(old_cells[PIECE][p == 0.02]).tolist() == [int(piece_of(np.array([0.035]), threshold, deciles)[0])]
    # Blind edges: unknown, not "nobody moved".
    from ml.disclosure import moved_under
    under = moved_under(piece_moves(moves, threshold, deciles, [blind]))
    assert under[0.03] == [None] and under[0.06] == [None] and under[0.05] is not None


def test_the_psi_against_a_report_that_withheld_a_decile_is_withheld_too():
    """The next report's PSI against the previous period, with every decile of today shown, had
    one solution for the decile the previous report withheld (the reviewer's finding: 3
    newcomers in it). It is withheld when that report withheld any, its level given."""
    from ml.monitoring import (
        add_counts,
        count_partition,
        drift_report,
        served_score,
        training_reference,
    )

    rng = np.random.default_rng(3)
    train, today = rng.beta(1.5, 12, 2000), rng.beta(1.5, 10, 500)
    reference = training_reference(pd.DataFrame(index=range(train.size)), train, [])
    counts = add_counts([count_partition(reference, pd.DataFrame(index=range(today.size)), today)])
    previous = {"rows": 490, "score": [0.1] * 10, "inputs": {}}
    shown = drift_report(reference, counts, previous)["score"]
    assert shown["psi_previous_period"] is not None
    hidden = drift_report(reference, counts, previous, previous_withheld=True)["score"]
    assert hidden["psi_previous_period"] is None and hidden["psi"] == shown["psi"]
    assert served_score(hidden, 500)["psi_previous_level"] == served_score(shown, 500)["psi_previous_level"] is not None


def test_a_history_point_keeps_the_psi_its_run_withheld_beside_the_portfolio(
    client, auth_headers, settings, applicants_csv, write_applicants, run_jobs
):
    """The portfolio published first on the test population, then the drift report: a decile
    edge 5 people from the threshold withholds two deciles, and the PSI with them. Once a later
    run is served, that run's point in the history served its PSI again (compared with no
    portfolio edge: the reviewer's finding). It is now served beside the portfolio published
    on its own people."""
    import_file(settings, applicants_csv)
    run_jobs(settings, "portfolio", "drift")
    comex = auth_headers("comex")
    first = client.get(f"{API}/monitoring/drift", headers=comex).json()
    assert first["score"]["psi"] is None and first["history"][0]["score_psi"] is None  # beside the threshold
    import_file(settings, write_applicants(lambda f: f.head(MIN_CELL).assign(
        SK_ID_CURR=[str(990_000 + i) for i in range(MIN_CELL)])))
    run_jobs(settings, "portfolio", "drift")
    later = client.get(f"{API}/monitoring/drift", headers=comex).json()
    assert later["rows"] == first["rows"] + MIN_CELL
    [point] = [p for p in later["history"] if p["rows"] == first["rows"]]
    assert point["score_psi"] is None
