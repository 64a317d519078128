"""Scores, explanations, comparisons, similar clients and simulations on the loaded bundle.

Results are ephemeral (invariant 2): computed on demand, cached by (pseudonym, model
version) for ``score_cache_ttl_seconds`` and never written anywhere else. A cached entry also
carries the hash of the features it came from, so a client re-imported with new features is
recomputed even when another replica still holds the old entry. Simulations are never cached.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable
from typing import Any

import pandas as pd

from backend.cache import ResultCache
from ml import grades
from ml.schema import APPLICATION_COLUMNS

Bundle = Any  # ml.bundle.ModelBundle, imported lazily: the app starts without a model


class SimulationError(ValueError):
    """A simulated field is unknown, of the wrong type or out of range."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def one_row(features: dict[str, Any]) -> pd.DataFrame:
    """A client's stored features (JSON: None = missing) as a one-row frame, every column."""
    return pd.DataFrame([[features.get(name) for name in APPLICATION_COLUMNS]], columns=APPLICATION_COLUMNS)


def cached(
    cache: ResultCache,
    pseudonym: str,
    model_version: str,
    kind: str,
    input_hash: str,
    compute: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """``compute()`` through the cache, checked against the current input hash."""
    hit = cache.get(pseudonym, model_version, kind)
    if hit is not None and hit.get("input_hash") == input_hash:
        return hit["value"]
    value = compute()
    cache.set(pseudonym, model_version, kind, {"input_hash": input_hash, "value": value})
    return value


def _score_dict(row: dict[str, Any], bundle: Bundle, lang: str) -> dict[str, Any]:
    band = str(row["risk_band"])
    decision = str(row["decision"])
    low, high = grades.grade_range(band)
    return {
        "probability": float(row["probability"]),
        "threshold": float(bundle.threshold),
        "decision": decision,
        "decision_label": grades.decision_label(decision, lang),
        "borderline": bool(row["borderline"]),
        "borderline_interval": [float(v) for v in bundle.threshold_interval],
        "risk_band": band,
        "risk_band_label": grades.grade_label(band, lang),
        "risk_band_range": [low, high],
        "display_score": int(row["display_score"]),
        "model_version": bundle.version,
    }


def _explanation_dict(explanation: dict[str, Any], bundle: Bundle, lang: str) -> dict[str, Any]:
    return {**explanation, "model_version": bundle.version, "lang": lang}


# Every one-client score or explanation goes through the bundle's one-row path (no pandas
# frame: the frame cost more than the model on one row); the batch path gives the same numbers.
def score(bundle: Bundle, features: dict[str, Any], lang: str = "fr") -> dict[str, Any]:
    return _score_dict(bundle.score_one(features), bundle, lang) | beyond_training(bundle, features, lang)


def score_and_explain(
    bundle: Bundle, features: dict[str, Any], top: int, lang: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    row, explanation = bundle.score_and_explain_one(features, top=top, lang=lang)
    return (_score_dict(row, bundle, lang) | beyond_training(bundle, features, lang),
            _explanation_dict(explanation, bundle, lang))


def beyond_training(bundle: Bundle, features: dict[str, Any], lang: str) -> dict[str, list[dict[str, str]]]:
    """``Score.beyond_training``: the inputs valued beyond anything the model learned from."""
    names = bundle.beyond_training(features)
    labels = bundle.feature_labels(lang) if names else {}
    return {"beyond_training": [{"feature": name, "label": labels.get(name, name)} for name in names]}


# The score's kind in the result cache; its number changes with what a cached score holds (2:
# ``beyond_training``; 3: named only beyond an end pushed out by a percentile's step), so an
# entry cached by an earlier release (or by a replica still running it, on a shared Redis) is
# never served as this release's.
SCORE_KIND = "score-3"
# The same for an explanation (2: its text says when a protected attribute outweighed a reason;
# 3: a rank that rounds to 0 or 100 reads "below the 1st" / "above the 99th" percentile).
EXPLANATION_KIND = "explanation-3"


def client_score(cache: ResultCache, bundle: Bundle, pseudonym: str, features: dict[str, Any],
                 input_hash: str, lang: str) -> dict[str, Any]:
    return cached(cache, pseudonym, bundle.version, f"{SCORE_KIND}-{lang}", input_hash,
                  lambda: score(bundle, features, lang))


def client_explanation(cache: ResultCache, bundle: Bundle, pseudonym: str, features: dict[str, Any],
                       input_hash: str, top: int, lang: str) -> dict[str, Any]:
    def compute() -> dict[str, Any]:
        score_value, explanation = score_and_explain(bundle, features, top, lang)
        # One pred_contrib pass gave both: keep the score warm for the score endpoint too.
        cache.set(pseudonym, bundle.version, f"{SCORE_KIND}-{lang}", {"input_hash": input_hash, "value": score_value})
        return explanation

    return cached(cache, pseudonym, bundle.version, f"{EXPLANATION_KIND}-{top}-{lang}", input_hash, compute)


# A fixed seed: every client and every replica draws the same population sample, so the
# scatter is stable between requests and says nothing about the client asking.
SAMPLE_SEED = 0


def comparison(
    bundle: Bundle, features: dict[str, Any], lang: str, top: int | None, sample: int = 0
) -> dict[str, Any]:
    names = None
    if top is not None:
        names = [row["feature"] for row in bundle.global_importance(lang)[:top]]
    # The atypicality index counts every numeric feature: each one that makes it is shown with
    # the top ones (the page said "no atypical value" under an index of 11 %).
    result = bundle.compare(one_row(features), names, with_atypical=True)[0]
    for entry in result["features"]:
        entry["label"] = entry.get(f"label_{lang}", entry["feature"])
    if sample > 0:
        result["sample"] = bundle.population_sample(sample, seed=SAMPLE_SEED)
        labels = bundle.feature_labels(lang)
        result["sample"]["labels"] = {name: labels.get(name, name) for name in result["sample"]["features"]}
    return result


# What an advisor collects from a new applicant, in the order of the form (issue 13). The
# model reads more columns; those are left unknown (the model handles missing values) or
# changed in a what-if. Family status and children are excluded by the fair-lending policy
# (docs/fairness-policy.json), so the form asks the household size, which it justifies; a field
# the champion does not use is left out of the spec anyway.
APPLICANT_FORM = (
    "AMT_INCOME_TOTAL", "AMT_CREDIT", "AMT_ANNUITY", "AMT_GOODS_PRICE", "DAYS_BIRTH", "NAME_CONTRACT_TYPE",
    "DAYS_EMPLOYED", "NAME_INCOME_TYPE", "CNT_FAM_MEMBERS", "NAME_HOUSING_TYPE", "NAME_EDUCATION_TYPE",
    # The credit bureaus' scores, optional: the model's strongest inputs. Left blank, a new
    # applicant was scored mostly on "unknown" external scores (+7.5 points for their minimum
    # alone on the demo); an advisor who has the bureau's answer now types it.
    "EXT_SOURCE_1", "EXT_SOURCE_2", "EXT_SOURCE_3",
)  # the required ones (APPLICANT_REQUIRED) in the first three rows of the two-column form
# A score needs at least income, credit amount and age: without them an "empty" applicant would
# get a real, meaningless refusal. The loan's annuity too: the model's first feature (annuity /
# income) is built from it, and it is (almost) never missing in training, so "unknown" lands in
# a branch learned from nothing.
# Measured on the demo's 3,000 first applicants: leaving it blank lowered the probability for
# 77 % of them (-2.4 points on average) and flipped 11 % of the decisions, as much as a blank
# income. The contract type likewise: never missing in training, a blank lowered the probability
# of 88 % of them and flipped 5.3 % of the decisions, and the product applied for is always known.
# docs/decisions/0030-required-applicant-fields.md.
APPLICANT_REQUIRED = ("AMT_INCOME_TOTAL", "AMT_CREDIT", "AMT_ANNUITY", "DAYS_BIRTH", "NAME_CONTRACT_TYPE")


# An input left unknown that training lacked in under 1 % of rows: the model's branch for
# "unknown" was learned from (almost) no one, so its effect on the score is an artefact
# (decision 0030). A simulation's answer names such inputs; the advisor fills them or knows.
UNLEARNED_MISSING_SHARE = 0.01


# Per bundle (a bundle never changes once loaded): the inputs it (almost) never lacked, in answer order.
_RARELY_MISSING: weakref.WeakKeyDictionary[Any, tuple[str, ...]] = weakref.WeakKeyDictionary()


def _rarely_missing(bundle: Bundle, spec: dict[str, dict[str, Any]] | None) -> tuple[str, ...]:
    """The inputs of ``spec`` the bundle's training data lacked in under 1 % of rows: the form's
    fields first, in form order, then the others, the model's most important first."""
    found = _RARELY_MISSING.get(bundle)
    if found is None:
        spec = bundle.input_spec() if spec is None else spec
        reference = (getattr(bundle, "monitoring_reference", None) or {}).get("inputs", {})
        rank = {row["feature"]: i for i, row in enumerate(bundle.global_importance())}
        others = sorted((n for n in spec if n not in APPLICANT_FORM), key=lambda n: rank.get(n, len(rank)))
        found = tuple(
            name for name in (*(n for n in APPLICANT_FORM if n in spec), *others)
            if name in reference and float(reference[name].get("missing_share", 1.0)) < UNLEARNED_MISSING_SHARE
        )
        _RARELY_MISSING[bundle] = found
    return found


def unlearned_unknowns(bundle: Bundle, features: dict[str, Any], spec: dict[str, dict[str, Any]] | None = None) -> list[str]:
    """The inputs of ``spec`` that ``features`` leaves unknown and the bundle's training data
    (almost) never lacked: the form's fields first, in form order, then the others (which the
    form does not ask: a new applicant lacks them all), the model's most important first. None
    for a bundle without a monitoring reference."""
    return [name for name in _rarely_missing(bundle, spec) if features.get(name) in (None, "")]


def unlearned_labelled(bundle: Bundle, features: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """:func:`unlearned_unknowns` with each input's label in ``lang`` (the PDF, the export)."""
    names = unlearned_unknowns(bundle, features)
    spec = bundle.input_spec() if names else {}
    return [(name, spec.get(name, {}).get(f"label_{lang}") or name) for name in names]


def missing_required(features: dict[str, Any], spec: dict[str, dict[str, Any]]) -> list[str]:
    """The minimum fields of a new applicant that ``features`` leaves empty, in form order."""
    return [name for name in APPLICANT_REQUIRED if name in spec and features.get(name) in (None, "")]


# Values each plausible alone, impossible together (found by an advisor: 45 years in the job
# at 30, a yearly annuity of 90,000 on a credit of 1,000, both scored). Days are counted back
# from the application (negative); 365243 is the bank's "not employed".
EARLIEST_WORKING_AGE_YEARS = 14
_DAYS_PER_YEAR = 365.25


def implausible(features: dict[str, Any], changed: set[str] | None = None) -> list[tuple[str, str]]:
    """(field, why) for each combination of inputs that cannot be true; with ``changed`` (a
    what-if's overrides), only those involving a changed field, so a simulation on a stored
    file is refused for what the advisor typed, not for the file."""
    def number(name: str) -> float | None:
        value = features.get(name)
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    found: list[tuple[str, str]] = []
    birth, employed = number("DAYS_BIRTH"), number("DAYS_EMPLOYED")
    if (birth is not None and employed is not None and birth < 0 and employed < 0
            and -employed > -birth - EARLIEST_WORKING_AGE_YEARS * _DAYS_PER_YEAR
            and (changed is None or changed & {"DAYS_BIRTH", "DAYS_EMPLOYED"})):
        found.append(("DAYS_EMPLOYED", f"employed for longer than the applicant's age allows (working from age "
                                       f"{EARLIEST_WORKING_AGE_YEARS} at the earliest)"))
    credit, annuity = number("AMT_CREDIT"), number("AMT_ANNUITY")
    if (credit is not None and annuity is not None and annuity > credit
            and (changed is None or changed & {"AMT_CREDIT", "AMT_ANNUITY"})):
        found.append(("AMT_ANNUITY", "the yearly repayment exceeds the credit itself"))
    return found


def input_fields(bundle: Bundle, lang: str) -> list[dict[str, Any]]:
    """``bundle.input_spec()`` as a list in column order, with the label in ``lang``."""
    fields = []
    for name, entry in bundle.input_spec().items():
        fields.append(
            {
                "name": name,
                "type": entry["type"],
                "label": entry.get(f"label_{lang}") or name,
                "nullable": bool(entry.get("nullable", True)),
                "min": entry.get("min"),
                "max": entry.get("max"),
                "levels": entry.get("levels"),
                "special": entry.get("special"),
                "required": name in APPLICANT_REQUIRED,
                "form_order": APPLICANT_FORM.index(name) if name in APPLICANT_FORM else None,
            }
        )
    return fields


def similar(bundle: Bundle, features: dict[str, Any], k: int, lang: str) -> dict[str, Any]:
    result = bundle.similar(one_row(features), k=k)[0]
    labels = bundle.feature_labels(lang)
    result["labels"] = {name: labels.get(name, name) for name in result["features"]}
    return result


# ----------------------------------------------------------------------------- simulation


def _allowed_list(spec: dict[str, dict[str, Any]]) -> str:
    return ", ".join(sorted(spec))


def validate_fields(
    values: dict[str, Any], spec: dict[str, dict[str, Any]], prefix: str, excluded: tuple[str, ...] | list[str] = ()
) -> dict[str, Any]:
    """Check every field against ``bundle.input_spec()``; ``SimulationError`` names the first bad one.
    ``excluded``: the columns the bundle's fair-lending policy excludes (refused, saying why)."""
    barred = sorted(name for name in values if name in excluded)
    if barred:
        raise SimulationError(
            f"{prefix}.{barred[0]}",
            f"{barred[0]!r} is excluded by the fair-lending policy: it is not a model input; leave it out",
        )
    unknown = sorted(name for name in values if name not in spec)
    if unknown:
        raise SimulationError(
            f"{prefix}.{unknown[0]}",
            f"unknown feature {unknown[0]!r}" + (f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else "")
            + f"; allowed features: {_allowed_list(spec)}",
        )
    clean: dict[str, Any] = {}
    for name, value in values.items():
        entry = spec[name]
        field = f"{prefix}.{name}"
        if value is None:
            if not entry.get("nullable", True):
                raise SimulationError(field, "a value is required (this field cannot be empty)")
            clean[name] = None
            continue
        if entry["type"] == "category":
            levels = entry["levels"]
            if not isinstance(value, str) or value not in levels:
                raise SimulationError(field, f"must be one of: {', '.join(levels)}")
            clean[name] = value
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise SimulationError(field, f"must be a {'whole ' if entry['type'] == 'integer' else ''}number")
        if entry["type"] == "integer" and float(value) != int(value):
            raise SimulationError(field, "must be a whole number")
        special = entry.get("special") or []
        low, high = entry.get("min"), entry.get("max")
        if value not in special and ((low is not None and value < low) or (high is not None and value > high)):
            extra = f" (or {', '.join(str(s) for s in special)})" if special else ""
            raise SimulationError(field, f"must be between {low:g} and {high:g}{extra}")
        clean[name] = int(value) if entry["type"] == "integer" else float(value)
    return clean
