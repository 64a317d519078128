"""``/audit``: read (``audit:read``), verify (``audit:verify``), export (``audit:export``).

Each call is itself audited, committed before any event is returned.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from backend.api.period import utc_period
from backend.api.routing import GuardedRoute
from backend.audit.actions import AuditAction
from backend.audit.bundle import bundle_lines
from backend.audit.models import AuditEvent
from backend.audit.schemas import AuditEventOut, AuditPage, VerificationOut
from backend.audit.service import OUTCOMES, chained_seq, event_dict, result_dict, verify_trail
from backend.auth.deps import RequestContext, guard
from backend.clients.guard import malformed_client_id
from backend.ratelimit import RATE_LIMITED_RESPONSES
from security.pseudonym import MalformedClientId, PseudonymKeyRing
from security.rbac import Permission

router = APIRouter(prefix="/audit", tags=["audit"], route_class=GuardedRoute)
MAX_PAGE = 500
EXPORT_BATCH = 1000
EXPORT_FIELDS = list(AuditEventOut.model_fields)
# Like every id the API takes: the largest integer a JSON number carries exactly (2^53); a
# larger cursor overflowed the database's integer (a 500 before).
CURSOR_MAX = 2**53
FROM_HELP = "inclusive, ISO 8601; with its offset, or UTC without one; earlier than 'to'"
TO_HELP = "exclusive, ISO 8601; with its offset, or UTC without one"


class Outcome(StrEnum):
    success = OUTCOMES[0]
    denied = OUTCOMES[1]
    error = OUTCOMES[2]


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"
    bundle = "bundle"  # events + checkpoints + purge anchors + public keys (docs/audit-format.md)


# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


CLIENT_HELP = ("the bank's client id: the events about that client (under every pseudonym key version); the id "
               "is turned into its pseudonyms here and recorded as the current one, never as given")


def _pseudonyms(ring: PseudonymKeyRing, client_id: str | None) -> list[str]:
    """The pseudonyms (every key version, current first) of ``client_id``, or 422 naming it."""
    if client_id is None:
        return []
    try:
        return [p.value for p in ring.candidates(client_id)]
    except MalformedClientId as exc:
        raise malformed_client_id(exc, "query") from None


def _filters(
    actor: str | None, action: str | None, outcome: Outcome | None,
    start: datetime | None, end: datetime | None, pseudonyms: list[str] | None = None,
) -> list[Any]:
    start, end = utc_period(start, end)
    conditions: list[Any] = []
    if pseudonyms:
        conditions.append(AuditEvent.resource.in_(pseudonyms))
    if actor:
        # Usernames are lower case (the login folds them): "Conseiller" finds "conseiller"; an
        # actor written otherwise (a CLI operator "cli:Root") is still found as written.
        actor = actor.strip()
        conditions.append(AuditEvent.actor.in_(sorted({actor, actor.lower()})))
    if action:
        conditions.append(AuditEvent.action == action)
    if outcome:
        conditions.append(AuditEvent.outcome == outcome.value)
    if start:
        conditions.append(AuditEvent.ts >= start)
    if end:
        conditions.append(AuditEvent.ts < end)
    return conditions


@router.get("/events", response_model=AuditPage)
def list_events(
    actor: str | None = Query(None, max_length=64),
    action: str | None = Query(None, max_length=64),
    outcome: Outcome | None = None,
    start: datetime | None = Query(None, alias="from", description=FROM_HELP),
    end: datetime | None = Query(None, alias="to", description=TO_HELP),
    client_id: str | None = Query(None, max_length=32, description=CLIENT_HELP),
    cursor: int | None = Query(None, ge=1, le=CURSOR_MAX, description="next_cursor of the previous page"),
    limit: int = Query(100, ge=1, le=MAX_PAGE),
    ctx: RequestContext = Depends(guard(Permission.audit_read, AuditAction.audit_read)),
) -> AuditPage:
    """Newest first. Pass ``next_cursor`` back as ``cursor`` for the next page. ``client_id``
    answers "who read, scored or decided about this client" (the events whose resource is one
    of its pseudonyms)."""
    pseudonyms = _pseudonyms(ctx.request.app.state.pseudonym_ring, client_id)
    conditions = _filters(actor, action, outcome, start, end, pseudonyms)
    if cursor is not None:
        conditions.append(AuditEvent.seq < cursor)
    rows = ctx.db.execute(
        select(AuditEvent).where(*conditions).order_by(AuditEvent.seq.desc()).limit(limit + 1)
    ).scalars().all()
    page = [AuditEventOut(**event_dict(r) | {"ts": r.ts}) for r in rows[:limit]]
    next_cursor = page[-1].seq if len(rows) > limit else None
    ctx.audit(
        details={"filters": {k: v for k, v in {
            "actor": actor, "action": action, "outcome": outcome and outcome.value,
            "from": start and start.isoformat(), "to": end and end.isoformat(), "cursor": cursor,
            # The client searched for, as every event names a client: its pseudonym, never the id.
            "client": pseudonyms[0] if pseudonyms else None,
        }.items() if v is not None}, "returned": len(page)},
    )
    return AuditPage(events=page, next_cursor=next_cursor)


@router.get("/verify", response_model=VerificationOut)
def verify(
    ctx: RequestContext = Depends(guard(Permission.audit_verify, AuditAction.audit_verify, long_running=True)),
) -> VerificationOut:
    """Recompute the whole chain, check every signed checkpoint and purge anchor, and compare
    with the witness outside the database. Events committed but not chained yet are counted
    (``unchained_events``, ``sequencer_lag_seconds``), chained, then verified too."""
    ctx.db.rollback()  # end the authentication's read: the sequencer chains on its own connection
    result = verify_trail(
        ctx.db, ctx.request.app.state.checkpoint_signer, ctx.request.app.state.retired_audit_keys,
        ctx.request.app.state.audit_witness,
    )
    ctx.db.rollback()
    ctx.audit(outcome="success", details={"valid": result.valid, "first_invalid_seq": result.first_invalid_seq})
    return VerificationOut(**result_dict(result))


@dataclass(frozen=True)
class ExportQuery:
    """An export's parameters, validated."""

    format: ExportFormat
    conditions: list[Any]
    client: str | None = None  # the client filtered on, as its current pseudonym


async def export_query(
    request: Request,
    format: ExportFormat = Query(ExportFormat.jsonl),  # noqa: A002 - the public parameter name
    actor: str | None = Query(None, max_length=64),
    action: str | None = Query(None, max_length=64),
    outcome: Outcome | None = None,
    start: datetime | None = Query(None, alias="from", description=FROM_HELP),
    end: datetime | None = Query(None, alias="to", description=TO_HELP),
    client_id: str | None = Query(None, max_length=32, description=CLIENT_HELP),
) -> ExportQuery:
    """The export's parameters, or a 422 naming each bad field. A dependency solved after the
    guard admitted the token (401/403 first) and before the guard's database part runs: a
    refused export is neither audited nor counted against the export budget (whichever
    limiter counts it)."""
    given = {"actor": actor, "action": action, "outcome": outcome, "from": start, "to": end, "client_id": client_id}
    if format is ExportFormat.bundle and any(v is not None for v in given.values()):
        raise RequestValidationError([
            {"loc": ("query", name), "type": "not_allowed_with_bundle",
             "msg": "filters are not allowed with format=bundle, which exports the whole chain"}
            for name, value in given.items() if value is not None
        ])
    pseudonyms = _pseudonyms(request.app.state.pseudonym_ring, client_id)
    return ExportQuery(format, _filters(actor, action, outcome, start, end, pseudonyms),
                       pseudonyms[0] if pseudonyms else None)


@router.get("/export", response_class=StreamingResponse, responses=RATE_LIMITED_RESPONSES)
def export(
    ctx: RequestContext = Depends(guard(Permission.audit_export, AuditAction.audit_export, rate="export")),
    query: ExportQuery = Depends(export_query),
) -> StreamingResponse:
    """Stream the events (oldest first) as JSON lines or CSV, up to the head at request time.

    ``bundle`` is the verifiable export: every event with the checkpoints, purge anchors and
    public keys, for an offline verifier (``verifier/octroi_verify.py``); it takes no filter.
    A refused request (a bad period, a filter with ``bundle``) changes nothing: not audited,
    not counted against the export budget.
    """
    fmt, conditions = query.format, query.conditions
    exported = ctx.audit(details={"format": fmt.value} | ({"client": query.client} if query.client else {}))
    # The export covers the chain up to and including its own audit event.
    head = chained_seq(ctx.db, exported)
    factory = ctx.request.app.state.sessionmaker

    def rows() -> Iterator[dict[str, Any]]:
        after = 0
        with factory() as session:
            while True:
                batch = session.execute(
                    select(AuditEvent)
                    .where(AuditEvent.seq > after, AuditEvent.seq <= head, *conditions)
                    .order_by(AuditEvent.seq)
                    .limit(EXPORT_BATCH)
                ).scalars().all()
                session.rollback()  # release SQLite's write lock between batches
                if not batch:
                    return
                for row in batch:
                    yield event_dict(row)
                after = batch[-1].seq

    if fmt is ExportFormat.bundle:
        signer = ctx.request.app.state.checkpoint_signer
        retired = ctx.request.app.state.retired_audit_keys
        signed, lines = bundle_lines(factory, signer, retired)
        return StreamingResponse(
            lines, media_type="application/x-ndjson",
            headers={"Content-Disposition": f'attachment; filename="audit-bundle-{signed}.jsonl"'},
        )
    if fmt is ExportFormat.jsonl:
        body: Iterator[str] = (json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows())
        media, suffix = "application/x-ndjson", "jsonl"
    else:
        body = _csv_lines(rows())
        media, suffix = "text/csv; charset=utf-8", "csv"
    return StreamingResponse(
        body, media_type=media,
        headers={"Content-Disposition": f'attachment; filename="audit-{head}.{suffix}"'},
    )


def _csv_lines(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    for row in rows:
        cells = row | {"details": json.dumps(row["details"], sort_keys=True)}
        writer.writerow({name: _neutralise(value) for name, value in cells.items()})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _neutralise(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading quote (OWASP advice).

    The JSON lines and bundle exports keep the exact values: they are what the hash covers.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
