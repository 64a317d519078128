"""Monitoring responses: aggregates only (cells under 10 people suppressed), with freshness."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, computed_field, model_validator

from ml.disclosure import MIN_CELL
from ml.labels import label
from ml.monitoring import protected_input, served_score

Level = Literal["ok", "watch", "act"]



ROW_OUTCOMES_WITHHELD = ("Its defaults or non-defaults number 1 to 9, directly or by subtraction from the overall "
                         "defaults, or moved by 1 to 9 since a published result while its people moved by 0 or 10 "
                         "or more: n and predicted_rate are shown, the outcome figures (defaults, observed rate, "
                         "interval, test, AUC) are null")

class InputLabel(BaseModel):
    """An input's name for people in each language of the dashboard (``ml.labels``)."""

    fr: str
    en: str

    @classmethod
    def of(cls, column: str) -> InputLabel:
        return cls(fr=label(column, "fr"), en=label(column, "en"))


class Freshness(BaseModel):
    computed_at: datetime = Field(description="When the batch job computed these aggregates")
    age_seconds: float
    population_revision: str = Field(description="Revision of the population (clients, outcomes) used")
    current: bool = Field(description="False when clients or outcomes changed since: a job is due")
    pending_changes: int | None = Field(
        None, description="A newer result on today's population is held: its population is this many people "
                          "(1 to 9) from a published one; it is published once 10 have changed")


class Thresholds(BaseModel):
    watch: float
    act: float


class ScoreDrift(BaseModel):
    psi: float | None = Field(description="Population stability index of the score against the training reference; "
                                          "null when a decile's share is withheld (it would solve for it): "
                                          "psi_level says its range")
    psi_previous_period: float | None = Field(description="PSI against the previous drift run (null for the first, "
                                                          "or withheld as psi is)")
    psi_level: Level | None = Field(None, description="The range psi lies in: ok (< 0.10), watch (0.10 to 0.25), "
                                                      "act (>= 0.25); given also when psi is withheld")
    psi_previous_level: Level | None = Field(None, description="The same for psi_previous_period (null for the "
                                                               "first run)")
    status: Level | Literal["unknown"]
    edges: list[float] = Field(description="Inner bin edges of the probability (training deciles)")
    reference_shares: list[float]
    current_shares: list[float | None] = Field(
        description="Today's share per training decile; null when withheld (current_withheld): never an exact "
                    "share of fewer than 10 people, nor one that 1 minus the others would give")
    current_withheld: list[Literal["small", "complement", "moved"] | None] = Field(
        default_factory=list,
        description='Per decile, why its current share is null: "small" (1 to 9 people), "moved" (its people '
                    "changed by 1 to 9 since a published report: the two shares would say how many of the "
                    'newcomers lie in it), "complement" (the smallest other deciles, withheld with them until the '
                    "withheld ones hold at least 10 people, and changed by 0 or at least 10, since the shares add "
                    "up to 1); null when served")
    mean_probability_training: float | None
    mean_probability: float
    expected_auc: float | None = Field(
        default=None, description="AUC a calibrated model should reach on this population, before any outcome")


class InputDrift(BaseModel):
    input: str
    kind: Literal["number", "category"]
    csi: float = Field(description="Characteristic stability index against the training reference")
    csi_previous_period: float | None
    status: Level | Literal["unknown"]
    missing_share: float | None = Field(
        description="Share of missing values; null when 1 to 9 people (missing_suppressed) or when it changed by "
                    "1 to 9 since a published report (moved_shares): never an exact share of fewer than 10 people, "
                    "0 when none")
    missing_suppressed: bool = Field(False, description="1 to 9 people: the share is not served")
    missing_share_training: float | None = Field(
        description="Share of missing values in the training rows; null when 1 to 9 people (never an exact share "
                    "of fewer than 10 people)")
    out_of_range_share: float | None = Field(
        description="Share outside the training minimum-maximum; null when 1 to 9 people (out_of_range_suppressed) "
                    "or changed by 1 to 9 since a published report (moved_shares), 0 when none")
    out_of_range_suppressed: bool = Field(False, description="1 to 9 people: the share is not served")
    unseen_category_share: float | None = Field(
        description="Share with a level the training rows never held; null when 1 to 9 people "
                    "(unseen_category_suppressed) or changed by 1 to 9 since a published report (moved_shares), "
                    "0 when none")
    unseen_category_suppressed: bool = Field(False, description="1 to 9 people: the share is not served")
    unseen_categories: list[str] = Field(description="The unseen levels held by at least 10 people each")
    unseen_categories_suppressed: int = Field(
        0, description="Unseen levels not named: each held by fewer than 10 people")
    moved_shares: list[Literal["missing_share", "out_of_range_share", "unseen_category_share"]] = Field(
        default_factory=list,
        description="Shares not served (null) because they, or the rows beside them, changed by 1 to 9 people "
                    "since a published report: the two shares would say how many of the new or gone applicants "
                    "hold them (missing values compared with every report, the others with the same model's)")

    @computed_field(description="The input's name for people; `input` is the raw column")  # type: ignore[prop-decorator]
    @property
    def label(self) -> InputLabel:
        return InputLabel.of(self.input)


class Alert(BaseModel):
    subject: str = Field(description='"score" or an input column')
    measure: Literal["psi", "csi"]
    value: float | None = Field(description="The index; null for the score's PSI when it is withheld (see ScoreDrift."
                                            "psi): the level still says its range")
    level: Literal["watch", "act"]
    against: Literal["training", "previous_period"]

    @computed_field(description="The input's name for people (null when the subject is the score)")  # type: ignore[prop-decorator]
    @property
    def subject_label(self) -> InputLabel | None:
        return None if self.subject == "score" else InputLabel.of(self.subject)


class DriftHistoryPoint(BaseModel):
    computed_at: datetime
    model_version: str
    rows: int
    score_psi: float | None = Field(description="null when that run's PSI is withheld (ScoreDrift.psi)")
    score_psi_level: Level | None = Field(None, description="The range score_psi lies in, given also when it is "
                                                            "withheld (ScoreDrift.psi_level)")
    level: Level
    alerts: int


class DriftReport(BaseModel):
    model_version: str
    freshness: Freshness
    rows: int
    training_rows: int | None = Field(None, description="Rows the model was trained on (its training reference); "
                                                        "null when the version is no longer known")
    min_cell: int = Field(MIN_CELL, description="Shares of fewer people than this are not served exactly")
    thresholds: Thresholds
    level: Level = Field(description="Highest alert level: ok, watch (>= 0.10) or act (>= 0.25)")
    score: ScoreDrift
    inputs: list[InputDrift]
    alerts: list[Alert]
    history: list[DriftHistoryPoint] = Field(description="Earlier drift runs, most recent first")

    @model_validator(mode="before")
    @classmethod
    def _small_shares(cls, data: Any) -> Any:
        """Every input's shares and the score's deciles as they may be served (``ml.monitoring.protected_input``), also
        for a report stored before shares of fewer than 10 people were suppressed."""
        if isinstance(data, dict) and isinstance(data.get("inputs"), list) and data.get("rows"):
            data = {**data, "inputs": [protected_input(row, data["rows"], training_rows=data.get("training_rows"))
                                       if isinstance(row, dict) else row for row in data["inputs"]]}
        # The score's deciles likewise, and its PSI when they are withheld (``ml.monitoring.served_score``).
        if isinstance(data, dict) and isinstance(data.get("score"), dict) and data.get("rows") \
                and isinstance(data["score"].get("current_shares"), list):
            data = {**data, "score": served_score(data["score"], data["rows"])}
            # The alerts repeat the PSI: not when it is withheld.
            hidden = {"training": data["score"]["psi"] is None, "previous_period": data["score"]["psi_previous_period"] is None}
            if isinstance(data.get("alerts"), list):
                data["alerts"] = [{**a, "value": None} if isinstance(a, dict) and a.get("subject") == "score"
                                  and a.get("measure") == "psi" and hidden.get(a.get("against"), False) else a
                                  for a in data["alerts"]]
        return data


class AucInterval(BaseModel):
    auc: float
    se: float
    low: float
    high: float
    gini: float
    gini_low: float
    gini_high: float


class Calibration(BaseModel):
    predicted_rate: float
    observed_rate: float
    difference: float
    ratio: float | None
    z: float
    p_value: float = Field(description="Two-sided test that observed defaults match the sum of probabilities")


class GradeBacktest(BaseModel):
    grade: str
    n: int | None = Field(description="None when the cell holds fewer than 10 people (suppressed)")
    suppressed: bool
    outcomes_withheld: bool = Field(default=False, description=ROW_OUTCOMES_WITHHELD)
    defaults: int | None = None
    observed_rate: float | None = None
    predicted_rate: float | None = None
    low: float | None = Field(default=None, description="Jeffreys interval of the observed rate")
    high: float | None = None
    p_value: float | None = Field(default=None, description="One-sided Jeffreys test; < 0.025 (the predicted rate below the 95 % interval): PD underestimated")
    underestimated: bool | None = Field(default=None, description="The predicted rate lies below the interval "
                                                                  "[low, high]: the grade's risk is underestimated")

    @model_validator(mode="before")
    @classmethod
    def _flag_as_drawn(cls, data: Any) -> Any:
        """The flag the page shows beside the interval it draws, also for a result stored while
        it came from a one-sided 5 % test (the demo's grade D was flagged inside its whiskers)."""
        if isinstance(data, dict) and data.get("low") is not None and data.get("predicted_rate") is not None:
            data = {**data, "underestimated": data["predicted_rate"] < data["low"]}
        return data


class CohortBacktest(BaseModel):
    cohort: str = Field(description="Month the client was imported (YYYY-MM)")
    n: int | None
    suppressed: bool
    outcomes_withheld: bool = Field(default=False, description=ROW_OUTCOMES_WITHHELD)
    defaults: int | None = None
    observed_rate: float | None = None
    predicted_rate: float | None = None
    auc: AucInterval | None = None
    calibration: Calibration | None = None


class SegmentBacktest(BaseModel):
    segment: str
    n: int | None
    suppressed: bool
    outcomes_withheld: bool = Field(default=False, description=ROW_OUTCOMES_WITHHELD)
    defaults: int | None = None
    observed_rate: float | None = None
    predicted_rate: float | None = None
    auc: AucInterval | None = None
    calibration: Calibration | None = Field(
        default=None, description="Observed against predicted defaults in the segment (None in a result stored "
        "before segments carried it)")
    miscalibrated: bool | None = Field(
        default=None, description="The segment's observed defaults differ from its predicted ones beyond chance: "
        "the calibration test's p-value under 0.05 divided by the number of segments tested in the "
        "segmentation (Bonferroni)")


class BacktestHistoryPoint(BaseModel):
    computed_at: datetime
    model_version: str
    n: int | None
    auc: float | None
    gini: float | None
    predicted_rate: float | None
    observed_rate: float | None


class BacktestReport(BaseModel):
    model_version: str
    freshness: Freshness
    n: int | None = Field(description="Clients with a known outcome (None under 10: suppressed)")
    suppressed: bool
    min_cell: int
    outcomes_withheld: bool = Field(default=False, description="The overall defaults or non-defaults number 1 to 9: "
                                    "defaults, AUC and calibration are null, and every row's outcomes with them")
    confidence: float | None = None
    defaults: int | None = None
    auc: AucInterval | None = None
    expected_auc: float | None = Field(
        default=None, description="AUC expected from the probabilities alone; far above the realised one: concept drift")
    calibration: Calibration | None = None
    grades: list[GradeBacktest]
    cohorts: list[CohortBacktest]
    segments: dict[str, list[SegmentBacktest]]
    history: list[BacktestHistoryPoint] = Field(description="Earlier backtests, most recent first")
