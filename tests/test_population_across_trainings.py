"""The training population reference across retrainings: no subtraction between two published
bundles gives 1 to 9 people's outcomes.

The registry keeps every bundle and lists each one's training rows; the advisor's *Comparaison*
tab shows the champion's histograms and level counts. A retraining after one erasure published
totals one person apart (the person's outcome), and an import of 12 repaid clients, each alone in
a histogram bin, moved each bin by one. ``ml.disclosure.too_close`` refuses the first before
anything is trained; ``disclosed_across`` withholds the second; the registry refuses a bundle
trained elsewhere that would open either.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from backend.cli import app
from backend.registry.store import ModelRegistry, RegistryError
from ml.bundle import Published
from ml.disclosure import MIN_CELL, disclosed_across, population_totals, too_close, withheld_changes
from tests.fixtures.ml import FAST_TRAINING

runner = CliRunner()


# ------------------------------------------------------------------ what a reader subtracts
def _rows(ref: dict, cells_of: list[int] | None = None, n: int | None = None) -> list[tuple[int, int] | None]:
    """A feature's rows as (defaulters, repaid), None where withheld; histogram bins grouped
    into ``n`` cells by ``cells_of``."""
    if ref["kind"] == "category":  # a count shown without its rate: its outcomes are not
        return [None if c is None or (r is None and c) else (round((r or 0.0) * c), c - round((r or 0.0) * c))
                for c, r in zip(ref["counts"], ref["default_rate"], strict=True)]
    out: list[list[int] | None] = [[0, 0] for _ in range(n)]  # type: ignore[arg-type]
    for d, r, cell in zip(ref["hist_defaulters"], ref["hist_repaid"], cells_of, strict=True):  # type: ignore[arg-type]
        if d is None or out[cell] is None:
            out[cell] = None
        else:
            out[cell] = [out[cell][0] + d, out[cell][1] + r]  # type: ignore[index]
    return [None if row is None else (row[0], row[1]) for row in out]


def differences(new: dict, old: dict) -> list[tuple[str, int]]:
    """Every count a reader gets by subtracting ``old`` from ``new`` (two published references):
    the totals, each level or common histogram cell both show, and the totals minus those."""
    total_new, total_old = population_totals(new), population_totals(old)
    out = [("total", a - b) for a, b in zip(total_new, total_old, strict=True)]
    for name, ref in new["features"].items():
        before = old["features"].get(name)
        if before is None:
            continue
        if ref["kind"] == "category":
            assert ref["levels"] == before["levels"]
            rows_new, rows_old = _rows(ref), _rows(before)
        elif ref.get("hist_defaulters") is not None and before.get("hist_defaulters") is not None:
            # The outer bins are open-ended: the cells are the interior edges both have.
            common = sorted(set(ref["hist_edges"][1:-1]) & set(before["hist_edges"][1:-1]))

            def cells(edges: list[float]) -> list[int]:
                return [0] + [sum(1 for c in common if c <= e) for e in edges[1:-1]]
            rows_new = _rows(ref, cells(ref["hist_edges"]), len(common) + 1)
            rows_old = _rows(before, cells(before["hist_edges"]), len(common) + 1)
        else:
            continue
        out += _subtracted(name, rows_new, rows_old, total_new, total_old)
        if ref["kind"] == "category":
            # A count shown without its rate: the people who moved in that level, outcomes unknown.
            out += [(f"{name}[{i}] people", c - b)
                    for i, (c, b, rate) in enumerate(zip(ref["counts"], before["counts"], ref["default_rate"], strict=True))
                    if c is not None and b is not None and rate is None and c]
            # The sizes alone: the rows less every count both show (the levels withheld and the
            # missing group, together), outcomes unknown; when those moved by no one, the rest's
            # move is the rows' own, which the totals give (their outcomes are checked above).
            both = [i for i, (c, b) in enumerate(zip(ref["counts"], before["counts"], strict=True))
                    if c is not None and b is not None]
            moved = sum(ref["counts"][i] - before["counts"][i] for i in both)
            if moved:
                out.append((f"{name}[rest] people", new["rows"] - old["rows"] - moved))
    return out


def _subtracted(name: str, rows_new: list, rows_old: list, total_new, total_old) -> list[tuple[str, int]]:
    """Each row both show, subtracted, and the totals minus those rows."""
    both = [i for i, (a, b) in enumerate(zip(rows_new, rows_old, strict=True)) if a is not None and b is not None]
    out = [(f"{name}[{i}]", a - b) for i in both for a, b in zip(rows_new[i], rows_old[i], strict=True)]
    for k in range(len(total_new)):
        rest = total_new[k] - total_old[k] - sum(rows_new[i][k] - rows_old[i][k] for i in both)
        out.append((f"{name}[rest]", rest))
    return out


def small_differences(new: dict, old: dict) -> list[tuple[str, int]]:
    return [(where, d) for where, d in differences(new, old) if 0 < abs(d) < MIN_CELL]


# ------------------------------------------------------------------ hand-made references
def _reference(rows: int, defaulters: int, features: dict) -> dict:
    return {"rows": rows, "default_rate": defaulters / rows, "features": features, "disclosed": MIN_CELL}


def _category(levels: list[str], counts: list[int | None], defaulters: list[int]) -> dict:
    return {"kind": "category", "levels": levels, "counts": counts, "missing_rate": 0.0,
            "default_rate": [None if not c else d / c for c, d in zip(counts, defaulters, strict=True)]}


def _histogram(edges: list[float], defaulters: list[int | None], repaid: list[int | None]) -> dict:
    return {"kind": "number", "missing_rate": 0.0, "hist_edges": edges, "hist_defaulters": defaulters,
            "hist_repaid": repaid,
            "default_rate_by_bin": [None if d is None else d / (d + r) if d + r else None
                                    for d, r in zip(defaulters, repaid, strict=True)]}


def test_a_level_one_newcomer_joined_is_withheld_with_enough_to_hide_it():
    # Before: 100 people; after, 20 repaid newcomers, one of them the only newcomer widowed.
    before = _reference(100, 20, {"status": _category(["married", "single", "widow"], [50, 30, 20], [10, 10, 0])})
    after = _reference(120, 20, {"status": _category(["married", "single", "widow"], [60, 39, 21], [10, 10, 0])})
    assert small_differences(after, before)  # what it gave: the widow's outcome, and single's 9
    safe, withheld = disclosed_across(after, [("v1", before)])
    assert withheld == ["status (v1)"]
    assert safe["features"]["status"]["counts"] == [60, None, None]
    assert safe["features"]["status"]["default_rate"][1:] == [None, None]
    assert small_differences(safe, before) == []
    assert safe["compared_with"] == ["v1"]
    # Applied again, it withholds nothing more (what the registry checks).
    assert disclosed_across(safe, [("v1", before)])[1] == []


def test_a_level_twelve_newcomers_joined_keeps_no_count_the_sizes_left_would_give_back():
    """12 newcomers married (3 defaulted), 8 single (7 defaulted): the married moved by 12 people,
    so their count could be shown, but by 3 defaulters, so their rate is not; the single moved by
    8 people and go whole. What hides outcomes (both levels) moved by 10 and 10. But the rows less
    the counts shown (the married, the widowed) then give the single's 8: the married go whole
    too, and what hides sizes (both levels) moved by 20."""
    before = _reference(100, 20, {"status": _category(["married", "single", "widow"], [50, 30, 20], [10, 10, 0])})
    after = _reference(120, 30, {"status": _category(["married", "single", "widow"], [62, 38, 20], [13, 17, 0])})
    withheld_sizes_before_too = {**after, "features": {"status": {**after["features"]["status"],
                                                                  "counts": [62, None, 20],
                                                                  "default_rate": [None, None, 0.0]}}}
    assert ("status[rest] people", 8) in small_differences(withheld_sizes_before_too, before)
    safe, withheld = disclosed_across(after, [("v1", before)])
    assert withheld == ["status (v1)"]
    status = safe["features"]["status"]
    assert status["counts"] == [None, None, 20] and status["default_rate"] == [None, None, 0.0]
    assert small_differences(safe, before) == []
    assert disclosed_across(safe, [("v1", before)])[1] == []


def test_a_bin_on_shared_edges_and_the_seen_values_as_one_bin():
    edges = [0.0, 1.0, 2.0, 3.0, 4.0]
    before = _reference(200, 40, {"x": _histogram(edges, [10, 10, 10, 10], [40, 40, 40, 40])})
    # 3 newcomer defaulters in the last bin (and 10 repaid spread over two bins).
    after = _reference(213, 43, {"x": _histogram(edges, [10, 10, 10, 13], [45, 45, 40, 40])})
    assert too_close(population_totals(after), [("v1", before)]) is not None  # 3 defaulters apart
    # Same totals gap but 10 defaulters: the last bin's +3 still gives three people.
    after = _reference(220, 50, {"x": _histogram(edges, [17, 10, 10, 13], [40, 40, 40, 40])})
    assert too_close(population_totals(after), [("v1", before)]) is None
    safe, _ = disclosed_across(after, [("v1", before)])
    assert small_differences(safe, before) == []
    assert safe["features"]["x"]["hist_defaulters"] == [None, 10, 10, None]
    # Two bins that moved by 5 each: merged, they moved by 10 and show as many bins, each whole.
    after = _reference(220, 50, {"x": _histogram(edges, [15, 15, 10, 10], [40, 40, 40, 40])})
    safe, changes = disclosed_across(after, [("v1", before)])
    assert changes == ["x (v1)"] and safe["features"]["x"]["hist_edges"] == [0.0, 2.0, 4.0]
    assert safe["features"]["x"]["hist_defaulters"] == [30, 20] and small_differences(safe, before) == []
    # Edges moved (another lo/hi): only the values seen, as one bin, compare; nothing small there.
    moved = _reference(220, 50, {"x": _histogram([0.5, 1.5, 2.5, 3.5, 4.5], [17, 10, 10, 13], [40, 40, 40, 40])})
    assert disclosed_across(moved, [("v1", before)])[1] == []


def test_every_subtraction_from_every_earlier_reference_is_zero_or_ten_people():
    """Random references (levels and histograms, some edges shared, some bins already
    withheld), random imports and erasures between them: once disclosed across, nothing a
    reader subtracts from any earlier one is 1 to 9 people."""
    rng = random.Random(17)
    grids = [[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], [0.0, 2.0, 4.0, 5.0], [0.0, 1.0, 2.0, 3.0, 5.0], [0.5, 1.5, 2.5, 3.5, 4.5]]
    for _ in range(300):
        references = []
        defaulters, repaid = rng.randint(60, 80), rng.randint(150, 300)
        for _ in range(rng.randint(2, 4)):
            if references:  # an import or an erasure of 0 or at least 10 of each outcome
                defaulters += rng.choice([0, rng.randint(10, 25), -rng.randint(10, 15)])
                repaid += rng.choice([0, rng.randint(10, 40), -rng.randint(10, 40)])
            level_d = _split(rng, defaulters, 4)
            level_r = _split(rng, repaid, 4)
            counts: list[int | None] = [d + r for d, r in zip(level_d, level_r, strict=True)]
            edges = rng.choice(grids)
            hist_d = _split(rng, defaulters, len(edges) - 1)
            hist_r = _split(rng, repaid, len(edges) - 1)
            hist_d_shown: list[int | None] = list(hist_d)
            if rng.random() < 0.3:  # a bin already withheld within its own table
                i = rng.randrange(len(hist_d))
                hist_d_shown[i] = None
            ref = _reference(defaulters + repaid, defaulters, {
                "status": _category(["a", "b", "c", "d"], counts, level_d),
                "x": _histogram(edges, hist_d_shown, [None if d is None else r for d, r in zip(hist_d_shown, hist_r,
                                                                                               strict=True)]),
            })
            earlier = [(f"v{i}", r) for i, r in enumerate(references)]
            if too_close(population_totals(ref), earlier) is None:
                ref, _ = disclosed_across(ref, earlier)
                for _, before in earlier:
                    assert small_differences(ref, before) == []
                references.append(ref)


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    cuts = sorted(rng.randint(0, total) for _ in range(parts - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]


def test_withheld_changes_keeps_what_its_own_table_withheld():
    assert withheld_changes([None, (10, 10)], [(5, 5), (10, 10)], (30, 30), (20, 20)) == {0}
    # Nothing moved: nothing more.
    assert withheld_changes([(10, 10), (20, 0)], [(10, 10), (20, 0)], (30, 10), (30, 10)) == set()


# ------------------------------------------------------------------ real trainings, CLI and registry
@pytest.fixture(scope="module")
def populations(synthetic_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The first 1,500 applicants; the same less one (an erasure); the same plus the next 12 repaid."""
    root = tmp_path_factory.mktemp("populations")
    frame = pd.read_csv(synthetic_data_dir / "application_train.csv")
    base = frame.iloc[:1500]
    newcomers = frame.iloc[1500:][frame.iloc[1500:]["TARGET"] == 0].iloc[:12]
    out = {}
    for name, rows in {"base": base, "erased": base.iloc[1:], "imported": pd.concat([base, newcomers])}.items():
        (root / name).mkdir()
        rows.to_csv(root / name / "application_train.csv", index=False)
        out[name] = root / name
    return out


def _train(data: Path, out: Path, published=()) -> Path:
    from ml.train import train

    train(data, out, folds=2, seed=3, logistic_baseline=False, threshold_bootstrap=20, shap_sample=200,
          published=published, **FAST_TRAINING)
    return out


def test_a_retraining_one_erasure_away_is_refused_before_training(populations, tmp_path, isolated_var):
    first = runner.invoke(app, ["train", "--data", str(populations["base"]), "--folds", "2"])
    assert first.exit_code == 0, first.output
    [version] = ModelRegistry(tmp_path / "registry").versions()
    result = runner.invoke(app, ["train", "--data", str(populations["erased"]), "--folds", "2"])
    assert result.exit_code != 0
    assert f"1 defaulter(s) and 0 repaid client(s) away from version {version.version}" in result.output \
        or f"0 defaulter(s) and 1 repaid client(s) away from version {version.version}" in result.output
    assert "Traceback" not in result.output
    assert [v.version for v in ModelRegistry(tmp_path / "registry").versions()] == [version.version]
    # Refused before any training: nothing was written where --out points.
    result = runner.invoke(app, ["train", "--data", str(populations["erased"]), "--out", str(tmp_path / "m")])
    assert result.exit_code != 0 and not (tmp_path / "m" / "manifest.json").exists()


def test_an_import_of_twelve_is_published_without_a_bin_that_moved_by_few(populations, tmp_path):
    registry = ModelRegistry(tmp_path / "registry")
    base, _ = registry.add(_train(populations["base"], tmp_path / "base"))
    # Trained elsewhere, without the registry: its reference shows bins the twelve moved by 1 or 2.
    alone = _train(populations["imported"], tmp_path / "alone")
    reference, earlier = Published.read(alone).population, Published.read(base.path).population
    assert small_differences(reference, earlier)
    with pytest.raises(RegistryError, match="would give 1 to 9 people's outcomes by subtraction"):
        registry.add(alone)
    assert [v.version for v in registry.versions()] == [base.version]
    # Trained against the registry: the same twelve, the bins withheld; the registry takes it.
    against = _train(populations["imported"], tmp_path / "against", published=registry.published())
    info, added = registry.add(against)
    assert added
    reference = Published.read(info.path).population
    assert small_differences(reference, earlier) == []
    # The model card's fairness tables too: trained alone, a group moved by a few repaid.
    assert card_leaks(Published.read(alone).fairness, Published.read(base.path).fairness)
    assert card_leaks(Published.read(info.path).fairness, Published.read(base.path).fairness) == []
    assert reference["compared_with"] == [base.version]
    assert Published.read(info.path).prototypes["compared_with"] == [base.version]
    withheld = [name for name, ref in reference["features"].items()
                if ref.get("hist_defaulters") is not None and None in ref["hist_repaid"]]
    assert withheld  # bins went; the comparison still serves the rest
    # A bundle one erasure from a registered one is refused at the registry too.
    with pytest.raises(RegistryError, match=f"away from version {base.version}"):
        registry.add(_train(populations["erased"], tmp_path / "erased"))


def test_the_same_population_retrained_withholds_nothing(synthetic_data_dir, trained_bundle_dir, other_features_bundle_dir):
    """A challenger trained on the champion's population (the demo's) compares as equal."""
    champion = Published.read(trained_bundle_dir).population
    challenger = Published.read(other_features_bundle_dir).population
    assert population_totals(champion) == population_totals(challenger)
    _, withheld = disclosed_across(challenger, [("champion", champion)])
    assert withheld == []
    assert np.all([d == 0 for _, d in differences(challenger, champion)])


# ------------------------------------------------------------------ the model card's fairness tables
def _group(name: str, count: int, defaults: int, approved: int) -> dict:
    return {"group": name, "count": count, "approval_rate": approved / count, "default_rate": defaults / count,
            "predicted_default_rate": 0.1, "true_positive_rate": None, "false_positive_rate": None,
            "predicted_to_observed": None}


def _card(rows: list[dict]) -> dict:
    return {"groups": {"age_band": {"rows": rows, "disparate_impact": 1.0, "four_fifths_rule_met": True}}}


def served_defaults(fairness: dict, attribute: str = "age_band") -> dict[frozenset, tuple[int, int]]:
    """What the served card shows of each row's defaulters and repaid, keyed by the groups the
    row covers (the pool: its members)."""
    from backend.scoring.card import fairness_report

    block = fairness_report(fairness).groups[attribute]
    pooled = frozenset(r.group for r in block.rows if r.pooled)
    out = {}
    for row in block.rows:
        if row.masked or row.default_rate is None:
            continue
        key = pooled if row.group == "pooled" else frozenset([row.group])
        defaults = round(row.default_rate * row.count)
        out[key] = (defaults, row.count - defaults)
    return out


def card_differences(new: dict, old: dict) -> list[tuple[str, int]]:
    """Defaulters and repaid a reader gets by subtracting two served cards: each row both show
    for the same groups, and the totals (published with the population) minus those rows."""
    from ml.fairness import _totals

    shown_new, shown_old = served_defaults(new), served_defaults(old)
    both = [key for key in shown_new if key in shown_old]
    out = [(",".join(sorted(key)), a - b) for key in both
           for a, b in zip(shown_new[key], shown_old[key], strict=True)]
    total_new, total_old = _totals(new["groups"]["age_band"]), _totals(old["groups"]["age_band"])
    for k in range(2):
        out.append(("rest", total_new[k] - total_old[k] - sum(shown_new[key][k] - shown_old[key][k] for key in both)))
    return out


def test_a_fairness_group_that_moved_by_few_keeps_its_count_and_loses_its_defaults():
    from ml.fairness import fairness_across

    before = _card([_group("<30", 200, 30, 150), _group("30-39", 300, 30, 250), _group("60+", 100, 10, 80)])
    # 20 newcomers with 10 defaulters: 17 under 30 (7 defaulters), 3 aged 60+ (all defaulters).
    after = _card([_group("<30", 217, 37, 160), _group("30-39", 300, 30, 250), _group("60+", 103, 13, 80)])
    assert [d for d in card_differences(after, before) if 0 < abs(d[1]) < MIN_CELL]  # the three's outcomes
    safe, changes = fairness_across(after, [("v1", before)])
    assert changes == ["age_band (v1)"]
    assert [d for d in card_differences(safe, before) if 0 < abs(d[1]) < MIN_CELL] == []
    shown = served_defaults(safe)
    assert frozenset(["60+"]) not in shown and frozenset(["30-39"]) in shown
    # The count stays (a count without an outcome, as the card shows a pooled group's).
    from backend.scoring.card import fairness_report

    rows = {r.group: r for r in fairness_report(safe).groups["age_band"].rows}
    assert rows["60+"].count == 103 and rows["60+"].default_rate is None and "default" in rows["60+"].withheld
    assert fairness_across(safe, [("v1", before)])[1] == []


def _subset_sums(shown: dict[frozenset, tuple[int, int]]) -> dict[frozenset, tuple[int, int]]:
    """Every union of shown rows a reader can add up: the groups it covers and its people."""
    keys = list(shown)
    out: dict[frozenset, tuple[int, int]] = {}
    for mask in range(1, 2 ** len(keys)):
        chosen = [keys[i] for i in range(len(keys)) if mask >> i & 1]
        covers = frozenset().union(*chosen)
        if sum(len(k) for k in chosen) == len(covers):  # disjoint rows only
            out[covers] = (sum(shown[k][0] for k in chosen), sum(shown[k][1] for k in chosen))
    return out


def card_leaks(new: dict, old: dict) -> list[tuple[str, int]]:
    """Every difference of 1 to 9 defaulters or repaid a reader gets from two served cards: the
    smallest unions of rows both add up (found by trying every union; every other union is a sum
    of them) and the totals minus all of them, per attribute."""
    from ml.fairness import _totals

    leaks = []
    for attribute, block in new["groups"].items():
        if attribute not in old["groups"]:
            continue
        total_new, total_old = _totals(block), _totals(old["groups"][attribute])
        sums_new = _subset_sums(served_defaults(new, attribute))
        sums_old = _subset_sums(served_defaults(old, attribute))
        common = set(sums_new) & set(sums_old)
        atoms = [c for c in common if not any(other < c for other in common)]
        for k in range(2):
            moved = [sums_new[c][k] - sums_old[c][k] for c in atoms]
            values = [*moved, total_new[k] - total_old[k] - sum(moved)]
            leaks += [(attribute, v) for v in values if 0 < abs(v) < MIN_CELL]
    return leaks


def test_no_union_of_groups_subtracts_to_few_people_across_random_versions():
    """Random age-band tables (small groups pooled, pools of other members in other versions),
    random imports and erasures of 0 or at least 10 of each outcome: once ``fairness_across`` has
    run, the smallest unions of rows both cards add up (found by trying every union) and what
    the totals leave beside them each moved by 0 or at least 10 defaulters and repaid. (A union
    of two that moved 12 up and 10 down nets 2: a balance of movements of 10 or more, known
    from them, not a group of 2 people.)"""
    from ml.fairness import _totals, fairness_across

    rng = random.Random(29)
    bands = ["<30", "30-39", "40-49", "50-59", "60+", "unknown"]
    for _ in range(150):
        cards: list[dict] = []
        defaulters, repaid = rng.randint(40, 80), rng.randint(150, 300)
        for _ in range(rng.randint(2, 4)):
            if cards:
                defaulters += rng.choice([0, rng.randint(10, 20), -rng.randint(10, 15)])
                repaid += rng.choice([0, rng.randint(10, 30), -rng.randint(10, 30)])
            d, r = _split(rng, defaulters, len(bands)), _split(rng, repaid, len(bands))
            if rng.random() < 0.5:  # a small band, pooled
                small = rng.randrange(len(bands))
                moved_d, moved_r = d[small] - min(d[small], 2), r[small] - min(r[small], 3)
                d[small] -= moved_d
                r[small] -= moved_r
                d[(small + 1) % len(bands)] += moved_d
                r[(small + 1) % len(bands)] += moved_r
            rows = [_group(name, dd + rr, dd, (dd + rr) // 2) for name, dd, rr in zip(bands, d, r, strict=True) if dd + rr]
            card = _card(rows)
            earlier = [(f"v{i}", c) for i, c in enumerate(cards)]
            total_new = _totals(card["groups"]["age_band"])
            if any(0 < abs(a - b) < MIN_CELL for _, before in earlier
                   for a, b in zip(total_new, _totals(before["groups"]["age_band"]), strict=True)):
                continue  # `too_close` refuses such a training
            card, _ = fairness_across(card, earlier)
            for _, before in earlier:
                assert card_leaks(card, before) == []
            cards.append(card)


def test_the_served_model_directory_counts_as_published(populations, tmp_path, isolated_var):
    """While nothing is promoted the API serves OCTROI_MODEL_DIR: a bundle one erasure from it
    is refused by `octroi train` and by `octroi model add`, as if it were registered."""
    served = isolated_var / "model"
    first = runner.invoke(app, ["train", "--data", str(populations["base"]), "--out", str(served), "--folds", "2"])
    assert first.exit_code == 0, first.output
    version = Published.read(served).version
    result = runner.invoke(app, ["train", "--data", str(populations["erased"]), "--out", str(tmp_path / "m")])
    assert result.exit_code != 0 and f"away from version {version}" in result.output
    elsewhere = _train(populations["erased"], tmp_path / "elsewhere")
    result = runner.invoke(app, ["model", "add", str(elsewhere)])
    assert result.exit_code != 0 and f"away from version {version}" in result.output, result.output
    assert ModelRegistry(tmp_path / "registry").versions() == []
    # The served bundle itself is registered as before (the demo's first step).
    assert runner.invoke(app, ["model", "add", str(served)]).exit_code == 0


# ------------------------------------------------------------------ the similar-profile groups
# Two k-means fits one import apart give different groups where the population is one cloud, but
# a group apart from the rest (a rare profile) comes out the same in both: its size and default
# rate then give the newcomers who joined it.

def _clouds(rng: np.random.Generator, main: int, apart: int, apart_defaulters: int) -> tuple[np.ndarray, np.ndarray]:
    x = np.vstack([rng.normal(0.0, 1.0, (main, 2)), rng.normal(8.0, 0.2, (apart, 2))])
    y = np.concatenate([(rng.random(main) < 0.1).astype(int), np.r_[np.ones(apart_defaulters), np.zeros(apart - apart_defaulters)]])
    return x, y.astype(int)


GROUP_COLUMNS = ["AMT_CREDIT", "AMT_ANNUITY"]
GROUP_IMPORTANCE = [{"feature": name} for name in GROUP_COLUMNS]


def _counts(prototype: dict) -> tuple[int, int]:
    defaulters = round(prototype["size"] * prototype["default_rate"])
    return defaulters, prototype["size"] - defaulters


def _apart(reference: dict) -> list[tuple[int, int]]:
    """What a reader sees of the groups whose median lies in the cloud apart."""
    return [_counts(p) for p in reference["prototypes"] if p["features"]["AMT_CREDIT"]["median"] > 4]


@pytest.fixture(scope="module")
def import_beside_a_rare_profile() -> dict:
    from ml.prototypes import fit_prototypes

    rng = np.random.default_rng(7)
    x, y = _clouds(rng, 3000, 80, 30)
    first = fit_prototypes(x, y, GROUP_COLUMNS, GROUP_IMPORTANCE, seed=0)
    # 20 newcomers (10 defaulters, 10 repaid: totals far enough apart), 3 repaid of them in the cloud apart.
    joined = np.vstack([x, rng.normal(8.0, 0.2, (3, 2)), rng.normal(0.0, 1.0, (17, 2))])
    outcomes = np.concatenate([y, [0, 0, 0], np.r_[np.ones(10), np.zeros(7)].astype(int)])
    return {"x": x, "y": y, "first": first, "joined": joined, "outcomes": outcomes}


def test_a_group_apart_fitted_again_one_import_later_gives_its_newcomers_unless_compared(import_beside_a_rare_profile):
    from ml.prototypes import fit_prototypes

    case = import_beside_a_rare_profile
    first = case["first"]
    assert _apart(first) == [(30, 50)]
    alone = fit_prototypes(case["joined"], case["outcomes"], GROUP_COLUMNS, GROUP_IMPORTANCE, seed=0)
    assert _apart(alone) == [(30, 53)]  # the three repaid newcomers, by subtraction
    beside = fit_prototypes(case["joined"], case["outcomes"], GROUP_COLUMNS, GROUP_IMPORTANCE, seed=0,
                            earlier=[("v1", first)])
    assert beside["compared_with"] == ["v1"]
    assert _apart(beside) == []  # dissolved into the nearest groups of the main cloud
    # The 83 are now in a group of at least as many people of the main cloud (its median there),
    # and no other group reaches the cloud apart.
    [holding] = [p for p in beside["prototypes"] if p["features"]["AMT_CREDIT"]["q75"] > 4]
    assert holding["size"] >= 2 * 83
    sizes = [p["size"] for p in beside["prototypes"]]
    assert sum(sizes) == len(case["outcomes"]) and min(sizes) >= 20
    # Every other group is still fitted as it would be alone.
    assert len(beside["prototypes"]) >= len(alone["prototypes"]) - 2


def test_the_same_population_fitted_beside_itself_keeps_every_group(import_beside_a_rare_profile):
    from ml.prototypes import fit_prototypes

    case = import_beside_a_rare_profile
    again = fit_prototypes(case["x"], case["y"], GROUP_COLUMNS, GROUP_IMPORTANCE, seed=0,
                           earlier=[("v1", case["first"])])
    assert again["prototypes"] == case["first"]["prototypes"]


def test_a_group_whose_people_moved_by_ten_or_more_is_kept(import_beside_a_rare_profile):
    """Twelve repaid newcomers join the cloud apart: its group moved by 12, not by a few."""
    from ml.prototypes import fit_prototypes

    case = import_beside_a_rare_profile
    rng = np.random.default_rng(8)
    joined = np.vstack([case["x"], rng.normal(8.0, 0.2, (12, 2)), rng.normal(0.0, 1.0, (10, 2))])
    outcomes = np.concatenate([case["y"], np.zeros(12, dtype=int), np.ones(10, dtype=int)])
    beside = fit_prototypes(joined, outcomes, GROUP_COLUMNS, GROUP_IMPORTANCE, seed=0, earlier=[("v1", case["first"])])
    assert _apart(beside) == [(30, 62)]


def test_an_earlier_group_on_a_feature_no_longer_known_is_named(import_beside_a_rare_profile):
    from ml.prototypes import fit_prototypes

    case = import_beside_a_rare_profile
    with pytest.raises(ValueError, match="version v1's similar-profile groups: feature"):
        fit_prototypes(case["x"][:, :1], case["y"], GROUP_COLUMNS[:1], GROUP_IMPORTANCE[:1], seed=0,
                       earlier=[("v1", case["first"])])


def test_the_registry_takes_groups_fitted_elsewhere_only_beside_the_same_people(populations, tmp_path):
    """The registry has no training row to place in the groups: a bundle whose groups were not
    fitted beside a registered version trained on other people is refused."""
    registry = ModelRegistry(tmp_path / "registry")
    base, _ = registry.add(_train(populations["base"], tmp_path / "base"))
    published = Published.read(base.path).population
    defaulters, repaid = population_totals(published)
    # Other people: 20 more of each outcome, nothing else a subtraction could open.
    other = {"rows": defaulters + repaid + 40, "default_rate": (defaulters + 20) / (defaulters + repaid + 40),
             "features": {}}
    with pytest.raises(RegistryError, match=f"similar-profile groups were not fitted beside version\\(s\\) {base.version}"):
        registry._check_population("v2", other, {}, groups_compared_with=())
    registry._check_population("v2", other, {}, groups_compared_with=[base.version])
    registry._check_population("v2", published, {}, groups_compared_with=())  # the same people


def test_a_retraining_on_the_same_people_fits_its_groups_as_alone(populations, tmp_path):
    """Trained on the people of a registered version (every table both publish agrees), a bundle
    opens no one by subtraction: its groups are fitted as they would be alone, not compared."""
    registry = ModelRegistry(tmp_path / "registry")
    base, _ = registry.add(_train(populations["base"], tmp_path / "base"))
    again = Published.read(_train(populations["base"], tmp_path / "again", published=registry.published()))
    assert again.prototypes["compared_with"] == []
    assert again.prototypes["prototypes"] == Published.read(base.path).prototypes["prototypes"]
