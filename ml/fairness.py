"""The fairness report a validation team can check, computed at training on out-of-fold
predictions, with the protected attributes kept apart from the model's inputs.

- **Per group** (sex, age band, family status): count, approval rate, observed and predicted
  default rate, true/false positive rates (positive = default, "predicted positive" =
  refused) and the predicted/observed ratio (per-group calibration), each with a 95 %
  interval. Point estimates with Fairlearn's ``MetricFrame``; intervals analytical (see
  :func:`group_metrics`).
- **Disparate impact**: lowest / highest approval rate over groups holding at least 1 % of
  rows (and 30 clients); the four-fifths rule is reported, not enforced.
- **Proxy analysis**: how well the model's own inputs predict each excluded attribute
  (cross-validated AUC of a small LightGBM classifier; 0.5 = no information). A high AUC
  means the exclusion alone does not stop the model from "seeing" the attribute, and the
  per-group figures are what show whether it matters.
- **Exclusion impact** (opt-in, ``measure_exclusions``): AUC and business cost with and
  without each excluded attribute, by retraining on the same folds.
"""

from __future__ import annotations

import warnings
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from ml.cost import business_cost, optimal_threshold
from ml.disclosure import MIN_CELL, POOLED, pooled_cells, withheld_changes, withheld_rows
from ml.policy import PROTECTED_ATTRIBUTES, FairLendingPolicy

AGE_BANDS = (("<30", 0, 30), ("30-39", 30, 40), ("40-49", 40, 50), ("50-59", 50, 60), ("60+", 60, 200))
CI_QUANTILES = [0.025, 0.975]
# The disparate impact compares groups large enough for a rate to mean something: at least
# RATIO_MIN_COUNT people and RATIO_MIN_SHARE of all, never "unknown". A group under
# SMALL_GROUP people is shown with its count only (its rates would describe a handful of
# people, the rule every other figure of the product follows).
RATIO_MIN_COUNT = 30
RATIO_MIN_SHARE = 0.01
SMALL_GROUP = MIN_CELL
METRICS = ("approval_rate", "default_rate", "predicted_default_rate", "true_positive_rate",
           "false_positive_rate", "predicted_to_observed")  # fmt: skip
# The rates a group shows by the counts of people they give (a rate times its group's size):
# approved / refused; defaulters / repayers; and the four cells of refusals by outcome, which
# the true and false positive rates give with the two before. The mean predicted probability
# counts no one's outcome and is always shown.
OUTCOMES = {
    "approval": ("approval_rate", "approval_rate_ci"),
    "default": ("default_rate", "default_rate_ci", "predicted_to_observed", "predicted_to_observed_ci"),
    "errors": ("true_positive_rate", "true_positive_rate_ci", "false_positive_rate", "false_positive_rate_ci"),
}


def group_labels(protected: pd.DataFrame) -> dict[str, pd.Series]:
    """The groupings of the report, from the protected columns (missing -> "unknown")."""
    age = -protected["DAYS_BIRTH"].to_numpy(dtype=np.float64) / 365.25
    bands = np.full(len(age), "unknown", dtype=object)
    for name, lo, hi in AGE_BANDS:
        bands[(age >= lo) & (age < hi)] = name
    return {
        "CODE_GENDER": protected["CODE_GENDER"].astype(object).fillna("unknown").reset_index(drop=True),
        "age_band": pd.Series(bands, name="age_band"),
        "NAME_FAMILY_STATUS": protected["NAME_FAMILY_STATUS"].astype(object).fillna("unknown").reset_index(drop=True),
    }


def _approval(y: np.ndarray, refuse: np.ndarray) -> float:
    return float(1.0 - np.mean(refuse))


def _default_rate(y: np.ndarray, refuse: np.ndarray) -> float:
    return float(np.mean(y))


def _predicted(y: np.ndarray, refuse: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean(p))


def _tpr(y: np.ndarray, refuse: np.ndarray) -> float:
    positives = y == 1
    return float(np.mean(refuse[positives])) if positives.any() else float("nan")


def _fpr(y: np.ndarray, refuse: np.ndarray) -> float:
    negatives = y == 0
    return float(np.mean(refuse[negatives])) if negatives.any() else float("nan")


def _ratio(y: np.ndarray, refuse: np.ndarray, p: np.ndarray) -> float:
    observed = np.mean(y)
    return float(np.mean(p) / observed) if observed > 0 else float("nan")


def wilson_interval(successes: float, n: float, z: float = 1.959964) -> list[float | None]:
    """95 % Wilson score interval of a proportion (good coverage even for small groups)."""
    if n <= 0:
        return [None, None]
    share = successes / n
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [float(max(0.0, centre - half)), float(min(1.0, centre + half))]


def group_metrics(y: np.ndarray, p: np.ndarray, threshold: float, groups: pd.Series) -> list[dict[str, Any]]:
    """One row per group: count and every metric of :data:`METRICS` with its 95 % interval.

    Point estimates come from Fairlearn's ``MetricFrame``. Intervals are analytical (Wilson
    for the rates, normal for the mean predicted probability, the observed rate's Wilson
    bounds for the predicted/observed ratio): Fairlearn's own bootstrap (``n_boot``) took
    46 s on 6,000 rows for three groupings, and grows with the data (docs/decisions/0011).
    """
    from fairlearn.metrics import MetricFrame

    y = np.asarray(y).astype(int)
    p = np.asarray(p, dtype=np.float64)
    refuse = (p >= threshold).astype(int)
    metrics = {
        "approval_rate": _approval,
        "default_rate": _default_rate,
        "predicted_default_rate": _predicted,
        "true_positive_rate": _tpr,
        "false_positive_rate": _fpr,
        "predicted_to_observed": _ratio,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = MetricFrame(
            metrics=metrics,
            y_true=y,
            y_pred=refuse,
            sensitive_features=groups.to_numpy(),
            sample_params={"predicted_default_rate": {"p": p}, "predicted_to_observed": {"p": p}},
        )
    by_group = frame.by_group
    labels = groups.to_numpy()
    rows = []
    for name in by_group.index:
        mask = labels == name
        n, ym, rm, pm = int(mask.sum()), y[mask], refuse[mask], p[mask]
        positives, negatives = int(ym.sum()), int(n - ym.sum())
        observed = wilson_interval(positives, n)
        mean_p = float(pm.mean())
        half = 1.959964 * float(pm.std(ddof=1)) / np.sqrt(n) if n > 1 else float("nan")
        row: dict[str, Any] = {"group": str(name), "count": n}
        for metric in METRICS:
            row[metric] = _finite(by_group.loc[name, metric])
        row["approval_rate_ci"] = wilson_interval(n - int(rm.sum()), n)
        row["default_rate_ci"] = observed
        row["predicted_default_rate_ci"] = [_finite(mean_p - half), _finite(mean_p + half)]
        row["true_positive_rate_ci"] = wilson_interval(int(rm[ym == 1].sum()), positives)
        row["false_positive_rate_ci"] = wilson_interval(int(rm[ym == 0].sum()), negatives)
        low, high = observed
        row["predicted_to_observed_ci"] = [
            _finite(mean_p / high) if high else None,
            _finite(mean_p / low) if low else None,
        ]
        rows.append(row)
    return rows


def in_reading_order(attribute: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Age bands youngest first ("<30" sorts after "60+" as text, as Fairlearn returns them),
    "unknown" last; the other groupings as computed."""
    if attribute != "age_band":
        return rows
    order = {name: i for i, (name, _, _) in enumerate(AGE_BANDS)}
    return sorted(rows, key=lambda row: order.get(row["group"], len(order)))


def disclosed(attribute: str, block: dict[str, Any]) -> dict[str, Any]:
    """One attribute's table as it may be shown to anyone: no figure of fewer than
    ``SMALL_GROUP`` people, not even by subtraction.

    A small group's rates were left out but the other groups' were shown, and the training
    population's totals are published (any other attribute's table adds up to them): a group of
    3 applicants (gender "XNA" on the demo) had its approvals and defaults as the total minus
    the rows shown, and the Markdown card printed them outright. The groups are pooled as the
    portfolio's segments are (``ml.disclosure.pooled_cells``: small groups, then the smallest
    shown ones until the pool holds ``SMALL_GROUP``): each pooled group keeps its count only
    (``masked``, ``pooled``) and one ``POOLED`` row gives the pool's figures, computed from the
    groups' own, so the rows still add up. The disparate impact is recomputed over the rows
    shown (a ratio between a shown group and a pooled one gives the pooled one's rate back)."""
    rows = in_reading_order(attribute, [dict(r) for r in block.get("rows") or []])
    counts = [int(r.get("count") or 0) for r in rows]
    total = sum(counts)
    _, pooled = pooled_cells(counts, SMALL_GROUP)
    out = []
    for index, row in enumerate(rows):
        count = counts[index]
        if index in pooled:
            out.append({"group": row["group"], "count": count, "masked": True, "pooled": True})
        else:
            out.append({**row, "count": count, "masked": count < SMALL_GROUP, "pooled": False})
    members = [rows[i] for i in pooled]
    if sum(counts[i] for i in pooled) >= SMALL_GROUP:
        out.append(_pooled_row(members))
    _withhold_outcomes(out, [_people(r) for r in rows], set(block.get("withheld_across") or ()))
    for row in out:
        row["in_ratio"] = (not row["masked"] and row.get("approval_rate") is not None
                           and counted_in_ratio(str(row["group"]), row["count"], total))
    rates = [r["approval_rate"] for r in out if r["in_ratio"]]
    ratio = min(rates) / max(rates) if rates and max(rates) > 0 else None
    return {
        **{k: v for k, v in block.items() if k != "rows"},
        "rows": out,
        "disparate_impact": float(ratio) if ratio is not None else None,
        "four_fifths_rule_met": bool(ratio >= 0.8) if ratio is not None else None,
        "min_group_size": ratio_min_count(total) if total else None,
    }


def _people(row: dict[str, Any]) -> dict[str, tuple[int, ...] | None]:
    """The counts of people each family of ``OUTCOMES`` gives for a group (None: not shown)."""
    n = int(row.get("count") or 0)

    def times(rate: Any, size: int) -> int | None:
        return None if rate is None else int(round(float(rate) * size))

    approved, defaults = times(row.get("approval_rate"), n), times(row.get("default_rate"), n)
    refused_defaulters = times(row.get("true_positive_rate"), defaults or 0) if defaults else 0
    refused_payers = times(row.get("false_positive_rate"), n - (defaults or 0)) if defaults != n else 0
    errors = None
    if defaults is not None and refused_defaulters is not None and refused_payers is not None:
        errors = (refused_defaulters, defaults - refused_defaulters, refused_payers, n - defaults - refused_payers)
    return {
        "approval": None if approved is None else (approved, n - approved),
        "default": None if defaults is None else (defaults, n - defaults),
        "errors": errors,
    }


def _withhold_outcomes(out: list[dict[str, Any]], everyone: list[dict[str, tuple[int, ...] | None]],
                       across: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    """Withhold, in each row shown, the rates that give 1 to ``SMALL_GROUP - 1`` people: 9
    refused defaulters in a group of 400 came back as its true positive rate times its
    defaulters. The population's counts (``everyone``: each group's, before pooling) are
    published through any other table, so the rows shown must not give a withheld one back by
    subtraction either (``ml.disclosure.withheld_rows``). A group's refusals by outcome give its
    approvals and defaults, so they are withheld wherever those are. ``withheld`` names the
    families left out of each row. The groups of ``across`` (``withheld_across``) have their
    defaults withheld whatever their size: a subtraction from an earlier version's card gives
    1 to 9 people's outcomes there."""
    families: dict[str, set[int]] = {}
    for family in OUTCOMES:
        if any(people[family] is None for people in everyone):
            families[family] = set(range(len(out)))  # a report from before the figure: nothing to weigh
            continue
        total = [sum(column) for column in zip(*(people[family] for people in everyone), strict=True)]
        cells = [None if row["masked"] or (family == "default" and row["group"] in across) else _people(row)[family]
                 for row in out]
        if family == "errors":
            cells = [None if i in families["approval"] | families["default"] else c for i, c in enumerate(cells)]
        families[family] = withheld_rows(cells, total, SMALL_GROUP)
    for i, row in enumerate(out):
        if row["masked"]:
            continue
        row["withheld"] = [family for family in OUTCOMES if i in families[family]]
        for family in row["withheld"]:
            row.update({key: None for key in OUTCOMES[family]})


# ------------------------------------------------------------------ across versions
# Every version's card is served (the champion's, and each registered one's through the same
# tables), and two versions trained on populations 10 or more people apart may still show a
# group that moved by 1 to 9 people with their defaults: the subtraction gives those people's
# outcomes. The defaults are the people's; approvals and errors are each model's own decisions
# on its out-of-fold predictions, not a difference of people.


Unit = tuple[str, frozenset[str], "tuple[int, int] | None"]  # row's group, the groups it covers, its people


def _units(block: dict[str, Any]) -> list[Unit]:
    """A served table's rows (the masked ones are the pool's) with the groups each covers (a
    group, or the pool's members) and its (defaulters, repaid), None where not shown."""
    pooled = frozenset(str(r["group"]) for r in block["rows"] if r.get("pooled"))
    out: list[Unit] = []
    for row in block["rows"]:
        if row.get("masked"):
            continue
        n = int(row["count"])
        covers = pooled if row["group"] == POOLED else frozenset([str(row["group"])])
        rate = row.get("default_rate")
        out.append((str(row["group"]), covers, None if rate is None else (round(rate * n), n - round(rate * n))))
    return out


def _totals(raw: dict[str, Any]) -> tuple[int, int]:
    people = [_people(r)["default"] or (0, int(r.get("count") or 0)) for r in raw.get("rows") or []]
    return sum(d for d, _ in people), sum(r for _, r in people)


def _moved_groups(new: dict[str, Any], old: dict[str, Any], total_new: tuple[int, int], total_old: tuple[int, int]
                  ) -> set[str]:
    """The rows of the served table ``new`` whose defaults a subtraction from ``old`` would give
    for 1 to 9 people (``ml.disclosure.withheld_changes``), compared on the finest grouping both
    tables share (a pool in one is compared with its members' sum in the other; a group neither
    row covers is left to the rest); named by their group (``POOLED`` for the pool)."""
    units_new, units_old = _units(new), _units(old)
    names = {str(r["group"]) for r in [*new["rows"], *old["rows"]] if r["group"] != POOLED}
    parent = {name: name for name in names}

    def find(name: str) -> str:
        while parent[name] != name:
            name = parent[name]
        return name

    for _, covers, _ in units_new + units_old:
        first, *rest = sorted(covers)
        for name in rest:
            parent[find(name)] = find(first)
    components = sorted({find(name) for name in names})

    def rows(units: list[Unit]) -> list[tuple[int, int] | None]:
        out: list[tuple[int, int] | None] = []
        for component in components:
            inside = [people for _, covers, people in units if find(next(iter(covers))) == component]
            covered = {name for _, covers, _ in units for name in covers if find(name) == component}
            whole = covered == {name for name in names if find(name) == component}
            out.append(None if not whole or any(p is None for p in inside)
                       else (sum(p[0] for p in inside), sum(p[1] for p in inside)))  # type: ignore[index]
        return out

    shown_new = rows(units_new)
    withheld = withheld_changes(shown_new, rows(units_old), total_new, total_old, SMALL_GROUP)
    drop = {components[i] for i in withheld if shown_new[i] is not None}
    return {group for group, covers, _ in units_new if find(next(iter(covers))) in drop}


def fairness_across(fairness: dict[str, Any], earlier: list[tuple[str, dict[str, Any]]]
                    ) -> tuple[dict[str, Any], list[str]]:
    """The fairness report (as stored: raw rows) with ``withheld_across`` set per attribute to
    the groups whose defaults a subtraction from an earlier version's card (``earlier``:
    ``(version, its stored fairness report)``) would give for 1 to 9 people, until none does;
    and what it withheld (``"attribute (version)"``), empty when nothing more was needed."""
    groups = {attribute: dict(block) for attribute, block in (fairness.get("groups") or {}).items()}
    changes: list[str] = []
    changed = True
    while changed:
        changed = False
        for version, before in earlier:
            for attribute, block in groups.items():
                old = (before.get("groups") or {}).get(attribute)
                if old is None:
                    continue
                moved = _moved_groups(disclosed(attribute, block), disclosed(attribute, old), _totals(block), _totals(old))
                more = moved - set(block.get("withheld_across") or ())
                if more:
                    block["withheld_across"] = sorted({*(block.get("withheld_across") or ()), *more})
                    changes.append(f"{attribute} ({version})")
                    changed = True
    return {**fairness, "groups": groups}, changes


def _pooled_row(members: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of several groups together, from each group's count and rates (a rate times
    its count is a count of people: approvals, defaults, refused defaulters...)."""
    n = sum(int(r["count"]) for r in members)

    def total(key: str, weight: Any) -> float:
        return float(sum((r.get(key) or 0.0) * weight(r) for r in members))

    approvals = round(total("approval_rate", lambda r: r["count"]))
    defaults = round(total("default_rate", lambda r: r["count"]))
    predicted = total("predicted_default_rate", lambda r: r["count"]) / n
    positives, negatives = defaults, n - defaults
    refused_defaulters = round(total("true_positive_rate", lambda r: r["count"] * (r.get("default_rate") or 0.0)))
    refused_payers = round(total("false_positive_rate", lambda r: r["count"] * (1 - (r.get("default_rate") or 0.0))))
    default_ci = wilson_interval(defaults, n)
    low, high = default_ci
    return {
        "group": POOLED, "count": n, "masked": False, "pooled": False,
        "approval_rate": approvals / n,
        "default_rate": defaults / n,
        "predicted_default_rate": predicted,
        "true_positive_rate": refused_defaulters / positives if positives else None,
        "false_positive_rate": refused_payers / negatives if negatives else None,
        "predicted_to_observed": predicted / (defaults / n) if defaults else None,
        "approval_rate_ci": wilson_interval(approvals, n),
        "default_rate_ci": default_ci,
        "predicted_default_rate_ci": None,  # the groups' spreads are not kept
        "true_positive_rate_ci": wilson_interval(refused_defaulters, positives) if positives else None,
        "false_positive_rate_ci": wilson_interval(refused_payers, negatives) if negatives else None,
        "predicted_to_observed_ci": [predicted / high if high else None, predicted / low if low else None],
    }


def _finite(value: Any) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def fairness_report(
    protected: pd.DataFrame,
    y: np.ndarray,
    p: np.ndarray,
    threshold: float,
    *,
    x: np.ndarray | None = None,
    names: list[str] | None = None,
    policy: FairLendingPolicy | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "threshold": threshold,
        "method": "fairlearn MetricFrame on out-of-fold predictions; 95 % Wilson intervals for rates, "
        "normal interval for the mean predicted probability",
        "groups": {},
    }
    for attribute, labels in group_labels(protected).items():
        rows = in_reading_order(attribute, group_metrics(y, p, threshold, labels))
        big = [r for r in rows if counted_in_ratio(r["group"], r["count"], len(y))]
        rates = [r["approval_rate"] for r in big]
        ratio = min(rates) / max(rates) if rates and max(rates) > 0 else 1.0
        out["groups"][attribute] = {
            "rows": rows,
            "disparate_impact": float(ratio),
            "four_fifths_rule_met": bool(ratio >= 0.8),
        }
    if x is not None and names is not None and policy is not None:
        out["proxies"] = proxy_analysis(x, names, protected, policy, seed=seed)
    return out


def ratio_min_count(total: int) -> int:
    """The smallest group the disparate impact counts, for ``total`` people."""
    return max(RATIO_MIN_COUNT, int(np.ceil(RATIO_MIN_SHARE * total)))


def counted_in_ratio(group: str, count: int, total: int) -> bool:
    """Whether a group of ``count`` among ``total`` people enters the disparate impact."""
    return group != "unknown" and count >= ratio_min_count(total)


def _proxy_target(attribute: str, protected: pd.DataFrame) -> np.ndarray | None:
    """A binary label per excluded attribute (the question "can the inputs tell it?")."""
    if attribute == "sex":
        values = protected["CODE_GENDER"].astype(object)
        return np.where(values == "F", 1, np.where(values == "M", 0, -1))
    if attribute == "family_status":
        values = protected["NAME_FAMILY_STATUS"].astype(object)
        return np.where(values.isin(["Married", "Civil marriage"]), 1, np.where(values.isna(), -1, 0))
    if attribute == "children":
        values = protected["CNT_CHILDREN"].to_numpy(dtype=np.float64)
        return np.where(np.isnan(values), -1, (values > 0).astype(int))
    if attribute == "place_of_residence":
        values = protected["REGION_RATING_CLIENT"].to_numpy(dtype=np.float64)
        return np.where(np.isnan(values), -1, (values >= 3).astype(int))
    if attribute == "age":
        values = -protected["DAYS_BIRTH"].to_numpy(dtype=np.float64) / 365.25
        return np.where(np.isnan(values), -1, (values >= 50).astype(int))
    if attribute == "household_size":
        values = protected["CNT_FAM_MEMBERS"].to_numpy(dtype=np.float64)
        return np.where(np.isnan(values), -1, (values >= 3).astype(int))
    return None


PROXY_QUESTIONS = {
    "sex": "female vs male",
    "family_status": "married or civil partnership vs other",
    "children": "at least one child vs none",
    "place_of_residence": "region rated 3 (least favourable) vs 1-2",
    "age": "50 or older vs younger",
    "household_size": "3 people or more vs 1-2",
}


def proxy_analysis(
    x: np.ndarray, names: list[str], protected: pd.DataFrame, policy: FairLendingPolicy, *, seed: int = 0
) -> dict[str, Any]:
    """Cross-validated AUC with which the model's inputs predict each excluded attribute."""
    # A bundle may carry its own feature subset: only the categoricals it kept are in ``names``.
    categorical = [names.index(c) for c in policy.categorical_features() if c in names]
    params = {"objective": "binary", "learning_rate": 0.1, "num_leaves": 15, "min_child_samples": 50,
              "num_threads": 1, "verbose": -1, "seed": seed}  # fmt: skip
    out: dict[str, Any] = {}
    for attribute, entry in policy.attributes.items():
        if entry["treatment"] != "excluded":
            continue
        target = _proxy_target(attribute, protected)
        if target is None:
            continue
        known = target >= 0
        xt, yt = x[known], target[known]
        if len(yt) < 50 or yt.min() == yt.max() or min(np.bincount(yt)) < 10:
            out[attribute] = {"question": PROXY_QUESTIONS[attribute], "auc": None, "rows": int(len(yt))}
            continue
        oof = np.zeros(len(yt))
        for train_idx, valid_idx in StratifiedKFold(3, shuffle=True, random_state=seed).split(xt, yt):
            booster = lgb.train(params, lgb.Dataset(xt[train_idx], yt[train_idx], feature_name=names,
                                                    categorical_feature=categorical), num_boost_round=80)
            oof[valid_idx] = booster.predict(xt[valid_idx])
        out[attribute] = {
            "question": PROXY_QUESTIONS[attribute],
            "columns": list(PROTECTED_ATTRIBUTES[attribute]),
            "auc": float(roc_auc_score(yt, oof)),
            "rows": int(len(yt)),
        }
    return out


def exclusion_impact(
    full: np.ndarray,
    y: np.ndarray,
    policy: FairLendingPolicy,
    *,
    cost_fn: float,
    cost_fp: float,
    folds: int = 3,
    seed: int = 0,
    params: dict[str, Any] | None = None,
    rounds: int = 300,
) -> dict[str, Any]:
    """AUC and cost per client of the policy's model against the same model that may also
    use one excluded attribute at a time, all on the same folds (``full`` = build_matrix)."""
    splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(full, y))
    base_params = {"objective": "binary", "learning_rate": 0.1, "num_leaves": 15, "min_child_samples": 100,
                   "feature_fraction": 0.5, "lambda_l2": 10.0, "num_threads": 2, "verbose": -1, "seed": seed,
                   **(params or {})}  # fmt: skip

    def evaluate(candidate: FairLendingPolicy) -> dict[str, float]:
        x = candidate.model_matrix(full)
        names = candidate.features
        categorical = [names.index(c) for c in candidate.categorical_features()]
        oof = np.zeros(len(y))
        for train_idx, valid_idx in splits:
            dtrain = lgb.Dataset(x[train_idx], y[train_idx], feature_name=names, categorical_feature=categorical,
                                 free_raw_data=False)
            dvalid = lgb.Dataset(x[valid_idx], y[valid_idx], reference=dtrain)
            booster = lgb.train(base_params, dtrain, num_boost_round=rounds, valid_sets=[dvalid],
                                callbacks=[lgb.early_stopping(30, verbose=False)])
            oof[valid_idx] = booster.predict(x[valid_idx], num_iteration=booster.best_iteration)
        threshold = optimal_threshold(y, oof, cost_fn, cost_fp).threshold
        return {
            "auc": float(roc_auc_score(y, oof)),
            "cost_per_client": business_cost(y, oof, threshold, cost_fn, cost_fp) / len(y),
            "features": len(names),
        }

    policy_result = evaluate(policy)
    out: dict[str, Any] = {"folds": folds, "policy": policy_result, "with_attribute": {}}
    for attribute, entry in policy.attributes.items():
        if entry["treatment"] != "excluded":
            continue
        # Built directly, not through from_dict: the rules (sex excluded) are what is measured.
        attributes = {**policy.attributes, attribute: {"treatment": "justified", "justification": "measurement"}}
        candidate = FairLendingPolicy(name="measurement", attributes=attributes, merge_levels=policy.merge_levels)
        result = evaluate(candidate)
        out["with_attribute"][attribute] = {
            **result,
            # Negative: the exclusion lowers the AUC; positive: the exclusion costs more per client.
            "auc_change_from_exclusion": policy_result["auc"] - result["auc"],
            "cost_change_from_exclusion": policy_result["cost_per_client"] - result["cost_per_client"],
        }
    return out
