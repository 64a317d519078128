"""Training pipeline cost and model quality on synthetic data with a known oracle.

Generates ``--rows`` training rows plus a 20% holdout (same generator, same seed), then:

1. training: ``ml.train.train`` (K folds + baselines + refit + reference + bundle) wall time
   / a bare ``lightgbm.train`` with the same parameters and the refit's rounds on the same
   feature matrix;
2. quality on the holdout: model AUC / oracle AUC (the true PD; aim >= 0.97) and business
   cost at the bundle's threshold / the oracle's optimal cost (true PD at the Bayes threshold
   cost_fp / (cost_fn + cost_fp); aim <= 1.05).

Rerun: .venv/bin/python bench/bench_train.py [--rows 100000 --folds 5 --seed 42]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import lightgbm as lgb  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from ml.bundle import ModelBundle  # noqa: E402
from ml.cost import business_cost  # noqa: E402
from ml.features import build_matrix  # noqa: E402
from ml.synth import generate  # noqa: E402
from ml.train import train  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    command = f".venv/bin/python bench/bench_train.py --rows {args.rows} --folds {args.folds} --seed {args.seed}"

    holdout_rows = args.rows // 5
    frame, _, oracle = generate(args.rows + holdout_rows, seed=args.seed)
    train_df, holdout = frame.iloc[: args.rows], frame.iloc[args.rows :].reset_index(drop=True)
    true_pd = oracle["PD"].to_numpy()[args.rows :]

    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "application_train.csv"
        train_df.to_csv(csv, index=False)
        started = time.perf_counter()
        result = train(csv, Path(tmp) / "bundle", folds=args.folds, seed=args.seed)
        pipeline = time.perf_counter() - started
        bundle = ModelBundle.load(Path(tmp) / "bundle")

    x = bundle.policy.model_matrix(build_matrix(train_df))
    names = bundle.feature_names
    categorical = [names.index(c) for c in bundle.policy.categorical_features()]
    y = train_df["TARGET"].to_numpy()
    params = result.manifest["lightgbm"]["params"]
    started = time.perf_counter()
    lgb.train(params, lgb.Dataset(x, y, feature_name=names, categorical_feature=categorical), num_boost_round=result.manifest["lightgbm"]["rounds"])
    bare = time.perf_counter() - started

    y_hold = holdout["TARGET"].to_numpy()
    p_model = bundle.score(holdout.drop(columns=["TARGET"]))["probability"].to_numpy()
    auc_model, auc_oracle = roc_auc_score(y_hold, p_model), roc_auc_score(y_hold, true_pd)
    cost_fn, cost_fp = bundle.cost_fn, bundle.cost_fp
    cost_model = business_cost(y_hold, p_model, bundle.threshold, cost_fn, cost_fp)
    bayes = cost_fp / (cost_fn + cost_fp)
    cost_oracle = business_cost(y_hold, true_pd, bayes, cost_fn, cost_fp)
    m = result.report["model"]

    print(f"rows {args.rows} (+{holdout_rows} holdout), folds {args.folds}, rounds {result.manifest['lightgbm']['rounds']}")
    print(f"[training]  baseline bare lgb.train fit: {bare:.1f} s | figure full pipeline: {pipeline:.1f} s | ratio {pipeline / bare:.2f}")
    print(f"            pipeline parts (s): {result.report['timings_seconds']}")
    print(f"[quality]   baseline oracle AUC: {auc_oracle:.4f} | figure model AUC: {auc_model:.4f} | ratio {auc_model / auc_oracle:.4f} (aim >= 0.97)")
    print(f"[cost]      baseline oracle cost at {bayes:.4f}: {cost_oracle:.0f} | figure model cost at {bundle.threshold:.4f}: {cost_model:.0f} | ratio {cost_model / cost_oracle:.4f} (aim <= 1.05)")
    print(f"[report]    OOF AUC {m['auc']:.4f}, PR-AUC {m['pr_auc']:.4f}, Brier {m['brier']:.4f}, LR AUC {result.report['baselines']['logistic_regression']['auc']:.4f}")
    print(f"rerun: {command}")


if __name__ == "__main__":
    main()
