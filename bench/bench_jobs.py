"""Portfolio job on a Dask cluster against the bare booster, on 1,000,000 synthetic clients.

One run, same machine, same model, same matrix:

- baseline: ``booster.predict`` on the whole 1,000,000-row matrix in this process
  (LightGBM's 2 threads), nothing else;
- figure: the portfolio job's work on a local Dask cluster of two worker processes (one
  thread each): one task per partition scores its rows and reduces them to additive sums
  (histogram, grades, approved sums), the driver adds the partial sums. The partitions are
  already on the workers, as in the real job where each worker reads its own pseudonym range
  from the database (that read is measured by bench/bench_portfolio.py);
- for information, the time to ship the matrix to the workers (not part of the job).

    .venv/bin/python bench/bench_jobs.py [--rows 1000000] [--partitions 16]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import p50, train_bundle

from backend.jobs.cluster import dask_client
from backend.jobs.tasks import matrix_portfolio_task
from ml import synth
from ml.bundle import ModelBundle
from ml.features import build_matrix

CHUNK = 200_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    command = "bench/bench_jobs.py" + (f" --rows {args.rows}" if args.rows != 1_000_000 else "")

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        started = time.perf_counter()
        synth.write(tmp / "data", rows=20_000, seed=3)
        bundle = ModelBundle.load(train_bundle(tmp / "data", tmp / "model", rounds=150))
        print(f"bundle trained on 20,000 rows in {time.perf_counter() - started:.1f}s "
              f"({bundle.booster.num_trees()} trees)")

    started = time.perf_counter()
    matrices, credits = [], []
    for seed, start in enumerate(range(0, args.rows, CHUNK)):
        train, _, _ = synth.generate(min(CHUNK, args.rows - start), seed=100 + seed)
        matrices.append(build_matrix(train))
        credits.append(train["AMT_CREDIT"].to_numpy(dtype=np.float64))
    x = np.concatenate(matrices)
    credit = np.concatenate(credits)
    del matrices, credits
    print(f"{len(x):,} synthetic clients, matrix {x.shape[1]} features ({x.nbytes / 1e9:.2f} GB) "
          f"built in {time.perf_counter() - started:.1f}s")
    threshold = float(bundle.threshold)
    model = {"version": bundle.version, "text": bundle.booster.model_to_string()}

    with dask_client(None, workers=2) as client:
        started = time.perf_counter()
        bounds = np.linspace(0, len(x), args.partitions + 1).astype(int)
        parts = [client.scatter((x[a:b], credit[a:b])) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        shipped_model = client.scatter(model, broadcast=True)
        client.rebalance(parts)
        ship_s = time.perf_counter() - started

        def job() -> int:
            futures = [client.submit(lambda part, m: matrix_portfolio_task(part[0], part[1], m, threshold),
                                     part, shipped_model, pure=False) for part in parts]
            return sum(result["applicants"] for result in client.gather(futures))

        job()  # warm-up: each worker parses the model once
        # Interleaved, so a load change on this shared machine hits both sides alike.
        predict_ms, job_ms = [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            bundle.booster.predict(x, num_threads=2)
            predict_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            assert job() == len(x)
            job_ms.append((time.perf_counter() - started) * 1000)

    base, figure = p50(predict_ms), p50(job_ms)
    print()
    print(f"portfolio on {len(x):,} clients, {args.partitions} partitions, 2 Dask worker processes:")
    print(f"  baseline booster.predict, same matrix, 2 threads   p50 {base:9.0f} ms")
    print(f"  portfolio job (score + reduce on the cluster)      p50 {figure:9.0f} ms   "
          f"ratio {figure / base:.2f}x   (aim <= 1.5x)")
    print(f"  (shipping the matrix to the workers, not in the job: {ship_s:.1f}s)")
    print(f"\nrerun: .venv/bin/python {command}")
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
