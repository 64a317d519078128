"""Deterministic feature engineering, the same code at training and at serving.

Input: raw application rows (Kaggle columns; ``SK_ID_CURR``/``TARGET`` ignored when present).
Output: a float64 matrix in :data:`FEATURE_NAMES` order, categoricals as integer codes in the
schema's level order (NaN = missing or unseen), which LightGBM treats natively as
categorical features (:data:`CATEGORICAL_FEATURES`). A numpy matrix rather than a pandas
frame: the encoding is fixed by ``ml.schema``, not by whatever levels a frame happened to
hold, and one-row serving avoids pandas overhead.

Engineered features:
- ``AGE_YEARS`` and ``YEARS_EMPLOYED`` replace ``DAYS_BIRTH``/``DAYS_EMPLOYED`` (readable
  units for explanations); ``DAYS_EMPLOYED = 365243`` becomes missing plus the flag
  ``DAYS_EMPLOYED_ANOMALY``;
- ratios: credit/income, annuity/income, annuity/credit, credit/goods price,
  employment/age, income per family member;
- ``EXT_SOURCE`` mean, min, max, std (population, ddof=0) and number missing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ml.schema import (
    APPLICATION_COLUMNS,
    BUREAU_REQUESTS,
    CATEGORICAL_COLUMNS,
    COLUMN_BY_NAME,
    DAYS_EMPLOYED_SENTINEL,
    LEVELS,
)

DAYS_PER_YEAR = 365.25
REPLACED = ("DAYS_BIRTH", "DAYS_EMPLOYED")
EXT_SOURCES = ("EXT_SOURCE_1", "EXT_SOURCE_2", "EXT_SOURCE_3")
ENGINEERED = (
    "AGE_YEARS",
    "YEARS_EMPLOYED",
    "DAYS_EMPLOYED_ANOMALY",
    "CREDIT_INCOME_RATIO",
    "ANNUITY_INCOME_RATIO",
    "ANNUITY_CREDIT_RATIO",
    "CREDIT_GOODS_RATIO",
    "EMPLOYED_AGE_RATIO",
    "INCOME_PER_PERSON",
    "EXT_SOURCE_MEAN",
    "EXT_SOURCE_MIN",
    "EXT_SOURCE_MAX",
    "EXT_SOURCE_STD",
    "EXT_SOURCE_MISSING",
)
# The raw columns each engineered feature is computed from: a fair-lending policy that
# excludes a column also drops every feature derived from it (ml.policy).
ENGINEERED_SOURCES: dict[str, tuple[str, ...]] = {
    "AGE_YEARS": ("DAYS_BIRTH",),
    "YEARS_EMPLOYED": ("DAYS_EMPLOYED",),
    "DAYS_EMPLOYED_ANOMALY": ("DAYS_EMPLOYED",),
    "CREDIT_INCOME_RATIO": ("AMT_CREDIT", "AMT_INCOME_TOTAL"),
    "ANNUITY_INCOME_RATIO": ("AMT_ANNUITY", "AMT_INCOME_TOTAL"),
    "ANNUITY_CREDIT_RATIO": ("AMT_ANNUITY", "AMT_CREDIT"),
    "CREDIT_GOODS_RATIO": ("AMT_CREDIT", "AMT_GOODS_PRICE"),
    "EMPLOYED_AGE_RATIO": ("DAYS_EMPLOYED", "DAYS_BIRTH"),
    "INCOME_PER_PERSON": ("AMT_INCOME_TOTAL", "CNT_FAM_MEMBERS"),
    "EXT_SOURCE_MEAN": EXT_SOURCES,
    "EXT_SOURCE_MIN": EXT_SOURCES,
    "EXT_SOURCE_MAX": EXT_SOURCES,
    "EXT_SOURCE_STD": EXT_SOURCES,
    "EXT_SOURCE_MISSING": EXT_SOURCES,
}
RAW_FEATURES: tuple[str, ...] = tuple(c for c in APPLICATION_COLUMNS if c not in REPLACED)
FEATURE_NAMES: list[str] = [*RAW_FEATURES, *ENGINEERED]
CATEGORICAL_FEATURES: list[str] = list(CATEGORICAL_COLUMNS)
FEATURE_SOURCES: dict[str, tuple[str, ...]] = {
    **{name: (name,) for name in RAW_FEATURES}, **ENGINEERED_SOURCES,
}
CATEGORICAL_INDEX: list[int] = [FEATURE_NAMES.index(c) for c in CATEGORICAL_FEATURES]
# What a feature's value is counted in, so every reader writes it the same way: the API gives
# it beside each value (``unit``), the dashboard and the plain-language text format by it.
# ``money`` euros; ``years``; ``flag`` 0/1 read as no/yes; ``integer`` a whole number (counts,
# days, hours, ratings: some are kept as decimals in the bank's file, "2.0" enquiries);
# ``number`` any other quantity (ratios, scores); ``category`` a level.
VALUE_UNITS = ("money", "years", "flag", "integer", "number", "category")
_KIND_UNITS = {"category": "category", "flag": "flag", "integer": "integer"}
FEATURE_UNITS: dict[str, str] = {
    **{name: _KIND_UNITS.get(COLUMN_BY_NAME[name].kind, "number") for name in APPLICATION_COLUMNS},
    **dict.fromkeys(ENGINEERED, "number"),
    **dict.fromkeys(("CNT_FAM_MEMBERS", "OBS_30_CNT_SOCIAL_CIRCLE", "DEF_30_CNT_SOCIAL_CIRCLE",
                     "OBS_60_CNT_SOCIAL_CIRCLE", "DEF_60_CNT_SOCIAL_CIRCLE", "DAYS_REGISTRATION",
                     "DAYS_LAST_PHONE_CHANGE", "EXT_SOURCE_MISSING", *BUREAU_REQUESTS), "integer"),
    **dict.fromkeys(("AMT_INCOME_TOTAL", "AMT_CREDIT", "AMT_ANNUITY", "AMT_GOODS_PRICE", "INCOME_PER_PERSON"), "money"),
    **dict.fromkeys(("AGE_YEARS", "YEARS_EMPLOYED", "OWN_CAR_AGE"), "years"),
    "DAYS_EMPLOYED_ANOMALY": "flag",
}


def value_unit(feature: str) -> str:
    """The unit of a feature's or raw column's value (:data:`VALUE_UNITS`)."""
    return FEATURE_UNITS.get(feature, "number")


# Durations the bank's file counts as negative days before the application and the model
# reads as they are (its inputs never change for display). Every answer shows them as the
# positive number of days since (``display_value``), with the percentile of that positive
# duration, the histograms mirrored: "ID document issued 136 days ago" is near the bottom of
# the scale, not at its 100th percentile. AGE_YEARS/YEARS_EMPLOYED are converted in the model
# itself (they replace DAYS_BIRTH/DAYS_EMPLOYED); these three are a display-side transform.
DISPLAY_NEGATED: frozenset[str] = frozenset(("DAYS_REGISTRATION", "DAYS_ID_PUBLISH", "DAYS_LAST_PHONE_CHANGE"))


def completed_years_of(years: float) -> float:
    """Years (``AGE_YEARS``, ``YEARS_EMPLOYED``, any value of unit ``years``) as every answer
    writes them: completed years, to one decimal, rounded down, as a person states their age
    (48.9993 years is 48,9 and "48 ans", never 49,0). The profile's ``completed_years`` (from
    days) and the dashboard's copy (``frontend.ui.completed_years``) give the same figure; a
    test pins them. The tolerance keeps a value computed as 48.2 (48.199999...) at 48.2."""
    return math.floor(years * 10 + 1e-9) / 10


def display_value(feature: str, value: Any) -> Any:
    """A model feature's value as the answers show it: the positive days since for the
    :data:`DISPLAY_NEGATED` durations (0 not -0), anything else unchanged."""
    if feature in DISPLAY_NEGATED and isinstance(value, int | float) and not isinstance(value, bool):
        return 0.0 - value
    return value


# The raw columns the model reads: all 120 application columns.
INPUT_COLUMNS: list[str] = list(APPLICATION_COLUMNS)
_CODES: dict[str, dict[str, float]] = {
    name: {level: float(i) for i, level in enumerate(levels)} for name, levels in LEVELS.items()
}
_NUMERIC_INPUTS: list[str] = [c for c in INPUT_COLUMNS if c not in CATEGORICAL_COLUMNS]
_NUMERIC_POS = np.array([INPUT_COLUMNS.index(c) for c in _NUMERIC_INPUTS])
_CATEGORICAL_POS = np.array([INPUT_COLUMNS.index(c) for c in CATEGORICAL_COLUMNS])
_RAW_POS = {name: i for i, name in enumerate(FEATURE_NAMES)}
_SMALL_BATCH = 256


class MissingColumnsError(ValueError):
    """The raw rows lack columns the model needs; ``columns`` lists them."""

    def __init__(self, columns: list[str]) -> None:
        self.columns = columns
        super().__init__(f"missing input column(s): {', '.join(columns)}")


def _encode_category(values: np.ndarray, name: str) -> np.ndarray:
    codes = _CODES[name]
    if len(values) <= _SMALL_BATCH:
        return np.fromiter((codes.get(v, np.nan) for v in values), dtype=np.float64, count=len(values))
    cat = pd.Categorical(values, categories=list(LEVELS[name]))
    out = cat.codes.astype(np.float64)
    out[out < 0] = np.nan
    return out


def build_matrix(raw: pd.DataFrame) -> np.ndarray:
    """Feature matrix (n x len(FEATURE_NAMES), float64) for raw application rows."""
    present = set(raw.columns)
    missing = [c for c in INPUT_COLUMNS if c not in present]
    if missing:
        raise MissingColumnsError(missing)
    n = len(raw)
    if n <= _SMALL_BATCH:
        # One object block then plain indexing: when serving one row this is ~10x cheaper
        # than selecting 120 columns from the frame.
        block = raw.to_numpy(dtype=object)
        position = raw.columns.get_indexer(INPUT_COLUMNS)
        numeric_obj = block[:, position[_NUMERIC_POS]]
        try:
            numbers = numeric_obj.astype(np.float64)
        except (TypeError, ValueError):  # None or text numbers in a hand-made frame
            numbers = pd.DataFrame(numeric_obj).apply(pd.to_numeric, errors="coerce").to_numpy(np.float64, na_value=np.nan)
        texts = block[:, position[_CATEGORICAL_POS]]
        columns = {name: numbers[:, i] for i, name in enumerate(_NUMERIC_INPUTS)}
        columns.update({name: texts[:, i] for i, name in enumerate(CATEGORICAL_FEATURES)})
    else:
        columns = {name: raw[name].to_numpy() for name in INPUT_COLUMNS}
    x = np.empty((n, len(FEATURE_NAMES)), dtype=np.float64)
    categorical = set(CATEGORICAL_FEATURES)
    for name in RAW_FEATURES:
        values = columns[name]
        if name in categorical:
            x[:, _RAW_POS[name]] = _encode_category(values, name)
        else:
            x[:, _RAW_POS[name]] = _as_float(values)
    _engineer(x, {c: _as_float(columns[c]) for c in REPLACED})
    return x


def _as_float(values: np.ndarray) -> np.ndarray:
    if values.dtype == np.float64:
        return values
    if values.dtype != object:
        return values.astype(np.float64)
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _col(x: np.ndarray, name: str) -> np.ndarray:
    return x[:, _RAW_POS[name]]


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = a / b
    out[~np.isfinite(out)] = np.nan
    return out


def _engineer(x: np.ndarray, replaced: dict[str, np.ndarray]) -> None:
    days_birth = replaced["DAYS_BIRTH"]
    days_employed = replaced["DAYS_EMPLOYED"].copy()
    anomaly = days_employed == DAYS_EMPLOYED_SENTINEL
    days_employed[anomaly] = np.nan
    income = _col(x, "AMT_INCOME_TOTAL")
    credit = _col(x, "AMT_CREDIT")
    annuity = _col(x, "AMT_ANNUITY")
    goods = _col(x, "AMT_GOODS_PRICE")
    ext = np.column_stack([_col(x, c) for c in EXT_SOURCES])
    ext_missing = np.isnan(ext).sum(axis=1).astype(np.float64)
    any_ext = ext_missing < 3
    ext_mean = np.full(len(x), np.nan)
    ext_min = np.full(len(x), np.nan)
    ext_max = np.full(len(x), np.nan)
    ext_std = np.full(len(x), np.nan)
    if any_ext.any():
        sub = ext[any_ext]
        ext_mean[any_ext] = np.nanmean(sub, axis=1)
        ext_min[any_ext] = np.nanmin(sub, axis=1)
        ext_max[any_ext] = np.nanmax(sub, axis=1)
        ext_std[any_ext] = np.nanstd(sub, axis=1)
    engineered = {
        "AGE_YEARS": -days_birth / DAYS_PER_YEAR,
        "YEARS_EMPLOYED": -days_employed / DAYS_PER_YEAR,
        "DAYS_EMPLOYED_ANOMALY": anomaly.astype(np.float64),
        "CREDIT_INCOME_RATIO": _ratio(credit, income),
        "ANNUITY_INCOME_RATIO": _ratio(annuity, income),
        "ANNUITY_CREDIT_RATIO": _ratio(annuity, credit),
        "CREDIT_GOODS_RATIO": _ratio(credit, goods),
        "EMPLOYED_AGE_RATIO": _ratio(days_employed, days_birth),
        "INCOME_PER_PERSON": _ratio(income, _col(x, "CNT_FAM_MEMBERS")),
        "EXT_SOURCE_MEAN": ext_mean,
        "EXT_SOURCE_MIN": ext_min,
        "EXT_SOURCE_MAX": ext_max,
        "EXT_SOURCE_STD": ext_std,
        "EXT_SOURCE_MISSING": ext_missing,
    }
    for name, values in engineered.items():
        x[:, _RAW_POS[name]] = values


_NUMERIC_RAW = [(name, _RAW_POS[name]) for name in RAW_FEATURES if name not in CATEGORICAL_COLUMNS]
_CATEGORICAL_RAW = [(name, _RAW_POS[name], _CODES[name]) for name in CATEGORICAL_FEATURES]
_ENGINEERED_POS = {name: _RAW_POS[name] for name in ENGINEERED}
_NAN = float("nan")


def _number(value: Any) -> float:
    """One raw numeric cell as ``build_matrix`` reads it: None, text or non-numbers -> NaN."""
    if value is None:
        return _NAN
    try:
        return float(value)
    except (TypeError, ValueError):
        return _NAN


def _scalar_ratio(a: float, b: float) -> float:
    # IEEE division as numpy does it; 0, inf and NaN results become missing like ``_ratio``.
    if b == 0.0 or a != a or b != b:
        return _NAN
    out = a / b
    return out if math.isfinite(out) else _NAN


def build_row(record: Mapping[str, Any]) -> np.ndarray:
    """One client's feature vector (len(FEATURE_NAMES), float64) from a mapping of raw
    columns (None or absent = missing), bit-identical to ``build_matrix`` on the same row.

    The serving path for one request: plain Python on ~130 scalars instead of a pandas frame,
    which costs more than the model itself for one row. ``tests/test_ml_one_row.py`` proves
    the two paths agree on many rows (missing values, unseen levels, special values).
    """
    return np.array(build_row_values(record), dtype=np.float64)


def build_row_values(record: Mapping[str, Any]) -> list[float]:
    """``build_row`` as a list of Python floats (the same values): callers that pick columns
    or look values up do it on a list, cheaper than numpy scalar reads and writes."""
    x: list[float] = [_NAN] * len(FEATURE_NAMES)
    get = record.get
    for name, pos in _NUMERIC_RAW:
        x[pos] = _number(get(name))
    for name, pos, codes in _CATEGORICAL_RAW:
        value = get(name)
        try:
            x[pos] = codes.get(value, _NAN)  # the codes are floats already
        except TypeError:  # an unhashable cell is no level
            x[pos] = _NAN
    days_birth = _number(get("DAYS_BIRTH"))
    days_employed = _number(get("DAYS_EMPLOYED"))
    anomaly = days_employed == DAYS_EMPLOYED_SENTINEL
    if anomaly:
        days_employed = _NAN
    income = x[_RAW_POS["AMT_INCOME_TOTAL"]]
    credit = x[_RAW_POS["AMT_CREDIT"]]
    annuity = x[_RAW_POS["AMT_ANNUITY"]]
    goods = x[_RAW_POS["AMT_GOODS_PRICE"]]
    family = x[_RAW_POS["CNT_FAM_MEMBERS"]]
    known = [v for v in (x[_RAW_POS[c]] for c in EXT_SOURCES) if v == v]
    if known:
        # The same operations in the same order as numpy's nanmean/nanstd on three values
        # (missing ones add 0.0), so the results are the same bits.
        count = float(len(known))
        total = 0.0
        for v in known:
            total += v
        mean = total / count
        squares = 0.0
        for v in known:
            squares += (v - mean) * (v - mean)
        ext = (mean, min(known), max(known), math.sqrt(squares / count))
    else:
        ext = (_NAN, _NAN, _NAN, _NAN)
    pos = _ENGINEERED_POS
    x[pos["AGE_YEARS"]] = -days_birth / DAYS_PER_YEAR
    x[pos["YEARS_EMPLOYED"]] = -days_employed / DAYS_PER_YEAR
    x[pos["DAYS_EMPLOYED_ANOMALY"]] = 1.0 if anomaly else 0.0
    x[pos["CREDIT_INCOME_RATIO"]] = _scalar_ratio(credit, income)
    x[pos["ANNUITY_INCOME_RATIO"]] = _scalar_ratio(annuity, income)
    x[pos["ANNUITY_CREDIT_RATIO"]] = _scalar_ratio(annuity, credit)
    x[pos["CREDIT_GOODS_RATIO"]] = _scalar_ratio(credit, goods)
    x[pos["EMPLOYED_AGE_RATIO"]] = _scalar_ratio(days_employed, days_birth)
    x[pos["INCOME_PER_PERSON"]] = _scalar_ratio(income, family)
    x[pos["EXT_SOURCE_MEAN"]], x[pos["EXT_SOURCE_MIN"]], x[pos["EXT_SOURCE_MAX"]], x[pos["EXT_SOURCE_STD"]] = ext
    x[pos["EXT_SOURCE_MISSING"]] = float(len(EXT_SOURCES) - len(known))
    return x


def build_frame(raw: pd.DataFrame) -> pd.DataFrame:
    """The same features as a frame (categoricals decoded to their levels), for reports."""
    x = build_matrix(raw)
    frame = pd.DataFrame(x, columns=FEATURE_NAMES)
    for name in CATEGORICAL_FEATURES:
        codes = frame[name].to_numpy()
        levels = np.asarray(LEVELS[name], dtype=object)
        decoded = np.full(len(codes), np.nan, dtype=object)
        ok = ~np.isnan(codes)
        decoded[ok] = levels[codes[ok].astype(int)]
        frame[name] = decoded
    return frame


def decode_value(feature: str, value: float) -> float | str | None:
    """A feature value as a person reads it: the level for a categorical, None if missing."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if feature in _CODES:
        return LEVELS[feature][int(value)]
    return float(value)
