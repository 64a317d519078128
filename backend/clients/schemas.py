"""Request and response models of the client, scoring and model endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Lang = Literal["fr", "en"]
# What a feature's value is counted in (ml.features.VALUE_UNITS): how to write it for a person.
Unit = Literal["money", "years", "flag", "integer", "number", "category"]
UNIT_DESCRIPTION = ("What the value is counted in: money (euros), years, flag (0/1: no/yes), integer (a whole "
                    "count, days or hours, even when stored as 2.0), number (a ratio or score), category (a level)")


class ProfileField(BaseModel):
    field: str
    label: str
    value: Any = None
    unit: Unit = Field(description=UNIT_DESCRIPTION)


class ClientProfile(BaseModel):
    pseudonym: str = Field(description="HMAC-SHA256 of the bank id; the bank id itself is never stored")
    key_version: str
    imported_at: datetime
    profile: list[ProfileField]


class BeyondTraining(BaseModel):
    feature: str = Field(description="A numeric model input (a derived ratio included)")
    label: str = Field(description="Its name for people, in the request's language")


class Score(BaseModel):
    pseudonym: str | None = None
    probability: float = Field(description="Probability of default (0-1); never stored")
    threshold: float
    decision: Literal["approve", "refuse"] = Field(description="Refuse when probability >= threshold")
    decision_label: str = Field(description="The recommendation in words, in the request's language")
    borderline: bool = Field(
        description="True when the probability lies inside the bootstrap interval of the cost-optimal "
        "threshold (borderline_interval): the recommendation depends on sampling noise, a human review is due"
    )
    borderline_interval: list[float] = Field(
        min_length=2, max_length=2, description="[low, high): central 90 % of bootstrapped cost-optimal thresholds"
    )
    risk_band: str = Field(description="Grade on the fixed PD master scale (A lowest risk ... G highest); "
                           "independent of the threshold, the same meaning for every model version")
    risk_band_label: str = Field(description="The grade in words, in the request's language")
    risk_band_range: list[float] = Field(min_length=2, max_length=2, description="[lowest, highest) probability of the grade")
    display_score: int = Field(
        ge=0, le=1000, description="Octroi score: fixed mapping of the probability, higher is safer; 600 at odds of "
        "50 good clients per defaulter (PD 1.96 %), +40 points per doubling of those odds; not tied to the threshold"
    )
    model_version: str
    unlearned_unknowns: list[str] = Field(
        default_factory=list,
        description="Inputs the scored file leaves unknown that the training data (almost) never lacked (under "
        "1 % of rows): the model learned what 'unknown' means for them from almost no one, so their effect on "
        "this score is not reliable and the score is indicative until the file is completed. The new-applicant "
        "form's fields first (form order), then the others (the model's most important first)",
    )
    beyond_training: list[BeyondTraining] = Field(
        default_factory=list,
        description="Numeric model inputs (derived ratios included; not yes/no answers nor counts of blanks) "
        "whose value lies beyond the training population's published ends (its 10th smallest and 10th largest "
        "values, the ends of the comparison's quantiles: fewer than 10 people lay beyond), by more than the span "
        "of the outermost percentile (the end to the 1st or 99th): the trees score it "
        "like the most extreme cases they learned from, whatever the value (an income of 1, an annuity 19 "
        "times the income), so the score there is an extrapolation to check. The model's most important first",
    )


class Contribution(BaseModel):
    feature: str
    label: str
    value: Any = None
    unit: Unit = Field(description=UNIT_DESCRIPTION)
    percentile: float | None = Field(
        default=None, ge=0, le=100, description="Population percentile of the value, on a 0-100 scale: share of the "
        "population below it plus half the share equal to it; none for a yes/no"
    )
    shap: float = Field(description="Contribution in log-odds")
    effect: float = Field(
        description="The contribution converted to probability (0-1 scale; x100 for percentage points); the "
        "effects add up from reference_probability to probability"
    )
    protected: str | None = Field(
        default=None,
        description="The protected attribute this feature comes from when the fair-lending policy allows it "
        "with a justification (e.g. 'age'); such a contribution is for the advisor only, never a reason",
    )


class Reason(BaseModel):
    """A reason that can be given to the client: never a protected attribute; correlated
    features (the external scores) summed into one."""

    key: str = Field(description="A model feature, or a family such as 'external_scores'")
    label: str
    features: list[str] = Field(description="The model features this reason sums")
    value: Any = Field(default=None, description="The client's value (single-feature reasons only)")
    unit: Unit | None = Field(default=None, description=UNIT_DESCRIPTION + " (single-feature reasons only)")
    percentile: float | None = Field(
        default=None, ge=0, le=100,
        description="0-100 (single numeric feature, not a yes/no): share of the population below the value plus "
        "half the share equal to it",
    )
    same_share: float | None = Field(
        default=None, ge=0, le=1,
        description="A yes/no (unit flag) has no percentile: the share of the population with the same answer (0-1)",
    )
    shap: float = Field(description="Summed contribution in log-odds")
    effect: float = Field(description="Summed contribution in probability (0-1 scale)")


class OtherContributions(BaseModel):
    shap: float
    effect: float
    count: int


class Explanation(BaseModel):
    pseudonym: str | None = None
    model_version: str
    probability: float
    decision: Literal["approve", "refuse"]
    base_value: float = Field(description="Expected log-odds over the training population")
    base_probability: float = Field(description="The training population's observed default rate (the average risk)")
    reference_probability: float = Field(
        description="sigmoid(base_value): the model's reference point from which the effects add up"
    )
    logit: float = Field(description="base_value + every contribution's shap")
    contributions: list[Contribution]
    other: OtherContributions = Field(description="The features outside the top ones, summed")
    reasons: list[Reason] = Field(description="What may be told to the client (text, PDF, data-subject export)")
    text: str
    lang: Lang


class FeatureComparison(BaseModel):
    model_config = ConfigDict(extra="allow")

    feature: str
    label: str
    kind: str
    value: Any = None
    unit: Unit = Field(description=UNIT_DESCRIPTION)
    percentile: float | None = Field(default=None, ge=0, le=100, description="Population percentile, 0-100 scale")
    atypical: bool
    # Documented so the dashboard reads them through the contract (issue 13), not as extras.
    levels: list[str] | None = Field(default=None, description="Category levels (categories)")
    counts: list[int | None] | None = Field(
        default=None, description="Population count per level (categories); null for a level withheld: 1 to 9 people "
        "of one outcome, or what the totals minus the levels shown would give",
    )
    default_rate: list[float | None] | None = Field(
        default=None, description="Default rate per level (categories); null for a level withheld or with no one, "
        "and for a level whose count is shown but whose defaulters or repaid moved by 1 to 9 since an earlier version "
        "of the model published its own (its people moved by 0 or 10 or more)",
    )
    quantiles: list[float] | None = Field(
        default=None,
        description="The population's 101 quantiles (0th to 100th) in the unit the value is shown in (numbers): "
        "the percentile of any value is read from them (share below plus half the share equal, linear between "
        "quantiles), as the API reads the client's",
    )
    same_share: float | None = Field(
        default=None, ge=0, le=1, description="A yes/no (unit flag, no percentile): the share of the population "
        "with the same answer (0-1); a category: the share of the people with a known value at the client's level "
        "(null when that level's count is withheld)",
    )
    hist_edges: list[float] | None = Field(
        default=None, description="Histogram bin edges (numbers): equal bins, merged until each holds 0 or at least 10 "
        "people of each outcome",
    )
    hist_defaulters: list[int | None] | None = Field(
        default=None, description="Defaulters per bin (numbers); null for a bin withheld so that the totals minus the "
        "bins shown give no count of 1 to 9 people with a missing value",
    )
    hist_repaid: list[int | None] | None = Field(default=None, description="Repaid clients per bin (numbers); null "
                                                 "where ``hist_defaulters`` is")
    median_defaulters: float | None = Field(default=None, description="Median among defaulters (numbers)")
    median_repaid: float | None = Field(default=None, description="Median among repaid clients (numbers)")


class PopulationSample(BaseModel):
    """Anonymous prototypes as points (groups of at least 10 training clients; no person)."""

    features: list[str] = Field(description="Column names of ``rows``")
    labels: dict[str, str]
    rows: list[list[float | None]] = Field(description="One row per prototype: its medians, in ``features`` order")
    size: list[int] = Field(description="How many training clients each prototype summarises")
    default_rate: list[float] = Field(description="Observed default rate of each prototype (0-1)")


class Comparison(BaseModel):
    pseudonym: str
    model_version: str
    lang: Lang
    features: list[FeatureComparison]
    atypical_features: list[str]
    atypicality: float = Field(ge=0, le=1, description="Share of known numeric features outside p1-p99")
    population_default_rate: float
    sample: PopulationSample | None = Field(
        default=None, description="Population sample for scatter plots (only when ``sample`` > 0)"
    )


class PrototypeFeature(BaseModel):
    missing_share: float = Field(ge=0, le=1)
    median: float | None = Field(default=None, description="Numbers: median (3 significant digits)")
    q25: float | None = None
    q75: float | None = None
    mode: str | None = Field(default=None, description="Categories: the most common level")
    mode_share: float | None = None


class Prototype(BaseModel):
    """An anonymous group of training clients similar to each other (never one person)."""

    size: int = Field(ge=10, description="How many training clients the prototype summarises")
    default_rate: float = Field(ge=0, le=1, description="Their observed default rate")
    distance: float = Field(description="Distance from the client in the similarity space")
    features: dict[str, PrototypeFeature]


class Similar(BaseModel):
    pseudonym: str
    model_version: str
    k: int
    features: list[str]
    labels: dict[str, str]
    client: dict[str, float | str | None] = Field(
        description="The client's value of each feature: a number, or a category's level"
    )
    units: dict[str, Unit] = Field(description="Each feature's unit. " + UNIT_DESCRIPTION)
    prototypes: list[Prototype] = Field(description="Nearest first")
    default_rate: float = Field(description="Default rate of all the people in these prototypes (size-weighted)")
    population_default_rate: float
    min_size: int = Field(description="Every prototype summarises at least this many clients")


class SimulationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    features: dict[str, Any] | None = Field(
        default=None, description="A new applicant's application fields (missing ones stay empty)"
    )
    client_id: str | None = Field(default=None, description="A client to vary (what-if)")
    overrides: dict[str, Any] | None = Field(default=None, description="Fields changed for the what-if")
    top: int = Field(default=10, ge=1, le=50)
    lang: Lang = "fr"


class Simulation(BaseModel):
    mode: Literal["new", "what_if"]
    score: Score
    explanation: Explanation
    overridden: list[str] = Field(default_factory=list)
    unlearned_unknowns: list[str] = Field(
        default_factory=list,
        description="Inputs left unknown that the training data (almost) never lacked (under 1 % of rows): "
        "the model learned what 'unknown' means for them from almost no one, so their effect on this score "
        "is not reliable. The new-applicant form's fields first (form order), then the inputs the form does "
        "not ask (the model's most important first)",
    )
