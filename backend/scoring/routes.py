"""Simulation and model endpoints: what-if scores for advisors, the model card for everyone.

``GET /scoring/inputs`` publishes the simulation's input spec so forms are built from it.

``POST /scoring/simulate`` validates every field against the bundle's input spec (unknown
name -> 422 listing the allowed ones; wrong type or out of range -> 422 naming the field
and the range) and stores nothing: the audit event keeps only the input hash.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from backend.api.routing import GuardedRoute
from backend.audit.actions import AuditAction
from backend.auth.deps import RequestContext, guard
from backend.clients.guard import load_client
from backend.clients.schemas import Explanation, Lang, Score, Simulation, SimulationRequest
from backend.ratelimit import RATE_LIMITED_RESPONSES
from backend.scoring import service as scoring
from backend.scoring.card import FairnessReport, ModelMetrics, fairness_report, model_metrics
from backend.scoring.model import get_bundle, get_keyring
from ml import grades
from security.pseudonym import PseudonymKeyRing
from security.rbac import Permission

router = APIRouter(tags=["scoring"], route_class=GuardedRoute)


def _refuse_implausible(found: list[tuple[str, str]], prefix: str) -> None:
    if found:
        raise RequestValidationError([
            {"loc": ("body", prefix, name), "msg": why, "type": "value_error"} for name, why in found
        ])


def _invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("body", *field.split(".", 1)), "msg": message, "type": "value_error"}])


@router.post(
    "/scoring/simulate",
    response_model=Simulation,
    responses={404: {"description": "Unknown client (what-if)"}, 422: {"description": "Invalid field"},
               **RATE_LIMITED_RESPONSES},
)
def simulate(
    body: SimulationRequest,
    ctx: RequestContext = Depends(guard(Permission.scores_simulate, AuditAction.score_simulate, rate="scoring")),
    ring: PseudonymKeyRing = Depends(get_keyring),
    bundle: Any = Depends(get_bundle),
) -> Simulation:
    """Score and explain a new applicant (``features``) or a what-if variant of a client
    (``client_id`` + ``overrides``). Omitted fields are unknown (the model handles missing
    values); nothing is stored."""
    spec = bundle.input_spec()
    if (body.features is None) == (body.client_id is None):
        raise _invalid("features", "send either 'features' (new applicant) or 'client_id' with 'overrides'")
    if body.features is not None and body.overrides is not None:
        raise _invalid("overrides", "only allowed together with 'client_id'")
    pseudonym = None
    try:
        if body.features is not None:
            mode = "new"
            features = scoring.validate_fields(body.features, spec, "features", bundle.policy.excluded_columns)
            missing = scoring.missing_required(features, spec)
            if missing:
                raise RequestValidationError([
                    {"loc": ("body", "features", name), "msg": "required for a new applicant", "type": "missing"}
                    for name in missing
                ])
            overridden: list[str] = []
            _refuse_implausible(scoring.implausible(features), "features")
        else:
            mode = "what_if"
            overrides = scoring.validate_fields(body.overrides or {}, spec, "overrides", bundle.policy.excluded_columns)
            # A what-if may change a required field, not blank it: an income left unknown was
            # scored in the model's "unknown" branch and turned a refusal into an approval.
            blanked = [name for name in scoring.missing_required(overrides, spec) if name in overrides]
            if blanked:
                raise RequestValidationError([
                    {"loc": ("body", "overrides", name), "msg": "required: a simulation may change it, not leave it blank",
                     "type": "missing"}
                    for name in blanked
                ])
            client = load_client(ctx, ring, body.client_id or "")
            pseudonym = client.pseudonym
            features = {**client.features, **overrides}
            overridden = sorted(overrides)
            _refuse_implausible(scoring.implausible(features, set(overrides)), "overrides")
    except scoring.SimulationError as exc:
        raise _invalid(exc.field, exc.message) from None
    except RequestValidationError as exc:
        # A malformed client id in the body is reported on the body field, not the path.
        errors = [{**e, "loc": ("body", *e["loc"][1:])} for e in exc.errors()]
        raise RequestValidationError(errors) from None
    score_value, explanation = scoring.score_and_explain(bundle, features, body.top, body.lang)
    ctx.audit(
        resource=pseudonym,
        model_version=bundle.version, input_hash=bundle.input_hash(features),
        details={"mode": mode, "overridden": overridden},
    )
    unlearned = scoring.unlearned_unknowns(bundle, features, spec)
    return Simulation(
        mode=mode,
        score=Score(pseudonym=pseudonym, unlearned_unknowns=unlearned, **score_value),
        explanation=Explanation(pseudonym=pseudonym, **explanation),
        overridden=overridden,
        unlearned_unknowns=unlearned,
    )


class InputField(BaseModel):
    name: str = Field(description="Application column, as sent in 'features' or 'overrides'")
    type: Literal["number", "integer", "category"]
    label: str
    nullable: bool = Field(description="Whether the field may be left empty (unknown)")
    min: float | None = Field(default=None, description="Smallest accepted value (numbers)")
    max: float | None = Field(default=None, description="Largest accepted value (numbers)")
    levels: list[str] | None = Field(default=None, description="Accepted values (categories)")
    special: list[float] | None = Field(default=None, description="Sentinel values accepted outside min-max")
    required: bool = Field(
        default=False, description="Must be given for a new applicant ('features'); 422 names it when missing"
    )
    form_order: int | None = Field(
        default=None, description="Position in the new-applicant form an advisor fills; null when not asked there"
    )


class InputSpec(BaseModel):
    model_version: str
    lang: Lang
    fields: list[InputField]


@router.get("/scoring/inputs", response_model=InputSpec)
def simulation_inputs(
    lang: Lang = "fr",
    ctx: RequestContext = Depends(guard(Permission.scores_simulate, AuditAction.model_read)),
    bundle: Any = Depends(get_bundle),
) -> InputSpec:
    """The fields ``POST /scoring/simulate`` accepts, with type, range or levels, label and
    whether they may be empty; computed model features are not inputs and are not listed."""
    spec = InputSpec(
        model_version=bundle.version,
        lang=lang,
        fields=[InputField(**field) for field in scoring.input_fields(bundle, lang)],
    )
    # No personal data here, but it is model metadata: recorded like the model card.
    ctx.audit(model_version=bundle.version, details={"view": "inputs"})
    return spec


class FeatureInfo(BaseModel):
    name: str
    label: str
    categorical: bool


class Grade(BaseModel):
    grade: str
    pd_min: float = Field(description="Lowest probability of default of the grade (inclusive)")
    pd_max: float = Field(description="Highest probability of default of the grade (exclusive)")
    label: str


class ModelCard(BaseModel):
    version: str
    trained_at: str | None = Field(description="When the bundle was trained (ISO 8601, UTC)")
    metrics: ModelMetrics
    threshold: float
    cost_fn: float
    cost_fp: float
    training_data: dict[str, Any]
    features: list[FeatureInfo]
    fairness: FairnessReport
    master_scale: list[Grade] = Field(description="The fixed PD master scale behind every risk grade")
    borderline_interval: list[float] = Field(
        min_length=2, max_length=2, description="[low, high): a probability inside is flagged borderline"
    )
    model_card: str = Field(description="The model card (Markdown), in the request's language")
    lang: Lang


class Importance(BaseModel):
    feature: str
    label: str
    mean_abs_shap: float


class GlobalImportance(BaseModel):
    model_version: str
    lang: Lang
    features: list[Importance]


@router.get("/model", response_model=ModelCard)
def model_card(
    lang: Lang = "fr",
    ctx: RequestContext = Depends(guard(Permission.model_read, AuditAction.model_read)),
    bundle: Any = Depends(get_bundle),
) -> ModelCard:
    """The model card: version, training date, metrics, threshold, cost weights, features, fairness."""
    manifest = bundle.manifest
    labels = bundle.feature_labels(lang)
    card = ModelCard(
        version=bundle.version,
        trained_at=manifest.get("created_at"),
        metrics=model_metrics(manifest.get("metrics")),
        threshold=bundle.threshold,
        cost_fn=bundle.cost_fn,
        cost_fp=bundle.cost_fp,
        training_data=manifest.get("training_data", {}),
        features=[
            FeatureInfo(name=f["name"], label=labels.get(f["name"], f["name"]), categorical=f.get("dtype") == "category")
            for f in manifest["features"]
        ],
        fairness=fairness_report(bundle.fairness),
        master_scale=[Grade(**g) for g in grades.master_scale(lang)],
        borderline_interval=list(bundle.threshold_interval),
        model_card=bundle.model_card_for(lang),
        lang=lang,
    )
    ctx.audit(model_version=bundle.version, details={"view": "card"})
    return card


@router.get("/model/importance", response_model=GlobalImportance)
def model_importance(
    lang: Lang = "fr",
    ctx: RequestContext = Depends(guard(Permission.model_read, AuditAction.model_read)),
    bundle: Any = Depends(get_bundle),
) -> GlobalImportance:
    """Global feature importance (mean |SHAP| over the training sample)."""
    rows = bundle.global_importance(lang)
    result = GlobalImportance(
        model_version=bundle.version,
        lang=lang,
        features=[Importance(feature=r["feature"], label=r["label"], mean_abs_shap=r["mean_abs_shap"]) for r in rows],
    )
    ctx.audit(model_version=bundle.version, details={"view": "importance"})
    return result
