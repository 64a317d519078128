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
                    "holds both approved and refused applicants), then every bin of 1 to 9 applicants merged with "
                    "its neighbours until it holds at least 10, so the bins are not all equally wide (a side of the "
                    "threshold with fewer than 10 applicants in all joins the bin across it)"
    )
    counts: list[int] = Field(
        description="Applicants per bin: 0 or at least 10, adding up to applicants. Draw count / width, not count")


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
    segment: str = Field(description='The level, or "pooled": the segments under 10 applicants together, with the '
                                     "smallest others when needed so that the pool holds at least 10")
    count: int
    approval_rate: float
    mean_probability: float


class Segments(BaseModel):
    model_version: str
    by: SegmentBy
    segments: list[Segment]
    suppressed: int = Field(description='Segments not shown on their own but in the "pooled" row: those under 10 '
                                        "applicants, and the smallest others the pool needed to reach 10 (else the "
                                        "total minus the rows shown would give the figures of fewer people)")
    min_segment_size: int
    freshness: Freshness
