"""Advisor endpoints on one client: profile, score, explanation, comparison, similar clients.

The bank's client id arrives in the path and is turned into a pseudonym before anything
else; it is never logged (the access log shows the route template), audited, stored or
echoed in an error. Model work runs in plain ``def`` routes (FastAPI's thread pool).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm import Session

from backend.api.deps import get_db
from backend.audit.service import commit_audited
from backend.auth.deps import Principal, require
from backend.cache import ResultCache
from backend.clients.models import Client
from backend.clients.schemas import ClientProfile, Comparison, Explanation, Lang, Score, Similar
from backend.clients.service import ClientNotFound, find_client, readable_profile
from backend.ratelimit import RATE_LIMITED_RESPONSES, rate_limit
from backend.registry.live import shadow_score
from backend.scoring import service as scoring
from backend.scoring.model import get_bundle, get_cache, get_keyring
from security.pseudonym import MalformedClientId, PseudonymKeyRing
from security.rbac import Permission

router = APIRouter(prefix="/clients", tags=["clients"])

NOT_FOUND = "client not found"
# Enough points for a readable scatter; more only makes the answer heavy.
MAX_SAMPLE = 2000
_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No current client under this id (never imported or erased)"},
    422: {"description": "Malformed client id or parameter"},
    503: {"description": "Model or audit trail unavailable"},
}


def malformed_client_id(exc: MalformedClientId, *where: str) -> RequestValidationError:
    return RequestValidationError(
        [{"loc": (*where, "client_id"), "msg": str(exc).removeprefix("client_id "), "type": "value_error"}]
    )


def load_client(
    db: Session, request: Request, principal: Principal, ring: PseudonymKeyRing, client_id: str, action: str
) -> Client:
    """The client, or 422 (malformed id) / 404 (unknown or erased: one answer for both)."""
    try:
        return find_client(db, ring, client_id)
    except MalformedClientId as exc:
        raise malformed_client_id(exc, "path") from None
    except ClientNotFound:
        db.rollback()
        # The attempt is audited, without the id: it could be a real one with a typo.
        commit_audited(db, request, principal, action=action, outcome="error", details={"reason": "not_found"})
        raise HTTPException(status_code=404, detail=NOT_FOUND) from None


@router.get("/{client_id}", response_model=ClientProfile, responses=_ERRORS)
def read_client(
    client_id: str,
    request: Request,
    lang: Lang = "fr",
    principal: Principal = Depends(require(Permission.clients_read)),
    db: Session = Depends(get_db),
    ring: PseudonymKeyRing = Depends(get_keyring),
) -> ClientProfile:
    """The client's pseudonym and a readable profile (age in years, amounts, family, ...)."""
    client = load_client(db, request, principal, ring, client_id, "client.read")
    holder = request.app.state.model
    bundle = holder.loaded
    result = ClientProfile(
        pseudonym=client.pseudonym,
        key_version=client.key_version,
        imported_at=client.imported_at,
        profile=readable_profile(client.features, lang),
    )
    commit_audited(
        db, request, principal, action="client.read", resource=client.pseudonym,
        model_version=bundle.version if bundle else None,
        input_hash=bundle.input_hash(client.features) if bundle else None,
    )
    return result


@router.get("/{client_id}/score", response_model=Score, responses={**_ERRORS, **RATE_LIMITED_RESPONSES})
def client_score(
    client_id: str,
    request: Request,
    lang: Lang = "fr",
    principal: Principal = Depends(require(Permission.scores_compute)),
    _limit: None = Depends(rate_limit("scoring")),
    db: Session = Depends(get_db),
    ring: PseudonymKeyRing = Depends(get_keyring),
    bundle: Any = Depends(get_bundle),
    cache: ResultCache = Depends(get_cache),
) -> Score:
    """Probability of default, decision at the threshold, confidence, risk band, 0-1000 score."""
    client = load_client(db, request, principal, ring, client_id, "score.compute")
    input_hash = bundle.input_hash(client.features)
    value = scoring.client_score(cache, bundle, client.pseudonym, client.features, input_hash, lang)
    shadow_score(request, client.features, value)  # the challenger, off the response path
    commit_audited(
        db, request, principal, action="score.compute", resource=client.pseudonym,
        model_version=bundle.version, input_hash=input_hash,
    )
    return Score(pseudonym=client.pseudonym, **value)


@router.get("/{client_id}/explanation", response_model=Explanation, responses={**_ERRORS, **RATE_LIMITED_RESPONSES})
def client_explanation(
    client_id: str,
    request: Request,
    top: int = Query(default=10, ge=1, le=50, description="How many contributions to list"),
    lang: Lang = "fr",
    principal: Principal = Depends(require(Permission.scores_compute)),
    _limit: None = Depends(rate_limit("scoring")),
    db: Session = Depends(get_db),
    ring: PseudonymKeyRing = Depends(get_keyring),
    bundle: Any = Depends(get_bundle),
    cache: ResultCache = Depends(get_cache),
) -> Explanation:
    """Base value + SHAP contributions (log-odds and probability points) + plain-language text."""
    client = load_client(db, request, principal, ring, client_id, "explanation.read")
    input_hash = bundle.input_hash(client.features)
    value = scoring.client_explanation(cache, bundle, client.pseudonym, client.features, input_hash, top, lang)
    shadow_score(request, client.features, value)  # the challenger, off the response path
    commit_audited(
        db, request, principal, action="explanation.read", resource=client.pseudonym,
        model_version=bundle.version, input_hash=input_hash, details={"top": top},
    )
    return Explanation(pseudonym=client.pseudonym, **value)


@router.get("/{client_id}/comparison", response_model=Comparison, responses=_ERRORS)
def client_comparison(
    client_id: str,
    request: Request,
    top: int = Query(default=8, ge=1, le=30, description="How many of the most important features"),
    sample: int = Query(
        default=0, ge=0, le=MAX_SAMPLE,
        description="How many anonymous population rows (with outcome) to add for scatter plots",
    ),
    lang: Lang = "fr",
    principal: Principal = Depends(require(Permission.clients_read)),
    db: Session = Depends(get_db),
    ring: PseudonymKeyRing = Depends(get_keyring),
    bundle: Any = Depends(get_bundle),
) -> Comparison:
    """The client against the training population on the top features (percentiles,
    histograms) and, with ``sample`` > 0, a fixed anonymous sample of the population."""
    client = load_client(db, request, principal, ring, client_id, "client.compare")
    input_hash = bundle.input_hash(client.features)
    value = scoring.comparison(bundle, client.features, lang, top, sample)
    commit_audited(
        db, request, principal, action="client.compare", resource=client.pseudonym,
        model_version=bundle.version, input_hash=input_hash, details={"top": top, "sample": sample},
    )
    return Comparison(pseudonym=client.pseudonym, model_version=bundle.version, lang=lang, **value)


@router.get("/{client_id}/similar", response_model=Similar, responses=_ERRORS)
def client_similar(
    client_id: str,
    request: Request,
    k: int = Query(default=10, ge=1, le=100, description="How many anonymous prototypes (nearest first)"),
    lang: Lang = "fr",
    principal: Principal = Depends(require(Permission.clients_read)),
    db: Session = Depends(get_db),
    ring: PseudonymKeyRing = Depends(get_keyring),
    bundle: Any = Depends(get_bundle),
) -> Similar:
    """The k nearest anonymous prototypes: groups of at least ``min_size`` training clients with
    their size, default rate, distance and feature medians; no person, row or identifier."""
    client = load_client(db, request, principal, ring, client_id, "client.similar")
    input_hash = bundle.input_hash(client.features)
    value = scoring.similar(bundle, client.features, k, lang)
    commit_audited(
        db, request, principal, action="client.similar", resource=client.pseudonym,
        model_version=bundle.version, input_hash=input_hash, details={"k": k},
    )
    return Similar(pseudonym=client.pseudonym, model_version=bundle.version, k=len(value["prototypes"]), **value)
