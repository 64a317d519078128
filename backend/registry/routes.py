"""Registry endpoints: the versions and their status, and the challenger's daily aggregates."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from backend.api.routing import GuardedRoute
from backend.audit.actions import AuditAction
from backend.auth.deps import RequestContext, guard
from backend.registry import service
from backend.registry.challenger import SHIFT_EDGES
from backend.registry.models import ChallengerDaily
from backend.timezone import bank_day
from ml.disclosure import MIN_CELL, withheld_rows
from security.rbac import Permission

router = APIRouter(tags=["model lifecycle"], route_class=GuardedRoute)
# A sealed day with fewer applicants shows counts only: its agreement, flips and shifts would
# describe a handful of people (``ml.disclosure``).
MIN_APPLICANTS = MIN_CELL


class ModelVersion(BaseModel):
    version: str
    status: service.VersionStatus = Field(description="champion, challenger, retired (was champion) or registered")
    created_at: str | None = Field(description="When it was trained (ISO 8601, from its manifest)")
    auc: float | None
    business_cost_per_client: float | None
    threshold: float | None
    features: int = Field(description="How many model features this version reads")
    training_data_sha256: str | None
    training_rows: int | None


class ModelVersions(BaseModel):
    champion: str | None = Field(description="Null: OCTROI_MODEL_DIR is served (nothing promoted)")
    challenger: str | None
    serving: str | None = Field(description="The version this API process serves right now")
    versions: list[ModelVersion]


class ChallengerDay(BaseModel):
    day: str = Field(description="Day in the bank's time zone (Europe/Paris), YYYY-MM-DD")
    champion_version: str
    challenger_version: str
    sealed: bool = Field(description="The day is over and its figures final; false: today (or just past "
                                     "midnight), whose outcomes are withheld until it is sealed")
    applicants: int = Field(description="Applicants whose file was scored by both that day, each counted once "
                                        "however often it was opened (simulations are not shadowed)")
    agreement_rate: float | None = Field(description="Share of applicants on whom both decide the same (null unless "
                                                     "sealed with 10 applicants or more, and null when the count of "
                                                     "agreements is withheld, as a flip count)")
    flips_to_refuse: int | None = Field(description="Champion approves, challenger would refuse. Null unless sealed with "
                                                    "10 applicants or more, and null when withheld: a count of 1 to 9 "
                                                    "people, or one that applicants minus the counts shown would give "
                                                    "back as 1 to 9 (agreements, flips each way: ml.disclosure."
                                                    "withheld_rows); 0 and counts of 10 or more are shown")
    flips_to_approve: int | None = Field(description="Champion refuses, challenger would approve (null as "
                                                     "flips_to_refuse)")
    mean_shift: float | None = Field(description="Mean of challenger - champion probability (null unless sealed with "
                                                 "10 applicants or more; never withheld otherwise: a mean, not a count)")
    mean_abs_shift: float | None = Field(description="Mean absolute shift (null as mean_shift)")
    shift_counts: list[int | None] | None = Field(description="Applicants per shift bin (null as mean_shift); a bin "
                                                              "is null when withheld, as a flip count: 1 to 9 "
                                                              "applicants, or a bin that applicants minus the bins "
                                                              "shown would give back as 1 to 9")
    late: int = Field(description="Applicants scored after the day was sealed: counted, not compared")
    dropped: int = Field(description="Requests not shadowed because the challenger queue was full")
    errors: int = Field(description="Challenger failures (never seen by advisors)")


class ChallengerReport(BaseModel):
    champion: str | None
    challenger: str | None
    shift_edges: list[float] = Field(description="Bin edges of shift_counts; bins are open-ended at both ends")
    days: list[ChallengerDay] = Field(description="Newest first")


@router.get("/model/versions", response_model=ModelVersions)
def model_versions(
    ctx: RequestContext = Depends(guard(Permission.model_read, AuditAction.model_read)),
) -> ModelVersions:
    """Every registered version with its metrics, training-data fingerprint and status."""
    follower = ctx.request.app.state.model_follower
    now = service.state(ctx.db)
    versions = []
    for info in follower.registry.versions():
        versions.append(ModelVersion(
            version=info.version, status=service.status_of(info.version, now), created_at=info.created_at,
            auc=info.metrics.get("auc"), business_cost_per_client=info.metrics.get("business_cost_per_client"),
            threshold=info.threshold, features=len(info.features),
            training_data_sha256=info.training_data.get("sha256"), training_rows=info.training_data.get("rows"),
        ))
    served = ctx.request.app.state.model.loaded
    result = ModelVersions(champion=now.champion, challenger=now.challenger,
                           serving=served.version if served is not None else None, versions=versions)
    ctx.audit(details={"view": "versions"})
    return result


@router.get("/model/challenger", response_model=ChallengerReport)
def challenger_report(
    days: int = Query(default=30, ge=1, le=366, description="How many days back (days in Europe/Paris, today included)"),
    ctx: RequestContext = Depends(guard(Permission.model_monitor, AuditAction.model_challenger)),
) -> ChallengerReport:
    """The challenger beside the champion, by day: agreement, decision flips each way, the
    distribution of probability shifts, over the applicants whose file was opened. Aggregates
    only, never a client or a score: a day's outcomes are served once it is sealed (never
    changing after, so two readings give no one's result by difference) and from 10 applicants.
    A count of 1 to 9 people (flips, agreements, a shift bin) is withheld, with whatever the
    day's applicants minus the counts shown would give it back by (``_disclosed``)."""
    now = service.state(ctx.db)
    since = (date.fromisoformat(bank_day()) - timedelta(days=days - 1)).isoformat()
    rows = ctx.db.scalars(
        select(ChallengerDaily).where(ChallengerDaily.day >= since)
        .order_by(ChallengerDaily.day.desc(), ChallengerDaily.id.desc())
    ).all()
    out = []
    for r in rows:
        sealed = r.sealed_at is not None
        shown = sealed and r.requests >= MIN_APPLICANTS
        decisions: list[int | None] = [None, None, None]
        shifts: list[int | None] | None = None
        if shown:
            decisions = _disclosed([r.agreements, r.flips_to_refuse, r.flips_to_approve], r.requests)
            shifts = _disclosed(list(r.shift_histogram), r.requests)
        agreements, flips_to_refuse, flips_to_approve = decisions
        out.append(ChallengerDay(
            day=r.day, champion_version=r.champion_version, challenger_version=r.challenger_version,
            sealed=sealed, applicants=r.requests,
            agreement_rate=round(agreements / r.requests, 4) if agreements is not None else None,
            flips_to_refuse=flips_to_refuse, flips_to_approve=flips_to_approve,
            mean_shift=r.shift_sum / r.requests if shown else None,
            mean_abs_shift=r.shift_abs_sum / r.requests if shown else None,
            shift_counts=shifts, late=r.late or 0, dropped=r.dropped, errors=r.errors,
        ))
    report = ChallengerReport(champion=now.champion, challenger=now.challenger, shift_edges=list(SHIFT_EDGES),
                              days=out)
    ctx.audit(details={"days": days})
    return report


def _disclosed(counts: list[int], applicants: int) -> list[int | None]:
    """A sealed day's counts of people as served: each a one-column row of the table whose
    published total is the day's applicants, withheld (None) as ``ml.disclosure.withheld_rows``
    says, so that no count shown, nor applicants minus those shown, is 1 to 9 people."""
    hidden = withheld_rows([(count,) for count in counts], (applicants,))
    return [None if i in hidden else count for i, count in enumerate(counts)]
