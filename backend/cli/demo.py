"""``octroi demo``: the embedded default on one machine (SQLite, in-process cache).

Every step drives the same ``octroi`` commands a user would type, and is skipped when its
result already exists, so a second run starts in seconds. Development mode only: the demo
users get random passwords written to ``<var_dir>/demo-users.json`` (git-ignored, 0600).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import typer

from backend.cli.common import fail, load_settings
from backend.settings import Settings
from ml.data import OUTCOMES_FILE

DEMO_TRAIN_ROWS = 50_000
DEMO_SEED = 42
# The demo's challenger: the same data without the four summaries of the external scores (their
# mean, min, max and spread), the question a credit team asks of derived features ("does the
# model need them?"). Shadowed beside the champion, so the model-lifecycle pages have something
# to compare from the advisors' first requests on.
DEMO_CHALLENGER_DROPS = ("EXT_SOURCE_MEAN", "EXT_SOURCE_MIN", "EXT_SOURCE_MAX", "EXT_SOURCE_STD")
DEMO_CHALLENGER_SEED = 43
DEMO_CHALLENGER_FOLDS = 3
DEMO_USERS = {
    "conseiller": "advisor",
    # A second advisor: a contested decision is reviewed by another advisor than its own.
    "conseiller2": "advisor",
    "comex": "comex",
    "conformite": "compliance",
    # A second compliance officer: an erasure one asks for, the other confirms (four-eyes).
    "conformite2": "compliance",
    "admin": "admin",
    # A second administrator: role changes that open personal data need two (four-eyes).
    "admin2": "admin",
}


def _octroi(
    *args: str, stdin: str | None = None, capture: bool = False
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [sys.executable, "-m", "backend.cli", *args],
        input=stdin,
        text=True,
        capture_output=capture,
        check=False,
    )


def _bundle_loads(model_dir: Path) -> bool:
    """False for a bundle this code refuses (e.g. trained before a feature or policy change):
    the demo then retrains instead of serving "model unavailable"."""
    from ml.bundle import BundleIntegrityError, ModelBundle

    try:
        ModelBundle.load(model_dir)
    except BundleIntegrityError as exc:
        typer.echo(f"      existing bundle refused ({exc}); retraining")
        return False
    return True


def _step(number: int, total: int, message: str) -> None:
    typer.secho(f"[{number}/{total}] {message}", fg=typer.colors.CYAN)


def _run_or_fail(*args: str) -> None:
    result = _octroi(*args)
    if result.returncode != 0:
        fail(f"`octroi {' '.join(args)}` failed (exit {result.returncode})")


def _demo_passwords(settings: Settings) -> dict[str, str]:
    """The demo users' passwords, kept across runs; a user added to DEMO_USERS since the file
    was written gets one too."""
    path = settings.var_dir / "demo-users.json"
    kept = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    passwords = {name: kept.get(name) or "Demo-" + secrets.token_urlsafe(12) for name in DEMO_USERS}
    if passwords != kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(passwords, handle, indent=2)
    return passwords


def _registry_state() -> dict:
    listed = _octroi("model", "list", "--json", capture=True)
    if listed.returncode != 0:
        fail(f"`octroi model list` failed: {listed.stderr.strip()}")
    return json.loads(listed.stdout)


def _demo_registry(data_dir: Path, model_dir: Path) -> None:
    """The demo bundle registered and promoted (the champion), and a challenger in shadow: what a
    bank has from its second model on. Each part is skipped when already in place."""
    from ml.bundle import ModelBundle

    served = ModelBundle.load(model_dir).version
    _run_or_fail("model", "add", str(model_dir))
    state = _registry_state()
    if state["champion"] != served:
        _run_or_fail("model", "promote", served)
    if state["challenger"] is not None:
        typer.echo(f"      challenger {state['challenger']} kept")
        return
    others = [v["version"] for v in state["versions"] if v["version"] != served]
    if not others:
        drops = [arg for name in DEMO_CHALLENGER_DROPS for arg in ("--drop-feature", name)]
        _run_or_fail("train", "--data", str(data_dir), "--seed", str(DEMO_CHALLENGER_SEED),
                     "--folds", str(DEMO_CHALLENGER_FOLDS), *drops)
        others = [v["version"] for v in _registry_state()["versions"] if v["version"] != served]
    _run_or_fail("model", "shadow", max(others))  # a version starts with its training time


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # `kill PID` stops the demo and its children, as Ctrl-C does


def _wait_ready(url: str, api: subprocess.Popen, timeout: float = 90.0) -> bool:
    """True once *our* API answers: another process answering on the port does not count."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and api.poll() is None:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return api.poll() is None
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return False


def demo(
    host: str = typer.Option("127.0.0.1", help="Interface for the API and the dashboard."),
    port: int = typer.Option(8000, min=1, max=65535, help="API port."),
    dashboard_port: int = typer.Option(8501, min=1, max=65535, help="Dashboard port."),
    rows: int = typer.Option(DEMO_TRAIN_ROWS, min=2_000, help="Synthetic training rows."),
) -> None:
    """Set up the embedded default and run it (Ctrl-C stops everything)."""
    settings = load_settings()
    if settings.is_production:
        fail("`octroi demo` creates demo users with known passwords: development only")
    for name, busy in (("--port", port), ("--dashboard-port", dashboard_port)):
        if _port_in_use(host, busy):
            fail(f"{name}: {host}:{busy} is already in use (another demo running?); stop it or choose "
                 f"another port, e.g. `octroi demo {name} {busy + 1}`")
    total = 9
    data_dir = settings.var_dir / "data"
    model_dir = settings.effective_model_dir

    _step(1, total, f"synthetic Home Credit data in {data_dir}")
    if (data_dir / "application_train.csv").exists():
        typer.echo("      already there, kept")
    else:
        _run_or_fail("data", "synth", "--rows", str(rows), "--seed", str(DEMO_SEED),
                     "--out", str(data_dir))

    _step(2, total, f"model bundle in {model_dir}")
    if (model_dir / "manifest.json").exists() and _bundle_loads(model_dir):
        typer.echo("      already trained, kept (delete the folder to retrain)")
    else:
        _run_or_fail("train", "--data", str(data_dir), "--out", str(model_dir),
                     "--seed", str(DEMO_SEED))

    _step(3, total, "database migrations")
    _run_or_fail("db", "upgrade")

    _step(4, total, "model registry: the demo model as champion, a challenger in shadow")
    _demo_registry(data_dir, model_dir)

    _step(5, total, "importing the applicants (application_test.csv)")
    _run_or_fail("clients", "import", str(data_dir / "application_test.csv"))

    _step(6, total, "observed outcomes of the applicants (synthetic), for the backtest")
    outcomes = data_dir / OUTCOMES_FILE
    if outcomes.exists():
        _run_or_fail("outcomes", "import", str(outcomes))
    else:  # data generated before the generator wrote them: the backtest waits for real ones
        typer.echo(f"      {outcomes.name} not in {data_dir} (older data): skipped, the backtest stays empty")

    _step(7, total, "demo users (one per role)")
    passwords = _demo_passwords(settings)
    existing = _octroi("users", "list", capture=True)
    for username, role in DEMO_USERS.items():
        if username in (existing.stdout or "").split():
            continue
        created = _octroi("users", "create", username, "--role", role, "--password-stdin",
                          stdin=passwords[username] + "\n", capture=True)
        if created.returncode != 0:
            fail(f"could not create demo user {username}: {created.stderr.strip()}")

    _step(8, total, "starting the API and the dashboard")
    env = os.environ.copy()
    env.setdefault("OCTROI_API_URL", f"http://{host}:{port}")
    api = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "backend.cli", "serve", "api", "--host", host, "--port", str(port)],
        env=env,
    )
    dashboard = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "backend.cli", "serve", "dashboard", "--host", host,
         "--port", str(dashboard_port)],
        env=env,
    )
    children = [api, dashboard]
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started in the background
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        if not _wait_ready(f"http://{host}:{port}/readyz", api):
            fail("the API did not become ready; see its log above")
        _step(9, total, "ready")
        typer.echo(f"\n  API        http://{host}:{port}   (docs: /docs)")
        typer.echo(f"  Dashboard  http://{host}:{dashboard_port}\n")
        typer.echo("  Logins (also in " + str(settings.var_dir / "demo-users.json") + "):")
        for username, role in DEMO_USERS.items():
            typer.echo(f"    {role:<11} {username:<12} {passwords[username]}")
        typer.echo("\n  Ctrl-C stops everything.")
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        stopped = "API" if api.poll() is not None else "dashboard"
        fail(f"the {stopped} stopped on its own; see its log above")
    except KeyboardInterrupt:
        typer.echo("\nstopping")
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()

