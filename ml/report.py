"""The training report and the model card, rendered as Markdown from the report dict."""

from __future__ import annotations

from typing import Any


def _pct(value: float) -> str:
    return f"{100 * value:.1f} %"


def _metric_rows(name: str, m: dict[str, Any]) -> str:
    return (
        f"| {name} | {m['auc']:.4f} | {m['pr_auc']:.4f} | {m['brier']:.4f} | "
        f"{m['business_cost']:.0f} | {m['business_cost_at_0_5']:.0f} | {_pct(m['recall'])} | "
        f"{_pct(m['precision'])} | {_pct(m['refusal_rate'])} |"
    )


def _fairness_md(fairness: dict[str, Any]) -> str:
    lines = []
    for attribute, block in fairness["groups"].items():
        lines.append(f"\n**{attribute}** (disparate impact {block['disparate_impact']:.3f}, "
                     f"four-fifths rule {'met' if block['four_fifths_rule_met'] else 'NOT met'})\n")
        lines.append("| group | clients | approval rate | observed default rate | predicted default rate |")
        lines.append("|---|---:|---:|---:|---:|")
        for row in block["rows"]:
            lines.append(
                f"| {row['group']} | {row['count']} | {_pct(row['approval_rate'])} | "
                f"{_pct(row['default_rate'])} | {_pct(row['predicted_default_rate'])} |"
            )
    return "\n".join(lines)


def report_markdown(report: dict[str, Any]) -> str:
    m = report["model"]
    b = report["baselines"]
    return f"""# Training report — model {report['version']}

- rows: {report['rows']}, default rate {_pct(report['default_rate'])}
- evaluation: out-of-fold predictions, {report['folds']} stratified folds (seed {report['seed']})
- business cost = {report['cost_fn']:g} x FN + {report['cost_fp']:g} x FP;
  cost-optimal threshold **{report['threshold']:.4f}** (refuse when probability >= threshold)
- class imbalance: {report['class_imbalance']}
- boosting rounds per fold: {report['best_iterations']}; refit on all rows: {report['refit_rounds']}

| model | AUC | PR-AUC | Brier | cost at its threshold | cost at 0.5 | recall | precision | refusal rate |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
{_metric_rows('LightGBM', m)}
{_metric_rows('logistic regression', b['logistic_regression']) if 'logistic_regression' in b else '| logistic regression | skipped |'}
{_metric_rows('majority class (approve all)', b['majority'])}

Fold AUCs: {', '.join(f'{v:.4f}' for v in m['fold_auc'])}

## Fairness at the threshold (out-of-fold)
{_fairness_md(report['fairness'])}

## Timings (seconds)

{', '.join(f'{k} {v}' for k, v in report['timings_seconds'].items())}
"""


def model_card_markdown(report: dict[str, Any], importance: list[dict[str, Any]], labels: dict[str, str]) -> str:
    m = report["model"]
    top = "\n".join(
        f"{i}. {labels.get(r['feature'], r['feature'])} (`{r['feature']}`): {r['mean_abs_shap']:.3f}"
        for i, r in enumerate(importance[:10], start=1)
    )
    return f"""# Model card — Octroi credit-risk model {report['version']}

## Purpose
Estimate the probability that a consumer-credit applicant will have payment difficulties
(Home Credit `TARGET = 1`), to support, not replace, a bank advisor's decision. The
decision threshold minimises the business cost {report['cost_fn']:g} x missed defaulter +
{report['cost_fp']:g} x refused good client.

## Data
{report['rows']} application rows in the Kaggle Home Credit `application_train.csv` format
(120 application columns), default rate {_pct(report['default_rate'])}. The client id is
dropped at loading and never enters the model or this bundle.

## Model
LightGBM gradient-boosted trees (native categorical features), {report['refit_rounds']}
rounds, refit on all rows after {report['folds']}-fold stratified cross-validation with
early stopping. No class re-weighting: probabilities stay calibrated and the imbalance is
handled by the cost-optimal threshold.

## Metrics (out-of-fold)
AUC {m['auc']:.4f} · PR-AUC {m['pr_auc']:.4f} · Brier {m['brier']:.4f} · threshold
{report['threshold']:.4f} · recall {_pct(m['recall'])} · precision {_pct(m['precision'])} ·
refusal rate {_pct(m['refusal_rate'])} · business cost {m['business_cost']:.0f}
(at 0.5: {m['business_cost_at_0_5']:.0f}). Logistic-regression baseline AUC
{report['baselines'].get('logistic_regression', {}).get('auc', float('nan')):.4f}.

## Most influential features (mean |SHAP|, log-odds)
{top}

## Fairness
{_fairness_md(report['fairness'])}

## Limits
- Trained on {('synthetic' if report.get('synthetic') else 'the supplied')} data: figures
  describe that population only; re-train and re-check on the bank's own data.
- Gender and age are model inputs (they are in the Home Credit data); the fairness table
  shows their effect on approval rates and must be reviewed before any production use.
- Explanations (SHAP) describe the model, not causes in the world.
- A probability is an estimate for a population of similar applicants, not a certainty.
"""
