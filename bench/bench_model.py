"""Serving latency through the bundle versus the bare LightGBM booster.

1. one row, score + explain through the one-row path the API uses
   (``bundle.score_and_explain_one`` on the client's stored mapping: feature vector without
   pandas, pred_contrib, score, top-10 explanation and text) / bare
   ``booster.predict(x, pred_contrib=True)`` on the same row's prebuilt feature vector, p50
   over interleaved repeats (aim <= 1.3); the frame path (``bundle.score_and_explain`` on a
   one-row DataFrame, what the API called before) is timed in the same loop for comparison,
   and so is the JSON encoding of the answer (the API's pydantic ``Explanation`` model);
2. batch scoring of ``--rows`` rows (``bundle.score`` from raw rows) / bare
   ``booster.predict`` on the prebuilt matrix;
3. ``bundle.similar`` p50 for one row against the bundle's anonymous prototypes (about one
   per 60 training rows, at most 400);
4. the explanation route's model work, step by step, on ``--clients`` distinct clients held
   as the API holds them (JSON values, None for missing), interleaved with the physical
   floor: LightGBM's own ``pred_contrib`` + ``predict`` on the same client's prebuilt numpy
   row with one thread, timed among the steps (the default threads are timed apart and
   printed: their OpenMP workers keep spinning after a call and would slow what follows;
   on one row they swing with the machine's load, one thread does not). Times are the p50 CPU time of the step
   (the default threads: the process's CPU time, every OpenMP thread), robust to other jobs
   on a shared machine; wall times are printed too. Steps: input
   hash, feature row, the bundle's ``pred_contrib`` call, the rest of the explanation
   (scores, top contributions, reasons, text), the scoring service around it (cache miss:
   get + two sets), then the ``Explanation`` pydantic object validated and encoded as
   FastAPI does for a ``response_model``; "route model work" is all of them timed as one.
   ``--route-only`` runs this part alone (with ``--bundle``: seconds).

Without ``--bundle`` it trains a quick bundle (2 folds, learning rate 0.2) on ``--rows``
synthetic rows.

Rerun: .venv/bin/python bench/bench_model.py [--rows 300000] [--bundle DIR] [--route-only] [--clients 300]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import json  # noqa: E402

from pydantic import TypeAdapter  # noqa: E402

import backend.scoring.service as scoring  # noqa: E402
from backend.cache import MemoryCache  # noqa: E402
from backend.clients.schemas import Explanation  # noqa: E402
from ml.bundle import ModelBundle  # noqa: E402
from ml.features import build_matrix  # noqa: E402
from ml.synth import generate  # noqa: E402
from ml.train import train  # noqa: E402


def _p50(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--bundle", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument(
        "--route-only", action="store_true", help="only part 4, the explanation route's model work"
    )
    parser.add_argument("--clients", type=int, default=300, help="distinct clients for part 4")
    args = parser.parse_args()
    command = (
        f".venv/bin/python bench/bench_model.py --rows {args.rows}"
        + (f" --bundle {args.bundle}" if args.bundle else "")
        + (f" --route-only --clients {args.clients}" if args.route_only else "")
    )

    train_df, test_df, _ = generate(args.rows, seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        if args.bundle is None:
            started = time.perf_counter()
            train(
                train_df,
                Path(tmp) / "bundle",
                folds=2,
                seed=1,
                params={"learning_rate": 0.2},
                max_rounds=150,
                early_stopping_rounds=20,
                logistic_baseline=False,
            )
            print(
                f"(quick bundle trained on {args.rows} rows in {time.perf_counter() - started:.0f} s)"
            )
            bundle = ModelBundle.load(Path(tmp) / "bundle")
        else:
            bundle = ModelBundle.load(args.bundle)
    booster = bundle.booster
    reference_rows = len(bundle.prototypes.items)
    if args.route_only:
        route_breakdown(bundle, test_df, args.clients)
        print(f"rerun: {command}")
        return

    row = test_df.iloc[[0]].drop(columns=["TARGET"], errors="ignore")
    # The client as the API holds it: stored JSON values, None for missing.
    record = {k: (None if v != v else v) for k, v in row.iloc[0].to_dict().items()}
    x_row = bundle._row(record)
    bundle.score_and_explain(row)
    booster.predict(x_row, pred_contrib=True)
    _, answer = bundle.score_and_explain_one(record)
    answer = {**answer, "model_version": bundle.version, "lang": "fr", "pseudonym": "p" * 64}

    def encode() -> bytes:
        return Explanation(**answer).model_dump_json().encode()

    timings: dict[str, list[float]] = {k: [] for k in ("bare", "bare1", "one", "frame", "json")}
    for _ in range(args.repeats):  # interleaved so all of them see the same machine load
        timings["bare"].append(_p50(lambda: booster.predict(x_row, pred_contrib=True), 1))
        timings["bare1"].append(
            _p50(lambda: booster.predict(x_row, pred_contrib=True, num_threads=1), 1)
        )
        timings["one"].append(_p50(lambda: bundle.score_and_explain_one(record, top=10), 1))
        timings["frame"].append(_p50(lambda: bundle.score_and_explain(row, top=10), 1))
        timings["json"].append(_p50(encode, 1))
    bare_one, bare1_one, bundle_one, frame_one, json_one = (
        statistics.median(timings[k]) for k in ("bare", "bare1", "one", "frame", "json")
    )

    raw = train_df.drop(columns=["TARGET"])
    x_all = bundle.policy.model_matrix(build_matrix(raw))
    bare_batch = _p50(lambda: booster.predict(x_all), 2)
    bundle_batch = _p50(lambda: bundle.score(raw), 2)

    started = time.perf_counter()
    bundle.similar(row, k=10)
    first_similar = time.perf_counter() - started
    rows = [test_df.iloc[[i]] for i in range(100)]
    similar_times = []
    for r in rows:
        started = time.perf_counter()
        bundle.similar(r, k=10)
        similar_times.append(time.perf_counter() - started)

    print(
        f"bundle {bundle.version}: {bundle.booster.num_trees()} trees, {len(bundle.feature_names)} features"
    )
    print(
        f"[one row]   baseline bare predict(pred_contrib): {1000 * bare_one:.2f} ms | figure score+explain: {1000 * bundle_one:.2f} ms | ratio {bundle_one / bare_one:.2f} (aim <= 1.3)"
    )
    print(
        f"[one row]   baseline bare predict(pred_contrib, num_threads=1, as the bundle uses for small batches): {1000 * bare1_one:.2f} ms | ratio {bundle_one / bare1_one:.2f}"
    )
    print(
        f"[one row]   before: frame path score_and_explain(one-row DataFrame): {1000 * frame_one:.2f} ms | ratio {frame_one / bare1_one:.2f} to the one-thread bare call ({frame_one / bundle_one:.1f}x the one-row path)"
    )
    print(
        f"[one row]   JSON encoding of the explanation (pydantic Explanation -> bytes): {1000 * json_one:.3f} ms | ratio {json_one / bare1_one:.2f} to the bare call, {json_one / bundle_one:.2f} to the one-row path"
    )
    print(
        f"[batch]     baseline bare predict on {len(raw)} rows: {bare_batch:.2f} s | figure bundle.score from raw rows: {bundle_batch:.2f} s | ratio {bundle_batch / bare_batch:.2f}"
    )
    print(
        f"[similar]   {reference_rows} prototypes: p50 {1000 * statistics.median(similar_times):.2f} ms, p95 {1000 * sorted(similar_times)[94]:.2f} ms (first call incl. index build {1000 * first_similar:.0f} ms)"
    )
    route_breakdown(bundle, test_df, args.clients)
    print(f"rerun: {command}")


PSEUDONYM = "p" * 64
ROUTE_STEPS = {
    "input hash (bundle.input_hash)": "hash",
    "feature row (bundle._row)": "row",
    "pred_contrib as the bundle calls it (single-row API)": "contrib",
    "explanation assembly (scores, top, reasons, text)": "assembly",
    "scoring service around it (dicts, cache miss)": "service",
    "Explanation object + validate + dump_json": "encode",
}


def route_breakdown(
    bundle: ModelBundle, test_df, clients: int, rounds: int = 3
) -> dict[str, float]:
    """Part 4: the explanation route's model work against the booster floor, same run."""
    booster = bundle.booster
    frame = test_df.drop(columns=["TARGET"], errors="ignore").head(clients).reset_index(drop=True)
    # As the API holds a client: the stored JSON (numbers, text, None for missing).
    records = json.loads(frame.to_json(orient="records"))
    rows = [bundle._row(r) for r in records]
    adapter = TypeAdapter(Explanation)
    # The one-row explanation after the row is built (before issue 17 it was the batch code).
    explain_one = getattr(bundle, "_explain_one", bundle._explain_matrix)
    contributions_one = getattr(bundle, "_contributions_one", bundle._contributions)

    def route(record):
        # What GET /clients/{id}/explanation does besides the guard and the audit event.
        input_hash = bundle.input_hash(record)
        value = scoring.client_explanation(
            MemoryCache(60), bundle, PSEUDONYM, record, input_hash, 10, "fr"
        )
        answer = adapter.validate_python(Explanation(pseudonym=PSEUDONYM, **value))
        return adapter.dump_json(answer, by_alias=True)

    values = [
        scoring.client_explanation(MemoryCache(60), bundle, PSEUDONYM, r, "h", 10, "fr")
        for r in records
    ]
    ones = [bundle.score_and_explain_one(r, 10, "fr") for r in records]

    def service(i):
        # client_explanation's own work on a computed answer: cache miss, score + explanation dicts, two sets.
        cache = MemoryCache(60)
        row, explanation = ones[i]

        def compute():
            score = scoring._score_dict(row, bundle, "fr")
            cache.set(PSEUDONYM, bundle.version, f"{scoring.SCORE_KIND}-fr", {"input_hash": "h", "value": score})
            return scoring._explanation_dict(explanation, bundle, "fr")

        return scoring.cached(cache, PSEUDONYM, bundle.version, f"{scoring.EXPLANATION_KIND}-10-fr", "h", compute)

    fns = {
        "floor1": lambda i: (
            booster.predict(rows[i], pred_contrib=True, num_threads=1),
            booster.predict(rows[i], num_threads=1),
        ),
        "hash": lambda i: bundle.input_hash(records[i]),
        "row": lambda i: bundle._row(records[i]),
        "contrib": lambda i: contributions_one(rows[i]),
        "explain": lambda i: explain_one(rows[i], 10, "fr"),
        "service": service,
        "encode": lambda i: adapter.dump_json(
            adapter.validate_python(Explanation(pseudonym=PSEUDONYM, **values[i]))
        ),
        "route": lambda i: route(records[i]),
    }
    for i in range(min(20, len(records))):  # warm every path
        for fn in fns.values():
            fn(i)
    # CPU time of the calling thread (the one-thread booster runs on it): on a shared machine
    # wall time also counts the time other processes held the core, CPU time does not.
    cpu: dict[str, list[float]] = {k: [] for k in fns}
    wall: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(rounds):
        for i in range(len(records)):  # interleaved: every step sees the same machine load
            for key, fn in fns.items():
                started, started_cpu = time.perf_counter(), time.thread_time()
                fn(i)
                cpu[key].append(time.thread_time() - started_cpu)
                wall[key].append(time.perf_counter() - started)
    # The default-threads floor last and on its own: OpenMP's worker threads keep spinning
    # after each call and would slow every step timed after it. Its CPU is the process's
    # (every OpenMP thread), not the calling thread's.
    wall["floord"], cpu["floord"] = [], []
    for _ in range(rounds):
        for i in range(len(records)):
            started, started_cpu = time.perf_counter(), time.process_time()
            booster.predict(rows[i], pred_contrib=True)
            booster.predict(rows[i])
            cpu["floord"].append(time.process_time() - started_cpu)
            wall["floord"].append(time.perf_counter() - started)
    med = {k: 1000 * statistics.median(v) for k, v in cpu.items()}
    med_wall = {k: 1000 * statistics.median(v) for k, v in wall.items()}
    med["assembly"] = med["explain"] - med["contrib"]
    # The floor is the one-thread call, timed among the steps (the same load) and the way the
    # bundle calls the booster for one row; the default threads, timed apart, are printed.
    floor = med["floor1"]
    print(
        f"[route]     GET /clients/{{id}}/explanation model work, {len(records)} clients x {rounds}, "
        f"p50 CPU time per step ({booster.num_trees()} trees, {len(bundle.feature_names)} features):"
    )
    print(
        f"            floor pred_contrib + predict on a prebuilt row: 1 thread {med['floor1']:.3f} ms CPU "
        f"({med_wall['floor1']:.3f} ms wall), default threads {med['floord']:.3f} ms CPU "
        f"({med_wall['floord']:.3f} ms wall, timed apart) -> floor {floor:.3f} ms (one thread)"
    )
    for label, key in ROUTE_STEPS.items():
        print(f"            {label:<52}{med[key]:7.3f} ms  {med[key] / floor:5.2f}x floor")
    print(
        f"            {'route model work (all of the above, timed as one)':<52}{med['route']:7.3f} ms  "
        f"{med['route'] / floor:5.2f}x floor   (wall {med_wall['route']:.3f} ms, "
        f"{med_wall['route'] / med_wall['floor1']:.2f}x the wall floor)"
    )
    return med


if __name__ == "__main__":
    main()
