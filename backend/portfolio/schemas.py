"""Portfolio responses: aggregates only, never an individual client."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from backend.monitoring.schemas import Freshness

SegmentBy = Literal["contract_type", "gender", "age_band", "income_type", "education", "family_status"]


class Histogram(BaseModel):
    edges: list[float] = Field(description="Probability bin edges (0-1)")
    counts: list[int]


class BandCount(BaseModel):
    band: str
    count: int
    share: float


class PortfolioSummary(BaseModel):
    model_version: str
    applicants: int
    threshold: float
    approval_rate: float | None
    expected_default_rate_approved: float | None = Field(description="Mean probability among approved")
    expected_loss: float = Field(description="Sum of probability x credit over approved applicants")
    approved_credit: float
    histogram: Histogram
    risk_bands: list[BandCount]
    executive_summary: str
    lang: Literal["fr", "en"]
    freshness: Freshness = Field(description="When the portfolio job computed this, on which population")


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
