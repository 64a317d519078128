"""Request and response models of the decision lifecycle and of reproduction."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from backend.privacy.schemas import REASON_MAX, Verdict
from backend.privacy.schemas import DecisionRequest as _DecisionFields
from security.pseudonym import visible_text

STATEMENT_MAX = 2000
ID_MAX = 2**53
ContestStatus = Literal["open", "upheld", "revised"]


def said(value: str) -> str:
    """A reason or statement as a reader sees it (``security.pseudonym.visible_text``: invisible
    characters gone, full-width folded), stripped; "" when nothing shows. A zero-width space or
    a soft hyphen counted as the reason required to depart from the model, and "…" or "123"
    says nothing either: what is left must hold a word (``no_words``)."""
    value = visible_text(value).strip()
    if value and not any(c.isalpha() for c in value):
        raise PydanticCustomError("no_words", "must say why in words")
    return value


class DecisionRequest(_DecisionFields):
    """The advisor's decision, and the decision they read as in force when they took it.

    ``revises`` is required (null for a first decision): it is how the API knows what the
    advisor saw. When another decision came into force meanwhile (a colleague's decision or
    revision, a review's revision), the request is refused with 409 ``decision_changed`` and
    changes nothing, instead of silently overturning a decision its author never read."""

    # Strict: lax parsing read ``true`` and ``"1"`` as decision 1 (the API sweep of the
    # twenty-eighth session): a boolean would pass as having read decision 1 in force.
    revises: int | None = Field(
        ge=1, le=ID_MAX, strict=True,
        description="The decision in force as the advisor read it (the history's `current.id`); null for a "
        "first decision. 409 `decision_changed` when another one is in force now",
    )

    @field_validator("reason")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return (said(value) or None) if value is not None else None


class ContestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    statement: str = Field(
        min_length=1, max_length=STATEMENT_MAX,
        description="The applicant's point of view, as they expressed it (they ask for a human review)",
    )

    @field_validator("statement")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = said(value)
        if not value:
            raise PydanticCustomError("empty", "must not be empty: record the applicant's point of view")
        return value


class ReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["upheld", "revised"] = Field(description="Keep the contested decision, or revise it")
    decision: Verdict | None = Field(default=None, description="The new decision; required when revised")
    reason: str = Field(min_length=1, max_length=REASON_MAX, description="Why (given to the applicant)")
    contest: int | None = Field(
        default=None, ge=1, le=ID_MAX, strict=True,
        description="The open contest the reviewer read (its id in the history). When given and no longer the "
        "open one (reviewed meanwhile, then contested anew): 409 `decision_changed`",
    )

    @field_validator("reason")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = said(value)
        if not value:
            raise PydanticCustomError("empty", "must not be empty")
        return value


class ContestRecord(BaseModel):
    id: int
    decision_id: int = Field(description="The contested decision")
    statement: str | None = Field(description="The applicant's point of view (null after erasure)")
    contested_at: datetime
    recorded_by: str = Field(description="The advisor who recorded the contest")
    status: ContestStatus
    reviewer: str | None
    review_reason: str | None
    reviewed_at: datetime | None
    revision_id: int | None = Field(description="The decision the review made, when revised")


class DecisionEntry(BaseModel):
    id: int
    kind: Literal["decision", "revision"] = Field(description="A first decision, or a revision of the previous one")
    revises: int | None = Field(description="The decision this one replaces")
    decision: Verdict
    recommendation: Verdict = Field(description="The model's side of the threshold (no probability)")
    is_override: bool
    model_version: str
    input_hash: str | None = Field(description="SHA-256 of the model inputs (the snapshot's)")
    snapshot_id: int | None
    advisor: str
    reason: str | None
    decided_at: datetime
    current: bool = Field(description="The decision in force")
    contests: list[ContestRecord]


class DecisionHistory(BaseModel):
    pseudonym: str
    current: DecisionEntry | None
    entries: list[DecisionEntry] = Field(description="Oldest first")


class ReviewResult(BaseModel):
    contest: ContestRecord
    revision: DecisionEntry | None = Field(description="The new decision when the outcome is 'revised'")


class ReproduceCheck(BaseModel):
    check: str
    recorded: Any = None
    recomputed: Any = None
    identical: bool


class ReproducedScore(BaseModel):
    probability: float
    decision: Verdict
    threshold: float
    risk_band: str
    display_score: int
    explanation_text: str
    contributions: list[dict[str, Any]]


class PurgedEvent(BaseModel):
    through_seq: int = Field(description="The purge deleted the audit events up to this sequence number")
    newest_purged_ts: datetime = Field(description="The date of the newest event it deleted")
    retention_days: int = Field(description="The audit retention it applied")


class Reproduction(BaseModel):
    decision_id: int
    model_version: str
    verdict: Literal["identical", "differs"]
    differences: list[ReproduceCheck] = Field(description="Every check that did not match (empty when identical)")
    checks: list[ReproduceCheck]
    snapshot_captured_at: datetime
    audit_purged: PurgedEvent | None = Field(
        None, description="The decision is older than the audit retention: its audit event was deleted by this signed "
                          "retention purge, so the row was not compared with a chained event (no audit_* check); null "
                          "when the event was found (or is missing, which is a difference)")
    recomputed: ReproducedScore = Field(description="Computed now from the snapshot with that version; stored nowhere")
    lang: Literal["fr", "en"]
