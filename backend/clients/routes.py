"""Advisor endpoints on one client: profile, score, explanation, comparison, similar clients.

The bank's client id arrives in the path and is turned into a pseudonym before anything
else; it is never logged (the access log shows the route template), audited, stored or
echoed in an error. Model work runs in plain ``def`` routes (FastAPI's thread pool).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from backend.api.routing import GuardedRoute
from backend.audit.actions import AuditAction
from backend.clients.guard import ClientContext, client_guard
from backend.clients.schemas import ClientProfile, Comparison, Explanation, Lang, Score, Similar
from backend.clients.service import readable_profile
from backend.ratelimit import RATE_LIMITED_RESPONSES
from backend.registry.live import shadow_score
from backend.scoring import service as scoring
from ml.policy import FairLendingPolicy
from security.rbac import Permission

router = APIRouter(prefix="/clients", tags=["clients"], route_class=GuardedRoute)

# Enough points for a readable scatter; more only makes the answer heavy.
MAX_SAMPLE = 2000
_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No current client under this id (never imported or erased)"},
    422: {"description": "Malformed client id or parameter"},
    503: {"description": "Model or audit trail unavailable"},
}


@router.get("/{client_id}", response_model=ClientProfile, responses=_ERRORS)
def read_client(
    client_id: str,
    lang: Lang = "fr",
    ctx: ClientContext = Depends(client_guard(Permission.clients_read, AuditAction.client_read, model="loaded")),
) -> ClientProfile:
    """The client's pseudonym and a readable profile (age in years, amounts, family, ...)."""
    client, bundle = ctx.client, ctx.bundle
    result = ClientProfile(
        pseudonym=client.pseudonym,
        key_version=client.key_version,
        imported_at=client.imported_at,
        # Not what the model may not use (decision 0031); the default policy without a model.
        profile=readable_profile(client.features, lang, (bundle.policy if bundle else FairLendingPolicy.default()).excluded_columns),
    )
    ctx.audit(
        resource=client.pseudonym,
        model_version=bundle.version if bundle else None,
        input_hash=bundle.input_hash(client.features) if bundle else None,
    )
    return result


@router.get("/{client_id}/score", response_model=Score, responses={**_ERRORS, **RATE_LIMITED_RESPONSES})
def client_score(
    client_id: str,
    lang: Lang = "fr",
    ctx: ClientContext = Depends(client_guard(Permission.scores_compute, AuditAction.score_compute, rate="scoring")),
) -> Score:
    """Probability of default, decision at the threshold, borderline flag, risk grade, 0-1000 score."""
    client, bundle = ctx.client, ctx.model
    input_hash = bundle.input_hash(client.features)
    value = scoring.client_score(ctx.cache, bundle, client.pseudonym, client.features, input_hash, lang)
    shadow_score(ctx.request, client.pseudonym, client.features, value)  # the challenger, off the response path
    ctx.audit(resource=client.pseudonym, model_version=bundle.version, input_hash=input_hash)
    # Not cached with the score: the list follows the stored file, not the cache's key.
    return Score(pseudonym=client.pseudonym, unlearned_unknowns=scoring.unlearned_unknowns(bundle, client.features), **value)


@router.get("/{client_id}/explanation", response_model=Explanation, responses={**_ERRORS, **RATE_LIMITED_RESPONSES})
def client_explanation(
    client_id: str,
    top: int = Query(default=10, ge=1, le=50, description="How many contributions to list"),
    lang: Lang = "fr",
    ctx: ClientContext = Depends(
        client_guard(Permission.scores_compute, AuditAction.explanation_read, rate="scoring")
    ),
) -> Explanation:
    """Base value + SHAP contributions (log-odds and probability points) + plain-language text."""
    client, bundle = ctx.client, ctx.model
    input_hash = bundle.input_hash(client.features)
    value = scoring.client_explanation(ctx.cache, bundle, client.pseudonym, client.features, input_hash, top, lang)
    shadow_score(ctx.request, client.pseudonym, client.features, value)  # the challenger, off the response path
    ctx.audit(resource=client.pseudonym, model_version=bundle.version, input_hash=input_hash, details={"top": top})
    return Explanation(pseudonym=client.pseudonym, **value)


@router.get("/{client_id}/comparison", response_model=Comparison, responses=_ERRORS)
def client_comparison(
    client_id: str,
    top: int = Query(default=8, ge=1, le=30, description="How many of the most important features; "
                     "every atypical feature (counted in ``atypicality``) is added after them"),
    sample: int = Query(
        default=0, ge=0, le=MAX_SAMPLE,
        description="How many anonymous population rows (with outcome) to add for scatter plots",
    ),
    lang: Lang = "fr",
    ctx: ClientContext = Depends(client_guard(Permission.clients_read, AuditAction.client_compare)),
) -> Comparison:
    """The client against the training population on the top features (percentiles,
    histograms) and, with ``sample`` > 0, a fixed anonymous sample of the population."""
    client, bundle = ctx.client, ctx.model
    input_hash = bundle.input_hash(client.features)
    value = scoring.comparison(bundle, client.features, lang, top, sample)
    ctx.audit(resource=client.pseudonym, model_version=bundle.version, input_hash=input_hash,
              details={"top": top, "sample": sample})
    return Comparison(pseudonym=client.pseudonym, model_version=bundle.version, lang=lang, **value)


@router.get("/{client_id}/similar", response_model=Similar, responses=_ERRORS)
def client_similar(
    client_id: str,
    k: int = Query(default=10, ge=1, le=100, description="How many anonymous prototypes (nearest first)"),
    lang: Lang = "fr",
    ctx: ClientContext = Depends(client_guard(Permission.clients_read, AuditAction.client_similar)),
) -> Similar:
    """The k nearest anonymous prototypes: groups of at least ``min_size`` training clients with
    their size, default rate, distance and feature medians; no person, row or identifier."""
    client, bundle = ctx.client, ctx.model
    input_hash = bundle.input_hash(client.features)
    value = scoring.similar(bundle, client.features, k, lang)
    ctx.audit(resource=client.pseudonym, model_version=bundle.version, input_hash=input_hash, details={"k": k})
    return Similar(pseudonym=client.pseudonym, model_version=bundle.version, k=len(value["prototypes"]), **value)
