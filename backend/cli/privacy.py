"""``octroi privacy ...``: the retention purge and key-rotation helpers."""

from __future__ import annotations

import json
import secrets

import typer
from sqlalchemy.exc import SQLAlchemyError

from backend.audit.service import CLI_ROLE, AuditUnavailable, cli_operator
from backend.audit.setup import cli_sessionmaker, retired_public_keys, signer_from_settings
from backend.cli.common import fail, load_settings
from backend.clients.service import keyring
from backend.jobs.trigger import run_after_change
from backend.privacy.service import PurgeRefused, erasures_only_under, key_usage, purge
from backend.settings import ConfigurationError
from security.pseudonym import InvalidKeyRing

app = typer.Typer(no_args_is_help=True, help="RGPD retention and key rotation.")


@app.command("purge")
def purge_command(
    retention_days: int | None = typer.Option(
        None, "--retention-days", min=1, max=3650,
        help="Override OCTROI_AUDIT_RETENTION_DAYS for this run.",
    ),
    client_retention_days: int | None = typer.Option(
        None, "--client-retention-days", min=30, max=36500,
        help="Override OCTROI_CLIENT_RETENTION_DAYS for this run.",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report what would go, change nothing."),
) -> None:
    """Delete old audit events, ended sessions, stale lockouts and the data of applicants whose
    file saw nothing for the retention period (one audited transaction).

    Audit events older than the retention period go after a signed checkpoint anchors the
    rest, so `octroi audit verify` still passes. The events about to go are verified first
    (hashes, links, checkpoints, witness): if they do not verify, nothing at all is deleted
    and the command exits 1 naming the first bad seq. On PostgreSQL run it as the schema
    owner: the API's role cannot delete audit rows.
    """
    settings = load_settings()
    days = retention_days or settings.audit_retention_days
    client_days = client_retention_days or settings.client_retention_days
    try:
        retired = retired_public_keys(settings)
    except ConfigurationError as exc:
        fail(f"configuration error: {exc}")
    factory, engine = cli_sessionmaker(settings)
    try:
        with factory() as db:
            # Audited under the operator's name (issue 14).
            try:
                report = purge(db, signer_from_settings(settings), days, actor=cli_operator(), role=CLI_ROLE,
                               client_retention_days=client_days, retired_keys=retired)
            except PurgeRefused:
                db.rollback()
                raise
            if dry_run:
                db.rollback()
            else:
                db.commit()
    except PurgeRefused as exc:
        fail(
            f"purge refused, nothing was deleted or signed: the audit chain does not verify at seq {exc.seq}: "
            f"{exc.reason}. Run `octroi audit verify` and investigate before purging.",
            1,
        )
    except (SQLAlchemyError, AuditUnavailable) as exc:
        fail(f"purge failed, nothing was deleted ({type(exc).__name__})")
    finally:
        engine.dispose()
    prefix = "dry run, nothing deleted: would purge" if dry_run else "purged"
    events = (
        f"{report.events_deleted} audit events up to seq {report.through_seq} "
        f"(older than {report.cutoff:%Y-%m-%d %H:%M} UTC, {days} days)"
        if report.through_seq is not None
        else f"no audit event older than {report.cutoff:%Y-%m-%d %H:%M} UTC ({days} days)"
    )
    typer.echo(
        f"{prefix} {events}; {report.sessions_deleted} ended sessions; "
        f"{report.locks_cleared} expired locks, {report.counters_reset} stale failure counters. "
        f"The chain now starts at seq {report.first_seq}."
    )
    expired = report.clients
    if expired is not None:
        typer.echo(
            f"{'would delete' if dry_run else 'deleted'} the data of {expired.clients_deleted} applicants with "
            f"nothing in their file since {expired.cutoff:%Y-%m-%d} ({client_days} days): "
            f"{expired.outcomes_deleted} outcomes, {expired.snapshots_deleted} decision snapshots; "
            f"{expired.decisions_anonymised} decisions and {expired.contests_anonymised} contests anonymised"
        )
        if expired.clients_deleted and not dry_run:
            run_after_change(settings, ["portfolio", "drift", "backtest"], typer.echo)


@app.command("key-status")
def key_status() -> None:
    """Rows per pseudonym key version (when an old version may leave the key ring).

    An old version may leave OCTROI_PSEUDONYM_KEY only when no client uses it and every
    person erased under it also has a tombstone under the current version (re-import the
    clients with both versions in the ring first: that re-keys clients and tombstones)."""
    settings = load_settings()
    try:
        ring = keyring(settings)
    except InvalidKeyRing as exc:
        fail(f"configuration error: {exc}")
    factory, engine = cli_sessionmaker(settings)
    try:
        with factory() as db:
            usage = key_usage(db)
            only_under = erasures_only_under(db, ring.current_version)
    except SQLAlchemyError as exc:
        fail(f"database unavailable ({type(exc).__name__})")
    finally:
        engine.dispose()
    rows = []
    for version in dict.fromkeys([*ring.versions, *usage]):
        counts = usage.get(version, {"clients": 0, "erasures": 0})
        configured = version in ring.versions
        # Tombstones under an old version are fine to lose once the same people also have
        # one under the current version; clients must have been re-keyed (re-import).
        guarding = only_under.get(version, 0)
        rows.append({
            "version": version,
            "current": version == ring.current_version,
            "configured": configured,
            **counts,
            "erasures_only_here": guarding,
            "removable": configured and version != ring.current_version
            and counts["clients"] == 0 and guarding == 0,
        })
    typer.echo(json.dumps(rows, indent=2))
    if any(not row["configured"] and row["clients"] for row in rows):
        fail("rows use a key version missing from OCTROI_PSEUDONYM_KEY: those clients are unreachable", 1)
    if any(not row["configured"] and row["erasures_only_here"] for row in rows):
        fail("erased people have tombstones only under a key version missing from "
             "OCTROI_PSEUDONYM_KEY: put it back, or an import could bring them back", 1)


@app.command("audit-public-key")
def audit_public_key() -> None:
    """Print the public key of the current audit signing key (hex) and its key id.

    Before rotating OCTROI_AUDIT_SIGNING_KEY, append this value to
    OCTROI_AUDIT_PREVIOUS_PUBLIC_KEYS so checkpoints it signed keep verifying."""
    signer = signer_from_settings(load_settings())
    typer.echo(f"{signer.public_key_bytes().hex()}  (key id {signer.key_id})")


@app.command("new-key")
def new_key() -> None:
    """Print a fresh random secret (64 url-safe characters).

    For OCTROI_JWT_KEY, OCTROI_PSEUDONYM_KEY (as a new `vN:` entry) or OCTROI_AUDIT_SIGNING_KEY."""
    typer.echo(secrets.token_urlsafe(48))
