"""Decision lifecycle endpoints: decide (or revise), history, contest, review; reproduce.

Advisor routes are scoped by the bank's client id (pseudonymized on arrival): a decision id of
another client answers the same 404 as an unknown one. Every call writes one audit event in
its own transaction, fail-closed; a refused call is audited with ``outcome="error"`` and
changes nothing.

A write names what its advisor read (the decision in force, the contested decision, the open
contest): when the file moved on meanwhile it is refused with 409 ``decision_changed``
(``backend.decisions.service``), so nobody overturns a decision they have not seen.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from fastapi.exceptions import RequestValidationError

from backend.api.routing import GuardedRoute
from backend.audit.actions import AuditAction
from backend.auth.deps import RequestContext, guard
from backend.clients.guard import ClientContext, client_guard
from backend.clients.schemas import Lang
from backend.decisions import service
from backend.decisions.models import DecisionContest
from backend.decisions.schemas import (
    ContestRecord,
    ContestRequest,
    DecisionEntry,
    DecisionHistory,
    DecisionRequest,
    Reproduction,
    ReviewRequest,
    ReviewResult,
)
from backend.errors import AUTH_ERRORS, ApiProblem, ErrorCode, default_code
from backend.privacy.models import AdvisorDecision
from backend.privacy.schemas import DecisionRecord
from backend.ratelimit import RATE_LIMITED_RESPONSES
from backend.scoring import service as scoring
from security.audit_chain import key_id_of
from security.pseudonym import mentions_client_id, normalize_client_id
from security.rbac import Permission

router = APIRouter(tags=["oversight"], route_class=GuardedRoute)

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No current client under this id, or no such decision for this client"},
    409: {"description": "The lifecycle refuses it now (`decision_changed`: the file changed since it was read; "
          "contest open, decision superseded, ...)"},
    422: {"description": "Malformed id or body; the field is named"},
    503: {"description": "Audit trail (or the model) unavailable"},
}
DecisionId = Path(ge=1, le=2**53, description="A decision id, from the client's decision history")


def _refuse(ctx: RequestContext, resource: str | None, exc: service.LifecycleError, **extra: Any) -> Exception:
    """Audit the refusal (nothing else is kept) and turn it into the HTTP answer."""
    ctx.refuse(resource=resource, outcome="error", details={"reason": exc.code, **extra, **exc.details})
    if exc.status == 422:
        return RequestValidationError([{"loc": ("body", exc.field or "request"), "msg": exc.message,
                                        "type": exc.code}])
    return _problem(exc)


def _problem(exc: service.LifecycleError) -> HTTPException:
    """The lifecycle's refusal with its machine-readable code (``backend.errors.ErrorCode``).

    A refusal whose code the enum does not list (yet) gets its status's code and names its rule
    as a ``FieldError.reason`` (``errors``), so a consumer still branches on a stable name."""
    try:
        return ApiProblem(exc.status, ErrorCode(exc.code), exc.message)
    except ValueError:
        return ApiProblem(exc.status, default_code(exc.status), exc.message, field=exc.field or "request",
                          reasons=(exc.code,))


def _no_client_id_in(text: str | None, client_id: str, field: str) -> None:
    # Invariant 1: the bank's id must not reach a table through free text either.
    if text and mentions_client_id(text, normalize_client_id(client_id)):  # spaced, full-width ids too
        raise RequestValidationError([{"loc": ("body", field), "msg": "must not contain the client id",
                                       "type": "contains_client_id"}])


def _scored(ctx: ClientContext) -> service.Scored:
    client, bundle, cache = ctx.client, ctx.model, ctx.cache
    input_hash = bundle.input_hash(client.features)
    # The same cached score the advisor was shown, so the recommendation matches the screen.
    value = scoring.client_score(cache, bundle, client.pseudonym, client.features, input_hash, "fr")
    return service.Scored(recommendation=value["decision"], model_version=bundle.version, input_hash=input_hash)


def contest_record(row: DecisionContest) -> ContestRecord:
    return ContestRecord(
        id=row.id, decision_id=row.decision_id, statement=row.statement, contested_at=row.contested_at,
        recorded_by=row.recorded_by, status=row.status,  # type: ignore[arg-type]
        reviewer=row.reviewer, review_reason=row.review_reason, reviewed_at=row.reviewed_at,
        revision_id=row.revision_id,
    )


def entry(row: AdvisorDecision, contests: list[DecisionContest], current: bool) -> DecisionEntry:
    return DecisionEntry(
        id=row.id, kind="revision" if row.revises_id else "decision", revises=row.revises_id,
        decision=row.decision, recommendation=row.recommendation,  # type: ignore[arg-type]
        is_override=row.is_override, model_version=row.model_version, input_hash=row.input_hash,
        snapshot_id=row.snapshot_id, advisor=row.advisor, reason=row.reason, decided_at=row.decided_at,
        current=current, contests=[contest_record(c) for c in contests],
    )


@router.post("/clients/{client_id}/decision", response_model=DecisionRecord, status_code=201, responses={
    **_ERRORS, 403: {"description": f"{AUTH_ERRORS['403']}; a review of this advisor's decision made or kept the one "
                                    "in force (`review_final`): another advisor may revise it"},
})
def record_decision(
    client_id: str,
    body: DecisionRequest,
    ctx: ClientContext = Depends(client_guard(Permission.decisions_record, AuditAction.decision_record)),
) -> DecisionRecord:
    """The advisor's final decision (GDPR Art. 22, AI Act Art. 14), with a snapshot of what the
    model saw. A reason is mandatory when it departs from the model's recommendation, and when
    the client already has a decision (then this one is a revision of it, and must change the
    verdict). ``revises`` names the decision the advisor read as in force (null for none): another
    one in force now is 409 ``decision_changed``. Never the probability."""
    client = ctx.client
    _no_client_id_in(body.reason, client_id, "reason")
    scored = _scored(ctx)
    try:
        row = service.decide(ctx.db, client=client, candidates=ctx.candidates(client_id), scored=scored,
                             decision=body.decision, reason=body.reason, advisor=ctx.principal.username,
                             revises=body.revises)
    except service.LifecycleError as exc:
        raise _refuse(ctx, client.pseudonym, exc, decision=body.decision, revises=body.revises) from None
    ctx.audit(
        resource=client.pseudonym,
        model_version=scored.model_version, input_hash=scored.input_hash,
        details={"decision_id": row.id, "decision": row.decision, "recommendation": row.recommendation,
                 "override": row.is_override, "revises": row.revises_id, "snapshot_id": row.snapshot_id},
    )
    return DecisionRecord(
        id=row.id, pseudonym=client.pseudonym, decision=row.decision,  # type: ignore[arg-type]
        recommendation=row.recommendation, is_override=row.is_override,  # type: ignore[arg-type]
        model_version=row.model_version, advisor=row.advisor, reason=row.reason, decided_at=row.decided_at,
        revises=row.revises_id,
    )


@router.get("/clients/{client_id}/decisions", response_model=DecisionHistory, responses=_ERRORS)
def decision_history(
    client_id: str,
    ctx: ClientContext = Depends(
        client_guard(Permission.decisions_record, AuditAction.decision_history, model="none")
    ),
) -> DecisionHistory:
    """Every decision on this client, oldest first: who, when, decision, the model's
    recommendation, reason; revisions name what they replace; contests and their reviews."""
    client = ctx.client
    rows = service.history(ctx.db, ctx.candidates(client_id))
    contests = service.contests_of(ctx.db, [r.id for r in rows])
    entries = [entry(r, contests.get(r.id, []), i == len(rows) - 1) for i, r in enumerate(rows)]
    result = DecisionHistory(pseudonym=client.pseudonym, current=entries[-1] if entries else None, entries=entries)
    ctx.audit(resource=client.pseudonym, details={"decisions": len(entries)})
    return result


@router.post("/clients/{client_id}/decisions/{decision_id}/contest", response_model=ContestRecord,
             status_code=201, responses=_ERRORS)
def contest_decision(
    client_id: str,
    body: ContestRequest,
    decision_id: int = DecisionId,
    ctx: ClientContext = Depends(
        client_guard(Permission.decisions_record, AuditAction.decision_contest, model="none")
    ),
) -> ContestRecord:
    """The applicant contests the decision in force and asks for a human review: their point
    of view is recorded (Consumer Credit Directive 2023/2225 art. 18, GDPR art. 22(3))."""
    client = ctx.client
    _no_client_id_in(body.statement, client_id, "statement")
    try:
        row = service.contest(ctx.db, client=client, candidates=ctx.candidates(client_id), decision_id=decision_id,
                              statement=body.statement, recorded_by=ctx.principal.username)
    except service.LifecycleError as exc:
        raise _refuse(ctx, client.pseudonym, exc, decision_id=decision_id) from None
    ctx.audit(resource=client.pseudonym, details={"decision_id": decision_id, "contest_id": row.id})
    return contest_record(row)


@router.post("/clients/{client_id}/decisions/{decision_id}/review", response_model=ReviewResult,
             responses={**_ERRORS, 403: {"description": "The reviewer took the contested decision "
                                                        "(`reviewer_is_decider`), or a review of their decision "
                                                        "made it (`review_final`)"}})
def review_decision(
    client_id: str,
    body: ReviewRequest,
    decision_id: int = DecisionId,
    ctx: ClientContext = Depends(client_guard(Permission.decisions_record, AuditAction.decision_review)),
) -> ReviewResult:
    """Another advisor reviews the open contest: ``upheld`` keeps the decision, ``revised``
    replaces it with ``decision`` (a revision with the reviewer's reason). ``contest``, when
    given, is the open contest the reviewer read (409 ``decision_changed`` if another is open)."""
    client = ctx.client
    _no_client_id_in(body.reason, client_id, "reason")
    scored: list[service.Scored] = []

    def score_now() -> service.Scored:
        scored.append(_scored(ctx))
        return scored[-1]

    try:
        contest, revision = service.review(
            ctx.db, client=client, candidates=ctx.candidates(client_id), decision_id=decision_id,
            reviewer=ctx.principal.username, outcome=body.outcome, decision=body.decision, reason=body.reason,
            scored=score_now, contest_id=body.contest,
        )
    except service.LifecycleError as exc:
        raise _refuse(ctx, client.pseudonym, exc, decision_id=decision_id) from None
    ctx.audit(
        resource=client.pseudonym,
        model_version=scored[-1].model_version if scored else None,
        input_hash=scored[-1].input_hash if scored else None,
        # A revision's verdict as recorded: ``octroi audit verify`` compares its row with it.
        details={"decision_id": decision_id, "contest_id": contest.id, "outcome": contest.status,
                 "revision_id": revision.id if revision is not None else None}
        | ({"revision_decision": revision.decision, "revision_recommendation": revision.recommendation,
            "revision_override": revision.is_override} if revision is not None else {}),
    )
    return ReviewResult(contest=contest_record(contest),
                        revision=entry(revision, [], True) if revision is not None else None)


@router.get("/privacy/decisions/{decision_id}/reproduce", response_model=Reproduction,
            responses={**_ERRORS, **RATE_LIMITED_RESPONSES})
def reproduce_decision(
    decision_id: int = DecisionId,
    lang: Lang = "fr",
    top: int = Query(default=10, ge=1, le=50, description="How many contributions to list"),
    # It answers a probability: it spends the one scoring budget like every such route.
    ctx: RequestContext = Depends(guard(Permission.privacy_manage, AuditAction.decision_reproduce, rate="scoring")),
) -> Reproduction:
    """Recompute a past decision's score and explanation from its snapshot with the model
    version it was taken under (from the registry), check the input hash against the decision
    and its audit event, and say "identical" or exactly what differs. Nothing is stored."""
    follower = ctx.request.app.state.model_follower
    try:
        state = ctx.request.app.state
        keys = [*state.retired_audit_keys, state.checkpoint_signer.public_key]
        result = service.reproduce(ctx.db, decision_id, follower.bundle_for, lang, top,
                                   {key_id_of(key): key for key in keys})
    except service.LifecycleError as exc:
        ctx.refuse(outcome="error", details={"decision_id": decision_id, "reason": exc.code})
        if exc.status == 422:
            raise RequestValidationError([{"loc": ("path", "decision_id"), "msg": exc.message,
                                           "type": exc.code}]) from None
        raise _problem(exc) from None
    ctx.audit(
        resource=result.pop("pseudonym"),
        model_version=result["model_version"], input_hash=result.pop("input_hash"),
        details={"decision_id": decision_id, "verdict": result["verdict"],
                 "differences": [d["check"] for d in result["differences"]]},
    )
    return Reproduction(**result)
