"""Portfolio responses: aggregates only, never an individual client."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from backend.monitoring.schemas import Freshness

SegmentBy = Literal["contract_type", "gender", "age_band", "income_type", "education", "family_status"]


class Histogram(BaseModel):
    edges: list[float] = Field(
        description="Probability bin edges (0-1): 20 equal bins, the decision threshold added as an edge (no bin "
                    "holds both approved and refused applicants)"
    )
    counts: list[int]


class BandCount(BaseModel):
    band: str
    count: int
    share: float


class PortfolioPrevious(BaseModel):
    """An earlier portfolio run's headline figures (aggregates only), read with today's LGD."""

    computed_at: datetime
    model_version: str
    applicants: int
    approval_rate: float | None
    expected_default_rate_approved: float | None
    expected_loss: float = Field(description="As expected_loss, with the same loss given default")
    approved_credit: float


class PortfolioSummary(BaseModel):
    model_version: str
    applicants: int
    threshold: float
    approval_rate: float | None
    expected_default_rate_approved: float | None = Field(description="Mean probability among approved")
    expected_loss: float = Field(
        description="Sum over approved applicants of probability of default x loss given default (lgd) x "
                    "credit amount (the exposure), in euros")
    lgd: float = Field(description="Loss given default used by expected_loss, 0-1 (setting OCTROI_LGD)")
    approved_credit: float
    histogram: Histogram
    risk_bands: list[BandCount]
    executive_summary: str
    lang: Literal["fr", "en"]
    freshness: Freshness = Field(description="When the portfolio job computed this, on which population")
    previous: PortfolioPrevious | None = Field(
        default=None,
        description="The latest earlier run to compare with: another model version, or the same model on a "
                    "population that changed by at least 10 applicants (never a change of one person); null "
                    "when there is none")


class Segment(BaseModel):
    segment: str
    count: int
    approval_rate: float
    mean_probability: float


class Segments(BaseModel):
    model_version: str
    by: SegmentBy
    segments: list[Segment]
    suppressed: int = Field(description="Segments hidden because they hold fewer than 10 applicants")
    min_segment_size: int
    freshness: Freshness
