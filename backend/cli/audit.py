"""``octroi audit verify`` (exit 0 valid, 1 broken), ``checkpoint`` and ``export`` (the bundle)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from sqlalchemy.exc import SQLAlchemyError

from backend.audit.bundle import bundle_lines
from backend.audit.service import (
    CLI_ROLE,
    AuditUnavailable,
    chained_seq,
    cli_operator,
    commit_audited,
    result_dict,
    verify_trail,
    write_checkpoint,
)
from backend.audit.setup import (
    cli_sessionmaker,
    retired_public_keys,
    signer_from_settings,
    witness_from_settings,
)
from backend.cli.common import fail, load_settings
from backend.settings import ConfigurationError

app = typer.Typer(no_args_is_help=True, help="Audit trail: verify, checkpoint, export.")


@app.command()
def verify(
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Recompute the hash chain, check every signed checkpoint and purge anchor, compare with
    the witness, check the events' dates and that every erasure the trail records still holds;
    exit 1 naming the first bad seq."""
    settings = load_settings()
    try:
        retired = retired_public_keys(settings)
    except ConfigurationError as exc:
        fail(f"configuration error: {exc}")
    factory, engine = cli_sessionmaker(settings)
    try:
        with factory() as db:
            result = verify_trail(
                db, signer_from_settings(settings), retired, witness_from_settings(settings)
            )
    except SQLAlchemyError as exc:
        fail(f"database unavailable ({type(exc).__name__})")
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(result_dict(result), sort_keys=True))
    elif result.valid:
        start = (
            f" from seq {result.first_seq} (earlier events purged under retention, anchored "
            f"by a signed purge anchor at seq {result.first_seq - 1})"
            if result.first_seq > 1 else ""
        )
        typer.echo(
            f"audit trail valid: {result.events_checked} events{start}, "
            f"{result.checkpoints_checked} signed checkpoints"
        )
        typer.echo(
            f"sequencer: {result.unchained_events} committed events were waiting to be chained "
            f"(oldest for {result.sequencer_lag_seconds:.3f} s); chained and verified now"
        )
        for warning in result.warnings:
            typer.echo(f"warning: {warning}", err=True)
    else:
        typer.echo(
            f"audit trail INVALID at seq {result.first_invalid_seq}: {result.reason} "
            f"({result.events_checked} events verified before it)",
            err=True,
        )
        # Every other problem found (each undone erasure, each backdated event) is named too.
        for warning in result.warnings:
            typer.echo(f"warning: {warning}", err=True)
    raise typer.Exit(0 if result.valid else 1)


@app.command()
def export(
    out: Path = typer.Option(..., "--out", help="File to write (JSON lines, docs/audit-format.md)."),
) -> None:
    """Write the verifiable bundle: every event, checkpoint, purge anchor and public key.

    Check it offline with `python verifier/octroi_verify.py FILE --trusted-key HEX`."""
    settings = load_settings()
    try:
        retired = retired_public_keys(settings)
    except ConfigurationError as exc:
        fail(f"configuration error: {exc}")
    signer = signer_from_settings(settings)
    # The file is opened before anything is recorded: an export the file system refuses wrote an
    # `audit.export` success event and signed a checkpoint for a file that never existed.
    try:
        handle = out.open("w", encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror}")
    factory, engine = cli_sessionmaker(settings)
    try:
        with handle:
            with factory() as db:
                exported = commit_audited(
                    db, None, None, action="audit.export", actor=cli_operator(), role=CLI_ROLE,
                    details={"format": "bundle", "via": "cli"},
                )
                chained_seq(db, exported)  # the bundle holds the export's own event
            head, bundle = bundle_lines(factory, signer, retired)
            lines = 0
            for line in bundle:
                handle.write(line)
                lines += 1
    except (SQLAlchemyError, AuditUnavailable) as exc:
        fail(f"export failed ({type(exc).__name__})")
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror}")
    finally:
        engine.dispose()
    typer.echo(f"exported the chain up to seq {head} to {out} ({lines} records)")


@app.command()
def checkpoint() -> None:
    """Sign the current head of the chain now."""
    settings = load_settings()
    factory, engine = cli_sessionmaker(settings)
    try:
        with factory() as db:
            written = write_checkpoint(db, signer_from_settings(settings))
            db.commit()
    except SQLAlchemyError as exc:
        fail(f"database unavailable ({type(exc).__name__})")
    finally:
        engine.dispose()
    if written is None:
        typer.echo("nothing to sign: the chain is empty or its head is already checkpointed")
    else:
        typer.echo(f"checkpoint signed at seq {written.seq} (key {written.key_id})")
