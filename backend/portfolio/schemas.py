"""Portfolio responses: aggregates only, never an individual client."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from backend.monitoring.schemas import Freshness

SplitWithheld = Literal["approved", "refused", "both", "beside", "moved"]
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
    band: str = Field(description='A grade of the PD master scale (A lowest risk ... G highest), or adjacent grades '
                                  'merged ("F-G") when a grade holds 1 to 9 applicants')
    grades: list[str] = Field(default_factory=list,
                              description="The grades the row covers, in order (one unless merged)")
    count: int = Field(description="Applicants in the row: 0 or at least 10")
    share: float


class PortfolioPrevious(BaseModel):
    """An earlier portfolio run's headline figures (aggregates only), read with today's LGD."""

    computed_at: datetime
    model_version: str
    applicants: int
    approval_rate: float | None = Field(description="Null when a side of the threshold held 1 to 9 applicants")
    expected_default_rate_approved: float | None
    expected_loss: float | None = Field(
        description="As expected_loss, with the same loss given default; null when 1 to 9 were approved")
    approved_credit: float | None


class PortfolioSummary(BaseModel):
    model_version: str
    applicants: int
    threshold: float
    approval_rate: float | None = Field(
        description="Share of applicants below the threshold; null without applicants, or when a side of the "
                    "threshold holds 1 to 9 applicants (split_withheld): the rate times applicants would give "
                    "that side's exact count")
    split_withheld: SplitWithheld | None = Field(
        default=None,
        description="The side of the threshold holding 1 to 9 applicants (approved, refused or both), whose split "
                    "is not served: approval_rate is null and, when the approved side is small, so are every figure "
                    "over the approved (expected default rate, expected loss, approved credit); \"beside\": a drift "
                    "report published before on the same applicants gives a count under one of its deciles 1 to 9 "
                    "from the approved applicants, so approval_rate and every segment's rate are null and the "
                    "threshold is no histogram edge; \"moved\": the approved or the refused changed by 1 to 9 people since a "
                    "published result, whose approval rate with this one would give how those people were decided, "
                    "so approval_rate and every segment's rate are null and the threshold is no histogram edge; null "
                    "otherwise")
    approved_figures_moved: bool = Field(
        default=False,
        description="The approved applicants changed by 1 to 9 people since a published result: the figures over the "
                    "approved (expected default rate, expected loss, approved credit) are null, since the difference "
                    "between the two results would give those people's probability and credit amount")
    expected_default_rate_approved: float | None = Field(
        description="Mean probability among approved; null without approved, or when 1 to 9 are (split_withheld), "
                    "or when they moved by 1 to 9 (approved_figures_moved)")
    expected_loss: float | None = Field(
        description="Sum over approved applicants of probability of default x loss given default (lgd) x "
                    "credit amount (the exposure), in euros; null when 1 to 9 are approved (split_withheld)")
    lgd: float = Field(description="Loss given default used by expected_loss, 0-1 (setting OCTROI_LGD)")
    approved_credit: float | None = Field(
        description="Credit amount over approved applicants; null when 1 to 9 are approved (split_withheld)")
    histogram: Histogram
    risk_bands: list[BandCount] = Field(
        description="Applicants per grade of the PD master scale, lowest risk first; a grade of 1 to 9 applicants "
                    "merged with its neighbour grade (the one holding fewer) until every row holds 0 or at least 10")
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
    approval_rate: float | None = Field(description="Share of the segment's applicants under the threshold; null when "
                                                    "withheld: it would give 1 to 9 approved or refused applicants, "
                                                    "directly, by subtraction from a result published before (its "
                                                    "approved or refused moved by 1 to 9 while its applicants moved by "
                                                    "0 or 10 or more), or by subtraction from the portfolio's approvals "
                                                    "once another one is withheld (see rates_withheld)")
    mean_probability: float


class Segments(BaseModel):
    model_version: str
    by: SegmentBy
    segments: list[Segment]
    suppressed: int = Field(description='Segments not shown on their own but in the "pooled" row: those under 10 '
                                        "applicants, and the smallest others the pool needed to reach 10 (else the "
                                        "total minus the rows shown would give the figures of fewer people), and "
                                        "those pooled because they moved (see moved)")
    moved: int = Field(0, description="Of the suppressed segments, those pooled although they hold 10 or more: since "
                                      "a published result, they (or the pool without them) gained or lost 1 to 9 "
                                      "applicants, whose figures the two results would give by subtraction")
    rates_withheld: int = Field(0, description="Rows whose approval rate is withheld (null): those with 1 to 9 "
                                                "approved or refused applicants, the smallest others needed so that "
                                                "the withheld rows hold 0 or at least 10 of each, or every row when "
                                                "the portfolio's own approval rate is withheld")
    min_segment_size: int
    freshness: Freshness
