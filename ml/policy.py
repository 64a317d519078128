"""The fair-lending policy: which protected or sensitive attributes the model may use.

A policy is data (JSON), chosen at training (``octroi train --fairness-policy FILE``, default
:data:`DEFAULT_POLICY`, also in ``docs/fairness-policy.json``), stored in the bundle's manifest
and enforced again at load (``ml.bundle``). Each attribute is

- ``excluded``: its columns are never a model input, nor is any feature computed from them
  (``ml.features.FEATURE_SOURCES``). The columns are still read at training, kept apart, for
  the fairness report only;
- ``justified``: allowed as an input, with a written justification printed in the model card.
  A justified attribute is never given to a person as a reason (text, PDF, data-subject
  export); the advisor's detailed view shows its contribution, marked as such.

``merge_levels`` folds categorical levels that would act as a marker of a protected ground
into another level before the model sees them: ``NAME_INCOME_TYPE = "Maternity leave"`` is a
pregnancy marker and is scored as ``"Working"`` (an employee on leave keeps her contract).

Rules checked on every policy (``PolicyError`` otherwise): sex is always excluded (Code pénal
art. 225-1, invariant 9); every protected attribute of :data:`PROTECTED_ATTRIBUTES` has a
treatment; a justified attribute has a justification; no model feature may keep a pregnancy
marker level (:data:`PREGNANCY_MARKERS`); columns and levels exist in ``ml.schema``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ml.features import CATEGORICAL_FEATURES, FEATURE_NAMES, FEATURE_SOURCES, INPUT_COLUMNS
from ml.schema import COLUMN_BY_NAME, LEVELS

POLICY_FORMAT = "octroi-fairness-policy/1"
TREATMENTS = ("excluded", "justified")

# Protected or sensitive grounds present in the Home Credit data, and their raw columns.
PROTECTED_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "sex": ("CODE_GENDER",),
    "age": ("DAYS_BIRTH",),
    "family_status": ("NAME_FAMILY_STATUS",),
    "children": ("CNT_CHILDREN",),
    "household_size": ("CNT_FAM_MEMBERS",),
    "place_of_residence": ("REGION_POPULATION_RELATIVE", "REGION_RATING_CLIENT", "REGION_RATING_CLIENT_W_CITY"),
}
ALWAYS_EXCLUDED = ("sex",)
# Levels that reveal a pregnancy (or a recent birth) when a model can read them.
PREGNANCY_MARKERS: dict[str, tuple[str, ...]] = {"NAME_INCOME_TYPE": ("Maternity leave",)}

DEFAULT_POLICY: dict[str, Any] = {
    "format": POLICY_FORMAT,
    "name": "octroi-default-2026-12",
    "attributes": {
        "sex": {
            "treatment": "excluded",
            "reason": "Direct discrimination on the ground of sex (Code pénal art. 225-1 and 225-2); "
            "never an input, whatever its predictive value.",
        },
        "age": {
            "treatment": "justified",
            "justification": "Age bounds the repayment horizon (a loan must end before the borrower's "
            "income drops at retirement) and is an objective element of creditworthiness accepted in "
            "consumer credit; it is monitored per age band in the fairness report and never given to the "
            "client as a reason.",
        },
        "family_status": {
            "treatment": "excluded",
            "reason": "Situation de famille is a ground of art. 225-1; affordability is already measured "
            "by income per household member.",
        },
        "children": {
            "treatment": "excluded",
            "reason": "The number of children adds nothing to household size for affordability and "
            "acts as a family-status and pregnancy proxy.",
        },
        "household_size": {
            "treatment": "justified",
            "justification": "The number of people living on the income is part of the affordability "
            "assessment the Consumer Credit Directive 2023/2225 asks for (income per household member); "
            "it is never given to the client as a reason.",
        },
        "place_of_residence": {
            "treatment": "excluded",
            "reason": "Lieu de résidence is a ground of art. 225-1; region ratings and population density "
            "would price where a person lives (redlining).",
        },
    },
    "merge_levels": {"NAME_INCOME_TYPE": {"Maternity leave": "Working"}},
}
# The same texts in French, per attribute: the French model card prints them where a policy's
# text is the default's, word for word (``attribute_text``); a text the bank wrote in its own
# policy file is printed as written. Not in DEFAULT_POLICY itself: that is the policy file
# (docs/fairness-policy.json repeats it), and a policy's texts are in one language.
DEFAULT_TEXTS_FR: dict[str, str] = {
    "sex": "Discrimination directe fondée sur le sexe (Code pénal, art. 225-1 et 225-2) ; jamais une entrée "
    "du modèle, quelle que soit sa valeur prédictive.",
    "age": "L'âge borne l'horizon de remboursement (un prêt doit s'achever avant que les revenus de "
    "l'emprunteur ne baissent à la retraite) et constitue un élément objectif de solvabilité admis en crédit "
    "à la consommation ; il est suivi par tranche d'âge dans le rapport d'équité et n'est jamais donné comme "
    "motif au client.",
    "family_status": "La situation de famille est un critère de l'art. 225-1 ; la capacité de remboursement "
    "est déjà mesurée par le revenu par membre du foyer.",
    "children": "Le nombre d'enfants n'ajoute rien à la taille du foyer pour mesurer la capacité de "
    "remboursement et sert d'indicateur indirect de la situation de famille et de la grossesse.",
    "household_size": "Le nombre de personnes qui vivent du revenu fait partie de l'évaluation de la "
    "solvabilité qu'exige la directive (UE) 2023/2225 relative aux contrats de crédit aux consommateurs "
    "(revenu par membre du foyer) ; il n'est jamais donné comme motif au client.",
    "place_of_residence": "Le lieu de résidence est un critère de l'art. 225-1 ; les notes de région et la "
    "densité de population feraient payer à chacun l'endroit où il vit (discrimination territoriale).",
}
# Each protected attribute in words (French, English); the policy file names it by its key.
ATTRIBUTE_LABELS: dict[str, tuple[str, str]] = {
    "sex": ("Sexe", "Sex"),
    "age": ("Âge", "Age"),
    "family_status": ("Situation familiale", "Family status"),
    "children": ("Enfants", "Children"),
    "household_size": ("Taille du foyer", "Household size"),
    "place_of_residence": ("Lieu de résidence", "Place of residence"),
}


def attribute_label(attribute: str, lang: str = "en") -> str:
    """A protected attribute in words in ``lang`` (its key when unknown)."""
    fr, en = ATTRIBUTE_LABELS.get(attribute, (attribute, attribute))
    return fr if lang == "fr" else en


def attribute_text(attribute: str, entry: dict[str, str], lang: str = "en") -> str:
    """The reason (excluded) or justification (justified) of a policy entry, in ``lang`` when
    it is the default policy's text (:data:`DEFAULT_TEXTS_FR`), else as the policy wrote it."""
    key = "justification" if entry["treatment"] == "justified" else "reason"
    text = entry[key]
    default = DEFAULT_POLICY["attributes"].get(attribute, {})
    if lang == "fr" and default.get("treatment") == entry["treatment"] and text == default.get(key):
        return DEFAULT_TEXTS_FR[attribute]
    return text


class PolicyError(ValueError):
    """The fair-lending policy is malformed or breaks a rule; the message names the field."""


@dataclass(frozen=True)
class FairLendingPolicy:
    name: str
    attributes: dict[str, dict[str, str]]
    merge_levels: dict[str, dict[str, str]] = field(default_factory=dict)

    # ------------------------------------------------------------------ parsing
    @classmethod
    def from_dict(cls, data: Any) -> FairLendingPolicy:
        if not isinstance(data, dict):
            raise PolicyError("policy: must be a JSON object")
        if data.get("format") != POLICY_FORMAT:
            raise PolicyError(f"format: must be {POLICY_FORMAT!r}")
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise PolicyError("name: a non-empty text is required")
        attributes = data.get("attributes")
        if not isinstance(attributes, dict):
            raise PolicyError("attributes: must be an object {attribute: {treatment, ...}}")
        clean: dict[str, dict[str, str]] = {}
        for attribute, entry in attributes.items():
            where = f"attributes.{attribute}"
            if attribute not in PROTECTED_ATTRIBUTES:
                raise PolicyError(f"{where}: unknown attribute; known: {', '.join(PROTECTED_ATTRIBUTES)}")
            if not isinstance(entry, dict) or entry.get("treatment") not in TREATMENTS:
                raise PolicyError(f"{where}.treatment: must be one of {', '.join(TREATMENTS)}")
            text_key = "justification" if entry["treatment"] == "justified" else "reason"
            text = entry.get(text_key)
            if not isinstance(text, str) or len(text.strip()) < 20:
                raise PolicyError(f"{where}.{text_key}: a written {text_key} (at least 20 characters) is required")
            clean[attribute] = {"treatment": entry["treatment"], text_key: text.strip()}
        missing = [a for a in PROTECTED_ATTRIBUTES if a not in clean]
        if missing:
            raise PolicyError(f"attributes: every protected attribute needs a treatment; missing {', '.join(missing)}")
        for attribute in ALWAYS_EXCLUDED:
            if clean[attribute]["treatment"] != "excluded":
                raise PolicyError(f"attributes.{attribute}.treatment: {attribute} is always excluded")
        merges = data.get("merge_levels", {})
        if not isinstance(merges, dict):
            raise PolicyError("merge_levels: must be an object {column: {level: replacement}}")
        for column, mapping in merges.items():
            if column not in LEVELS or not isinstance(mapping, dict):
                raise PolicyError(f"merge_levels.{column}: not a categorical column")
            for level, target in mapping.items():
                if level not in LEVELS[column] or target not in LEVELS[column] or level == target:
                    raise PolicyError(
                        f"merge_levels.{column}.{level}: level and replacement must be two levels of "
                        f"{column}: {', '.join(LEVELS[column])}"
                    )
        policy = cls(name=name.strip(), attributes=clean, merge_levels={k: dict(v) for k, v in merges.items()})
        for column, levels in PREGNANCY_MARKERS.items():
            if column in policy.input_columns:
                kept = [lv for lv in levels if lv not in policy.merge_levels.get(column, {})]
                if kept:
                    raise PolicyError(
                        f"merge_levels.{column}: {', '.join(kept)} would act as a pregnancy marker; "
                        "merge it into another level or exclude the column"
                    )
        return policy

    @classmethod
    def read(cls, path: str | Path) -> FairLendingPolicy:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise PolicyError(f"{path}: unreadable policy ({exc})") from exc
        return cls.from_dict(data)

    @classmethod
    def default(cls) -> FairLendingPolicy:
        return cls.from_dict(DEFAULT_POLICY)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": POLICY_FORMAT,
            "name": self.name,
            "attributes": {a: dict(e) for a, e in self.attributes.items()},
            "merge_levels": {c: dict(m) for c, m in self.merge_levels.items()},
        }

    # ------------------------------------------------------------------ what it means
    def columns_of(self, treatment: str) -> list[str]:
        return [c for a, e in self.attributes.items() if e["treatment"] == treatment for c in PROTECTED_ATTRIBUTES[a]]

    @property
    def excluded_columns(self) -> list[str]:
        return self.columns_of("excluded")

    @property
    def justified_columns(self) -> list[str]:
        return self.columns_of("justified")

    @property
    def features(self) -> list[str]:
        """Model features: every feature none of whose source columns is excluded."""
        excluded = set(self.excluded_columns)
        return [f for f in FEATURE_NAMES if not excluded.intersection(FEATURE_SOURCES[f])]

    @property
    def input_columns(self) -> list[str]:
        excluded = set(self.excluded_columns)
        return [c for c in INPUT_COLUMNS if c not in excluded]

    def protected_attribute_of(self, feature: str) -> str | None:
        """The justified protected attribute a model feature comes from, if any."""
        sources = set(FEATURE_SOURCES[feature])
        for attribute, entry in self.attributes.items():
            if entry["treatment"] == "justified" and sources.intersection(PROTECTED_ATTRIBUTES[attribute]):
                return attribute
        return None

    def model_matrix(self, full: np.ndarray, names: list[str] | None = None) -> np.ndarray:
        """``ml.features.build_matrix`` output -> the model's columns (``names``, a subset of
        :attr:`features` in its order, default all of them), levels merged."""
        allowed = self.features
        names = allowed if names is None else list(names)
        barred = [f for f in names if f not in allowed]
        if barred:
            raise PolicyError(f"features: {', '.join(barred)} not allowed by the fair-lending policy")
        x = full[:, [FEATURE_NAMES.index(f) for f in names]].copy()
        for column, mapping in self.merge_levels.items():
            if column not in names:
                continue
            j = names.index(column)
            for level, target in mapping.items():
                x[x[:, j] == LEVELS[column].index(level), j] = float(LEVELS[column].index(target))
        return x

    def categorical_features(self) -> list[str]:
        return [f for f in self.features if f in CATEGORICAL_FEATURES]


def excluded_column_names() -> tuple[str, ...]:
    """Every column some policy could exclude (the protected attributes' columns)."""
    return tuple(c for cols in PROTECTED_ATTRIBUTES.values() for c in cols if c in COLUMN_BY_NAME)
