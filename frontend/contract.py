"""Typed models of the API answers (docs/openapi.json), generated: do not edit.

Regenerate with ``python -m tests.test_dashboard_contract`` (see that module).
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr
from typing_extensions import TypeAliasType


class AdvisorOverrides(BaseModel):
    advisor: Annotated[str, Field(title="Advisor")]
    approved_against_refusal: Annotated[int, Field(title="Approved Against Refusal")]
    """
    Model said refuse, advisor approved
    """
    decisions: Annotated[int, Field(title="Decisions")]
    override_rate: Annotated[float | None, Field(title="Override Rate")]
    """
    overrides / decisions; null when no decision
    """
    overrides: Annotated[int, Field(title="Overrides")]
    refused_against_approval: Annotated[int, Field(title="Refused Against Approval")]
    """
    Model said approve, advisor refused
    """


class AucInterval(BaseModel):
    auc: Annotated[float, Field(title="Auc")]
    gini: Annotated[float, Field(title="Gini")]
    gini_high: Annotated[float, Field(title="Gini High")]
    gini_low: Annotated[float, Field(title="Gini Low")]
    high: Annotated[float, Field(title="High")]
    low: Annotated[float, Field(title="Low")]
    se: Annotated[float, Field(title="Se")]


class AuditEventOut(BaseModel):
    action: Annotated[str, Field(title="Action")]
    actor: Annotated[str | None, Field(title="Actor")]
    details: Annotated[dict[str, Any] | None, Field(title="Details")]
    hash: Annotated[str, Field(title="Hash")]
    input_hash: Annotated[str | None, Field(title="Input Hash")]
    ip: Annotated[str | None, Field(title="Ip")]
    model_version: Annotated[str | None, Field(title="Model Version")]
    outcome: Annotated[str, Field(title="Outcome")]
    prev_hash: Annotated[str, Field(title="Prev Hash")]
    request_id: Annotated[str | None, Field(title="Request Id")]
    resource: Annotated[str | None, Field(title="Resource")]
    role: Annotated[str | None, Field(title="Role")]
    seq: Annotated[int, Field(title="Seq")]
    ts: Annotated[AwareDatetime, Field(title="Ts")]


class AuditPage(BaseModel):
    events: Annotated[list[AuditEventOut], Field(title="Events")]
    next_cursor: Annotated[int | None, Field(title="Next Cursor")]


class BacktestHistoryPoint(BaseModel):
    auc: Annotated[float | None, Field(title="Auc")]
    computed_at: Annotated[AwareDatetime, Field(title="Computed At")]
    gini: Annotated[float | None, Field(title="Gini")]
    model_version: Annotated[str, Field(title="Model Version")]
    n: Annotated[int | None, Field(title="N")]
    observed_rate: Annotated[float | None, Field(title="Observed Rate")]
    predicted_rate: Annotated[float | None, Field(title="Predicted Rate")]


class BandCount(BaseModel):
    band: Annotated[str, Field(title="Band")]
    """
    A grade of the PD master scale (A lowest risk ... G highest), or adjacent grades merged ("F-G") when a grade holds 1 to 9 applicants
    """
    count: Annotated[int, Field(title="Count")]
    """
    Applicants in the row: 0 or at least 10
    """
    grades: Annotated[list[str] | None, Field(title="Grades")] = None
    """
    The grades the row covers, in order (one unless merged)
    """
    share: Annotated[float, Field(title="Share")]


class BeyondTraining(BaseModel):
    feature: Annotated[str, Field(title="Feature")]
    """
    A numeric model input (a derived ratio included)
    """
    label: Annotated[str, Field(title="Label")]
    """
    Its name for people, in the request's language
    """


GrantType = TypeAliasType(
    "GrantType", Annotated[str, Field(pattern="^password$", title="Grant Type")]
)


class BodyLoginApiV1AuthTokenPost(BaseModel):
    client_id: Annotated[str | None, Field(title="Client Id")] = None
    client_secret: Annotated[SecretStr | None, Field(title="Client Secret")] = None
    grant_type: Annotated[GrantType | None, Field(title="Grant Type")] = None
    password: Annotated[SecretStr, Field(title="Password")]
    scope: Annotated[str | None, Field(title="Scope")] = ""
    username: Annotated[str, Field(title="Username")]


class Calibration(BaseModel):
    difference: Annotated[float, Field(title="Difference")]
    observed_rate: Annotated[float, Field(title="Observed Rate")]
    p_value: Annotated[float, Field(title="P Value")]
    """
    Two-sided test that observed defaults match the sum of probabilities
    """
    predicted_rate: Annotated[float, Field(title="Predicted Rate")]
    ratio: Annotated[float | None, Field(title="Ratio")]
    z: Annotated[float, Field(title="Z")]


class ChallengerDay(BaseModel):
    agreement_rate: Annotated[float | None, Field(title="Agreement Rate")]
    """
    Share of applicants on whom both decide the same (null unless sealed with 10 applicants or more, and null when the count of agreements is withheld, as a flip count)
    """
    applicants: Annotated[int, Field(title="Applicants")]
    """
    Applicants whose file was scored by both that day, each counted once however often it was opened (simulations are not shadowed)
    """
    challenger_version: Annotated[str, Field(title="Challenger Version")]
    champion_version: Annotated[str, Field(title="Champion Version")]
    day: Annotated[str, Field(title="Day")]
    """
    Day in the bank's time zone (Europe/Paris), YYYY-MM-DD
    """
    dropped: Annotated[int, Field(title="Dropped")]
    """
    Requests not shadowed because the challenger queue was full
    """
    errors: Annotated[int, Field(title="Errors")]
    """
    Challenger failures (never seen by advisors)
    """
    flips_to_approve: Annotated[int | None, Field(title="Flips To Approve")]
    """
    Champion refuses, challenger would approve (null as flips_to_refuse)
    """
    flips_to_refuse: Annotated[int | None, Field(title="Flips To Refuse")]
    """
    Champion approves, challenger would refuse. Null unless sealed with 10 applicants or more, and null when withheld: a count of 1 to 9 people, or one that applicants minus the counts shown would give back as 1 to 9 (agreements, flips each way: ml.disclosure.withheld_rows); 0 and counts of 10 or more are shown
    """
    late: Annotated[int, Field(title="Late")]
    """
    Applicants scored after the day was sealed: counted, not compared
    """
    mean_abs_shift: Annotated[float | None, Field(title="Mean Abs Shift")]
    """
    Mean absolute shift (null as mean_shift)
    """
    mean_shift: Annotated[float | None, Field(title="Mean Shift")]
    """
    Mean of challenger - champion probability (null unless sealed with 10 applicants or more; never withheld otherwise: a mean, not a count)
    """
    sealed: Annotated[bool, Field(title="Sealed")]
    """
    The day is over and its figures final; false: today (or just past midnight), whose outcomes are withheld until it is sealed
    """
    shift_counts: Annotated[list[int | None] | None, Field(title="Shift Counts")]
    """
    Applicants per shift bin (null as mean_shift); a bin is null when withheld, as a flip count: 1 to 9 applicants, or a bin that applicants minus the bins shown would give back as 1 to 9
    """


class ChallengerReport(BaseModel):
    challenger: Annotated[str | None, Field(title="Challenger")]
    champion: Annotated[str | None, Field(title="Champion")]
    days: Annotated[list[ChallengerDay], Field(title="Days")]
    """
    Newest first
    """
    shift_edges: Annotated[list[float], Field(title="Shift Edges")]
    """
    Bin edges of shift_counts; bins are open-ended at both ends
    """


class CohortBacktest(BaseModel):
    auc: AucInterval | None = None
    calibration: Calibration | None = None
    cohort: Annotated[str, Field(title="Cohort")]
    """
    Month the client was imported (YYYY-MM)
    """
    defaults: Annotated[int | None, Field(title="Defaults")] = None
    n: Annotated[int | None, Field(title="N")]
    observed_rate: Annotated[float | None, Field(title="Observed Rate")] = None
    outcomes_withheld: Annotated[bool | None, Field(title="Outcomes Withheld")] = False
    """
    Its defaults or non-defaults number 1 to 9, directly or by subtraction from the overall defaults, or moved by 1 to 9 since a published result while its people moved by 0 or 10 or more: n and predicted_rate are shown, the outcome figures (defaults, observed rate, interval, test, AUC) are null
    """
    predicted_rate: Annotated[float | None, Field(title="Predicted Rate")] = None
    suppressed: Annotated[bool, Field(title="Suppressed")]


class ContestCounts(BaseModel):
    contests: Annotated[int, Field(title="Contests")]
    """
    Contests received in the period
    """
    open: Annotated[int, Field(title="Open")]
    revised: Annotated[int, Field(title="Revised")]
    revisions: Annotated[int, Field(title="Revisions")]
    """
    Decisions revised in the period (after a contest or not)
    """
    upheld: Annotated[int, Field(title="Upheld")]


class ContestRecord(BaseModel):
    contested_at: Annotated[AwareDatetime, Field(title="Contested At")]
    decision_id: Annotated[int, Field(title="Decision Id")]
    """
    The contested decision
    """
    id: Annotated[int, Field(title="Id")]
    recorded_by: Annotated[str, Field(title="Recorded By")]
    """
    The advisor who recorded the contest
    """
    review_reason: Annotated[str | None, Field(title="Review Reason")]
    reviewed_at: Annotated[AwareDatetime | None, Field(title="Reviewed At")]
    reviewer: Annotated[str | None, Field(title="Reviewer")]
    revision_id: Annotated[int | None, Field(title="Revision Id")]
    """
    The decision the review made, when revised
    """
    statement: Annotated[str | None, Field(title="Statement")]
    """
    The applicant's point of view (null after erasure)
    """
    status: Annotated[Literal["open", "upheld", "revised"], Field(title="Status")]


class ContestRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    statement: Annotated[str, Field(max_length=2000, min_length=1, title="Statement")]
    """
    The applicant's point of view, as they expressed it (they ask for a human review)
    """


Percentile = TypeAliasType(
    "Percentile", Annotated[float, Field(ge=0.0, le=100.0, title="Percentile")]
)
"""
Population percentile of the value, on a 0-100 scale: share of the population below it plus half the share equal to it; none for a yes/no
"""


class Contribution(BaseModel):
    effect: Annotated[float, Field(title="Effect")]
    """
    The contribution converted to probability (0-1 scale; x100 for percentage points); the effects add up from reference_probability to probability
    """
    feature: Annotated[str, Field(title="Feature")]
    label: Annotated[str, Field(title="Label")]
    percentile: Annotated[Percentile | None, Field(title="Percentile")] = None
    """
    Population percentile of the value, on a 0-100 scale: share of the population below it plus half the share equal to it; none for a yes/no
    """
    protected: Annotated[str | None, Field(title="Protected")] = None
    """
    The protected attribute this feature comes from when the fair-lending policy allows it with a justification (e.g. 'age'); such a contribution is for the advisor only, never a reason
    """
    shap: Annotated[float, Field(title="Shap")]
    """
    Contribution in log-odds
    """
    unit: Annotated[
        Literal["money", "years", "flag", "integer", "number", "category"],
        Field(title="Unit"),
    ]
    """
    What the value is counted in: money (euros), years, flag (0/1: no/yes), integer (a whole count, days or hours, even when stored as 2.0), number (a ratio or score), category (a level)
    """
    value: Annotated[Any | None, Field(title="Value")] = None


class DecisionEntry(BaseModel):
    advisor: Annotated[str, Field(title="Advisor")]
    contests: Annotated[list[ContestRecord], Field(title="Contests")]
    current: Annotated[bool, Field(title="Current")]
    """
    The decision in force
    """
    decided_at: Annotated[AwareDatetime, Field(title="Decided At")]
    decision: Annotated[Literal["approve", "refuse"], Field(title="Decision")]
    id: Annotated[int, Field(title="Id")]
    input_hash: Annotated[str | None, Field(title="Input Hash")]
    """
    SHA-256 of the model inputs (the snapshot's)
    """
    is_override: Annotated[bool, Field(title="Is Override")]
    kind: Annotated[Literal["decision", "revision"], Field(title="Kind")]
    """
    A first decision, or a revision of the previous one
    """
    model_version: Annotated[str, Field(title="Model Version")]
    reason: Annotated[str | None, Field(title="Reason")]
    recommendation: Annotated[
        Literal["approve", "refuse"], Field(title="Recommendation")
    ]
    """
    The model's side of the threshold (no probability)
    """
    revises: Annotated[int | None, Field(title="Revises")]
    """
    The decision this one replaces
    """
    snapshot_id: Annotated[int | None, Field(title="Snapshot Id")]


class DecisionHistory(BaseModel):
    current: DecisionEntry | None
    entries: Annotated[list[DecisionEntry], Field(title="Entries")]
    """
    Oldest first
    """
    pseudonym: Annotated[str, Field(title="Pseudonym")]


class DecisionRecord(BaseModel):
    advisor: Annotated[str, Field(title="Advisor")]
    decided_at: Annotated[AwareDatetime, Field(title="Decided At")]
    decision: Annotated[Literal["approve", "refuse"], Field(title="Decision")]
    id: Annotated[int, Field(title="Id")]
    is_override: Annotated[bool, Field(title="Is Override")]
    model_version: Annotated[str, Field(title="Model Version")]
    pseudonym: Annotated[str, Field(title="Pseudonym")]
    reason: Annotated[str | None, Field(title="Reason")]
    recommendation: Annotated[
        Literal["approve", "refuse"], Field(title="Recommendation")
    ]
    """
    The model's side of the threshold (no probability)
    """
    revises: Annotated[int | None, Field(title="Revises")] = None
    """
    The decision this one revises (null for a first decision)
    """


Reason = TypeAliasType("Reason", Annotated[str, Field(max_length=1000, title="Reason")])
"""
Why; mandatory when the decision departs from the model's recommendation
"""


Revises = TypeAliasType(
    "Revises", Annotated[int, Field(ge=1, le=9007199254740992, title="Revises")]
)
"""
The decision in force as the advisor read it (the history's `current.id`); null for a first decision. 409 `decision_changed` when another one is in force now
"""


class DecisionRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    decision: Annotated[Literal["approve", "refuse"], Field(title="Decision")]
    """
    The advisor's final decision
    """
    reason: Annotated[Reason | None, Field(title="Reason")] = None
    """
    Why; mandatory when the decision departs from the model's recommendation
    """
    revises: Annotated[Revises | None, Field(title="Revises")]
    """
    The decision in force as the advisor read it (the history's `current.id`); null for a first decision. 409 `decision_changed` when another one is in force now
    """


class DriftHistoryPoint(BaseModel):
    alerts: Annotated[int, Field(title="Alerts")]
    computed_at: Annotated[AwareDatetime, Field(title="Computed At")]
    level: Annotated[Literal["ok", "watch", "act"], Field(title="Level")]
    model_version: Annotated[str, Field(title="Model Version")]
    rows: Annotated[int, Field(title="Rows")]
    score_psi: Annotated[float | None, Field(title="Score Psi")]
    """
    null when that run's PSI is withheld (ScoreDrift.psi)
    """
    score_psi_level: Annotated[
        Literal["ok", "watch", "act"] | None, Field(title="Score Psi Level")
    ] = None
    """
    The range score_psi lies in, given also when it is withheld (ScoreDrift.psi_level)
    """


class ErasureRequestOut(BaseModel):
    decided_at: Annotated[AwareDatetime | None, Field(title="Decided At")] = None
    decided_by: Annotated[str | None, Field(title="Decided By")] = None
    expires_at: Annotated[AwareDatetime, Field(title="Expires At")]
    """
    When a pending request lapses (30 days after it was made)
    """
    id: Annotated[int, Field(title="Id")]
    pseudonym: Annotated[str, Field(title="Pseudonym")]
    """
    The client's pseudonym (never the bank id)
    """
    requested_at: Annotated[AwareDatetime, Field(title="Requested At")]
    requested_by: Annotated[str, Field(title="Requested By")]
    status: Annotated[
        Literal["pending", "confirmed", "refused", "expired"], Field(title="Status")
    ]
    """
    pending: waiting for another compliance officer; expired: pending for longer than expires_at allows, no longer confirmable
    """


class ErasureResult(BaseModel):
    cache_invalidated: Annotated[bool, Field(title="Cache Invalidated")]
    contests_anonymised: Annotated[int | None, Field(title="Contests Anonymised")] = 0
    """
    Contests whose statement and link were cleared
    """
    decisions_anonymised: Annotated[int, Field(title="Decisions Anonymised")]
    erased_at: Annotated[AwareDatetime, Field(title="Erased At")]
    features_deleted: Annotated[bool, Field(title="Features Deleted")]
    pseudonym: Annotated[str, Field(title="Pseudonym")]
    request_id: Annotated[int | None, Field(title="Request Id")] = None
    """
    The erasure request this confirmed
    """
    requested_by: Annotated[str | None, Field(title="Requested By")] = None
    """
    The compliance officer who asked for the erasure (four-eyes); the caller confirmed it
    """
    snapshots_deleted: Annotated[int | None, Field(title="Snapshots Deleted")] = 0
    """
    Decision snapshots (inputs the model saw) deleted
    """
    tombstone_kept: Annotated[bool, Field(title="Tombstone Kept")]


class ErasureStatus(BaseModel):
    erased_at: Annotated[AwareDatetime | None, Field(title="Erased At")]
    """
    When it was erased (UTC); null unless erased
    """
    key_versions_checked: Annotated[int, Field(title="Key Versions Checked")]
    """
    Pseudonym key versions the id was looked up under
    """
    status: Annotated[Literal["erased", "current", "unknown"], Field(title="Status")]
    """
    erased: a tombstone holds the id under some key version; current: a client is held under it; unknown: neither (never imported, or a typo)
    """


class ExclusionChange(BaseModel):
    auc: Annotated[float, Field(title="Auc")]
    auc_change_from_exclusion: Annotated[
        float, Field(title="Auc Change From Exclusion")
    ]
    """
    Policy AUC minus the AUC with the attribute
    """
    cost_change_from_exclusion: Annotated[
        float, Field(title="Cost Change From Exclusion")
    ]
    """
    Policy cost per client minus the cost with it
    """
    cost_per_client: Annotated[float, Field(title="Cost Per Client")]
    features: Annotated[int, Field(title="Features")]


class ExclusionResult(BaseModel):
    auc: Annotated[float, Field(title="Auc")]
    cost_per_client: Annotated[float, Field(title="Cost Per Client")]
    features: Annotated[int, Field(title="Features")]


class ExportAuditEvent(BaseModel):
    action: Annotated[str, Field(title="Action")]
    """
    The audit trail's action code
    """
    action_label: Annotated[str, Field(title="Action Label")]
    """
    What happened, in words, in the export's language
    """
    actor_role: Annotated[str | None, Field(title="Actor Role")]
    outcome: Annotated[str, Field(title="Outcome")]
    ts: Annotated[AwareDatetime, Field(title="Ts")]


class ExportContest(BaseModel):
    contested_at: Annotated[AwareDatetime, Field(title="Contested At")]
    review_reason: Annotated[str | None, Field(title="Review Reason")]
    reviewed_at: Annotated[AwareDatetime | None, Field(title="Reviewed At")]
    statement: Annotated[str | None, Field(title="Statement")]
    """
    The applicant's point of view
    """
    status: Annotated[Literal["open", "upheld", "revised"], Field(title="Status")]


class ExportContribution(BaseModel):
    effect: Annotated[float, Field(title="Effect")]
    """
    Effect in probability points (0-1 scale)
    """
    feature: Annotated[str, Field(title="Feature")]
    label: Annotated[str, Field(title="Label")]
    shap: Annotated[float, Field(title="Shap")]
    """
    Contribution in log-odds
    """
    unit: Annotated[
        Literal["money", "years", "flag", "integer", "number", "category"] | None,
        Field(title="Unit"),
    ] = None
    """
    What the value is counted in: money (euros), years, flag (0/1: no/yes), integer (a whole count, days or hours, even when stored as 2.0), number (a ratio or score), category (a level) (single-feature reasons only)
    """
    value: Annotated[Any | None, Field(title="Value")] = None


ExportFormat = TypeAliasType(
    "ExportFormat",
    Annotated[Literal["jsonl", "csv", "bundle"], Field(title="ExportFormat")],
)


class ExportHumanDecision(BaseModel):
    contests: Annotated[list[ExportContest] | None, Field(title="Contests")] = None
    decided_at: Annotated[AwareDatetime, Field(title="Decided At")]
    decided_by_role: Annotated[str | None, Field(title="Decided By Role")] = "advisor"
    decision: Annotated[Literal["approve", "refuse"], Field(title="Decision")]
    id: Annotated[int | None, Field(title="Id")] = None
    is_override: Annotated[bool, Field(title="Is Override")]
    model_version: Annotated[str, Field(title="Model Version")]
    reason: Annotated[str | None, Field(title="Reason")]
    recommendation: Annotated[
        Literal["approve", "refuse"], Field(title="Recommendation")
    ]
    revises: Annotated[int | None, Field(title="Revises")] = None
    """
    The decision this one revises
    """
    snapshot_id: Annotated[int | None, Field(title="Snapshot Id")] = None


class ExportSnapshot(BaseModel):
    captured_at: Annotated[AwareDatetime, Field(title="Captured At")]
    features: Annotated[dict[str, Any], Field(title="Features")]
    id: Annotated[int, Field(title="Id")]
    input_hash: Annotated[str, Field(title="Input Hash")]


class ExportSubject(BaseModel):
    imported_at: Annotated[AwareDatetime, Field(title="Imported At")]
    key_version: Annotated[str, Field(title="Key Version")]
    pseudonym: Annotated[str, Field(title="Pseudonym")]
    """
    HMAC-SHA256 of the bank id; the bank id itself is not held
    """


class ExportUnknown(BaseModel):
    feature: Annotated[str, Field(title="Feature")]
    """
    Column name in the application file
    """
    label: Annotated[str, Field(title="Label")]


class FairnessGroup(BaseModel):
    approval_rate: Annotated[float | None, Field(title="Approval Rate")] = None
    approval_rate_ci: Annotated[
        list[float | None] | None, Field(title="Approval Rate Ci")
    ] = None
    count: Annotated[int, Field(title="Count")]
    default_rate: Annotated[float | None, Field(title="Default Rate")] = None
    """
    Observed default rate
    """
    default_rate_ci: Annotated[
        list[float | None] | None, Field(title="Default Rate Ci")
    ] = None
    false_positive_rate: Annotated[float | None, Field(title="False Positive Rate")] = (
        None
    )
    false_positive_rate_ci: Annotated[
        list[float | None] | None, Field(title="False Positive Rate Ci")
    ] = None
    group: Annotated[str, Field(title="Group")]
    """
    The group's level as the data spells it (e.g. F, M, unknown); 'pooled' for the row of the pooled groups
    """
    in_ratio: Annotated[bool | None, Field(title="In Ratio")] = None
    """
    Whether the group enters the disparate impact (at least min_group_size people, not unknown)
    """
    masked: Annotated[bool | None, Field(title="Masked")] = False
    """
    Rates and intervals left out (null): fewer than 10 people, or pooled
    """
    pooled: Annotated[bool | None, Field(title="Pooled")] = False
    """
    Counted in the 'pooled' row: under 10 people, or the smallest shown groups completing the pool to 10
    """
    predicted_default_rate: Annotated[
        float | None, Field(title="Predicted Default Rate")
    ] = None
    """
    Mean predicted probability of default
    """
    predicted_default_rate_ci: Annotated[
        list[float | None] | None, Field(title="Predicted Default Rate Ci")
    ] = None
    predicted_to_observed: Annotated[
        float | None, Field(title="Predicted To Observed")
    ] = None
    """
    predicted / observed default rate
    """
    predicted_to_observed_ci: Annotated[
        list[float | None] | None, Field(title="Predicted To Observed Ci")
    ] = None
    true_positive_rate: Annotated[float | None, Field(title="True Positive Rate")] = (
        None
    )
    true_positive_rate_ci: Annotated[
        list[float | None] | None, Field(title="True Positive Rate Ci")
    ] = None
    withheld: Annotated[
        list[Literal["approval", "default", "errors"]] | None, Field(title="Withheld")
    ] = None
    """
    Rates left out (null) because they give 1 to 9 people, in the group or by subtraction from the population: approval (approved / refused), default (defaulters / repayers: default rate, predicted/observed) or errors (refusals by outcome: true and false positive rates)
    """


Percentile1 = TypeAliasType(
    "Percentile1", Annotated[float, Field(ge=0.0, le=100.0, title="Percentile")]
)
"""
Population percentile, 0-100 scale
"""


SameShare = TypeAliasType(
    "SameShare", Annotated[float, Field(ge=0.0, le=1.0, title="Same Share")]
)
"""
A yes/no (unit flag, no percentile): the share of the population with the same answer (0-1); a category: the share of the people with a known value at the client's level (null when that level's count is withheld)
"""


class FeatureComparison(BaseModel):
    model_config = ConfigDict(
        extra="allow",
    )
    atypical: Annotated[bool, Field(title="Atypical")]
    counts: Annotated[list[int | None] | None, Field(title="Counts")] = None
    """
    Population count per level (categories); null for a level withheld: 1 to 9 people of one outcome, or what the totals minus the levels shown would give
    """
    default_rate: Annotated[list[float | None] | None, Field(title="Default Rate")] = (
        None
    )
    """
    Default rate per level (categories); null for a level withheld or with no one, and for a level whose count is shown but whose defaulters or repaid moved by 1 to 9 since an earlier version of the model published its own (its people moved by 0 or 10 or more)
    """
    feature: Annotated[str, Field(title="Feature")]
    hist_defaulters: Annotated[
        list[int | None] | None, Field(title="Hist Defaulters")
    ] = None
    """
    Defaulters per bin (numbers); null for a bin withheld so that the totals minus the bins shown give no count of 1 to 9 people with a missing value
    """
    hist_edges: Annotated[list[float] | None, Field(title="Hist Edges")] = None
    """
    Histogram bin edges (numbers): equal bins, merged until each holds 0 or at least 10 people of each outcome
    """
    hist_repaid: Annotated[list[int | None] | None, Field(title="Hist Repaid")] = None
    """
    Repaid clients per bin (numbers); null where ``hist_defaulters`` is
    """
    kind: Annotated[str, Field(title="Kind")]
    label: Annotated[str, Field(title="Label")]
    levels: Annotated[list[str] | None, Field(title="Levels")] = None
    """
    Category levels (categories)
    """
    median_defaulters: Annotated[float | None, Field(title="Median Defaulters")] = None
    """
    Median among defaulters (numbers)
    """
    median_repaid: Annotated[float | None, Field(title="Median Repaid")] = None
    """
    Median among repaid clients (numbers)
    """
    percentile: Annotated[Percentile1 | None, Field(title="Percentile")] = None
    """
    Population percentile, 0-100 scale
    """
    quantiles: Annotated[list[float] | None, Field(title="Quantiles")] = None
    """
    The population's 101 quantiles (0th to 100th) in the unit the value is shown in (numbers): the percentile of any value is read from them (share below plus half the share equal, linear between quantiles), as the API reads the client's
    """
    same_share: Annotated[SameShare | None, Field(title="Same Share")] = None
    """
    A yes/no (unit flag, no percentile): the share of the population with the same answer (0-1); a category: the share of the people with a known value at the client's level (null when that level's count is withheld)
    """
    unit: Annotated[
        Literal["money", "years", "flag", "integer", "number", "category"],
        Field(title="Unit"),
    ]
    """
    What the value is counted in: money (euros), years, flag (0/1: no/yes), integer (a whole count, days or hours, even when stored as 2.0), number (a ratio or score), category (a level)
    """
    value: Annotated[Any | None, Field(title="Value")] = None


class FeatureInfo(BaseModel):
    categorical: Annotated[bool, Field(title="Categorical")]
    label: Annotated[str, Field(title="Label")]
    name: Annotated[str, Field(title="Name")]


class FieldError(BaseModel):
    field: str
    message: str
    """
    What is wrong, in English, for a person
    """
    reason: str
    """
    Machine-readable rule the value breaks: pydantic's error type (missing, string_too_long, ...) or Octroi's own (contains_client_id, password_too_short, username_taken, ...); stable, word it from this
    """


class Freshness(BaseModel):
    age_seconds: Annotated[float, Field(title="Age Seconds")]
    computed_at: Annotated[AwareDatetime, Field(title="Computed At")]
    """
    When the batch job computed these aggregates
    """
    current: Annotated[bool, Field(title="Current")]
    """
    False when clients or outcomes changed since: a job is due
    """
    pending_changes: Annotated[int | None, Field(title="Pending Changes")] = None
    """
    A newer result on today's population is held: its population is this many people (1 to 9) from a published one; it is published once 10 have changed
    """
    population_revision: Annotated[str, Field(title="Population Revision")]
    """
    Revision of the population (clients, outcomes) used
    """


class Grade(BaseModel):
    grade: Annotated[str, Field(title="Grade")]
    label: Annotated[str, Field(title="Label")]
    pd_max: Annotated[float, Field(title="Pd Max")]
    """
    Highest probability of default of the grade (exclusive)
    """
    pd_min: Annotated[float, Field(title="Pd Min")]
    """
    Lowest probability of default of the grade (inclusive)
    """


class GradeBacktest(BaseModel):
    defaults: Annotated[int | None, Field(title="Defaults")] = None
    grade: Annotated[str, Field(title="Grade")]
    high: Annotated[float | None, Field(title="High")] = None
    low: Annotated[float | None, Field(title="Low")] = None
    """
    Jeffreys interval of the observed rate
    """
    n: Annotated[int | None, Field(title="N")]
    """
    None when the cell holds fewer than 10 people (suppressed)
    """
    observed_rate: Annotated[float | None, Field(title="Observed Rate")] = None
    outcomes_withheld: Annotated[bool | None, Field(title="Outcomes Withheld")] = False
    """
    Its defaults or non-defaults number 1 to 9, directly or by subtraction from the overall defaults, or moved by 1 to 9 since a published result while its people moved by 0 or 10 or more: n and predicted_rate are shown, the outcome figures (defaults, observed rate, interval, test, AUC) are null
    """
    p_value: Annotated[float | None, Field(title="P Value")] = None
    """
    One-sided Jeffreys test; < 0.025 (the predicted rate below the 95 % interval): PD underestimated
    """
    predicted_rate: Annotated[float | None, Field(title="Predicted Rate")] = None
    suppressed: Annotated[bool, Field(title="Suppressed")]
    underestimated: Annotated[bool | None, Field(title="Underestimated")] = None
    """
    The predicted rate lies below the interval [low, high]: the grade's risk is underestimated
    """


class HTTPValidationError(BaseModel):
    code: Annotated[
        Literal["bad_request", "validation_error", "invalid_credentials", "not_authenticated", "password_change_required", "forbidden", "not_found", "method_not_allowed", "conflict", "payload_too_large", "unsupported_media_type", "account_locked", "rate_limited", "audit_unavailable", "model_unavailable", "aggregates_not_computed", "aggregates_held", "service_unavailable", "internal_error", "approval_required", "four_eyes", "decision_contested", "contest_open", "decision_superseded", "no_open_contest", "reviewer_is_decider", "snapshot_unavailable", "model_version_unavailable", "decision_changed", "review_final", "too_many_failures", "session_expired"],
        Field(title="ErrorCode"),
    ]
    """
    Machine-readable kind of error; stable, branch on it rather than on `detail`.
    """
    detail: str
    """
    Every problem as 'field: message; ...'
    """
    errors: list[FieldError]


class Health(BaseModel):
    status: Annotated[str, Field(title="Status")]


class Histogram(BaseModel):
    counts: Annotated[list[int], Field(title="Counts")]
    """
    Applicants per bin: 0 or at least 10, adding up to applicants. Draw count / width, not count
    """
    edges: Annotated[list[float], Field(title="Edges")]
    """
    Probability bin edges (0-1): 20 equal bins, the decision threshold added as an edge (no bin holds both approved and refused applicants), then every bin of 1 to 9 applicants merged with its neighbours until it holds at least 10, so the bins are not all equally wide (a side of the threshold with fewer than 10 applicants in all joins the bin across it)
    """


class Importance(BaseModel):
    feature: Annotated[str, Field(title="Feature")]
    label: Annotated[str, Field(title="Label")]
    mean_abs_shap: Annotated[float, Field(title="Mean Abs Shap")]


class InputField(BaseModel):
    form_order: Annotated[int | None, Field(title="Form Order")] = None
    """
    Position in the new-applicant form an advisor fills; null when not asked there
    """
    label: Annotated[str, Field(title="Label")]
    levels: Annotated[list[str] | None, Field(title="Levels")] = None
    """
    Accepted values (categories)
    """
    max: Annotated[float | None, Field(title="Max")] = None
    """
    Largest accepted value (numbers)
    """
    min: Annotated[float | None, Field(title="Min")] = None
    """
    Smallest accepted value (numbers)
    """
    name: Annotated[str, Field(title="Name")]
    """
    Application column, as sent in 'features' or 'overrides'
    """
    nullable: Annotated[bool, Field(title="Nullable")]
    """
    Whether the field may be left empty (unknown)
    """
    required: Annotated[bool | None, Field(title="Required")] = False
    """
    Must be given for a new applicant ('features'); 422 names it when missing
    """
    special: Annotated[list[float] | None, Field(title="Special")] = None
    """
    Sentinel values accepted outside min-max
    """
    type: Annotated[Literal["number", "integer", "category"], Field(title="Type")]


class InputLabel(BaseModel):
    en: Annotated[str, Field(title="En")]
    fr: Annotated[str, Field(title="Fr")]


class InputSpec(BaseModel):
    fields: Annotated[list[InputField], Field(title="Fields")]
    lang: Annotated[Literal["fr", "en"], Field(title="Lang")]
    model_version: Annotated[str, Field(title="Model Version")]


class Me(BaseModel):
    full_name: Annotated[str, Field(title="Full Name")]
    must_change_password: Annotated[bool, Field(title="Must Change Password")]
    permissions: Annotated[list[str], Field(title="Permissions")]
    role: Annotated[str, Field(title="Role")]
    username: Annotated[str, Field(title="Username")]


class Message(BaseModel):
    detail: Annotated[str, Field(title="Detail")]


class ModelMetrics(BaseModel):
    auc: Annotated[float | None, Field(title="Auc")] = None
    """
    Area under the ROC curve (0.5 = chance, 1 = perfect)
    """
    brier: Annotated[float | None, Field(title="Brier")] = None
    """
    Brier score: mean squared error of the probability
    """
    business_cost: Annotated[float | None, Field(title="Business Cost")] = None
    """
    Total cost at the threshold: cost_fn per missed default + cost_fp per refused good client
    """
    business_cost_per_client: Annotated[
        float | None, Field(title="Business Cost Per Client")
    ] = None
    """
    business_cost / applicants
    """
    evaluation: Annotated[str | None, Field(title="Evaluation")] = None
    """
    How the figures were obtained (e.g. out-of-fold, 5 folds)
    """
    pr_auc: Annotated[float | None, Field(title="Pr Auc")] = None
    """
    Average precision (area under precision-recall)
    """
    precision: Annotated[float | None, Field(title="Precision")] = None
    """
    Share of refusals that are defaults (0-1)
    """
    recall: Annotated[float | None, Field(title="Recall")] = None
    """
    Share of defaults the model refuses (0-1)
    """
    refusal_rate: Annotated[float | None, Field(title="Refusal Rate")] = None
    """
    Share of applicants refused (0-1)
    """


class ModelVersion(BaseModel):
    auc: Annotated[float | None, Field(title="Auc")]
    business_cost_per_client: Annotated[
        float | None, Field(title="Business Cost Per Client")
    ]
    created_at: Annotated[str | None, Field(title="Created At")]
    """
    When it was trained (ISO 8601, from its manifest)
    """
    features: Annotated[int, Field(title="Features")]
    """
    How many model features this version reads
    """
    status: Annotated[
        Literal["champion", "challenger", "retired", "registered"],
        Field(title="Status"),
    ]
    """
    champion, challenger, retired (was champion) or registered
    """
    threshold: Annotated[float | None, Field(title="Threshold")]
    training_data_sha256: Annotated[str | None, Field(title="Training Data Sha256")]
    training_rows: Annotated[int | None, Field(title="Training Rows")]
    version: Annotated[str, Field(title="Version")]


class ModelVersions(BaseModel):
    challenger: Annotated[str | None, Field(title="Challenger")]
    champion: Annotated[str | None, Field(title="Champion")]
    """
    Null: OCTROI_MODEL_DIR is served (nothing promoted)
    """
    serving: Annotated[str | None, Field(title="Serving")]
    """
    The version this API process serves right now
    """
    versions: Annotated[list[ModelVersion], Field(title="Versions")]


class OtherContributions(BaseModel):
    count: Annotated[int, Field(title="Count")]
    effect: Annotated[float, Field(title="Effect")]
    shap: Annotated[float, Field(title="Shap")]


Outcome = TypeAliasType(
    "Outcome", Annotated[Literal["success", "denied", "error"], Field(title="Outcome")]
)


class OverrideCounts(BaseModel):
    approved_against_refusal: Annotated[int, Field(title="Approved Against Refusal")]
    """
    Model said refuse, advisor approved
    """
    decisions: Annotated[int, Field(title="Decisions")]
    override_rate: Annotated[float | None, Field(title="Override Rate")]
    """
    overrides / decisions; null when no decision
    """
    overrides: Annotated[int, Field(title="Overrides")]
    refused_against_approval: Annotated[int, Field(title="Refused Against Approval")]
    """
    Model said approve, advisor refused
    """


class OverrideReason(BaseModel):
    advisor: Annotated[str, Field(title="Advisor")]
    decided_at: Annotated[AwareDatetime, Field(title="Decided At")]
    decision: Annotated[Literal["approve", "refuse"], Field(title="Decision")]
    decision_id: Annotated[int, Field(title="Decision Id")]
    reason: Annotated[str | None, Field(title="Reason")]
    """
    Null once the client was erased
    """
    recommendation: Annotated[
        Literal["approve", "refuse"], Field(title="Recommendation")
    ]


class OverridesReport(BaseModel):
    advisors: Annotated[list[AdvisorOverrides], Field(title="Advisors")]
    contests: ContestCounts | None = None
    overall: OverrideCounts
    period_from: Annotated[AwareDatetime, Field(title="Period From")]
    period_to: Annotated[AwareDatetime, Field(title="Period To")]
    reasons: Annotated[list[OverrideReason] | None, Field(title="Reasons")] = None
    """
    The overrides' reasons, newest first
    """


class PasswordChange(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    current_password: Annotated[
        str, Field(max_length=256, min_length=1, title="Current Password")
    ]
    new_password: Annotated[
        str, Field(max_length=256, min_length=1, title="New Password")
    ]


class PasswordChanged(BaseModel):
    access_token: Annotated[str, Field(title="Access Token")]
    detail: Annotated[str, Field(title="Detail")]
    expires_in: Annotated[int, Field(title="Expires In")]
    """
    Seconds the access token stays valid.
    """
    refresh_token: Annotated[str, Field(title="Refresh Token")]
    role: Annotated[str, Field(title="Role")]
    token_type: Annotated[str | None, Field(title="Token Type")] = "bearer"


class PopulationSample(BaseModel):
    default_rate: Annotated[list[float], Field(title="Default Rate")]
    """
    Observed default rate of each prototype (0-1)
    """
    features: Annotated[list[str], Field(title="Features")]
    """
    Column names of ``rows``
    """
    labels: Annotated[dict[str, str], Field(title="Labels")]
    rows: Annotated[list[list[float | None]], Field(title="Rows")]
    """
    One row per prototype: its medians, in ``features`` order
    """
    size: Annotated[list[int], Field(title="Size")]
    """
    How many training clients each prototype summarises
    """


class PortfolioPrevious(BaseModel):
    applicants: Annotated[int, Field(title="Applicants")]
    approval_rate: Annotated[float | None, Field(title="Approval Rate")]
    """
    Null when a side of the threshold held 1 to 9 applicants
    """
    approved_credit: Annotated[float | None, Field(title="Approved Credit")]
    computed_at: Annotated[AwareDatetime, Field(title="Computed At")]
    expected_default_rate_approved: Annotated[
        float | None, Field(title="Expected Default Rate Approved")
    ]
    expected_loss: Annotated[float | None, Field(title="Expected Loss")]
    """
    As expected_loss, with the same loss given default; null when 1 to 9 were approved
    """
    model_version: Annotated[str, Field(title="Model Version")]


class PortfolioSummary(BaseModel):
    applicants: Annotated[int, Field(title="Applicants")]
    approval_rate: Annotated[float | None, Field(title="Approval Rate")]
    """
    Share of applicants below the threshold; null without applicants, or when a side of the threshold holds 1 to 9 applicants (split_withheld): the rate times applicants would give that side's exact count
    """
    approved_credit: Annotated[float | None, Field(title="Approved Credit")]
    """
    Credit amount over approved applicants; null when 1 to 9 are approved (split_withheld)
    """
    approved_figures_moved: Annotated[
        bool | None, Field(title="Approved Figures Moved")
    ] = False
    """
    The approved applicants changed by 1 to 9 people since a published result: the figures over the approved (expected default rate, expected loss, approved credit) are null, since the difference between the two results would give those people's probability and credit amount
    """
    executive_summary: Annotated[str, Field(title="Executive Summary")]
    expected_default_rate_approved: Annotated[
        float | None, Field(title="Expected Default Rate Approved")
    ]
    """
    Mean probability among approved; null without approved, or when 1 to 9 are (split_withheld), or when they moved by 1 to 9 (approved_figures_moved)
    """
    expected_loss: Annotated[float | None, Field(title="Expected Loss")]
    """
    Sum over approved applicants of probability of default x loss given default (lgd) x credit amount (the exposure), in euros; null when 1 to 9 are approved (split_withheld)
    """
    freshness: Freshness
    """
    When the portfolio job computed this, on which population
    """
    histogram: Histogram
    lang: Annotated[Literal["fr", "en"], Field(title="Lang")]
    lgd: Annotated[float, Field(title="Lgd")]
    """
    Loss given default used by expected_loss, 0-1 (setting OCTROI_LGD)
    """
    model_version: Annotated[str, Field(title="Model Version")]
    previous: PortfolioPrevious | None = None
    """
    The latest earlier run to compare with: another model version, or the same model on a population that changed by at least 10 applicants (never a change of one person); null when there is none
    """
    risk_bands: Annotated[list[BandCount], Field(title="Risk Bands")]
    """
    Applicants per grade of the PD master scale, lowest risk first; a grade of 1 to 9 applicants merged with its neighbour grade (the one holding fewer) until every row holds 0 or at least 10
    """
    split_withheld: Annotated[
        Literal["approved", "refused", "both", "beside", "moved"] | None,
        Field(title="Split Withheld"),
    ] = None
    """
    The side of the threshold holding 1 to 9 applicants (approved, refused or both), whose split is not served: approval_rate is null and, when the approved side is small, so are every figure over the approved (expected default rate, expected loss, approved credit); "beside": a drift report published before on the same applicants gives a count under one of its deciles 1 to 9 from the approved applicants, so approval_rate and every segment's rate are null and the threshold is no histogram edge; "moved": the approved or the refused changed by 1 to 9 people since a published result, whose approval rate with this one would give how those people were decided, so approval_rate and every segment's rate are null and the threshold is no histogram edge; null otherwise
    """
    threshold: Annotated[float, Field(title="Threshold")]


class ProfileField(BaseModel):
    field: Annotated[str, Field(title="Field")]
    label: Annotated[str, Field(title="Label")]
    unit: Annotated[
        Literal["money", "years", "flag", "integer", "number", "category"],
        Field(title="Unit"),
    ]
    """
    What the value is counted in: money (euros), years, flag (0/1: no/yes), integer (a whole count, days or hours, even when stored as 2.0), number (a ratio or score), category (a level)
    """
    value: Annotated[Any | None, Field(title="Value")] = None


class PrototypeFeature(BaseModel):
    median: Annotated[float | None, Field(title="Median")] = None
    """
    Numbers: median (3 significant digits)
    """
    missing_share: Annotated[float, Field(ge=0.0, le=1.0, title="Missing Share")]
    mode: Annotated[str | None, Field(title="Mode")] = None
    """
    Categories: the most common level
    """
    mode_share: Annotated[float | None, Field(title="Mode Share")] = None
    q25: Annotated[float | None, Field(title="Q25")] = None
    q75: Annotated[float | None, Field(title="Q75")] = None


class ProxyCheck(BaseModel):
    auc: Annotated[float | None, Field(title="Auc")] = None
    """
    Null when too few people to measure
    """
    columns: Annotated[list[str] | None, Field(title="Columns")] = None
    question: Annotated[str, Field(title="Question")]
    rows: Annotated[int, Field(title="Rows")]


class PurgedEvent(BaseModel):
    newest_purged_ts: Annotated[AwareDatetime, Field(title="Newest Purged Ts")]
    """
    The date of the newest event it deleted
    """
    retention_days: Annotated[int, Field(title="Retention Days")]
    """
    The audit retention it applied
    """
    through_seq: Annotated[int, Field(title="Through Seq")]
    """
    The purge deleted the audit events up to this sequence number
    """


class Readiness(BaseModel):
    checks: Annotated[dict[str, str], Field(title="Checks")]
    status: Annotated[str, Field(title="Status")]


Percentile2 = TypeAliasType(
    "Percentile2", Annotated[float, Field(ge=0.0, le=100.0, title="Percentile")]
)
"""
0-100 (single numeric feature, not a yes/no): share of the population below the value plus half the share equal to it
"""


SameShare1 = TypeAliasType(
    "SameShare1", Annotated[float, Field(ge=0.0, le=1.0, title="Same Share")]
)
"""
A yes/no (unit flag) has no percentile: the share of the population with the same answer (0-1)
"""


class ReasonModel(BaseModel):
    effect: Annotated[float, Field(title="Effect")]
    """
    Summed contribution in probability (0-1 scale)
    """
    features: Annotated[list[str], Field(title="Features")]
    """
    The model features this reason sums
    """
    key: Annotated[str, Field(title="Key")]
    """
    A model feature, or a family such as 'external_scores'
    """
    label: Annotated[str, Field(title="Label")]
    percentile: Annotated[Percentile2 | None, Field(title="Percentile")] = None
    """
    0-100 (single numeric feature, not a yes/no): share of the population below the value plus half the share equal to it
    """
    same_share: Annotated[SameShare1 | None, Field(title="Same Share")] = None
    """
    A yes/no (unit flag) has no percentile: the share of the population with the same answer (0-1)
    """
    shap: Annotated[float, Field(title="Shap")]
    """
    Summed contribution in log-odds
    """
    unit: Annotated[
        Literal["money", "years", "flag", "integer", "number", "category"] | None,
        Field(title="Unit"),
    ] = None
    """
    What the value is counted in: money (euros), years, flag (0/1: no/yes), integer (a whole count, days or hours, even when stored as 2.0), number (a ratio or score), category (a level) (single-feature reasons only)
    """
    value: Annotated[Any | None, Field(title="Value")] = None
    """
    The client's value (single-feature reasons only)
    """


class RefreshRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    refresh_token: Annotated[
        str, Field(max_length=4096, min_length=1, title="Refresh Token")
    ]


class RegisterFeature(BaseModel):
    label: Annotated[str, Field(title="Label")]
    name: Annotated[str, Field(title="Name")]


class RegisterRecipient(BaseModel):
    permissions: Annotated[list[str], Field(title="Permissions")]
    personal_data_access: Annotated[str, Field(title="Personal Data Access")]
    role: Annotated[str, Field(title="Role")]
    """
    The role's code in the policy table (security/rbac.py)
    """
    role_label: Annotated[str, Field(title="Role Label")]
    """
    The role's name in the register's language
    """


class RegisterRetention(BaseModel):
    data: Annotated[str, Field(title="Data")]
    period: Annotated[str, Field(title="Period")]
    setting: Annotated[str | None, Field(title="Setting")]
    """
    The environment variable that sets it, if any
    """
    value: Annotated[int | str | None, Field(title="Value")] = None


class RegisterTable(BaseModel):
    category: Annotated[str, Field(title="Category")]
    columns: Annotated[list[str], Field(title="Columns")]
    personal_data: Annotated[bool, Field(title="Personal Data")]
    table: Annotated[str, Field(title="Table")]


class ReproduceCheck(BaseModel):
    check: Annotated[str, Field(title="Check")]
    identical: Annotated[bool, Field(title="Identical")]
    recomputed: Annotated[Any | None, Field(title="Recomputed")] = None
    recorded: Annotated[Any | None, Field(title="Recorded")] = None


class ReproducedScore(BaseModel):
    contributions: Annotated[list[dict[str, Any]], Field(title="Contributions")]
    decision: Annotated[Literal["approve", "refuse"], Field(title="Decision")]
    display_score: Annotated[int, Field(title="Display Score")]
    explanation_text: Annotated[str, Field(title="Explanation Text")]
    probability: Annotated[float, Field(title="Probability")]
    risk_band: Annotated[str, Field(title="Risk Band")]
    threshold: Annotated[float, Field(title="Threshold")]


class Reproduction(BaseModel):
    audit_purged: PurgedEvent | None = None
    """
    The decision is older than the audit retention: its audit event was deleted by this signed retention purge, so the row was not compared with a chained event (no audit_* check); null when the event was found (or is missing, which is a difference)
    """
    checks: Annotated[list[ReproduceCheck], Field(title="Checks")]
    decision_id: Annotated[int, Field(title="Decision Id")]
    differences: Annotated[list[ReproduceCheck], Field(title="Differences")]
    """
    Every check that did not match (empty when identical)
    """
    lang: Annotated[Literal["fr", "en"], Field(title="Lang")]
    model_version: Annotated[str, Field(title="Model Version")]
    recomputed: ReproducedScore
    """
    Computed now from the snapshot with that version; stored nowhere
    """
    snapshot_captured_at: Annotated[AwareDatetime, Field(title="Snapshot Captured At")]
    verdict: Annotated[Literal["identical", "differs"], Field(title="Verdict")]


class RetentionPurge(BaseModel):
    actor: Annotated[str, Field(title="Actor")]
    """
    Who ran it (cli:<os user>)
    """
    at: Annotated[AwareDatetime, Field(title="At")]
    """
    When the purge ran (its audit event)
    """
    clients_deleted: Annotated[int | None, Field(title="Clients Deleted")]
    """
    Applicants whose data it deleted; null for a purge that left the applicants' data alone
    """
    events_deleted: Annotated[int, Field(title="Events Deleted")]
    """
    Audit events past their retention period it deleted
    """


class RetentionStatus(BaseModel):
    audit_retention_days: Annotated[int, Field(title="Audit Retention Days")]
    """
    OCTROI_AUDIT_RETENTION_DAYS
    """
    client_retention_days: Annotated[int, Field(title="Client Retention Days")]
    """
    OCTROI_CLIENT_RETENTION_DAYS: an applicant's data go after this long without activity in their file
    """
    clients_due: Annotated[int, Field(title="Clients Due")]
    """
    Applicants the purge would delete now
    """
    clients_due_soon: Annotated[int, Field(title="Clients Due Soon")]
    """
    Applicants who reach the end of the period within notice_days (beyond those due now), unless their file sees activity
    """
    clients_held: Annotated[int, Field(title="Clients Held")]
    """
    Applicants whose data are held
    """
    last_purge: RetentionPurge | None
    """
    The last purge the audit trail holds; null if none
    """
    notice_days: Annotated[int, Field(title="Notice Days")]
    """
    The window of clients_due_soon
    """


Contest = TypeAliasType(
    "Contest", Annotated[int, Field(ge=1, le=9007199254740992, title="Contest")]
)
"""
The open contest the reviewer read (its id in the history). When given and no longer the open one (reviewed meanwhile, then contested anew): 409 `decision_changed`
"""


class ReviewRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    contest: Annotated[Contest | None, Field(title="Contest")] = None
    """
    The open contest the reviewer read (its id in the history). When given and no longer the open one (reviewed meanwhile, then contested anew): 409 `decision_changed`
    """
    decision: Annotated[
        Literal["approve", "refuse"] | None, Field(title="Decision")
    ] = None
    """
    The new decision; required when revised
    """
    outcome: Annotated[Literal["upheld", "revised"], Field(title="Outcome")]
    """
    Keep the contested decision, or revise it
    """
    reason: Annotated[str, Field(max_length=1000, min_length=1, title="Reason")]
    """
    Why (given to the applicant)
    """


class ReviewResult(BaseModel):
    contest: ContestRecord
    revision: DecisionEntry | None
    """
    The new decision when the outcome is 'revised'
    """


class Score(BaseModel):
    beyond_training: Annotated[
        list[BeyondTraining] | None, Field(title="Beyond Training")
    ] = None
    """
    Numeric model inputs (derived ratios included; not yes/no answers nor counts of blanks) whose value lies beyond the training population's published ends (its 10th smallest and 10th largest values, the ends of the comparison's quantiles: fewer than 10 people lay beyond), by more than the span of the outermost percentile (the end to the 1st or 99th): the trees score it like the most extreme cases they learned from, whatever the value (an income of 1, an annuity 19 times the income), so the score there is an extrapolation to check. The model's most important first
    """
    borderline: Annotated[bool, Field(title="Borderline")]
    """
    True when the probability lies inside the bootstrap interval of the cost-optimal threshold (borderline_interval): the recommendation depends on sampling noise, a human review is due
    """
    borderline_interval: Annotated[
        list[float], Field(max_length=2, min_length=2, title="Borderline Interval")
    ]
    """
    [low, high): central 90 % of bootstrapped cost-optimal thresholds
    """
    decision: Annotated[Literal["approve", "refuse"], Field(title="Decision")]
    """
    Refuse when probability >= threshold
    """
    decision_label: Annotated[str, Field(title="Decision Label")]
    """
    The recommendation in words, in the request's language
    """
    display_score: Annotated[int, Field(ge=0, le=1000, title="Display Score")]
    """
    Octroi score: fixed mapping of the probability, higher is safer; 600 at odds of 50 good clients per defaulter (PD 1.96 %), +40 points per doubling of those odds; not tied to the threshold
    """
    model_version: Annotated[str, Field(title="Model Version")]
    probability: Annotated[float, Field(title="Probability")]
    """
    Probability of default (0-1); never stored
    """
    pseudonym: Annotated[str | None, Field(title="Pseudonym")] = None
    risk_band: Annotated[str, Field(title="Risk Band")]
    """
    Grade on the fixed PD master scale (A lowest risk ... G highest); independent of the threshold, the same meaning for every model version
    """
    risk_band_label: Annotated[str, Field(title="Risk Band Label")]
    """
    The grade in words, in the request's language
    """
    risk_band_range: Annotated[
        list[float], Field(max_length=2, min_length=2, title="Risk Band Range")
    ]
    """
    [lowest, highest) probability of the grade
    """
    threshold: Annotated[float, Field(title="Threshold")]
    unlearned_unknowns: Annotated[
        list[str] | None, Field(title="Unlearned Unknowns")
    ] = None
    """
    Inputs the scored file leaves unknown that the training data (almost) never lacked (under 1 % of rows): the model learned what 'unknown' means for them from almost no one, so their effect on this score is not reliable and the score is indicative until the file is completed. The new-applicant form's fields first (form order), then the others (the model's most important first)
    """


class ScoreDrift(BaseModel):
    current_shares: Annotated[list[float | None], Field(title="Current Shares")]
    """
    Today's share per training decile; null when withheld (current_withheld): never an exact share of fewer than 10 people, nor one that 1 minus the others would give
    """
    current_withheld: Annotated[
        list[Literal["small", "complement", "moved"] | None] | None,
        Field(title="Current Withheld"),
    ] = None
    """
    Per decile, why its current share is null: "small" (1 to 9 people), "moved" (its people changed by 1 to 9 since a published report: the two shares would say how many of the newcomers lie in it), "complement" (the smallest other deciles, withheld with them until the withheld ones hold at least 10 people, and changed by 0 or at least 10, since the shares add up to 1); null when served
    """
    edges: Annotated[list[float], Field(title="Edges")]
    """
    Inner bin edges of the probability (training deciles)
    """
    expected_auc: Annotated[float | None, Field(title="Expected Auc")] = None
    """
    AUC a calibrated model should reach on this population, before any outcome
    """
    mean_probability: Annotated[float, Field(title="Mean Probability")]
    mean_probability_training: Annotated[
        float | None, Field(title="Mean Probability Training")
    ]
    psi: Annotated[float | None, Field(title="Psi")]
    """
    Population stability index of the score against the training reference; null when a decile's share is withheld (it would solve for it): psi_level says its range
    """
    psi_level: Annotated[
        Literal["ok", "watch", "act"] | None, Field(title="Psi Level")
    ] = None
    """
    The range psi lies in: ok (< 0.10), watch (0.10 to 0.25), act (>= 0.25); given also when psi is withheld
    """
    psi_previous_level: Annotated[
        Literal["ok", "watch", "act"] | None, Field(title="Psi Previous Level")
    ] = None
    """
    The same for psi_previous_period (null for the first run)
    """
    psi_previous_period: Annotated[float | None, Field(title="Psi Previous Period")]
    """
    PSI against the previous drift run (null for the first, or withheld as psi is)
    """
    reference_shares: Annotated[list[float], Field(title="Reference Shares")]
    status: Annotated[
        Literal["ok", "watch", "act"] | Literal["unknown"], Field(title="Status")
    ]


class Segment(BaseModel):
    approval_rate: Annotated[float | None, Field(title="Approval Rate")]
    """
    Share of the segment's applicants under the threshold; null when withheld: it would give 1 to 9 approved or refused applicants, directly, by subtraction from a result published before (its approved or refused moved by 1 to 9 while its applicants moved by 0 or 10 or more), or by subtraction from the portfolio's approvals once another one is withheld (see rates_withheld)
    """
    count: Annotated[int, Field(title="Count")]
    mean_probability: Annotated[float, Field(title="Mean Probability")]
    segment: Annotated[str, Field(title="Segment")]
    """
    The level, or "pooled": the segments under 10 applicants together, with the smallest others when needed so that the pool holds at least 10
    """


class SegmentBacktest(BaseModel):
    auc: AucInterval | None = None
    calibration: Calibration | None = None
    """
    Observed against predicted defaults in the segment (None in a result stored before segments carried it)
    """
    defaults: Annotated[int | None, Field(title="Defaults")] = None
    miscalibrated: Annotated[bool | None, Field(title="Miscalibrated")] = None
    """
    The segment's observed defaults differ from its predicted ones beyond chance: the calibration test's p-value under 0.05 divided by the number of segments tested in the segmentation (Bonferroni)
    """
    n: Annotated[int | None, Field(title="N")]
    observed_rate: Annotated[float | None, Field(title="Observed Rate")] = None
    outcomes_withheld: Annotated[bool | None, Field(title="Outcomes Withheld")] = False
    """
    Its defaults or non-defaults number 1 to 9, directly or by subtraction from the overall defaults, or moved by 1 to 9 since a published result while its people moved by 0 or 10 or more: n and predicted_rate are shown, the outcome figures (defaults, observed rate, interval, test, AUC) are null
    """
    predicted_rate: Annotated[float | None, Field(title="Predicted Rate")] = None
    segment: Annotated[str, Field(title="Segment")]
    suppressed: Annotated[bool, Field(title="Suppressed")]


class Segments(BaseModel):
    by: Annotated[
        Literal["contract_type", "gender", "age_band", "income_type", "education", "family_status"],
        Field(title="By"),
    ]
    freshness: Freshness
    min_segment_size: Annotated[int, Field(title="Min Segment Size")]
    model_version: Annotated[str, Field(title="Model Version")]
    moved: Annotated[int | None, Field(title="Moved")] = 0
    """
    Of the suppressed segments, those pooled although they hold 10 or more: since a published result, they (or the pool without them) gained or lost 1 to 9 applicants, whose figures the two results would give by subtraction
    """
    rates_withheld: Annotated[int | None, Field(title="Rates Withheld")] = 0
    """
    Rows whose approval rate is withheld (null): those with 1 to 9 approved or refused applicants, the smallest others needed so that the withheld rows hold 0 or at least 10 of each, or every row when the portfolio's own approval rate is withheld
    """
    segments: Annotated[list[Segment], Field(title="Segments")]
    suppressed: Annotated[int, Field(title="Suppressed")]
    """
    Segments not shown on their own but in the "pooled" row: those under 10 applicants, and the smallest others the pool needed to reach 10 (else the total minus the rows shown would give the figures of fewer people), and those pooled because they moved (see moved)
    """


class SimulationRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    client_id: Annotated[str | None, Field(title="Client Id")] = None
    """
    A client to vary (what-if)
    """
    features: Annotated[dict[str, Any] | None, Field(title="Features")] = None
    """
    A new applicant's application fields (missing ones stay empty)
    """
    lang: Annotated[Literal["fr", "en"] | None, Field(title="Lang")] = "fr"
    overrides: Annotated[dict[str, Any] | None, Field(title="Overrides")] = None
    """
    Fields changed for the what-if
    """
    top: Annotated[int | None, Field(ge=1, le=50, title="Top")] = 10


class StoredFeature(BaseModel):
    feature: Annotated[str, Field(title="Feature")]
    """
    Column name in the application file
    """
    label: Annotated[str, Field(title="Label")]
    """
    What the value says, in the export's language (the age for DAYS_BIRTH, the days since for the other day counts)
    """
    raw_value: Annotated[Any | None, Field(title="Raw Value")] = None
    """
    The value as the bank's file holds it (codes, negative day counts): the machine-readable copy (Art. 20)
    """
    value: Annotated[str, Field(title="Value")]
    """
    The value as a person reads it, in the export's language: category levels in words, yes/no, amounts, ages and times employed in completed years, other day counts as positive days; 'non renseigné'/'not given' when the file has none
    """


class Thresholds(BaseModel):
    act: Annotated[float, Field(title="Act")]
    watch: Annotated[float, Field(title="Watch")]


class TokenResponse(BaseModel):
    access_token: Annotated[str, Field(title="Access Token")]
    expires_in: Annotated[int, Field(title="Expires In")]
    """
    Seconds the access token stays valid.
    """
    refresh_token: Annotated[str, Field(title="Refresh Token")]
    role: Annotated[str, Field(title="Role")]
    token_type: Annotated[str | None, Field(title="Token Type")] = "bearer"


class UserCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    full_name: Annotated[str | None, Field(max_length=200, title="Full Name")] = ""
    role: Annotated[
        Literal["advisor", "comex", "compliance", "admin"], Field(title="Role")
    ]
    username: Annotated[str, Field(max_length=256, title="Username")]
    """
    3 to 64 characters: lowercase letters, digits, '.', '_' or '-', starting with a letter or digit; read in NFKC form (full-width 'ｒｖｂ' is 'rvb'), control and format characters refused. A name breaking the rule is refused with reason `username_format`.
    """


class UserOut(BaseModel):
    active: Annotated[bool, Field(title="Active")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    full_name: Annotated[str, Field(title="Full Name")]
    locked_until: Annotated[AwareDatetime | None, Field(title="Locked Until")]
    must_change_password: Annotated[bool, Field(title="Must Change Password")]
    role: Annotated[
        Literal["advisor", "comex", "compliance", "admin"], Field(title="Role")
    ]
    username: Annotated[str, Field(title="Username")]


class UserUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    active: Annotated[bool | None, Field(title="Active")] = None
    role: Literal["advisor", "comex", "compliance", "admin"] | None = None


class VerificationOut(BaseModel):
    checkpoints_checked: Annotated[int, Field(title="Checkpoints Checked")]
    events_checked: Annotated[int, Field(title="Events Checked")]
    first_invalid_seq: Annotated[int | None, Field(title="First Invalid Seq")]
    first_seq: Annotated[int | None, Field(title="First Seq")] = 1
    reason: Annotated[str | None, Field(title="Reason")]
    reason_code: Literal["sequence_gap", "sequence_disorder", "link_broken", "content_edited", "checkpoint_signature", "checkpoint_mismatch", "tail_truncated", "anchor_signature", "anchor_retention", "purge_unanchored", "witness_unreadable", "witness_checkpoint_signature", "witness_anchor_invalid", "head_shortened", "witness_rewritten", "witness_checkpoint_missing", "witness_anchor_missing", "ts_backdated", "ts_future", "ts_not_canonical", "mac_invalid", "mac_missing", "event_repeated", "erasure_undone", "decision_altered", "account_altered", "other"] | None = (
        None
    )
    sequencer_lag_seconds: Annotated[
        float | None, Field(title="Sequencer Lag Seconds")
    ] = 0.0
    unchained_events: Annotated[int | None, Field(title="Unchained Events")] = 0
    valid: Annotated[bool, Field(title="Valid")]
    warnings: Annotated[list[str] | None, Field(title="Warnings")] = []


class AccessRequestCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    kind: Annotated[Literal["role", "enable"], Field(title="Kind")]
    role: Literal["advisor", "comex", "compliance", "admin"] | None = None
    """
    required when kind is role
    """


class AccessRequestOut(BaseModel):
    decided_at: Annotated[AwareDatetime | None, Field(title="Decided At")]
    decided_by: Annotated[str | None, Field(title="Decided By")]
    id: Annotated[int, Field(title="Id")]
    kind: Annotated[Literal["create", "role", "enable", "reset"], Field(title="Kind")]
    requested_at: Annotated[AwareDatetime, Field(title="Requested At")]
    requested_by: Annotated[str, Field(title="Requested By")]
    role: Annotated[
        Literal["advisor", "comex", "compliance", "admin"], Field(title="Role")
    ]
    status: Annotated[Literal["pending", "approved", "rejected"], Field(title="Status")]
    username: Annotated[str, Field(title="Username")]


class Alert(BaseModel):
    against: Annotated[Literal["training", "previous_period"], Field(title="Against")]
    level: Annotated[Literal["watch", "act"], Field(title="Level")]
    measure: Annotated[Literal["psi", "csi"], Field(title="Measure")]
    subject: Annotated[str, Field(title="Subject")]
    """
    "score" or an input column
    """
    subject_label: InputLabel | None
    """
    The input's name for people (null when the subject is the score)
    """
    value: Annotated[float | None, Field(title="Value")]
    """
    The index; null for the score's PSI when it is withheld (see ScoreDrift.psi): the level still says its range
    """


class BacktestReport(BaseModel):
    auc: AucInterval | None = None
    calibration: Calibration | None = None
    cohorts: Annotated[list[CohortBacktest], Field(title="Cohorts")]
    confidence: Annotated[float | None, Field(title="Confidence")] = None
    defaults: Annotated[int | None, Field(title="Defaults")] = None
    expected_auc: Annotated[float | None, Field(title="Expected Auc")] = None
    """
    AUC expected from the probabilities alone; far above the realised one: concept drift
    """
    freshness: Freshness
    grades: Annotated[list[GradeBacktest], Field(title="Grades")]
    history: Annotated[list[BacktestHistoryPoint], Field(title="History")]
    """
    Earlier backtests, most recent first
    """
    min_cell: Annotated[int, Field(title="Min Cell")]
    model_version: Annotated[str, Field(title="Model Version")]
    n: Annotated[int | None, Field(title="N")]
    """
    Clients with a known outcome (None under 10: suppressed)
    """
    outcomes_withheld: Annotated[bool | None, Field(title="Outcomes Withheld")] = False
    """
    The overall defaults or non-defaults number 1 to 9: defaults, AUC and calibration are null, and every row's outcomes with them
    """
    segments: Annotated[dict[str, list[SegmentBacktest]], Field(title="Segments")]
    suppressed: Annotated[bool, Field(title="Suppressed")]


class ClientProfile(BaseModel):
    imported_at: Annotated[AwareDatetime, Field(title="Imported At")]
    key_version: Annotated[str, Field(title="Key Version")]
    profile: Annotated[list[ProfileField], Field(title="Profile")]
    pseudonym: Annotated[str, Field(title="Pseudonym")]
    """
    HMAC-SHA256 of the bank id; the bank id itself is never stored
    """


class Comparison(BaseModel):
    atypical_features: Annotated[list[str], Field(title="Atypical Features")]
    atypicality: Annotated[float, Field(ge=0.0, le=1.0, title="Atypicality")]
    """
    Share of known numeric features outside p1-p99
    """
    features: Annotated[list[FeatureComparison], Field(title="Features")]
    lang: Annotated[Literal["fr", "en"], Field(title="Lang")]
    model_version: Annotated[str, Field(title="Model Version")]
    population_default_rate: Annotated[float, Field(title="Population Default Rate")]
    pseudonym: Annotated[str, Field(title="Pseudonym")]
    sample: PopulationSample | None = None
    """
    Population sample for scatter plots (only when ``sample`` > 0)
    """


class ErasureRequestList(BaseModel):
    requests: Annotated[list[ErasureRequestOut], Field(title="Requests")]
    """
    Newest first, at most 200
    """
    status: Annotated[
        Literal["pending", "confirmed", "refused", "expired"], Field(title="Status")
    ]


class ErrorBody(BaseModel):
    code: Annotated[
        Literal["bad_request", "validation_error", "invalid_credentials", "not_authenticated", "password_change_required", "forbidden", "not_found", "method_not_allowed", "conflict", "payload_too_large", "unsupported_media_type", "account_locked", "rate_limited", "audit_unavailable", "model_unavailable", "aggregates_not_computed", "aggregates_held", "service_unavailable", "internal_error", "approval_required", "four_eyes", "decision_contested", "contest_open", "decision_superseded", "no_open_contest", "reviewer_is_decider", "snapshot_unavailable", "model_version_unavailable", "decision_changed", "review_final", "too_many_failures", "session_expired"],
        Field(title="ErrorCode"),
    ]
    """
    Machine-readable kind of error; stable, branch on it rather than on `detail`.
    """
    detail: str
    """
    What is wrong, for a person
    """
    errors: list[FieldError] | None = None
    """
    When the refusal is about a field: which, and why
    """


class ExclusionImpact(BaseModel):
    folds: Annotated[int, Field(title="Folds")]
    policy: ExclusionResult
    with_attribute: Annotated[
        dict[str, ExclusionChange] | None, Field(title="With Attribute")
    ] = None


class Explanation(BaseModel):
    base_probability: Annotated[float, Field(title="Base Probability")]
    """
    The training population's observed default rate (the average risk)
    """
    base_value: Annotated[float, Field(title="Base Value")]
    """
    Expected log-odds over the training population
    """
    contributions: Annotated[list[Contribution], Field(title="Contributions")]
    decision: Annotated[Literal["approve", "refuse"], Field(title="Decision")]
    lang: Annotated[Literal["fr", "en"], Field(title="Lang")]
    logit: Annotated[float, Field(title="Logit")]
    """
    base_value + every contribution's shap
    """
    model_version: Annotated[str, Field(title="Model Version")]
    other: OtherContributions
    """
    The features outside the top ones, summed
    """
    probability: Annotated[float, Field(title="Probability")]
    pseudonym: Annotated[str | None, Field(title="Pseudonym")] = None
    reasons: Annotated[list[ReasonModel], Field(title="Reasons")]
    """
    What may be told to the client (text, PDF, data-subject export)
    """
    reference_probability: Annotated[float, Field(title="Reference Probability")]
    """
    sigmoid(base_value): the model's reference point from which the effects add up
    """
    text: Annotated[str, Field(title="Text")]


class ExportAutomatedDecision(BaseModel):
    base_probability: Annotated[float | None, Field(title="Base Probability")] = None
    """
    The training population's observed default rate (the 'average risk' quoted)
    """
    beyond_training: Annotated[
        list[ExportUnknown] | None, Field(title="Beyond Training")
    ] = None
    """
    Inputs (derived ratios included) valued beyond what fewer than 10 people of the training data had: the model learned nothing beyond them, so this score is an extrapolation
    """
    contributions: Annotated[list[ExportContribution], Field(title="Contributions")]
    cost_fn: Annotated[float, Field(title="Cost Fn")]
    """
    Cost weight of granting a loan that defaults
    """
    cost_fp: Annotated[float, Field(title="Cost Fp")]
    """
    Cost weight of refusing a loan that would be repaid
    """
    display_score: Annotated[int, Field(title="Display Score")]
    explanation_text: Annotated[str, Field(title="Explanation Text")]
    features_used: Annotated[list[str], Field(title="Features Used")]
    model_version: Annotated[str, Field(title="Model Version")]
    other_count: Annotated[int | None, Field(title="Other Count")] = None
    """
    How many factors other_effect covers
    """
    other_effect: Annotated[float | None, Field(title="Other Effect")] = None
    """
    The effect of every factor not listed (protected attributes included), together
    """
    probability: Annotated[float, Field(title="Probability")]
    recommendation: Annotated[
        Literal["approve", "refuse"], Field(title="Recommendation")
    ]
    reference_probability: Annotated[
        float | None, Field(title="Reference Probability")
    ] = None
    """
    The model's reference point: reference_probability + the contributions' effects + other_effect = probability
    """
    risk_band: Annotated[str, Field(title="Risk Band")]
    threshold: Annotated[float, Field(title="Threshold")]
    """
    Refuse when the probability of default reaches it
    """
    unlearned_unknowns: Annotated[
        list[ExportUnknown] | None, Field(title="Unlearned Unknowns")
    ] = None
    """
    Inputs the stored file leaves unknown that the training data (almost) never lacked: the model learned what 'unknown' means for them from almost no one, so this score is indicative
    """


class FairnessAttribute(BaseModel):
    disparate_impact: Annotated[float | None, Field(title="Disparate Impact")] = None
    """
    Lowest / highest approval rate among the groups with in_ratio
    """
    four_fifths_rule_met: Annotated[
        bool | None, Field(title="Four Fifths Rule Met")
    ] = None
    """
    disparate_impact >= 0.8
    """
    min_group_size: Annotated[int | None, Field(title="Min Group Size")] = None
    """
    The smallest group the disparate impact counts: 30 people and 1 % of all
    """
    rows: Annotated[list[FairnessGroup] | None, Field(title="Rows")] = None


class FairnessReport(BaseModel):
    exclusions: ExclusionImpact | None = None
    groups: Annotated[dict[str, FairnessAttribute] | None, Field(title="Groups")] = None
    """
    Per protected attribute (sex, age, ...): groups and disparate impact
    """
    method: Annotated[str | None, Field(title="Method")] = None
    proxies: Annotated[dict[str, ProxyCheck] | None, Field(title="Proxies")] = None
    threshold: Annotated[float | None, Field(title="Threshold")] = None


class GlobalImportance(BaseModel):
    features: Annotated[list[Importance], Field(title="Features")]
    lang: Annotated[Literal["fr", "en"], Field(title="Lang")]
    model_version: Annotated[str, Field(title="Model Version")]


class InputDrift(BaseModel):
    csi: Annotated[float, Field(title="Csi")]
    """
    Characteristic stability index against the training reference
    """
    csi_previous_period: Annotated[float | None, Field(title="Csi Previous Period")]
    input: Annotated[str, Field(title="Input")]
    kind: Annotated[Literal["number", "category"], Field(title="Kind")]
    label: InputLabel
    """
    The input's name for people; `input` is the raw column
    """
    missing_share: Annotated[float | None, Field(title="Missing Share")]
    """
    Share of missing values; null when 1 to 9 people (missing_suppressed) or when it changed by 1 to 9 since a published report (moved_shares): never an exact share of fewer than 10 people, 0 when none
    """
    missing_share_training: Annotated[
        float | None, Field(title="Missing Share Training")
    ]
    """
    Share of missing values in the training rows; null when 1 to 9 people (never an exact share of fewer than 10 people)
    """
    missing_suppressed: Annotated[bool | None, Field(title="Missing Suppressed")] = (
        False
    )
    """
    1 to 9 people: the share is not served
    """
    moved_shares: Annotated[
        list[Literal["missing_share", "out_of_range_share", "unseen_category_share"]] | None,
        Field(title="Moved Shares"),
    ] = None
    """
    Shares not served (null) because they, or the rows beside them, changed by 1 to 9 people since a published report: the two shares would say how many of the new or gone applicants hold them (missing values compared with every report, the others with the same model's)
    """
    out_of_range_share: Annotated[float | None, Field(title="Out Of Range Share")]
    """
    Share outside the training minimum-maximum; null when 1 to 9 people (out_of_range_suppressed) or changed by 1 to 9 since a published report (moved_shares), 0 when none
    """
    out_of_range_suppressed: Annotated[
        bool | None, Field(title="Out Of Range Suppressed")
    ] = False
    """
    1 to 9 people: the share is not served
    """
    status: Annotated[
        Literal["ok", "watch", "act"] | Literal["unknown"], Field(title="Status")
    ]
    unseen_categories: Annotated[list[str], Field(title="Unseen Categories")]
    """
    The unseen levels held by at least 10 people each
    """
    unseen_categories_suppressed: Annotated[
        int | None, Field(title="Unseen Categories Suppressed")
    ] = 0
    """
    Unseen levels not named: each held by fewer than 10 people
    """
    unseen_category_share: Annotated[float | None, Field(title="Unseen Category Share")]
    """
    Share with a level the training rows never held; null when 1 to 9 people (unseen_category_suppressed) or changed by 1 to 9 since a published report (moved_shares), 0 when none
    """
    unseen_category_suppressed: Annotated[
        bool | None, Field(title="Unseen Category Suppressed")
    ] = False
    """
    1 to 9 people: the share is not served
    """


class ModelCard(BaseModel):
    borderline_interval: Annotated[
        list[float], Field(max_length=2, min_length=2, title="Borderline Interval")
    ]
    """
    [low, high): a probability inside is flagged borderline
    """
    cost_fn: Annotated[float, Field(title="Cost Fn")]
    cost_fp: Annotated[float, Field(title="Cost Fp")]
    fairness: FairnessReport
    features: Annotated[list[FeatureInfo], Field(title="Features")]
    lang: Annotated[Literal["fr", "en"], Field(title="Lang")]
    master_scale: Annotated[list[Grade], Field(title="Master Scale")]
    """
    The fixed PD master scale behind every risk grade
    """
    metrics: ModelMetrics
    model_card: Annotated[str, Field(title="Model Card")]
    """
    The model card (Markdown), in the request's language
    """
    threshold: Annotated[float, Field(title="Threshold")]
    trained_at: Annotated[str | None, Field(title="Trained At")]
    """
    When the bundle was trained (ISO 8601, UTC)
    """
    training_data: Annotated[dict[str, Any], Field(title="Training Data")]
    version: Annotated[str, Field(title="Version")]


class PasswordReset(BaseModel):
    access_request: AccessRequestOut | None = None
    one_time_password: Annotated[str | None, Field(title="One Time Password")] = None
    """
    Comex accounts: shown once. Others: null, see access_request.
    """
    username: Annotated[str, Field(title="Username")]


class ProcessingRegister(BaseModel):
    automated_decision_making: Annotated[
        dict[str, str], Field(title="Automated Decision Making")
    ]
    controller: Annotated[str, Field(title="Controller")]
    data_categories: Annotated[list[RegisterTable], Field(title="Data Categories")]
    data_subjects: Annotated[list[str], Field(title="Data Subjects")]
    generated_at: Annotated[AwareDatetime, Field(title="Generated At")]
    lang: Annotated[Literal["fr", "en"], Field(title="Lang")]
    """
    Language of every sentence and role name
    """
    legal_bases: Annotated[list[str], Field(title="Legal Bases")]
    model_features: Annotated[list[RegisterFeature], Field(title="Model Features")]
    model_version: Annotated[str | None, Field(title="Model Version")]
    processors: Annotated[list[dict[str, str]], Field(title="Processors")]
    purposes: Annotated[list[dict[str, str]], Field(title="Purposes")]
    recipients: Annotated[list[RegisterRecipient], Field(title="Recipients")]
    retention: Annotated[list[RegisterRetention], Field(title="Retention")]
    security_measures: Annotated[list[str], Field(title="Security Measures")]
    system: Annotated[dict[str, Any], Field(title="System")]
    transfers_outside_eu: Annotated[str, Field(title="Transfers Outside Eu")]


class Prototype(BaseModel):
    default_rate: Annotated[float, Field(ge=0.0, le=1.0, title="Default Rate")]
    """
    Their observed default rate
    """
    distance: Annotated[float, Field(title="Distance")]
    """
    Distance from the client in the similarity space
    """
    features: Annotated[dict[str, PrototypeFeature], Field(title="Features")]
    size: Annotated[int, Field(ge=10, title="Size")]
    """
    How many training clients the prototype summarises
    """


class Similar(BaseModel):
    client: Annotated[dict[str, float | str | None], Field(title="Client")]
    """
    The client's value of each feature: a number, or a category's level
    """
    default_rate: Annotated[float, Field(title="Default Rate")]
    """
    Default rate of all the people in these prototypes (size-weighted)
    """
    features: Annotated[list[str], Field(title="Features")]
    k: Annotated[int, Field(title="K")]
    labels: Annotated[dict[str, str], Field(title="Labels")]
    min_size: Annotated[int, Field(title="Min Size")]
    """
    Every prototype summarises at least this many clients
    """
    model_version: Annotated[str, Field(title="Model Version")]
    population_default_rate: Annotated[float, Field(title="Population Default Rate")]
    prototypes: Annotated[list[Prototype], Field(title="Prototypes")]
    """
    Nearest first
    """
    pseudonym: Annotated[str, Field(title="Pseudonym")]
    units: Annotated[
        dict[str, Literal["money", "years", "flag", "integer", "number", "category"]],
        Field(title="Units"),
    ]
    """
    Each feature's unit. What the value is counted in: money (euros), years, flag (0/1: no/yes), integer (a whole count, days or hours, even when stored as 2.0), number (a ratio or score), category (a level)
    """


class Simulation(BaseModel):
    explanation: Explanation
    mode: Annotated[Literal["new", "what_if"], Field(title="Mode")]
    overridden: Annotated[list[str] | None, Field(title="Overridden")] = None
    score: Score
    unlearned_unknowns: Annotated[
        list[str] | None, Field(title="Unlearned Unknowns")
    ] = None
    """
    Inputs left unknown that the training data (almost) never lacked (under 1 % of rows): the model learned what 'unknown' means for them from almost no one, so their effect on this score is not reliable. The new-applicant form's fields first (form order), then the inputs the form does not ask (the model's most important first)
    """


class UserCreated(BaseModel):
    access_request: AccessRequestOut | None = None
    """
    The pending request a second admin must approve, if any.
    """
    active: Annotated[bool, Field(title="Active")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    full_name: Annotated[str, Field(title="Full Name")]
    locked_until: Annotated[AwareDatetime | None, Field(title="Locked Until")]
    must_change_password: Annotated[bool, Field(title="Must Change Password")]
    one_time_password: Annotated[str | None, Field(title="One Time Password")] = None
    """
    Shown once (comex accounts); for advisor, compliance and admin accounts it goes to the admin who approves the request instead.
    """
    role: Annotated[
        Literal["advisor", "comex", "compliance", "admin"], Field(title="Role")
    ]
    username: Annotated[str, Field(title="Username")]


class AccessDecision(BaseModel):
    one_time_password: Annotated[str | None, Field(title="One Time Password")] = None
    """
    Approved: the account's new one-time password, shown once, for the approver to hand to its holder (who must change it at first login).
    """
    request: AccessRequestOut


class ClientExport(BaseModel):
    audit_events: Annotated[list[ExportAuditEvent], Field(title="Audit Events")]
    automated_decision: ExportAutomatedDecision | None
    """
    Null when no model is loaded (then see automated_decision_unavailable)
    """
    automated_decision_unavailable: Annotated[
        str | None, Field(title="Automated Decision Unavailable")
    ] = None
    controller_note: Annotated[str, Field(title="Controller Note")]
    decision_snapshots: Annotated[
        list[ExportSnapshot] | None, Field(title="Decision Snapshots")
    ] = None
    generated_at: Annotated[AwareDatetime, Field(title="Generated At")]
    human_decisions: Annotated[
        list[ExportHumanDecision], Field(title="Human Decisions")
    ]
    lang: Annotated[Literal["fr", "en"], Field(title="Lang")]
    stored_data: Annotated[list[StoredFeature], Field(title="Stored Data")]
    subject: ExportSubject


class DriftReport(BaseModel):
    alerts: Annotated[list[Alert], Field(title="Alerts")]
    freshness: Freshness
    history: Annotated[list[DriftHistoryPoint], Field(title="History")]
    """
    Earlier drift runs, most recent first
    """
    inputs: Annotated[list[InputDrift], Field(title="Inputs")]
    level: Annotated[Literal["ok", "watch", "act"], Field(title="Level")]
    """
    Highest alert level: ok, watch (>= 0.10) or act (>= 0.25)
    """
    min_cell: Annotated[int | None, Field(title="Min Cell")] = 10
    """
    Shares of fewer people than this are not served exactly
    """
    model_version: Annotated[str, Field(title="Model Version")]
    rows: Annotated[int, Field(title="Rows")]
    score: ScoreDrift
    thresholds: Thresholds
    training_rows: Annotated[int | None, Field(title="Training Rows")] = None
    """
    Rows the model was trained on (its training reference); null when the version is no longer known
    """
