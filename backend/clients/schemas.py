"""Request and response models of the client, scoring and model endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Lang = Literal["fr", "en"]


class ProfileField(BaseModel):
    field: str
    label: str
    value: Any = None


class ClientProfile(BaseModel):
    pseudonym: str = Field(description="HMAC-SHA256 of the bank id; the bank id itself is never stored")
    key_version: str
    imported_at: datetime
    profile: list[ProfileField]


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


class Contribution(BaseModel):
    feature: str
    label: str
    value: Any = None
    percentile: float | None = Field(
        default=None, ge=0, le=100, description="Population percentile of the value, on a 0-100 scale"
    )
    shap: float = Field(description="Contribution in log-odds")
    effect: float = Field(
        description="The contribution converted to probability (0-1 scale; x100 for percentage points); the "
        "effects add up from reference_probability to probability"
    )


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
    text: str
    lang: Lang


class FeatureComparison(BaseModel):
    model_config = ConfigDict(extra="allow")

    feature: str
    label: str
    kind: str
    value: Any = None
    percentile: float | None = Field(default=None, ge=0, le=100, description="Population percentile, 0-100 scale")
    atypical: bool
    # Documented so the dashboard reads them through the contract (issue 13), not as extras.
    levels: list[str] | None = Field(default=None, description="Category levels (categories)")
    counts: list[int] | None = Field(default=None, description="Population count per level (categories)")
    default_rate: list[float | None] | None = Field(default=None, description="Default rate per level (categories)")
    hist_edges: list[float] | None = Field(default=None, description="Histogram bin edges (numbers)")
    hist_defaulters: list[int] | None = Field(default=None, description="Defaulters per bin (numbers)")
    hist_repaid: list[int] | None = Field(default=None, description="Repaid clients per bin (numbers)")
    median_defaulters: float | None = Field(default=None, description="Median among defaulters (numbers)")
    median_repaid: float | None = Field(default=None, description="Median among repaid clients (numbers)")


class PopulationSample(BaseModel):
    """Anonymous reference rows: feature values and known outcome, no identifier of any kind."""

    features: list[str] = Field(description="Column names of ``rows``")
    labels: dict[str, str]
    rows: list[list[float | None]] = Field(description="One row per reference profile, in ``features`` order")
    outcome: list[int] = Field(description="Known outcome per row: 1 = payment difficulties")


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


class Neighbour(BaseModel):
    distance: float
    target: int = Field(description="Known outcome: 1 = payment difficulties")
    features: dict[str, float | None]


class Similar(BaseModel):
    pseudonym: str
    model_version: str
    k: int
    features: list[str]
    labels: dict[str, str]
    client: dict[str, float | None]
    neighbours: list[Neighbour]
    default_rate: float
    population_default_rate: float


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
