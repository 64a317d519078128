"""Training: stratified K-fold LightGBM, cost-optimal threshold, report, verified bundle.

``train(data, out_dir, folds, seed, cost_fn, cost_fp, progress=callback)``:

1. load and validate the rows (``ml.data``), build features (``ml.features``);
2. stratified K-fold, each fold trained with early stopping on its held-out part; the
   out-of-fold (OOF) probabilities are the honest estimate of performance;
3. threshold = argmin of ``cost_fn x FN + cost_fp x FP`` on the OOF probabilities;
4. baselines on the same folds: majority class and a logistic regression;
5. refit on all rows with the mean best iteration count;
6. global importance (mean |SHAP| on a sample), the fairness report (ml.fairness),
   population reference (quantiles, histograms by outcome, default rate per bin) and the
   similar-profile prototypes (anonymous groups of >= 20 rows, ``ml.prototypes``; no row kept);
7. write the bundle (``ml.bundle``): model.txt, JSON files, report, model cards (en, fr) and a
   manifest listing the SHA-256 of every file.

Class imbalance (~8% defaults) is handled by the cost-sensitive threshold, not by
re-weighting: weights would distort the probabilities the threshold, the display score and
the explanations rely on (see docs/decisions/0004-model.md).
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ml import bundle as bundle_mod
from ml.cost import (
    analytic_threshold,
    business_cost,
    confusion_at,
    optimal_threshold,
    threshold_interval,
)
from ml.data import load_applications, resolve_train_file, validate_applications
from ml.disclosure import (
    MIN_CELL,
    disclosed_across,
    disclosed_population,
    publishable,
    same_people,
    too_close,
)
from ml.fairness import exclusion_impact, fairness_across, fairness_report
from ml.features import (
    CATEGORICAL_FEATURES,
    FEATURE_NAMES,
    build_matrix,
    value_unit,
)
from ml.grades import MASTER_SCALE_VERSION
from ml.labels import label
from ml.monitoring import training_reference
from ml.policy import FairLendingPolicy
from ml.prototypes import fit_prototypes
from ml.schema import COLUMN_BY_NAME, ID_COLUMN, LEVELS, TARGET_COLUMN

Progress = Callable[[str, int, int], None]

DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "metric": "binary_logloss",
    "learning_rate": 0.05,
    # Small, regularised trees: as good as 31 leaves on 100k rows here, and 2-8x faster.
    "num_leaves": 15,
    "min_child_samples": 200,
    "feature_fraction": 0.5,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 10.0,
    "cat_smooth": 20.0,
    "min_data_per_group": 50,
    "num_threads": 2,  # the machines are shared; never more
    "verbose": -1,
}
HIST_BINS = 20


@dataclass
class TrainResult:
    out_dir: Path
    manifest: dict[str, Any]
    report: dict[str, Any]
    timings: dict[str, float]


def _noop(stage: str, done: int, total: int) -> None:
    return None


def data_fingerprint(path: Path | None, frame: pd.DataFrame) -> str:
    """SHA-256 of the training file's bytes (or of the frame's content when in memory)."""
    digest = hashlib.sha256()
    if path is not None:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    else:
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _metrics(y: np.ndarray, p: np.ndarray, threshold: float, cost_fn: float, cost_fp: float) -> dict[str, float]:
    tp, fp, tn, fn = confusion_at(y, p, threshold)
    constant = np.all(p == p[0])
    return {
        "auc": 0.5 if constant else float(roc_auc_score(y, p)),
        "pr_auc": float(average_precision_score(y, p)),
        "brier": float(brier_score_loss(y, p)),
        "threshold": float(threshold),
        "business_cost": business_cost(y, p, threshold, cost_fn, cost_fp),
        "business_cost_at_0_5": business_cost(y, p, 0.5, cost_fn, cost_fp),
        "business_cost_per_client": business_cost(y, p, threshold, cost_fn, cost_fp) / len(y),
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "refusal_rate": (tp + fp) / len(y),
    }


def feature_subset(features: Sequence[str] | None) -> list[str]:
    """``features`` in the library's order, checked; all of ``FEATURE_NAMES`` when None."""
    if features is None:
        return list(FEATURE_NAMES)
    wanted = set(features)
    unknown = sorted(wanted - set(FEATURE_NAMES))
    if unknown:
        raise ValueError(f"unknown feature(s): {', '.join(unknown)}")
    names = [n for n in FEATURE_NAMES if n in wanted]
    if not names:
        raise ValueError("at least one feature is needed")
    return names


def _logistic_oof(
    x: np.ndarray, names: list[str], y: np.ndarray, splits: list[tuple[np.ndarray, np.ndarray]], seed: int
) -> np.ndarray:
    features = pd.DataFrame(x, columns=names)
    numeric = [c for c in names if c not in CATEGORICAL_FEATURES]
    categorical = [c for c in names if c in CATEGORICAL_FEATURES]
    oof = np.zeros(len(y))
    for train_idx, valid_idx in splits:
        model = make_pipeline(
            ColumnTransformer(
                [
                    ("num", make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler()), numeric),
                    (
                        "cat",
                        make_pipeline(
                            SimpleImputer(strategy="constant", fill_value=-1.0),
                            OneHotEncoder(handle_unknown="ignore", min_frequency=20),
                        ),
                        categorical,
                    ),
                ]
            ),
            LogisticRegression(max_iter=300, C=0.5, random_state=seed),
        )
        model.fit(features.iloc[train_idx], y[train_idx])
        oof[valid_idx] = model.predict_proba(features.iloc[valid_idx])[:, 1]
    return oof


def protected_frame(raw: pd.DataFrame) -> pd.DataFrame:
    """The protected attributes' raw columns, apart from the model's inputs."""
    from ml.policy import PROTECTED_ATTRIBUTES

    columns = [c for cols in PROTECTED_ATTRIBUTES.values() for c in cols]
    return raw[columns].copy()


def calibration_report(y: np.ndarray, p: np.ndarray, bins: int = 10) -> dict[str, Any]:
    """Reliability curve (equal-count bins), calibration-in-the-large and its ratio."""
    from sklearn.calibration import calibration_curve

    observed, predicted = calibration_curve(y, p, n_bins=bins, strategy="quantile")
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
    counts = np.histogram(p, bins=edges)[0] if len(edges) > 1 else np.array([len(p)])
    return {
        "observed_default_rate": float(np.mean(y)),
        "mean_predicted_probability": float(np.mean(p)),
        # > 0: the model over-predicts on average; a ratio near 1 is well calibrated.
        "calibration_in_the_large": float(np.mean(p) - np.mean(y)),
        "observed_to_expected": float(np.mean(y) / np.mean(p)) if np.mean(p) > 0 else None,
        "reliability": [
            {"mean_predicted": float(pp), "observed": float(oo), "count": int(c)}
            for pp, oo, c in zip(predicted, observed, counts[: len(predicted)], strict=False)
        ],
    }


def _population(features: np.ndarray, y: np.ndarray, names: list[str]) -> dict[str, Any]:
    """Per-feature reference from the training rows (no row-level data, and no outcome count of
    1 to 9 people: ``ml.disclosure.disclosed_population``). What only the rows allow is done
    here: the quantiles are kept between the 10th smallest and the 10th largest value (the 0th
    and 100th percentiles were one person's value each; below or above them a value reads 0 or
    100, as before), and a yes/no's share is withheld when 1 to 9 people gave one answer."""
    out: dict[str, Any] = {"rows": len(y), "default_rate": float(y.mean()), "features": {}}
    qs = np.linspace(0, 100, 101)
    for j, name in enumerate(names):
        col = features[:, j]
        seen = ~np.isnan(col)
        entry: dict[str, Any] = {"missing_rate": float(1 - seen.mean())}
        if name in CATEGORICAL_FEATURES:
            levels = LEVELS[name]
            codes = col[seen].astype(int)
            counts = np.bincount(codes, minlength=len(levels))
            defaults = np.bincount(codes, weights=y[seen], minlength=len(levels))
            entry.update(
                kind="category",
                levels=list(levels),
                counts=counts.tolist(),
                default_rate=[float(d / c) if c else None for d, c in zip(defaults, counts, strict=True)],
            )
        else:
            values, target = col[seen], y[seen]
            if len(values) < 2 * MIN_CELL:
                entry.update(kind="number", quantiles=None)
                out["features"][name] = entry
                continue
            ordered = np.sort(values)
            quantiles = np.clip(np.percentile(values, qs), ordered[MIN_CELL - 1], ordered[-MIN_CELL])
            lo, hi = quantiles[1], quantiles[99]
            if hi <= lo:
                lo, hi = quantiles[0], quantiles[100]
            if hi <= lo:
                hi = lo + 1.0
            edges = np.linspace(lo, hi, HIST_BINS + 1)
            # Values beyond the 1st/99th percentile fall in the outer bins.
            idx = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, HIST_BINS - 1)
            counts_default = np.bincount(idx[target == 1], minlength=HIST_BINS)
            counts_repaid = np.bincount(idx[target == 0], minlength=HIST_BINS)
            total = counts_default + counts_repaid
            yes = int(np.count_nonzero(values))
            rare_answer = value_unit(name) == "flag" and not publishable((yes, len(values) - yes))
            entry.update(
                kind="number",
                quantiles=quantiles.tolist(),
                mean=None if rare_answer else float(values.mean()),
                std=float(values.std()),
                hist_edges=edges.tolist(),
                hist_defaulters=counts_default.tolist(),
                hist_repaid=counts_repaid.tolist(),
                default_rate_by_bin=[float(d / t) if t else None for d, t in zip(counts_default, total, strict=True)],
                median_defaulters=float(np.median(values[target == 1])) if (target == 1).any() else None,
                median_repaid=float(np.median(values[target == 0])) if (target == 0).any() else None,
            )
        out["features"][name] = entry
    return disclosed_population(out)


def _importance(booster: lgb.Booster, features: np.ndarray, names: list[str], seed: int, sample: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(features), size=min(sample, len(features)), replace=False)
    contrib = booster.predict(features[idx], pred_contrib=True)[:, :-1]
    mean_abs = np.abs(contrib).mean(axis=0)
    order = np.argsort(-mean_abs)
    return [
        {"feature": names[j], "mean_abs_shap": float(mean_abs[j])} for j in order
    ]


def train(
    data: str | Path | pd.DataFrame,
    out_dir: str | Path,
    folds: int = 5,
    seed: int = 0,
    cost_fn: float = 10.0,
    cost_fp: float = 1.0,
    progress: Progress | None = None,
    *,
    params: dict[str, Any] | None = None,
    max_rounds: int = 2000,
    early_stopping_rounds: int = 100,
    shap_sample: int = 2000,
    logistic_baseline: bool = True,
    threshold_bootstrap: int = 200,
    features: Sequence[str] | None = None,
    fairness_policy: FairLendingPolicy | None = None,
    measure_exclusions: bool = False,
    published: Sequence[bundle_mod.Published] = (),
) -> TrainResult:
    """Train, evaluate and write a bundle into ``out_dir``; see the module docstring.

    ``features``: the model features to use (a subset of ``ml.features.FEATURE_NAMES``, default
    all of them), narrowed to what ``fairness_policy`` allows (default
    ``FairLendingPolicy.default()``). The bundle records its own list, so versions with
    different features coexist.
    """
    requested = feature_subset(features)
    if folds < 2:
        raise ValueError("folds must be at least 2")
    if cost_fn <= 0 or cost_fp <= 0:
        raise ValueError("cost_fn and cost_fp must be positive")
    report_progress = progress or _noop
    timings: dict[str, float] = {}
    started = time.perf_counter()
    steps = folds + 6
    step = 0

    def tick(stage: str) -> None:
        nonlocal step
        report_progress(stage, step, steps)
        step += 1

    tick("load")
    source_path: Path | None = None
    if isinstance(data, pd.DataFrame):
        raw = validate_applications(data, require_target=True, require_id=False, source="training data")
    else:
        source_path = resolve_train_file(data)
        raw = load_applications(source_path, require_target=True)
    # The identifier never goes further than this line: not into features, not into the bundle.
    raw = raw.drop(columns=[ID_COLUMN], errors="ignore")
    y = raw[TARGET_COLUMN].to_numpy(dtype=np.int64)
    if y.min() == y.max():
        raise ValueError("TARGET holds a single class; both outcomes are needed to train")
    defaulters = int(y.sum())
    earlier = [(p.version, p.population) for p in published]
    refused = too_close((defaulters, len(y) - defaulters), earlier)
    if refused is not None:
        raise ValueError(refused)
    fingerprint = data_fingerprint(source_path, raw)
    timings["load"] = time.perf_counter() - started

    tick("features")
    t0 = time.perf_counter()
    policy = fairness_policy or FairLendingPolicy.default()
    # Excluded and justified protected attributes, kept apart: for the fairness report only.
    protected = protected_frame(raw)
    full = build_matrix(raw)
    # The model's features: what the policy allows, narrowed to ``features`` when given.
    names = [n for n in policy.features if n in set(requested)]
    if not names:
        raise ValueError("no feature left: the fair-lending policy excludes every feature asked for")
    x = policy.model_matrix(full, names)
    categorical_index = [names.index(c) for c in CATEGORICAL_FEATURES if c in names]
    timings["features"] = time.perf_counter() - t0

    lgb_params = {**DEFAULT_PARAMS, **(params or {}), "seed": seed}
    skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    splits = list(skf.split(x, y))
    oof = np.zeros(len(y))
    best_iterations: list[int] = []
    fold_auc: list[float] = []
    t0 = time.perf_counter()
    for k, (train_idx, valid_idx) in enumerate(splits, start=1):
        tick(f"fold {k}/{folds}")
        dtrain = lgb.Dataset(x[train_idx], y[train_idx], feature_name=names, categorical_feature=categorical_index, free_raw_data=False)
        dvalid = lgb.Dataset(x[valid_idx], y[valid_idx], reference=dtrain)
        booster = lgb.train(
            lgb_params,
            dtrain,
            num_boost_round=max_rounds,
            valid_sets=[dvalid],
            callbacks=[lgb.early_stopping(early_stopping_rounds, verbose=False)],
        )
        best = booster.best_iteration or max_rounds
        best_iterations.append(int(best))
        oof[valid_idx] = booster.predict(x[valid_idx], num_iteration=best)
        fold_auc.append(float(roc_auc_score(y[valid_idx], oof[valid_idx])))
    timings["cross_validation"] = time.perf_counter() - t0

    choice = optimal_threshold(y, oof, cost_fn, cost_fp)
    model_metrics = _metrics(y, oof, choice.threshold, cost_fn, cost_fp)
    model_metrics["fold_auc"] = fold_auc
    interval = threshold_interval(y, oof, cost_fn, cost_fp, n_boot=threshold_bootstrap, seed=seed)
    threshold_report = {
        "chosen": choice.threshold,
        "rule": "refuse when probability >= threshold",
        "bootstrap": interval,
        "analytic": analytic_threshold(cost_fn, cost_fp),
        "cost_per_client": {
            "chosen": business_cost(y, oof, choice.threshold, cost_fn, cost_fp) / len(y),
            "bootstrap_median": business_cost(y, oof, interval["median"], cost_fn, cost_fp) / len(y),
            "analytic": business_cost(y, oof, analytic_threshold(cost_fn, cost_fp), cost_fn, cost_fp) / len(y),
        },
    }
    calibration = calibration_report(y, oof)

    tick("baselines")
    t0 = time.perf_counter()
    majority = np.full(len(y), y.mean())
    baselines: dict[str, Any] = {
        # Majority class = approve everyone (predict the base rate): refuses nobody.
        "majority": _metrics(y, majority, 1.0, cost_fn, cost_fp),
    }
    if logistic_baseline:
        lr_oof = _logistic_oof(x, names, y, splits, seed)
        lr_choice = optimal_threshold(y, lr_oof, cost_fn, cost_fp)
        baselines["logistic_regression"] = _metrics(y, lr_oof, lr_choice.threshold, cost_fn, cost_fp)
    timings["baselines"] = time.perf_counter() - t0

    tick("refit")
    t0 = time.perf_counter()
    rounds = max(1, int(round(float(np.mean(best_iterations)))))
    dall = lgb.Dataset(x, y, feature_name=names, categorical_feature=categorical_index)
    final = lgb.train(lgb_params, dall, num_boost_round=rounds)
    timings["refit"] = time.perf_counter() - t0

    tick("explanations and population reference")
    t0 = time.perf_counter()
    importance = _importance(final, x, names, seed, shap_sample)
    fairness = fairness_report(protected, y, oof, choice.threshold, x=x, names=names, policy=policy, seed=seed)
    if measure_exclusions:
        fairness["exclusions"] = exclusion_impact(full, y, policy, cost_fn=cost_fn, cost_fp=cost_fp,
                                                  folds=min(folds, 3), seed=seed, params=params)
    fairness, _ = fairness_across(fairness, [(p.version, p.fairness) for p in published])
    population, _ = disclosed_across(_population(x, y, names), earlier)
    # A version trained on the same people (every table both publish agrees) opens no one.
    earlier_groups = [(p.version, p.prototypes) for p in published
                      if p.prototypes and not same_people(population, p.population)]
    # An earlier version's groups may use a feature this model leaves out: the rows with every column.
    placed = (np.hstack([x, full]), [*names, *FEATURE_NAMES]) if earlier_groups else None
    prototypes = fit_prototypes(x, y, names, importance, seed=seed, earlier=earlier_groups, placed=placed)
    # Drift reference: OOF probabilities, what the model gives rows it has not seen.
    monitoring = training_reference(raw, oof, policy.input_columns)
    timings["reference"] = time.perf_counter() - t0

    tick("write bundle")
    created = datetime.now(UTC)
    model_text = final.model_to_string()
    version = f"{created:%Y%m%d-%H%M%S}-{hashlib.sha256(model_text.encode()).hexdigest()[:8]}"
    features_meta = []
    for name in names:
        entry: dict[str, Any] = {
            "name": name,
            "dtype": "category" if name in CATEGORICAL_FEATURES else "number",
            "label_fr": label(name, "fr"),
            "label_en": label(name, "en"),
        }
        if name in CATEGORICAL_FEATURES:
            entry["levels"] = list(LEVELS[name])
        else:
            q = population["features"][name].get("quantiles")
            entry["min"] = None if q is None else q[0]
            entry["max"] = None if q is None else q[-1]
        features_meta.append(entry)
    report = {
        "version": version,
        "rows": len(y),
        "default_rate": float(y.mean()),
        "folds": folds,
        "seed": seed,
        "cost_fn": cost_fn,
        "cost_fp": cost_fp,
        "threshold": choice.threshold,
        "threshold_report": threshold_report,
        "fairness_policy": policy.to_dict(),
        "features_used": len(names),
        "calibration": calibration,
        "class_imbalance": "no re-weighting; stratified folds and a cost-optimal threshold on out-of-fold probabilities",
        "best_iterations": best_iterations,
        "refit_rounds": rounds,
        "model": model_metrics,
        "baselines": baselines,
        "fairness": fairness,
        "timings_seconds": {k: round(v, 3) for k, v in timings.items()},
    }
    manifest = {
        "format": bundle_mod.BUNDLE_FORMAT,
        "version": version,
        "created_at": created.isoformat(timespec="seconds"),
        "threshold": choice.threshold,
        "threshold_interval": {"low": interval["low"], "high": interval["high"], "level": interval["level"],
                               "n_boot": interval["n_boot"]},
        "master_scale": MASTER_SCALE_VERSION,
        "cost_fn": cost_fn,
        "cost_fp": cost_fp,
        "metrics": {
            "auc": model_metrics["auc"],
            "pr_auc": model_metrics["pr_auc"],
            "brier": model_metrics["brier"],
            "business_cost": model_metrics["business_cost"],
            "business_cost_per_client": model_metrics["business_cost_per_client"],
            "recall": model_metrics["recall"],
            "precision": model_metrics["precision"],
            "refusal_rate": model_metrics["refusal_rate"],
            "evaluation": f"out-of-fold, {folds} stratified folds",
        },
        "training_data": {"sha256": fingerprint, "rows": len(y), "default_rate": float(y.mean())},
        "features": features_meta,
        "input_columns": policy.input_columns,
        "fairness_policy": policy.to_dict(),
        "fairness": fairness,
        "prototypes": {"count": len(prototypes["prototypes"]), "min_size": prototypes["min_size"],
                       "features": prototypes["features"]},
        "lightgbm": {"version": lgb.__version__, "params": lgb_params, "rounds": rounds},
        "python": platform.python_version(),
    }
    out = bundle_mod.write_bundle(
        Path(out_dir),
        manifest=manifest,
        model_text=model_text,
        population=population,
        importance=importance,
        prototypes=prototypes,
        report=report,
        input_spec=_input_spec(policy.input_columns),
        monitoring=monitoring,
    )
    timings["total"] = time.perf_counter() - started
    report_progress("done", steps, steps)
    return TrainResult(out_dir=out, manifest=json.loads((out / "manifest.json").read_text()), report=report, timings=timings)


def _input_spec(columns: list[str]) -> dict[str, dict[str, Any]]:
    """What an advisor may set in a simulation, for every raw column the model reads
    (an attribute the fair-lending policy excludes is not an input)."""
    spec: dict[str, dict[str, Any]] = {}
    for name in columns:
        col = COLUMN_BY_NAME[name]
        entry: dict[str, Any] = {
            "type": "category" if col.is_categorical else ("number" if col.kind == "number" else "integer"),
            "nullable": col.nullable,
            "label_fr": label(name, "fr"),
            "label_en": label(name, "en"),
        }
        if col.is_categorical:
            entry["levels"] = list(col.levels)
        else:
            entry["min"] = col.min
            entry["max"] = col.max
            if col.special:
                entry["special"] = list(col.special)
        spec[name] = entry
    return spec
