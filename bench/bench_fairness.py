"""Fair-lending and similar-profile figures, all on the same synthetic data in one run.

1. **Cost of each exclusion.** AUC and business cost per client (out-of-fold, the same
   stratified folds, each model at its own cost-optimal threshold) of the default policy's
   model, and of the same model allowed to use one excluded attribute at a time
   (``ml.fairness.exclusion_impact``). Baseline: the policy's model.
2. **Similar profiles.** How well a "similar clients" default rate ranks held-out clients
   (AUC), next to the model's own probability on the same rows (the baseline): the anonymous
   prototypes of the bundle (nearest one, and the 3 nearest weighted by size) and, for
   reference, the k = 10 nearest training rows the bundle used to ship.

Rerun: .venv/bin/python bench/bench_fairness.py [--rows 30000] [--seed 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import NearestNeighbors

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml.bundle import ModelBundle  # noqa: E402
from ml.fairness import exclusion_impact  # noqa: E402
from ml.features import build_matrix  # noqa: E402
from ml.policy import FairLendingPolicy  # noqa: E402
from ml.synth import generate  # noqa: E402
from ml.train import train  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    command = f".venv/bin/python bench/bench_fairness.py --rows {args.rows} --seed {args.seed}"
    frame, _, _ = generate(args.rows, seed=args.seed)
    y = frame["TARGET"].to_numpy()
    policy = FairLendingPolicy.default()

    started = time.perf_counter()
    impact = exclusion_impact(build_matrix(frame), y, policy, cost_fn=10, cost_fp=1, folds=3, seed=args.seed)
    base = impact["policy"]
    print(f"[exclusions] {args.rows} rows, 3 folds, cost 10 x FN + 1 x FP, {time.perf_counter() - started:.0f} s")
    print(f"  baseline policy model ({base['features']} features): AUC {base['auc']:.4f}, "
          f"cost/client {base['cost_per_client']:.4f}")
    for attribute, entry in impact["with_attribute"].items():
        print(f"  + {attribute:<19} AUC {entry['auc']:.4f} (ratio {base['auc'] / entry['auc']:.4f}), "
              f"cost/client {entry['cost_per_client']:.4f} (ratio {base['cost_per_client'] / entry['cost_per_client']:.4f}); "
              f"excluding it: AUC {entry['auc_change_from_exclusion']:+.4f}, cost {entry['cost_change_from_exclusion']:+.4f}")

    cut = int(0.8 * len(frame))
    train_df, holdout = frame.iloc[:cut], frame.iloc[cut:].reset_index(drop=True)
    with tempfile.TemporaryDirectory() as tmp:
        train(train_df, Path(tmp) / "bundle", folds=2, seed=args.seed, params={"learning_rate": 0.1},
              max_rounds=400, early_stopping_rounds=30, logistic_baseline=False)
        bundle = ModelBundle.load(Path(tmp) / "bundle")
    y_hold = holdout["TARGET"].to_numpy()
    raw_hold = holdout.drop(columns=["TARGET"])
    p_model = bundle.score(raw_hold)["probability"].to_numpy()
    x_hold = bundle._matrix(raw_hold)
    names = bundle.feature_names
    proto1 = bundle.prototypes.default_rate(x_hold, names, k=1)
    proto3 = bundle.prototypes.default_rate(x_hold, names, k=3)
    # The former reference, rebuilt here only for the comparison: every training row.
    x_train = bundle._matrix(train_df.drop(columns=["TARGET"]))
    space = bundle.prototypes.space
    nn = NearestNeighbors(n_neighbors=10).fit(space.transform(x_train, names))
    _, idx = nn.kneighbors(space.transform(x_hold, names))
    knn = train_df["TARGET"].to_numpy()[idx].mean(axis=1)
    auc_model = roc_auc_score(y_hold, p_model)
    sizes = [p["size"] for p in bundle.prototypes.items]
    print(f"[similar]   trained on {cut} rows, {len(sizes)} prototypes (sizes {min(sizes)}-{max(sizes)}), "
          f"AUC on {len(holdout)} held-out rows")
    print(f"  baseline model probability:               AUC {auc_model:.4f}")
    for name, score in (("nearest prototype default rate", proto1), ("3 nearest prototypes (size-weighted)", proto3),
                        ("former k=10 training rows (reference)", knn)):
        auc = roc_auc_score(y_hold, score)
        print(f"  {name:<40} AUC {auc:.4f}   ratio to model {auc / auc_model:.3f}")
    print(f"  share of held-out clients told '0 % of similar clients defaulted': prototypes "
          f"{np.mean(proto3 == 0):.1%}, former k=10 rows {np.mean(knn == 0):.1%}")
    print(f"rerun: {command}")


if __name__ == "__main__":
    main()
