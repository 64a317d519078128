"""Data-subject rights, human oversight and the processing register.

Every route is audited in its own transaction, fail-closed (503 when the audit write fails,
and then nothing is erased, recorded or returned). The bank's client id arrives in the path
and becomes a pseudonym first (``backend.clients.guard``); it is never stored,
logged or echoed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi import Path as FastApiPath
from fastapi.responses import JSONResponse

from backend.api.period import utc_period
from backend.api.routing import GuardedRoute
from backend.audit.actions import AuditAction
from backend.auth.deps import RequestContext, guard
from backend.clients.guard import ClientContext, client_guard, malformed_client_id
from backend.clients.schemas import Lang
from backend.decisions import service as decisions_service
from backend.errors import ApiProblem, ErrorCode
from backend.jobs.trigger import spawn_after_change
from backend.privacy import erasure_requests, service
from backend.privacy.models import ErasureRequest
from backend.privacy.register import build_register
from backend.privacy.schemas import (
    ClientExport,
    ErasureRequestList,
    ErasureRequestOut,
    ErasureResult,
    ErasureStatus,
    OverridesReport,
    ProcessingRegister,
    RetentionStatus,
)
from backend.ratelimit import RATE_LIMITED_RESPONSES
from backend.scoring.model import get_keyring
from security.pseudonym import MalformedClientId, PseudonymKeyRing
from security.rbac import Permission

router = APIRouter(tags=["privacy"], route_class=GuardedRoute)

DEFAULT_OVERRIDES_DAYS = 30
_CLIENT_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No current client under this id (never imported or erased)"},
    422: {"description": "Malformed client id or parameter"},
    503: {"description": "Audit trail (or, for decisions, the model) unavailable"},
}


@router.get("/privacy/clients/{client_id}/export", response_model=ClientExport,
            responses={**_CLIENT_ERRORS, **RATE_LIMITED_RESPONSES})
def export_client(
    client_id: str,
    lang: Lang = "fr",
    # It computes a probability: it spends the export budget like the audit export (issue 14).
    ctx: ClientContext = Depends(
        client_guard(Permission.privacy_manage, AuditAction.privacy_export, rate="export", model="loaded")
    ),
) -> ClientExport:
    """Art. 15/20: stored features with labels, how the decision is made (model, threshold,
    cost weights, current score and explanation computed now), decisions, audit events."""
    client, bundle = ctx.client, ctx.bundle
    export = service.build_export(
        ctx.db, client, ctx.candidates(client_id), bundle, lang,
        unavailable_reason="no model bundle is loaded; the stored data and history are complete",
    )
    # The export itself is not stored: the event says that it happened and on which inputs.
    ctx.audit(
        resource=client.pseudonym,
        model_version=bundle.version if bundle else None,
        input_hash=bundle.input_hash(client.features) if bundle else None,
        details={"audit_events": len(export.audit_events), "decisions": len(export.human_decisions)},
    )
    return export


@router.delete("/privacy/clients/{client_id}", response_model=ErasureResult,
               responses={**_CLIENT_ERRORS, **RATE_LIMITED_RESPONSES,
                          202: {"model": ErasureRequestOut, "description": "Erasure requested: another "
                                "compliance officer must confirm it (the same call); nothing erased yet"},
                          403: {"description": "four_eyes: you asked for this erasure; another officer confirms"},
                          409: {"description": "conflict: the request was decided while this call waited"}})
def erase_client_data(
    client_id: str,
    # Irreversible: a daily budget per user (OCTROI_RATE_LIMIT_ERASURE_PER_DAY), spent by the
    # request and by the confirmation; a miss (404) spends it too.
    ctx: ClientContext = Depends(
        client_guard(Permission.privacy_manage, AuditAction.privacy_erase, rate="erasure", model="none")
    ),
) -> ErasureResult | JSONResponse:
    """Art. 17, four-eyes (``backend.privacy.erasure_requests``): the first call records a
    request (202) and erases nothing; the same call by another compliance officer confirms it
    and erases: the features and cached results are deleted, a tombstone of the pseudonym
    kept, the client's decisions detached. Afterwards every client endpoint answers 404 for
    the id. The requester cannot confirm their own request (403 ``four_eyes``)."""
    client, cache = ctx.client, ctx.cache
    candidates = ctx.candidates(client_id)
    now = datetime.now(UTC)
    try:
        request, confirmed = erasure_requests.ask_or_confirm(
            ctx.db, candidates, client.pseudonym, ctx.principal.username, now)
    except erasure_requests.SameOfficer as exc:
        ctx.refuse(outcome="denied", resource=client.pseudonym,
                   details={"request": exc.request.id, "reason": "four_eyes"})
        raise ApiProblem(403, ErrorCode.four_eyes, str(exc)) from None
    except erasure_requests.NotPending as exc:
        ctx.refuse(outcome="error", resource=client.pseudonym, details={"reason": "decided_meanwhile"})
        raise ApiProblem(409, ErrorCode.conflict, str(exc)) from None
    except erasure_requests.NotRecorded as exc:
        ctx.refuse(outcome="denied", resource=client.pseudonym, details={"reason": "request_unrecorded"})
        raise ApiProblem.for_field(409, "client_id", str(exc), ("request_unrecorded",)) from None
    if not confirmed:
        ctx.audit(action=AuditAction.privacy_erase_request, resource=client.pseudonym,
                  details={"request": request.id})
        return JSONResponse(_request_out(request, now).model_dump(mode="json"), status_code=202)
    # Decision snapshots go and contests lose their link first (backend/decisions), then the rest.
    snapshots, contests = decisions_service.erase(ctx.db, candidates, now)
    erasure = service.erase(ctx.db, client, candidates, ctx.ring.candidates(client_id))
    # Before the commit: if the cache cannot be emptied, nothing is erased and the call fails.
    for pseudonym in candidates:
        cache.invalidate_pseudonym(pseudonym)
    ctx.audit(
        resource=erasure.pseudonym,
        details={"features_deleted": erasure.features_deleted,
                 "decisions_anonymised": erasure.decisions_anonymised,
                 "snapshots_deleted": snapshots, "contests_anonymised": contests,
                 "request": request.id, "requested_by": request.requested_by},
    )
    # Again after it: a read that raced the commit may have cached a result meanwhile.
    for pseudonym in candidates:
        cache.invalidate_pseudonym(pseudonym)
    spawn_after_change(ctx.request.app.state.settings, "erasure")  # aggregates recomputed off the API
    return ErasureResult(
        pseudonym=erasure.pseudonym, erased_at=erasure.erased_at, features_deleted=erasure.features_deleted,
        tombstone_kept=True, cache_invalidated=True, decisions_anonymised=erasure.decisions_anonymised,
        snapshots_deleted=snapshots, contests_anonymised=contests, requested_by=request.requested_by,
        request_id=request.id,
    )


def _request_out(request: ErasureRequest, now: datetime) -> ErasureRequestOut:
    return ErasureRequestOut(
        id=request.id, pseudonym=request.pseudonym, status=erasure_requests.status_of(request, now),
        requested_by=request.requested_by, requested_at=request.requested_at,
        expires_at=erasure_requests.expires_at(request), decided_by=request.decided_by,
        decided_at=request.decided_at,
    )


@router.get("/privacy/erasure-requests", response_model=ErasureRequestList)
def list_erasure_requests(
    status: Literal["pending", "confirmed", "refused", "expired"] = Query(
        "pending", description="pending (default): waiting for a second compliance officer"),
    ctx: RequestContext = Depends(guard(Permission.privacy_manage, AuditAction.privacy_erasure_requests)),
) -> ErasureRequestList:
    """The erasure requests in a status, newest first (pseudonyms, never a bank id)."""
    now = datetime.now(UTC)
    requests = [_request_out(r, now) for r in erasure_requests.listing(ctx.db, status, now)]
    ctx.audit(details={"status": status, "count": len(requests)})
    return ErasureRequestList(status=status, requests=requests)


@router.post("/privacy/erasure-requests/{request_id}/refuse", response_model=ErasureRequestOut,
             responses={404: {"description": "No pending erasure request under this number"}})
def refuse_erasure_request(
    request_id: int = FastApiPath(ge=1, le=2**62, description="The request's number"),
    ctx: RequestContext = Depends(guard(Permission.privacy_manage, AuditAction.privacy_erase_refuse)),
) -> ErasureRequestOut:
    """Refuse a pending erasure request (another officer), or withdraw it (its requester)."""
    now = datetime.now(UTC)
    try:
        request = erasure_requests.refuse(ctx.db, request_id, ctx.principal.username, now)
    except erasure_requests.NotPending as exc:
        # Audited like a client route's miss: numbers probed show in the trail.
        ctx.refuse(outcome="error", resource=f"erasure_request:{request_id}", details={"reason": "not_found"})
        raise ApiProblem(404, ErrorCode.not_found, str(exc)) from None
    ctx.audit(resource=request.pseudonym,
              details={"request": request.id, "requested_by": request.requested_by})
    return _request_out(request, now)


@router.get("/privacy/clients/{client_id}/erasure", response_model=ErasureStatus,
            responses={422: _CLIENT_ERRORS[422], **RATE_LIMITED_RESPONSES})
def erasure_status(
    client_id: str,
    # Each answer says whether a bank id is (or was) an applicant: a daily budget per user
    # (OCTROI_RATE_LIMIT_ERASURE_STATUS_PER_DAY), apart from the erasures'.
    ctx: RequestContext = Depends(
        guard(Permission.privacy_manage, AuditAction.privacy_erasure_status, rate="erasure_status")
    ),
    ring: PseudonymKeyRing = Depends(get_keyring),
) -> ErasureStatus:
    """Compliance only: was this bank id erased, and when? Erased, current client or unknown.

    Every other client route answers 404 for both an erased and an unknown id (on purpose: an
    advisor must not learn that someone was erased); compliance, which handles the erasure
    requests, may ask. The id is pseudonymised under every key version, so an erasure made
    before a key rotation is still found; the id itself is neither stored nor echoed."""
    try:
        candidates = ring.candidates(client_id)
    except MalformedClientId as exc:
        raise malformed_client_id(exc, "path") from None
    status, erased_at, pseudonym = service.erasure_status(ctx.db, candidates)
    ctx.audit(resource=pseudonym, details={"status": status})
    return ErasureStatus(status=status, erased_at=erased_at,  # type: ignore[arg-type]
                         key_versions_checked=len(candidates))


@router.get("/privacy/overrides", response_model=OverridesReport)
def overrides(
    start: datetime | None = Query(None, alias="from", description=f"inclusive, ISO 8601; default: "
                                   f"{DEFAULT_OVERRIDES_DAYS} days before 'to'"),
    end: datetime | None = Query(None, alias="to", description="exclusive, ISO 8601; default: now"),
    ctx: RequestContext = Depends(guard(Permission.privacy_manage, AuditAction.privacy_overrides)),
) -> OverridesReport:
    """How often advisors depart from the model, per advisor and overall (automation bias)."""
    # A given start is checked against the default end too (a start in the future: 422).
    start, end = utc_period(start, end or datetime.now(UTC))
    start = start or end - timedelta(days=DEFAULT_OVERRIDES_DAYS)
    report = service.overrides_report(ctx.db, start, end)
    ctx.audit(
        details={"from": start.isoformat(), "to": end.isoformat(), "decisions": report.overall.decisions},
    )
    return report


@router.get("/privacy/retention", response_model=RetentionStatus)
def retention(
    ctx: RequestContext = Depends(guard(Permission.privacy_manage, AuditAction.privacy_retention)),
) -> RetentionStatus:
    """The retention periods and what they mean today: how many applicants' files the purge
    (``octroi privacy purge``, run by the operator) would delete now and within the notice
    period, and the last purge. Counts only."""
    settings = ctx.request.app.state.settings
    result = service.retention_status(ctx.db, settings.client_retention_days, settings.audit_retention_days,
                                      datetime.now(UTC))
    ctx.audit(details={"clients_due": result.clients_due, "clients_due_soon": result.clients_due_soon})
    return result


@router.get("/privacy/register", response_model=ProcessingRegister)
def register(
    lang: Lang = "fr",
    ctx: RequestContext = Depends(guard(Permission.privacy_read, AuditAction.privacy_register)),
) -> ProcessingRegister:
    """The record of processing activities (GDPR Art. 30), built from the code's own metadata,
    in ``lang`` (every sentence and role name; identifiers stay as the code names them)."""
    state = ctx.request.app.state
    result = build_register(
        state.settings, state.auth_settings, state.model.loaded, state.pseudonym_ring.versions,
        state.checkpoint_signer.key_id, lang,
    )
    ctx.audit()
    return result

