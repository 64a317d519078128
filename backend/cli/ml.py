"""`octroi data synth` and `octroi train`: thin wrappers over ``ml.synth`` and ``ml.train``."""

from __future__ import annotations

import math
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from backend.cli.common import fail, load_settings

data_app = typer.Typer(no_args_is_help=True)
console = Console(stderr=True)


@data_app.command("synth")
def synth(
    rows: int = typer.Option(100_000, "--rows", min=10, help="Training rows (the test file gets rows/6)."),
    seed: int = typer.Option(0, "--seed", min=0, help="Random seed (0 or more): same seed, same files."),
    out: Path | None = typer.Option(None, "--out", help="Output directory (default: <OCTROI_VAR_DIR>/data)."),
) -> None:
    """Write synthetic application_train.csv, application_test.csv, oracle_train.csv and
    outcomes_test.csv (what later happened to each test applicant: `octroi outcomes import`)."""
    from ml.synth import write

    if out is None:
        out = load_settings().var_dir / "data"

    started = time.perf_counter()
    try:
        paths = write(out, rows=rows, seed=seed)
    except OSError as exc:
        fail(f"cannot write to {out}: {exc.strerror or exc}")
    elapsed = time.perf_counter() - started
    for role, path in paths.items():
        typer.echo(f"{role:6} {path}")
    typer.echo(f"{rows} training rows, seed {seed}, in {elapsed:.1f} s")


def _kept_features(dropped: list[str]) -> list[str] | None:
    if not dropped:
        return None
    from ml.features import FEATURE_NAMES

    unknown = sorted(set(dropped) - set(FEATURE_NAMES))
    if unknown:
        fail(f"--drop-feature: unknown feature(s) {', '.join(unknown)}; the model features are listed in the "
             "bundle's manifest.json")
    return [name for name in FEATURE_NAMES if name not in set(dropped)]


def _published() -> list:
    """What the bundles a new one is published beside say of their training populations
    (``ml.bundle.Published``): every registered version and the served model directory."""
    from backend.registry.service import served_outside
    from backend.registry.store import ModelRegistry

    settings = load_settings()
    published = ModelRegistry(settings.effective_registry_dir).published()
    known = {p.version for p in published}
    return published + [p for p in served_outside(settings) if p.version not in known]


def train(
    data: Path = typer.Option(..., "--data", help="application_train.csv, or a directory holding it."),
    out: Path | None = typer.Option(
        None, "--out", help="Write the bundle to this directory instead of adding a version to the registry."
    ),
    folds: int = typer.Option(5, "--folds", min=2, max=20, help="Stratified cross-validation folds."),
    seed: int = typer.Option(0, "--seed", min=0, max=2**32 - 1, help="Random seed (0 to 2**32-1, numpy's range)."),
    cost_fn: float = typer.Option(10.0, "--cost-fn", min=0.0, help="Cost of approving a defaulter."),
    cost_fp: float = typer.Option(1.0, "--cost-fp", min=0.0, help="Cost of refusing a good client."),
    drop_feature: list[str] = typer.Option(
        [], "--drop-feature",
        help="Leave this model feature out (repeatable): a version with its own feature list, e.g. a challenger.",
    ),
    fairness_policy: Path | None = typer.Option(
        None, "--fairness-policy",
        help="Fair-lending policy JSON (default: the built-in policy, also in docs/fairness-policy.json).",
    ),
    measure_exclusions: bool = typer.Option(
        False, "--measure-exclusions",
        help="Also retrain once per excluded attribute to report the AUC and cost of each exclusion (slower).",
    ),
) -> None:
    """Train the credit-risk model and write a verified bundle with its report."""
    from ml.data import DataValidationError
    from ml.policy import FairLendingPolicy, PolicyError
    from ml.train import train as run_training

    # Not finite ("inf", "nan", 1e400): the threshold search then refused everyone, or no one.
    if not (math.isfinite(cost_fn) and math.isfinite(cost_fp)) or cost_fn <= 0 or cost_fp <= 0:
        fail("--cost-fn and --cost-fp must be positive finite numbers")
    try:
        policy = FairLendingPolicy.read(fairness_policy) if fairness_policy else FairLendingPolicy.default()
    except PolicyError as exc:
        fail(f"--fairness-policy {fairness_policy}: {exc}")
    # Without --out the bundle is trained into a scratch directory, then added to the registry.
    scratch = None
    if out is None:
        import tempfile

        registry_root = load_settings().effective_registry_dir
        registry_root.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".training-", dir=registry_root))
    target = out if out is not None else scratch
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task("starting", total=1)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        try:
            result = run_training(data, target, folds=folds, seed=seed, cost_fn=cost_fn, cost_fp=cost_fp,
                                  progress=progress, features=_kept_features(drop_feature),
                                  fairness_policy=policy, measure_exclusions=measure_exclusions,
                                  published=_published())
        except DataValidationError as exc:
            fail(str(exc))
        except ValueError as exc:
            fail(f"{data}: {exc}")
        except OSError as exc:
            fail(f"cannot write the bundle to {target}: {exc.strerror or exc}")
    if scratch is not None:
        from backend.registry.store import ModelRegistry, RegistryError

        try:
            from backend.registry.service import served_outside

            settings = load_settings()
            info, _ = ModelRegistry(settings.effective_registry_dir).add(result.out_dir, beside=served_outside(settings))
        except RegistryError as exc:
            fail(str(exc))
        finally:
            import shutil

            shutil.rmtree(scratch, ignore_errors=True)
        typer.echo(f"registered {info.version} in {info.path}; serve it with `octroi model promote {info.version}`")
        result = type(result)(out_dir=info.path, manifest=result.manifest, report=result.report, timings=result.timings)
    m = result.report["model"]
    lr = result.report["baselines"].get("logistic_regression", {"auc": float("nan")})
    typer.echo(f"bundle    {result.out_dir} (version {result.manifest['version']})")
    typer.echo(f"report    {result.out_dir / 'report.md'}")
    typer.echo(
        f"OOF AUC {m['auc']:.4f} (logistic regression {lr['auc']:.4f}), PR-AUC {m['pr_auc']:.4f}, "
        f"Brier {m['brier']:.4f}"
    )
    typer.echo(
        f"threshold {result.report['threshold']:.4f}: cost {m['business_cost']:.0f} "
        f"(at 0.5: {m['business_cost_at_0_5']:.0f}), recall {m['recall']:.3f}, "
        f"precision {m['precision']:.3f}, refusal rate {m['refusal_rate']:.3f}"
    )
    typer.echo(f"trained in {result.timings['total']:.1f} s")
