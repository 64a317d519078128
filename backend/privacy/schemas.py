"""Request and response models of the privacy, oversight and register endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from backend.clients.schemas import UNIT_DESCRIPTION, Unit

Verdict = Literal["approve", "refuse"]
REASON_MAX = 1000


# ----------------------------------------------------------------------------- export (Art. 15/20)


class StoredFeature(BaseModel):
    """One stored value, as a person reads it in the export's language and as the file holds it."""

    feature: str = Field(description="Column name in the application file")
    label: str = Field(description="What the value says, in the export's language (the age for DAYS_BIRTH, "
                                   "the days since for the other day counts)")
    value: str = Field(description="The value as a person reads it, in the export's language: category levels "
                                   "in words, yes/no, amounts, ages and times employed in completed years, other "
                                   "day counts as positive days; 'non renseigné'/'not given' when the file has none")
    raw_value: Any = Field(default=None, description="The value as the bank's file holds it (codes, negative "
                                                     "day counts): the machine-readable copy (Art. 20)")


class ExportSubject(BaseModel):
    pseudonym: str = Field(description="HMAC-SHA256 of the bank id; the bank id itself is not held")
    key_version: str
    imported_at: datetime


class ExportContribution(BaseModel):
    feature: str
    label: str
    value: Any = None
    unit: Unit | None = Field(default=None, description=UNIT_DESCRIPTION + " (single-feature reasons only)")
    shap: float = Field(description="Contribution in log-odds")
    effect: float = Field(description="Effect in probability points (0-1 scale)")


class ExportUnknown(BaseModel):
    feature: str = Field(description="Column name in the application file")
    label: str


class ExportAutomatedDecision(BaseModel):
    """How the model decides, and what it says now (computed for this export, never stored)."""

    model_version: str
    features_used: list[str]
    threshold: float = Field(description="Refuse when the probability of default reaches it")
    cost_fn: float = Field(description="Cost weight of granting a loan that defaults")
    cost_fp: float = Field(description="Cost weight of refusing a loan that would be repaid")
    probability: float
    recommendation: Verdict
    display_score: int
    risk_band: str
    explanation_text: str
    contributions: list[ExportContribution]
    # The effects only add up from the model's reference point, not from the population's
    # average risk the text quotes: an applicant could not get from the figures to their
    # probability (the twenty-eighth session's compliance walk).
    base_probability: float | None = Field(
        default=None, description="The training population's observed default rate (the 'average risk' quoted)")
    reference_probability: float | None = Field(
        default=None, description="The model's reference point: reference_probability + the contributions' "
        "effects + other_effect = probability")
    other_effect: float | None = Field(
        default=None, description="The effect of every factor not listed (protected attributes included), together")
    other_count: int | None = Field(default=None, description="How many factors other_effect covers")
    unlearned_unknowns: list[ExportUnknown] = Field(
        default_factory=list,
        description="Inputs the stored file leaves unknown that the training data (almost) never lacked: the "
        "model learned what 'unknown' means for them from almost no one, so this score is indicative",
    )
    beyond_training: list[ExportUnknown] = Field(
        default_factory=list,
        description="Inputs (derived ratios included) valued beyond what fewer than 10 people of the training "
        "data had: the model learned nothing beyond them, so this score is an extrapolation",
    )


class ExportContest(BaseModel):
    statement: str | None = Field(description="The applicant's point of view")
    contested_at: datetime
    status: Literal["open", "upheld", "revised"]
    review_reason: str | None
    reviewed_at: datetime | None


class ExportSnapshot(BaseModel):
    """What the model saw when a decision was taken (kept so it can be reproduced)."""

    id: int
    captured_at: datetime
    input_hash: str
    features: dict[str, Any]


class ExportHumanDecision(BaseModel):
    id: int | None = None
    revises: int | None = Field(default=None, description="The decision this one revises")
    snapshot_id: int | None = None
    contests: list[ExportContest] = Field(default_factory=list)
    decision: Verdict
    recommendation: Verdict
    is_override: bool
    model_version: str
    reason: str | None
    decided_at: datetime
    decided_by_role: str = "advisor"


class ExportAuditEvent(BaseModel):
    ts: datetime
    actor_role: str | None
    action: str = Field(description="The audit trail's action code")
    action_label: str = Field(description="What happened, in words, in the export's language")
    outcome: str


class ClientExport(BaseModel):
    generated_at: datetime
    lang: Literal["fr", "en"]
    controller_note: str
    subject: ExportSubject
    stored_data: list[StoredFeature]
    automated_decision: ExportAutomatedDecision | None = Field(
        description="Null when no model is loaded (then see automated_decision_unavailable)"
    )
    automated_decision_unavailable: str | None = None
    human_decisions: list[ExportHumanDecision]
    decision_snapshots: list[ExportSnapshot] = Field(default_factory=list)
    audit_events: list[ExportAuditEvent]


# ----------------------------------------------------------------------------- erasure (Art. 17)


class ErasureResult(BaseModel):
    pseudonym: str
    erased_at: datetime
    features_deleted: bool
    tombstone_kept: bool
    cache_invalidated: bool
    decisions_anonymised: int
    snapshots_deleted: int = Field(default=0, description="Decision snapshots (inputs the model saw) deleted")
    contests_anonymised: int = Field(default=0, description="Contests whose statement and link were cleared")
    requested_by: str | None = Field(default=None, description="The compliance officer who asked for the "
                                     "erasure (four-eyes); the caller confirmed it")
    request_id: int | None = Field(default=None, description="The erasure request this confirmed")


class ErasureRequestOut(BaseModel):
    """An erasure asked for by one compliance officer, to be confirmed by another (four-eyes)."""

    id: int
    pseudonym: str = Field(description="The client's pseudonym (never the bank id)")
    status: Literal["pending", "confirmed", "refused", "expired"] = Field(
        description="pending: waiting for another compliance officer; expired: pending for longer than "
                    "expires_at allows, no longer confirmable")
    requested_by: str
    requested_at: datetime
    expires_at: datetime = Field(description="When a pending request lapses (30 days after it was made)")
    decided_by: str | None = None
    decided_at: datetime | None = None


class ErasureRequestList(BaseModel):
    status: Literal["pending", "confirmed", "refused", "expired"]
    requests: list[ErasureRequestOut] = Field(description="Newest first, at most 200")


class ErasureStatus(BaseModel):
    """Compliance's answer to "was this bank client id erased, and when?" (never the id itself)."""

    status: Literal["erased", "current", "unknown"] = Field(
        description="erased: a tombstone holds the id under some key version; current: a client is "
                    "held under it; unknown: neither (never imported, or a typo)")
    erased_at: datetime | None = Field(description="When it was erased (UTC); null unless erased")
    key_versions_checked: int = Field(description="Pseudonym key versions the id was looked up under")


class RetentionPurge(BaseModel):
    at: datetime = Field(description="When the purge ran (its audit event)")
    actor: str = Field(description="Who ran it (cli:<os user>)")
    events_deleted: int = Field(description="Audit events past their retention period it deleted")
    clients_deleted: int | None = Field(description="Applicants whose data it deleted; null for a purge "
                                                    "that left the applicants' data alone")


class RetentionStatus(BaseModel):
    """The retention periods and what they mean today: counts only, never a client."""

    client_retention_days: int = Field(description="OCTROI_CLIENT_RETENTION_DAYS: an applicant's data go "
                                                   "after this long without activity in their file")
    audit_retention_days: int = Field(description="OCTROI_AUDIT_RETENTION_DAYS")
    notice_days: int = Field(description="The window of clients_due_soon")
    clients_held: int = Field(description="Applicants whose data are held")
    clients_due: int = Field(description="Applicants the purge would delete now")
    clients_due_soon: int = Field(description="Applicants who reach the end of the period within notice_days "
                                              "(beyond those due now), unless their file sees activity")
    last_purge: RetentionPurge | None = Field(description="The last purge the audit trail holds; null if none")


# ----------------------------------------------------------------------------- human oversight


class DecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Verdict = Field(description="The advisor's final decision")
    reason: str | None = Field(
        default=None,
        max_length=REASON_MAX,
        description="Why; mandatory when the decision departs from the model's recommendation",
    )

    @field_validator("reason")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        return value or None


class DecisionRecord(BaseModel):
    id: int
    pseudonym: str
    decision: Verdict
    recommendation: Verdict = Field(description="The model's side of the threshold (no probability)")
    is_override: bool
    model_version: str
    advisor: str
    reason: str | None
    decided_at: datetime
    revises: int | None = Field(default=None, description="The decision this one revises (null for a first decision)")


class OverrideCounts(BaseModel):
    decisions: int
    overrides: int
    override_rate: float | None = Field(description="overrides / decisions; null when no decision")
    approved_against_refusal: int = Field(description="Model said refuse, advisor approved")
    refused_against_approval: int = Field(description="Model said approve, advisor refused")


class AdvisorOverrides(OverrideCounts):
    advisor: str


class OverrideReason(BaseModel):
    decision_id: int
    advisor: str
    decided_at: datetime
    decision: Verdict
    recommendation: Verdict
    reason: str | None = Field(description="Null once the client was erased")


class ContestCounts(BaseModel):
    contests: int = Field(description="Contests received in the period")
    open: int
    upheld: int
    revised: int
    revisions: int = Field(description="Decisions revised in the period (after a contest or not)")


class OverridesReport(BaseModel):
    period_from: datetime
    period_to: datetime
    overall: OverrideCounts
    advisors: list[AdvisorOverrides]
    contests: ContestCounts | None = None
    reasons: list[OverrideReason] = Field(default_factory=list, description="The overrides' reasons, newest first")


# ----------------------------------------------------------------------------- register (Art. 30)


class RegisterRecipient(BaseModel):
    role: str = Field(description="The role's code in the policy table (security/rbac.py)")
    role_label: str = Field(description="The role's name in the register's language")
    permissions: list[str]
    personal_data_access: str


class RegisterRetention(BaseModel):
    data: str
    period: str
    setting: str | None = Field(description="The environment variable that sets it, if any")
    value: int | str | None = None


class RegisterTable(BaseModel):
    table: str
    category: str
    personal_data: bool
    columns: list[str]


class RegisterFeature(BaseModel):
    name: str
    label: str


class ProcessingRegister(BaseModel):
    controller: str
    generated_at: datetime
    lang: Literal["fr", "en"] = Field(description="Language of every sentence and role name")
    system: dict[str, Any]
    purposes: list[dict[str, str]]
    legal_bases: list[str]
    data_subjects: list[str]
    data_categories: list[RegisterTable]
    model_features: list[RegisterFeature]
    model_version: str | None
    recipients: list[RegisterRecipient]
    retention: list[RegisterRetention]
    security_measures: list[str]
    processors: list[dict[str, str]]
    transfers_outside_eu: str
    automated_decision_making: dict[str, str]
