"""The training report and the model card (English and French), rendered as Markdown from
the report dict. The model card states the fair-lending policy, every figure an advisor sees,
the fairness and calibration evidence and the model's limits."""

from __future__ import annotations

from typing import Any

from ml import grades
from ml.fairness import OUTCOMES, POOLED, PROXY_QUESTIONS, SMALL_GROUP, disclosed
from ml.labels import format_value, label, labels_for, level_label
from ml.policy import attribute_label, attribute_text


def _pct(value: float | None, lang: str = "en") -> str:
    """A share as the pages write it: "69,8 %" (no-break space) in French, "69.8%" in English."""
    if value is None:
        return "-"
    text = f"{100 * value:.1f}"
    return f"{text.replace('.', ',')}\u00a0%" if lang == "fr" else f"{text}%"


def _int(value: int, lang: str = "en") -> str:
    """A count as the pages write it: "50 000" (narrow no-break space) in French, "50,000" in English."""
    return format_value(value, lang, "integer")


def _num(value: float | None, digits: int, lang: str) -> str:
    if value is None:
        return "-"
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "fr" else text


def _ci(row: dict[str, Any], key: str, lang: str) -> str:
    low, high = row.get(f"{key}_ci") or (None, None)
    value = row.get(key)
    sep = " ; " if lang == "fr" else "; "
    if key == "predicted_to_observed":
        return f"{_num(value, 2, lang)} [{_num(low, 2, lang)}{sep}{_num(high, 2, lang)}]"
    return f"{_pct(value, lang)} [{_pct(low, lang)}{sep}{_pct(high, lang)}]"


def _metric_rows(name: str, m: dict[str, Any]) -> str:
    return (
        f"| {name} | {m['auc']:.4f} | {m['pr_auc']:.4f} | {m['brier']:.4f} | "
        f"{m['business_cost']:.0f} | {m['business_cost_at_0_5']:.0f} | {_pct(m['recall'])} | "
        f"{_pct(m['precision'])} | {_pct(m['refusal_rate'])} |"
    )


T: dict[str, dict[str, str]] = {
    "en": {
        "group_head": "| group | clients | approval rate | observed default rate | predicted default rate | "
        "true positive rate (defaulters refused) | false positive rate (good clients refused) | predicted / observed |",
        "di": "disparate impact {di} (lowest / highest approval rate), four-fifths rule {met}",
        "met": "met", "not_met": "NOT met",
        "ci_note": "95% intervals in brackets (Wilson for rates). Out-of-fold predictions at the threshold.",
        "pooled": "Other (pooled)",
        "pool_of": "{groups} (pooled)",
        "unknown": "unknown",
        "policy_row": "policy",
        "colon": ":",
        "pooled_cell": "in \"{pool}\"",
        "withheld_cell": "withheld (< 10 people)",
        "withheld_note": ("\"withheld\": the rate would give 1 to 9 people (approved or refused, defaulters or "
                          "repayers, refused defaulters...), in the group, by subtraction from the population's "
                          "totals or from an earlier version's card, so it is not published; a group without its "
                          "approval rate is left out of the disparate impact."),
        "pooled_note": ("\"{pool}\" holds the groups of fewer than {n} people and, so that no subtraction "
                        "from the totals singles them out, the smallest groups shown beside them: {groups}."),
        "proxy_head": "| excluded attribute | question | AUC of the model's inputs |",
        "proxy_note": "How well the model's own inputs predict each excluded attribute (3-fold LightGBM, "
        "0.5 = no information). A high AUC means exclusion alone does not blind the model to the attribute: "
        "the per-group figures above are what show whether it matters.",
        "excl_head": "| model | AUC | cost per client | change from excluding (AUC, cost) |",
        "excl_none": "Not measured in this training (`octroi train --measure-exclusions`, or `bench/bench_fairness.py`).",
        "policy_name": "Policy `{name}`.",
        "excluded": "Excluded (never a model input, nor any feature computed from them; kept apart for the fairness report only):",
        "justified": "Used with a justification (never given to a client as a reason; the advisor's view marks them):",
        "merged": "Levels merged before the model sees them: {merges}.",
        "merge": "{column} (`{code}`) — {pairs}",
    },
    "fr": {
        "group_head": "| groupe | clients | taux d'accord | taux de défaut observé | taux de défaut prédit | "
        "taux de vrais positifs (défaillants refusés) | taux de faux positifs (bons clients refusés) | prédit / observé |",
        "di": "impact disparate {di} (taux d'accord le plus bas / le plus haut), règle des quatre cinquièmes {met}",
        "met": "respectée", "not_met": "NON respectée",
        "ci_note": "Intervalles à 95\u00a0% entre crochets (Wilson pour les taux). Prédictions hors échantillon, au seuil.",
        "pooled": "Autres (regroupés)",
        "pool_of": "{groups} (regroupés)",
        "unknown": "inconnu",
        "policy_row": "politique",
        "colon": " :",
        "pooled_cell": "dans « {pool} »",
        "withheld_cell": "non publié (< 10 pers.)",
        "withheld_note": ("« non publié » : le taux donnerait de 1 à 9 personnes (accordés ou refusés, défaillants "
                          "ou non, défaillants refusés...), dans le groupe, par soustraction depuis les totaux de "
                          "la population ou depuis la fiche d'une version précédente ; un groupe sans son taux "
                          "d'accord est exclu de l'impact disparate."),
        "pooled_note": ("« {pool} » réunit les groupes de moins de {n} personnes et, pour qu'aucune "
                        "soustraction depuis les totaux ne les isole, les plus petits groupes affichés à côté : {groups}."),
        "proxy_head": "| attribut exclu | question | AUC des variables du modèle |",
        "proxy_note": "Capacité des variables du modèle à prédire chaque attribut exclu (LightGBM en 3 plis, "
        "0,5 = aucune information). Une AUC élevée signifie que l'exclusion seule ne rend pas le modèle aveugle "
        "à l'attribut : ce sont les chiffres par groupe ci-dessus qui disent si cela compte.",
        "excl_head": "| modèle | AUC | coût par client | effet de l'exclusion (AUC, coût) |",
        "excl_none": "Non mesuré lors de cet entraînement (`octroi train --measure-exclusions`, ou `bench/bench_fairness.py`).",
        "policy_name": "Politique `{name}`.",
        "excluded": "Exclus (jamais une entrée du modèle, ni aucune variable calculée à partir d'eux ; "
        "conservés à part pour le seul rapport d'équité) :",
        "justified": "Utilisés avec justification (jamais donnés comme motif au client ; la vue du conseiller "
        "les signale) :",
        "merged": "Modalités fusionnées avant que le modèle ne les voie : {merges}.",
        "merge": "{column} (`{code}`) — {pairs}",
    },
}
GROUP_NAMES = {
    "en": {"CODE_GENDER": "Sex", "age_band": "Age band", "NAME_FAMILY_STATUS": "Family status"},
    "fr": {"CODE_GENDER": "Sexe", "age_band": "Tranche d'âge", "NAME_FAMILY_STATUS": "Situation familiale"},
}
# The French of ``ml.fairness.PROXY_QUESTIONS``, keyed by the English a report stores: a
# question worded otherwise (another version's) is printed as the report has it.
PROXY_QUESTIONS_FR = {
    PROXY_QUESTIONS["sex"]: "femmes contre hommes",
    PROXY_QUESTIONS["family_status"]: "mariés ou en union civile contre les autres",
    PROXY_QUESTIONS["children"]: "au moins un enfant contre aucun",
    PROXY_QUESTIONS["place_of_residence"]: "région notée 3 (la moins favorable) contre 1 ou 2",
    PROXY_QUESTIONS["age"]: "50 ans ou plus contre moins de 50 ans",
    PROXY_QUESTIONS["household_size"]: "3 personnes ou plus contre 1 ou 2",
}


def _group(value: Any, lang: str) -> str:
    """A fairness group in words: the level as the dashboard names it (``ml.labels``), the pool
    and the missing value in ``lang``; age bands ("<30", "60+") as they are."""
    if value == POOLED:
        return T[lang]["pooled"]
    if value == "unknown":  # ml.fairness.group_labels: a missing value
        return T[lang]["unknown"]
    return level_label(value, lang)


def _question(question: str, lang: str) -> str:
    return PROXY_QUESTIONS_FR.get(question, question) if lang == "fr" else question


def _fairness_md(fairness: dict[str, Any], lang: str = "en") -> str:
    t = T[lang]
    lines = []
    withheld = False
    for attribute, raw in fairness["groups"].items():
        block = disclosed(attribute, raw)  # no group under SMALL_GROUP people, even by subtraction
        name = GROUP_NAMES[lang].get(attribute, attribute)
        if block["disparate_impact"] is None:
            lines.append(f"\n**{name}**\n")
        else:
            met = t["met"] if block["four_fifths_rule_met"] else t["not_met"]
            lines.append(f"\n**{name}** — " + t["di"].format(di=_num(block["disparate_impact"], 3, lang), met=met) + "\n")
        lines.append(t["group_head"])
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        # The pool named by what it holds, as the dashboard names it: "Other (pooled)" beside
        # "Female" read as another sex.
        pooled = [_group(r["group"], lang) for r in block["rows"] if r["pooled"]]
        pool = t["pool_of"].format(groups=" + ".join(pooled)) if pooled else t["pooled"]
        for row in block["rows"]:
            group = pool if row["group"] == POOLED else _group(row["group"], lang)
            if row["masked"]:
                cell = t["pooled_cell"].format(pool=pool) if row["pooled"] else "-"
                lines.append(f"| {group} | {_int(row['count'], lang)} | {cell} | | | | | |")
            elif "approval_rate_ci" not in row:  # a report from before intervals were added
                lines.append(f"| {group} | {_int(row['count'], lang)} | {_pct(row.get('approval_rate'), lang)} | "
                             f"{_pct(row.get('default_rate'), lang)} | {_pct(row.get('predicted_default_rate'), lang)} | | | |")
            else:
                hidden = {key for family in row.get("withheld") or () for key in OUTCOMES[family]}
                cells = [t["withheld_cell"] if key in hidden else _ci(row, key, lang) for key in (
                    "approval_rate", "default_rate", "predicted_default_rate", "true_positive_rate",
                    "false_positive_rate", "predicted_to_observed")]
                withheld = withheld or bool(hidden)
                lines.append(f"| {group} | {_int(row['count'], lang)} | " + " | ".join(cells) + " |")
        if pooled:
            lines.append("\n" + t["pooled_note"].format(pool=pool, n=SMALL_GROUP, groups=", ".join(pooled)))
    if withheld:
        lines.append("\n" + t["withheld_note"])
    lines.append("\n" + t["ci_note"])
    proxies = fairness.get("proxies")
    if proxies:
        lines.append("\n" + t["proxy_head"])
        lines.append("|---|---|---:|")
        for attribute, entry in proxies.items():
            lines.append(f"| {attribute_label(attribute, lang)} | {_question(entry['question'], lang)} | "
                         f"{_num(entry.get('auc'), 3, lang)} |")
        lines.append("\n" + t["proxy_note"])
    exclusions = fairness.get("exclusions")
    lines.append("")
    if exclusions:
        base = exclusions["policy"]
        lines.append(t["excl_head"])
        lines.append("|---|---:|---:|---:|")
        lines.append(f"| {t['policy_row']} | {_num(base['auc'], 4, lang)} | {_num(base['cost_per_client'], 4, lang)} | |")
        sep = " ; " if lang == "fr" else ", "
        for attribute, entry in exclusions["with_attribute"].items():
            lines.append(
                f"| + {attribute_label(attribute, lang)} | {_num(entry['auc'], 4, lang)} | "
                f"{_num(entry['cost_per_client'], 4, lang)} | {_signed(entry['auc_change_from_exclusion'], lang)}"
                f"{sep}{_signed(entry['cost_change_from_exclusion'], lang)} |"
            )
    else:
        lines.append(t["excl_none"])
    return "\n".join(lines)


def _signed(value: float, lang: str) -> str:
    text = f"{value:+.4f}"
    return text.replace(".", ",") if lang == "fr" else text


def _level_with_code(value: str, lang: str) -> str:
    """A level in words, quoted, then as the policy file spells it when that differs."""
    words = level_label(value, lang)
    quoted = f"« {words} »" if lang == "fr" else f'"{words}"'
    return quoted if words == value else f"{quoted} (`{value}`)"


def _policy_md(policy: dict[str, Any] | None, lang: str) -> str:
    if not policy:
        return "-"
    t = T[lang]

    def item(attribute: str, entry: dict[str, str]) -> str:
        return (f"- **{attribute_label(attribute, lang)}** (`{attribute}`){t['colon']} "
                f"{attribute_text(attribute, entry, lang)}")

    excluded = [item(a, e) for a, e in policy["attributes"].items() if e["treatment"] == "excluded"]
    justified = [item(a, e) for a, e in policy["attributes"].items() if e["treatment"] == "justified"]
    arrow = " → " if lang == "fr" else " -> "
    merges = (" ; " if lang == "fr" else "; ").join(
        t["merge"].format(column=label(column, lang), code=column, pairs=", ".join(
            f"{_level_with_code(a, lang)}{arrow}{_level_with_code(b, lang)}" for a, b in mapping.items()))
        for column, mapping in policy.get("merge_levels", {}).items()
    )
    parts = [t["policy_name"].format(name=policy["name"]), "", t["excluded"], *excluded, "", t["justified"], *justified]
    if merges:
        parts += ["", t["merged"].format(merges=merges)]
    return "\n".join(parts)


def _threshold_md(report: dict[str, Any], lang: str) -> str:
    tr = report.get("threshold_report")
    cal = report.get("calibration")
    if not tr or not cal:
        return "-"
    b = tr["bootstrap"]
    rel = "\n".join(
        f"| {_pct(r['mean_predicted'], lang)} | {_pct(r['observed'], lang)} | {_int(r['count'], lang)} |" for r in cal["reliability"]
    )
    if lang == "fr":
        return f"""- seuil retenu (optimum du coût sur les prédictions hors échantillon) : **{_num(tr['chosen'], 4, lang)}** ;
  médiane des optimums sur {b['n_boot']} rééchantillonnages bootstrap (courbe de coût lissée) :
  {_num(b['median'], 4, lang)}, intervalle à {_pct(b['level'], lang)} [{_num(b['low'], 4, lang)} ; {_num(b['high'], 4, lang)}]
  (zone « cas limite ») ; optimum analytique pour des probabilités calibrées cost_fp / (cost_fp + cost_fn) =
  {_num(tr['analytic'], 4, lang)}.
- coût par client : au seuil retenu {_num(tr['cost_per_client']['chosen'], 4, lang)}, à la médiane bootstrap
  {_num(tr['cost_per_client']['bootstrap_median'], 4, lang)}, à l'optimum analytique {_num(tr['cost_per_client']['analytic'], 4, lang)}.
- calibration globale : probabilité moyenne prédite {_pct(cal['mean_predicted_probability'], lang)}, taux observé
  {_pct(cal['observed_default_rate'], lang)} (écart {_num(100 * cal['calibration_in_the_large'], 2, lang)} points,
  rapport observé / attendu {_num(cal['observed_to_expected'], 3, lang)}).

Courbe de fiabilité (déciles de probabilité prédite) :

| probabilité moyenne prédite | taux de défaut observé | clients |
|---:|---:|---:|
{rel}

La calibration par groupe est la colonne « prédit / observé » du rapport d'équité."""
    return f"""- chosen threshold (cost optimum on out-of-fold predictions): **{tr['chosen']:.4f}**; median optimum
  over {b['n_boot']} bootstrap resamples (smoothed cost curve): {b['median']:.4f}, {_pct(b['level'])} interval
  [{b['low']:.4f}; {b['high']:.4f}] (the "borderline" zone); analytic optimum for calibrated probabilities
  cost_fp / (cost_fp + cost_fn) = {tr['analytic']:.4f}.
- cost per client: at the chosen threshold {tr['cost_per_client']['chosen']:.4f}, at the bootstrap median
  {tr['cost_per_client']['bootstrap_median']:.4f}, at the analytic optimum {tr['cost_per_client']['analytic']:.4f}.
- calibration-in-the-large: mean predicted probability {_pct(cal['mean_predicted_probability'])}, observed rate
  {_pct(cal['observed_default_rate'])} (difference {100 * cal['calibration_in_the_large']:+.2f} points,
  observed / expected {cal['observed_to_expected']:.3f}).

Reliability curve (deciles of predicted probability):

| mean predicted probability | observed default rate | clients |
|---:|---:|---:|
{rel}

Per-group calibration is the "predicted / observed" column of the fairness report."""


def _scale_md(lang: str) -> str:
    rows = "\n".join(
        f"| {g['grade']} | {_pct(g['pd_min'], lang)} | {_pct(g['pd_max'], lang)} | {g['label']} |"
        for g in grades.master_scale(lang)
    )
    if lang == "fr":
        return f"""| classe | PD min | PD max (exclue) | libellé |
|---|---:|---:|---|
{rows}

- **Probabilité de défaut** : la probabilité du modèle (non repondéré, donc calibré).
- **Décision** : refus recommandé quand probabilité ≥ seuil ; la classe ne décide rien.
- **Cas limite** : la probabilité est dans l'intervalle bootstrap du seuil ci-dessus ; au moins 5 % des
  rééchantillonnages prendraient l'autre décision : revue humaine. Il n'y a plus de « confiance ».
- **Score Octroi 0-1000** : 600 points pour 50 bons payeurs pour 1 défaut (PD 1,96 %), +40 points chaque fois
  que ce rapport double, plus haut = plus sûr ; indépendant du seuil.
- **Risque moyen de la population** : le taux de défaut observé à l'entraînement.
- **Effets (points de probabilité)** : contributions SHAP converties en probabilité ; elles s'additionnent du
  point de référence du modèle (sigmoïde de la log-cote moyenne) jusqu'à la probabilité du client.
- **Centiles** : 0-100 partout."""
    return f"""| grade | PD from | PD to (excluded) | label |
|---|---:|---:|---|
{rows}

- **Probability of default**: the model's probability (no re-weighting, so calibrated).
- **Decision**: refusal recommended when probability >= threshold; the grade decides nothing.
- **Borderline**: the probability lies inside the bootstrap interval of the threshold above; at least 5 % of
  resamples would take the other decision: human review. There is no "confidence" figure.
- **Octroi score 0-1000**: 600 points at 50 good payers per defaulter (PD 1.96 %), +40 points per doubling
  of those odds, higher is safer; independent of the threshold.
- **Population average risk**: the observed default rate at training.
- **Effects (probability points)**: SHAP contributions converted to probability; they add up from the
  model's reference point (sigmoid of the mean log-odds) to the client's probability.
- **Percentiles**: 0-100 everywhere."""


def report_markdown(report: dict[str, Any]) -> str:
    m = report["model"]
    b = report["baselines"]
    return f"""# Training report — model {report['version']}

- rows: {_int(report['rows'])}, default rate {_pct(report['default_rate'])}
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

## Threshold and calibration
{_threshold_md(report, 'en')}

## Fair-lending policy
{_policy_md(report.get('fairness_policy'), 'en')}

## Fairness at the threshold (out-of-fold)
{_fairness_md(report['fairness'])}

## Timings (seconds)

{', '.join(f'{k} {v}' for k, v in report['timings_seconds'].items())}
"""


def model_card_markdown(
    report: dict[str, Any], importance: list[dict[str, Any]], labels: dict[str, str], lang: str = "en"
) -> str:
    """The model card in ``lang`` ("en" or "fr")."""
    m = report["model"]
    names = [r["feature"] for r in importance[:10]]
    local = labels if lang == "en" else labels_for(names, "fr")
    top = "\n".join(
        f"{i}. {local.get(r['feature'], r['feature'])} (`{r['feature']}`){T[lang]['colon']} "
        f"{_num(r['mean_abs_shap'], 3, lang)}"
        for i, r in enumerate(importance[:10], start=1)
    )
    lr_auc = report["baselines"].get("logistic_regression", {}).get("auc")
    source = "synthetic" if report.get("synthetic") else "the supplied"
    if lang == "fr":
        source = "synthétiques" if report.get("synthetic") else "fournies"
        return f"""# Fiche du modèle — modèle de risque de crédit Octroi {report['version']}

## Objet
Estimer la probabilité qu'un demandeur de crédit à la consommation ait des difficultés de
paiement (Home Credit `TARGET = 1`), pour éclairer, non remplacer, la décision du conseiller.
Le seuil minimise le coût {report['cost_fn']:g} × défaillant accepté + {report['cost_fp']:g} × bon client refusé.

## Données
{_int(report['rows'], 'fr')} demandes au format Kaggle Home Credit `application_train.csv`, taux de défaut
{_pct(report['default_rate'], 'fr')}. L'identifiant client est supprimé au chargement ; aucune ligne
d'entraînement n'est conservée dans le modèle (les profils similaires sont des prototypes anonymes).

## Modèle
Arbres de gradient boosting LightGBM, {report.get('features_used', '?')} variables, {report['refit_rounds']} itérations,
réentraîné sur toutes les lignes après une validation croisée stratifiée en {report['folds']} plis. Pas de
repondération des classes : les probabilités restent calibrées.

## Politique de prêt équitable
{_policy_md(report.get('fairness_policy'), 'fr')}

## Performances (hors échantillon)
AUC {_num(m['auc'], 4, 'fr')} · PR-AUC {_num(m['pr_auc'], 4, 'fr')} · Brier {_num(m['brier'], 4, 'fr')} · seuil
{_num(report['threshold'], 4, 'fr')} · rappel {_pct(m['recall'], 'fr')} · précision {_pct(m['precision'], 'fr')} ·
taux de refus {_pct(m['refusal_rate'], 'fr')} · coût {m['business_cost']:.0f} (à 0,5 : {m['business_cost_at_0_5']:.0f}).
AUC de la régression logistique de référence {_num(lr_auc, 4, 'fr')}.

## Seuil et calibration
{_threshold_md(report, 'fr')}

## Classes de risque et chiffres montrés au conseiller
Échelle de PD fixe ({grades.MASTER_SCALE_VERSION}), identique pour toutes les versions du modèle :

{_scale_md('fr')}

## Variables les plus influentes (|SHAP| moyen, log-cote)
{top}

## Équité
{_fairness_md(report['fairness'], 'fr')}

## Limites
- Entraîné sur des données {source} : les chiffres décrivent cette population ; réentraîner et revérifier
  sur les données de la banque.
- L'exclusion d'un attribut n'empêche pas ses corrélats d'agir (voir l'analyse des proxys) : les écarts
  par groupe doivent être revus par la validation avant toute mise en production.
- L'âge et la taille du foyer sont utilisés avec justification ; ils ne sont jamais donnés comme motif.
- Les explications (SHAP) décrivent le modèle, pas des causes dans le monde.
- Une probabilité est une estimation pour une population de demandeurs semblables, pas une certitude.
"""
    return f"""# Model card — Octroi credit-risk model {report['version']}

## Purpose
Estimate the probability that a consumer-credit applicant will have payment difficulties
(Home Credit `TARGET = 1`), to support, not replace, a bank advisor's decision. The
decision threshold minimises the business cost {report['cost_fn']:g} x missed defaulter +
{report['cost_fp']:g} x refused good client.

## Data
{_int(report['rows'])} application rows in the Kaggle Home Credit `application_train.csv` format,
default rate {_pct(report['default_rate'])}. The client id is dropped at loading; no training row is
kept in the bundle (similar profiles are anonymous prototypes).

## Model
LightGBM gradient-boosted trees (native categorical features), {report.get('features_used', '?')} features,
{report['refit_rounds']} rounds, refit on all rows after {report['folds']}-fold stratified cross-validation with
early stopping. No class re-weighting: probabilities stay calibrated and the imbalance is
handled by the cost-optimal threshold.

## Fair-lending policy
{_policy_md(report.get('fairness_policy'), 'en')}

## Metrics (out-of-fold)
AUC {m['auc']:.4f} · PR-AUC {m['pr_auc']:.4f} · Brier {m['brier']:.4f} · threshold
{report['threshold']:.4f} · recall {_pct(m['recall'])} · precision {_pct(m['precision'])} ·
refusal rate {_pct(m['refusal_rate'])} · business cost {m['business_cost']:.0f}
(at 0.5: {m['business_cost_at_0_5']:.0f}). Logistic-regression baseline AUC {_num(lr_auc, 4, 'en')}.

## Threshold and calibration
{_threshold_md(report, 'en')}

## Risk grades and the figures an advisor sees
Fixed PD master scale ({grades.MASTER_SCALE_VERSION}), the same for every model version:

{_scale_md('en')}

## Most influential features (mean |SHAP|, log-odds)
{top}

## Fairness
{_fairness_md(report['fairness'])}

## Limits
- Trained on {source} data: figures describe that population only; re-train and re-check on
  the bank's own data.
- Excluding an attribute does not stop its correlates from acting (see the proxy analysis): the
  per-group gaps must be reviewed by validation before any production use.
- Age and household size are used with a justification; they are never given as a reason.
- Explanations (SHAP) describe the model, not causes in the world.
- A probability is an estimate for a population of similar applicants, not a certainty.
"""
