"""Typed parts of the model card (``GET /model``): the training report's metrics and fairness.

The training step (``ml/train.py``, ``ml/fairness.py``) writes them into the bundle manifest;
these models give them one schema in the OpenAPI contract, so the dashboard parses them with
generated models instead of reading keys out of free-form objects. Every field is optional:
a bundle trained before a measure existed still loads, and shows "—" for it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from ml.fairness import POOLED, SMALL_GROUP, disclosed

Interval = list[float | None]  # [low, high] of a 95 % interval; a bound may be unknown


class ModelMetrics(BaseModel):
    """Out-of-fold performance of the model at its decision threshold (training report)."""

    auc: float | None = Field(default=None, description="Area under the ROC curve (0.5 = chance, 1 = perfect)")
    pr_auc: float | None = Field(default=None, description="Average precision (area under precision-recall)")
    brier: float | None = Field(default=None, description="Brier score: mean squared error of the probability")
    business_cost: float | None = Field(
        default=None, description="Total cost at the threshold: cost_fn per missed default + cost_fp per refused "
                                  "good client")
    business_cost_per_client: float | None = Field(default=None, description="business_cost / applicants")
    recall: float | None = Field(default=None, description="Share of defaults the model refuses (0-1)")
    precision: float | None = Field(default=None, description="Share of refusals that are defaults (0-1)")
    refusal_rate: float | None = Field(default=None, description="Share of applicants refused (0-1)")
    evaluation: str | None = Field(default=None, description="How the figures were obtained (e.g. out-of-fold, 5 folds)")


class FairnessGroup(BaseModel):
    """One group of a protected attribute (fairlearn MetricFrame, out-of-fold predictions)."""

    group: str = Field(description="The group's level as the data spells it (e.g. F, M, unknown); "
                                   f"'{POOLED}' for the row of the pooled groups")
    count: int
    approval_rate: float | None = None
    default_rate: float | None = Field(default=None, description="Observed default rate")
    predicted_default_rate: float | None = Field(default=None, description="Mean predicted probability of default")
    true_positive_rate: float | None = None
    false_positive_rate: float | None = None
    predicted_to_observed: float | None = Field(default=None, description="predicted / observed default rate")
    approval_rate_ci: Interval | None = None
    default_rate_ci: Interval | None = None
    predicted_default_rate_ci: Interval | None = None
    true_positive_rate_ci: Interval | None = None
    false_positive_rate_ci: Interval | None = None
    predicted_to_observed_ci: Interval | None = None
    in_ratio: bool | None = Field(default=None, description="Whether the group enters the disparate impact "
                                                             "(at least min_group_size people, not unknown)")
    masked: bool = Field(default=False, description="Rates and intervals left out (null): fewer than 10 people, "
                                                    "or pooled")
    pooled: bool = Field(default=False, description=f"Counted in the '{POOLED}' row: under {SMALL_GROUP} people, or "
                                                    "the smallest shown groups completing the pool to 10")
    withheld: list[Literal["approval", "default", "errors"]] = Field(
        default_factory=list,
        description=f"Rates left out (null) because they give 1 to {SMALL_GROUP - 1} people, in the group or by "
                    "subtraction from the population: approval (approved / refused), default (defaulters / "
                    "repayers: default rate, predicted/observed) or errors (refusals by outcome: true and false "
                    "positive rates)")


class FairnessAttribute(BaseModel):
    rows: list[FairnessGroup] = Field(default_factory=list)
    min_group_size: int | None = Field(default=None, description="The smallest group the disparate impact "
                                                                 "counts: 30 people and 1 % of all")
    disparate_impact: float | None = Field(
        default=None, description="Lowest / highest approval rate among the groups with in_ratio")
    four_fifths_rule_met: bool | None = Field(default=None, description="disparate_impact >= 0.8")


class ProxyCheck(BaseModel):
    """How well the model's inputs predict one excluded attribute (cross-validated AUC)."""

    question: str
    columns: list[str] = Field(default_factory=list)
    auc: float | None = Field(default=None, description="Null when too few people to measure")
    rows: int


class ExclusionResult(BaseModel):
    auc: float
    cost_per_client: float
    features: int


class ExclusionChange(ExclusionResult):
    auc_change_from_exclusion: float = Field(description="Policy AUC minus the AUC with the attribute")
    cost_change_from_exclusion: float = Field(description="Policy cost per client minus the cost with it")


class ExclusionImpact(BaseModel):
    """What excluding each attribute costs: the policy's model against the same model using it."""

    folds: int
    policy: ExclusionResult
    with_attribute: dict[str, ExclusionChange] = Field(default_factory=dict)


class FairnessReport(BaseModel):
    threshold: float | None = None
    method: str | None = None
    groups: dict[str, FairnessAttribute] = Field(
        default_factory=dict, description="Per protected attribute (sex, age, ...): groups and disparate impact")
    proxies: dict[str, ProxyCheck] = Field(default_factory=dict)
    exclusions: ExclusionImpact | None = None


def fairness_report(raw: dict[str, Any] | None) -> FairnessReport:
    raw = dict(raw or {})
    # Groups in reading order (bundles trained before in_reading_order list "<30" after "60+"),
    # each saying whether the disparate impact counts it; small ones pooled (ml.fairness.disclosed).
    raw["groups"] = {attribute: disclosed(attribute, block) for attribute, block in (raw.get("groups") or {}).items()}
    return FairnessReport.model_validate(raw)


def model_metrics(raw: dict[str, Any] | None) -> ModelMetrics:
    return ModelMetrics.model_validate(raw or {})
