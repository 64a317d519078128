"""A faithful synthetic Home Credit generator (the real files cannot be downloaded here).

``generate(rows, seed)`` returns ``(train_df, test_df, oracle_df)`` with the 122 Kaggle
columns (test: ``rows // 6`` rows, no ``TARGET``) and each training row's true default
probability ``PD`` (oracle: ``SK_ID_CURR``, ``PD``). ``write`` also writes what later happened
to each test applicant (``outcomes_test.csv``: ``SK_ID_CURR``, ``TARGET``, drawn from the same
world), the file ``octroi outcomes import`` takes. Vectorised numpy: 300,000 rows take a
few seconds. Same seed, same rows.

How the world is built. Marginals follow public statistics of the real
``application_train.csv`` (default rate ~8.1%, ``DAYS_EMPLOYED = 365243`` on ~18% of rows,
missing ``EXT_SOURCE_1`` ~56% / ``EXT_SOURCE_3`` ~20% / ``EXT_SOURCE_2`` <1%, medians of
income ~145k, credit ~510k, annuity ~25k, goods ~450k, ~66% women, ~90% cash loans).
A latent credit quality drives the three ``EXT_SOURCE`` scores. The default probability is
an additive logit over *observed* values only (a missing score contributes nothing), so the
oracle is the best any model could do on these columns: its AUC is ~0.79, like the real
problem, and "model AUC / oracle AUC" measures how much of the learnable signal we find.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit, ndtr

from ml.data import ORACLE_FILE, OUTCOMES_FILE, TEST_FILE, TRAIN_FILE
from ml.schema import (
    ALL_COLUMNS,
    BUILDING_STEMS,
    BUREAU_REQUESTS,
    DAYS_EMPLOYED_SENTINEL,
    DOCUMENT_FLAGS,
    ID_COLUMN,
    LEVELS,
    ORGANIZATION_TYPES,
    TARGET_COLUMN,
    TEST_COLUMNS,
)

# Calibrated once (see tests/test_ml_synth.py) so the mean PD is ~8.1%.
INTERCEPT = -3.456
# Overall strength of the signal: sets the oracle AUC (~0.79, like the real problem).
SIGNAL = 0.8

# Missing rate of each building stem (real data: 49-70%); _AVG/_MODE/_MEDI share it.
_BUILDING_MISSING = {
    "APARTMENTS": 0.507, "BASEMENTAREA": 0.585, "YEARS_BEGINEXPLUATATION": 0.488,
    "YEARS_BUILD": 0.665, "COMMONAREA": 0.699, "ELEVATORS": 0.533, "ENTRANCES": 0.503,
    "FLOORSMAX": 0.498, "FLOORSMIN": 0.678, "LANDAREA": 0.594, "LIVINGAPARTMENTS": 0.684,
    "LIVINGAREA": 0.502, "NONLIVINGAPARTMENTS": 0.694, "NONLIVINGAREA": 0.552,
}  # fmt: skip
_BUILDING_MEAN = {
    "APARTMENTS": 0.12, "BASEMENTAREA": 0.09, "YEARS_BEGINEXPLUATATION": 0.977,
    "YEARS_BUILD": 0.75, "COMMONAREA": 0.045, "ELEVATORS": 0.08, "ENTRANCES": 0.15,
    "FLOORSMAX": 0.23, "FLOORSMIN": 0.23, "LANDAREA": 0.066, "LIVINGAPARTMENTS": 0.10,
    "LIVINGAREA": 0.11, "NONLIVINGAPARTMENTS": 0.009, "NONLIVINGAREA": 0.028,
}  # fmt: skip
_DOC_RATE = {3: 0.71, 6: 0.088, 8: 0.081, 5: 0.015, 9: 0.004, 11: 0.004, 13: 0.0035,
             14: 0.003, 15: 0.0012, 16: 0.0099, 18: 0.0081, 7: 0.0002}  # fmt: skip
_OCCUPATION_WEIGHTS = np.array(
    [0.261, 0.152, 0.131, 0.102, 0.088, 0.054, 0.046, 0.040, 0.032, 0.028, 0.022, 0.012,
     0.010, 0.006, 0.006, 0.004, 0.003, 0.003]
)  # fmt: skip
_OCCUPATION_RISK = np.array(
    [0.22, 0.1, -0.15, -0.3, 0.25, -0.2, -0.35, -0.1, 0.2, 0.2, 0.1, 0.0, 0.45, 0.25,
     0.0, -0.1, -0.3, -0.3]
)  # fmt: skip


def _choice(rng: np.random.Generator, levels: tuple[str, ...] | list[str], p: list[float] | np.ndarray, n: int) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    return np.asarray(levels, dtype=object)[rng.choice(len(levels), size=n, p=p / p.sum())]


def _with_missing(rng: np.random.Generator, values: np.ndarray, rate: float) -> np.ndarray:
    out = values.astype(object) if values.dtype == object else values.astype(np.float64)
    out[rng.random(len(values)) < rate] = np.nan
    return out


def _applications(rng: np.random.Generator, n: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """(columns without id/target, true default probability)."""
    c: dict[str, np.ndarray] = {}
    age = 21.0 + 48.0 * rng.beta(1.6, 1.9, n)
    age_z = (age - 43.9) / 11.9
    c["DAYS_BIRTH"] = -np.floor(age * 365.25).astype(np.int64)
    gender = _choice(rng, LEVELS["CODE_GENDER"], [0.658, 0.342, 0.00002], n)
    c["CODE_GENDER"] = gender
    male = gender == "M"

    # Not employed (pensioners, a few unemployed): DAYS_EMPLOYED = 365243, mostly older.
    p_pension = 0.025 + 0.92 * expit((age - 55.5) / 1.8)
    not_employed = rng.random(n) < p_pension
    income_type = _choice(
        rng, ["Working", "Commercial associate", "State servant", "Student", "Businessman",
              "Maternity leave"], [0.63, 0.285, 0.085, 0.0001, 0.0001, 0.00003], n,
    )  # fmt: skip
    income_type[not_employed] = np.where(rng.random(not_employed.sum()) < 0.0012, "Unemployed", "Pensioner")
    c["NAME_INCOME_TYPE"] = income_type
    years_employed = np.minimum(rng.gamma(1.25, 4.6, n), age - 18.0)
    c["DAYS_EMPLOYED"] = np.where(
        not_employed, DAYS_EMPLOYED_SENTINEL, -np.floor(years_employed * 365.25)
    ).astype(np.int64)

    education = _choice(rng, LEVELS["NAME_EDUCATION_TYPE"], [0.71, 0.243, 0.033, 0.012, 0.0005], n)
    c["NAME_EDUCATION_TYPE"] = education
    higher = np.isin(education, ["Higher education", "Academic degree"])

    family = _choice(rng, LEVELS["NAME_FAMILY_STATUS"], [0.639, 0.148, 0.097, 0.064, 0.0, 0.00001], n)
    widow = rng.random(n) < 0.11 * expit((age - 60) / 4) * (~male)
    family[widow] = "Widow"
    c["NAME_FAMILY_STATUS"] = family
    children = rng.choice(5, size=n, p=[0.70, 0.199, 0.087, 0.012, 0.002])
    children[age > 55] = 0
    c["CNT_CHILDREN"] = children.astype(np.int64)
    couple = np.isin(family, ["Married", "Civil marriage"])
    c["CNT_FAM_MEMBERS"] = (children + np.where(couple, 2, 1)).astype(np.float64)

    # Amounts: income drives the goods price; credit is mostly at or above it; the annuity
    # follows from the credit, a rate and a term.
    log_income = (
        np.log(132_000) + 0.20 * higher + 0.18 * male - 0.22 * not_employed + rng.normal(0, 0.45, n)
    )
    income = np.maximum(np.round(np.exp(log_income) / 2250) * 2250, 25_650)
    c["AMT_INCOME_TOTAL"] = income
    revolving = rng.random(n) < 0.095
    c["NAME_CONTRACT_TYPE"] = np.where(revolving, "Revolving loans", "Cash loans").astype(object)
    log_goods = np.log(495_000) + 0.45 * (log_income - np.log(145_000)) + rng.normal(0, 0.6, n)
    goods = np.clip(np.round(np.exp(log_goods) / 4500) * 4500, 40_500, 4_050_000)
    markup = np.exp(rng.normal(0.15, 0.09, n))
    markup = np.where(rng.random(n) < 0.25, 1.0, np.maximum(markup, 0.92))
    credit = np.round(goods * markup / 4.5) * 4.5
    revolving_credit = np.clip(np.round(income * rng.uniform(0.5, 2.0, n) / 22_500) * 22_500, 45_000, 1_350_000)
    credit = np.where(revolving, revolving_credit, credit)
    goods = np.where(revolving, revolving_credit, goods)
    c["AMT_CREDIT"] = credit
    c["AMT_GOODS_PRICE"] = _with_missing(rng, goods, 0.0009)
    term = rng.choice([12, 18, 24, 30, 36, 48, 60], size=n, p=[0.27, 0.12, 0.28, 0.1, 0.14, 0.06, 0.03])
    rate = rng.uniform(0.008, 0.016, n)
    annuity = credit * rate / (1.0 - (1.0 + rate) ** (-term))
    annuity = np.where(revolving, credit * 0.05, annuity)
    c["AMT_ANNUITY"] = _with_missing(rng, np.round(annuity / 4.5) * 4.5, 0.00004)

    c["FLAG_OWN_CAR"] = np.where(rng.random(n) < 0.30 + 0.1 * male, "Y", "N").astype(object)
    c["FLAG_OWN_REALTY"] = np.where(rng.random(n) < 0.694, "Y", "N").astype(object)
    own_car = c["FLAG_OWN_CAR"] == "Y"
    car_age = np.floor(np.minimum(rng.gamma(1.8, 6.5, n), 65.0))
    c["OWN_CAR_AGE"] = np.where(own_car, car_age, np.nan)
    c["NAME_TYPE_SUITE"] = _with_missing(
        rng, _choice(rng, LEVELS["NAME_TYPE_SUITE"], [0.81, 0.131, 0.037, 0.011, 0.006, 0.003, 0.001], n), 0.0042
    )
    c["NAME_HOUSING_TYPE"] = _choice(rng, LEVELS["NAME_HOUSING_TYPE"], [0.887, 0.048, 0.036, 0.016, 0.0085, 0.0036], n)
    c["NAME_HOUSING_TYPE"][(age < 30) & (rng.random(n) < 0.12)] = "With parents"

    regions = np.round(rng.uniform(0.0003, 0.0725, 81), 6)
    region = rng.integers(0, 81, n)
    c["REGION_POPULATION_RELATIVE"] = regions[region]
    rating = np.where(regions > 0.05, 1, np.where(regions < 0.012, 3, 2))[region]
    rating = np.where(rng.random(n) < 0.1, rng.choice([1, 2, 3], size=n, p=[0.1, 0.74, 0.16]), rating)
    c["REGION_RATING_CLIENT"] = rating.astype(np.int64)
    c["REGION_RATING_CLIENT_W_CITY"] = np.where(rng.random(n) < 0.06, np.clip(rating - 1, 1, 3), rating).astype(np.int64)
    c["DAYS_REGISTRATION"] = -np.round(rng.uniform(0, 1, n) ** 1.4 * (age - 17.5) * 365.25)
    c["DAYS_ID_PUBLISH"] = -np.floor(rng.uniform(0, 1, n) ** 0.8 * np.minimum(age - 14, 19.7) * 365.25).astype(np.int64)
    c["FLAG_MOBIL"] = np.where(rng.random(n) < 0.999997, 1, 0).astype(np.int64)
    c["FLAG_EMP_PHONE"] = np.where(not_employed, 0, 1).astype(np.int64)
    c["FLAG_WORK_PHONE"] = (rng.random(n) < 0.2 * ~not_employed + 0.01).astype(np.int64)
    c["FLAG_CONT_MOBILE"] = (rng.random(n) < 0.998).astype(np.int64)
    c["FLAG_PHONE"] = (rng.random(n) < 0.281).astype(np.int64)
    c["FLAG_EMAIL"] = (rng.random(n) < 0.057).astype(np.int64)
    occupation_index = rng.choice(len(_OCCUPATION_WEIGHTS), size=n, p=_OCCUPATION_WEIGHTS / _OCCUPATION_WEIGHTS.sum())
    occupation = np.asarray(LEVELS["OCCUPATION_TYPE"], dtype=object)[occupation_index]
    no_occupation = not_employed | (rng.random(n) < 0.16)
    occupation[no_occupation] = np.nan
    c["OCCUPATION_TYPE"] = occupation
    c["WEEKDAY_APPR_PROCESS_START"] = _choice(rng, LEVELS["WEEKDAY_APPR_PROCESS_START"], [0.165, 0.175, 0.169, 0.165, 0.164, 0.11, 0.052], n)
    c["HOUR_APPR_PROCESS_START"] = np.clip(np.round(rng.normal(12.06, 3.27, n)), 0, 23).astype(np.int64)
    for name, p in (
        ("REG_REGION_NOT_LIVE_REGION", 0.015), ("REG_REGION_NOT_WORK_REGION", 0.051),
        ("LIVE_REGION_NOT_WORK_REGION", 0.041), ("REG_CITY_NOT_LIVE_CITY", 0.078),
        ("REG_CITY_NOT_WORK_CITY", 0.23), ("LIVE_CITY_NOT_WORK_CITY", 0.18),
    ):  # fmt: skip
        c[name] = (rng.random(n) < p).astype(np.int64)
    org_weights = np.ones(len(ORGANIZATION_TYPES))
    org_weights[ORGANIZATION_TYPES.index("Business Entity Type 3")] = 40
    org_weights[ORGANIZATION_TYPES.index("Self-employed")] = 18
    org_weights[ORGANIZATION_TYPES.index("Other")] = 8
    org_weights[ORGANIZATION_TYPES.index("XNA")] = 0
    organization = _choice(rng, ORGANIZATION_TYPES, org_weights, n)
    organization[not_employed] = "XNA"
    c["ORGANIZATION_TYPE"] = organization

    # Latent credit quality -> three noisy external scores (EXT_SOURCE_1 also tracks age,
    # as in the real data). Each score is kept as a normal score s_k and a [0,1] value.
    quality = rng.normal(0, 1, n)
    loadings = ((0.62, 0.55), (0.80, 0.12), (0.72, 0.25))
    scores = []
    for k, (q_load, age_load) in enumerate(loadings, start=1):
        noise = np.sqrt(max(1.0 - q_load**2 - age_load**2, 0.05))
        s = q_load * quality + age_load * age_z + noise * rng.normal(0, 1, n)
        s = s / np.sqrt(q_load**2 + age_load**2 + noise**2)
        scores.append(s)
        c[f"EXT_SOURCE_{k}"] = 0.01 + 0.94 * ndtr(s) ** 0.85
    missing_rates = (0.564, 0.0021, 0.198)
    observed = []
    for k, rate in enumerate(missing_rates, start=1):
        seen = rng.random(n) >= rate
        c[f"EXT_SOURCE_{k}"] = np.where(seen, c[f"EXT_SOURCE_{k}"], np.nan)
        observed.append(seen)

    # Building information: one block per stem, values around a stem mean.
    building = rng.beta(2.0, 2.0, n)
    for stem in BUILDING_STEMS:
        seen = rng.random(n) >= _BUILDING_MISSING[stem]
        base = np.clip(_BUILDING_MEAN[stem] * (0.4 + 1.2 * building) * rng.lognormal(0, 0.35, n), 0, 1)
        for suffix, jitter in (("AVG", 0.0), ("MODE", 0.02), ("MEDI", 0.005)):
            value = np.clip(base + jitter * rng.normal(0, 1, n) * _BUILDING_MEAN[stem], 0, 1)
            c[f"{stem}_{suffix}"] = np.where(seen, np.round(value, 4), np.nan)
    has_house = rng.random(n) >= 0.48
    c["TOTALAREA_MODE"] = np.where(has_house, np.round(np.clip(0.1 * (0.4 + 1.2 * building) * rng.lognormal(0, 0.4, n), 0, 1), 4), np.nan)
    c["HOUSETYPE_MODE"] = np.where(has_house, _choice(rng, LEVELS["HOUSETYPE_MODE"], [0.98, 0.01, 0.008], n), np.nan)
    c["WALLSMATERIAL_MODE"] = np.where(has_house & (rng.random(n) > 0.02), _choice(rng, LEVELS["WALLSMATERIAL_MODE"], [0.44, 0.43, 0.06, 0.035, 0.016, 0.012, 0.011], n), np.nan)
    c["EMERGENCYSTATE_MODE"] = np.where(has_house & (rng.random(n) > 0.01), _choice(rng, LEVELS["EMERGENCYSTATE_MODE"], [0.985, 0.015], n), np.nan)
    c["FONDKAPREMONT_MODE"] = np.where(has_house & (rng.random(n) > 0.38), _choice(rng, LEVELS["FONDKAPREMONT_MODE"], [0.76, 0.12, 0.06, 0.06], n), np.nan)

    social_seen = rng.random(n) >= 0.0033
    obs30 = rng.negative_binomial(0.6, 0.6 / (0.6 + 1.42), n).astype(np.float64)
    def30 = rng.binomial(obs30.astype(np.int64), 0.1).astype(np.float64)
    obs60 = obs30 + rng.binomial(1, 0.02, n)
    def60 = np.minimum(def30 + rng.binomial(1, 0.01, n) * (obs60 > def30), obs60)
    for name, value in (
        ("OBS_30_CNT_SOCIAL_CIRCLE", obs30), ("DEF_30_CNT_SOCIAL_CIRCLE", def30),
        ("OBS_60_CNT_SOCIAL_CIRCLE", obs60), ("DEF_60_CNT_SOCIAL_CIRCLE", def60),
    ):  # fmt: skip
        c[name] = np.where(social_seen, value, np.nan)
    c["DAYS_LAST_PHONE_CHANGE"] = -np.minimum(np.floor(rng.exponential(960, n) * (rng.random(n) > 0.12)), 4292.0)
    for name in DOCUMENT_FLAGS:
        number = int(name.rsplit("_", 1)[1])
        c[name] = (rng.random(n) < _DOC_RATE.get(number, 0.0003)).astype(np.int64)
    bureau_seen = rng.random(n) >= 0.135
    for name, lam in zip(BUREAU_REQUESTS, (0.0064, 0.007, 0.034, 0.27, 0.27, 1.9), strict=True):
        c[name] = np.where(bureau_seen, rng.poisson(lam, n).astype(np.float64), np.nan)

    # The default probability: additive logit over observed values only.
    s1, s2, s3 = (np.where(seen, s, 0.0) for s, seen in zip(scores, observed, strict=True))
    logit = INTERCEPT + SIGNAL * (
        - 0.36 * s1 - 0.40 * s2 - 0.44 * s3
        - 0.018 * (age - 43.9)
        + 0.45 * male
        - 0.050 * np.where(not_employed, 0.0, np.minimum(years_employed, 15.0) - 4.0)
        - 0.15 * not_employed
        - 0.55 * higher
        + 0.45 * (education == "Lower secondary")
        + 2.0 * np.clip(credit / goods - 1.1, -0.2, 0.4)
        + 2.5 * np.clip(annuity / income - 0.18, -0.15, 0.3)
        - 0.45 * revolving
        - 0.28 * own_car
        + 0.35 * (rating - 2)
        + 1.5 * np.where(no_occupation, 0.0, _OCCUPATION_RISK[occupation_index])
        + 0.50 * np.minimum(def30, 2) * social_seen
        + 0.25 * (c["DAYS_LAST_PHONE_CHANGE"] > -300)
        + 0.25 * c["REG_CITY_NOT_WORK_CITY"]
        + 0.20 * c["FLAG_DOCUMENT_3"]
        + 0.18 * np.isin(family, ["Single / not married", "Civil marriage"])
        + 0.18 * (c["DAYS_ID_PUBLISH"] > -1500)
        # Thresholds and interactions, as in real credit data, that a linear score misses.
        + 0.45 * np.clip((30.0 - age) / 8.0, 0.0, 1.0)
        + 0.35 * male * (age < 35)
        + 0.45 * (annuity / income > 0.3)
        + 0.50 * (np.minimum(np.minimum(s1, s2), s3) < -1.3)
        - 0.30 * (s2 > 0.8) * (s3 > 0.5)
    )
    return c, expit(logit)


def _ids(rng: np.random.Generator, n: int) -> np.ndarray:
    # Kaggle ids start at 100002 and are nearly consecutive; train and test interleave.
    return 100_002 + np.cumsum(rng.integers(1, 3, n)) - 1


def generate(rows: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(train with TARGET, test without, oracle with SK_ID_CURR and PD); reproducible per seed."""
    return _world(rows, seed)[:3]


def _world(rows: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """:func:`generate`'s frames and the test applicants' own realised outcomes (SK_ID_CURR,
    TARGET), drawn with everyone's in one go: the same rows as before they were kept."""
    if rows < 10:
        raise ValueError("rows must be at least 10")
    rng = np.random.default_rng(seed)
    n_test = max(rows // 6, 1)
    total = rows + n_test
    columns, pd_true = _applications(rng, total)
    ids = _ids(rng, total)
    is_test = np.zeros(total, dtype=bool)
    is_test[rng.choice(total, size=n_test, replace=False)] = True
    target = (rng.random(total) < pd_true).astype(np.int64)
    frame = pd.DataFrame({ID_COLUMN: ids, TARGET_COLUMN: target, **columns})[ALL_COLUMNS]
    train = frame[~is_test].reset_index(drop=True)
    test = frame[is_test][TEST_COLUMNS].reset_index(drop=True)
    oracle = pd.DataFrame({ID_COLUMN: ids[~is_test], "PD": pd_true[~is_test]})
    outcomes = pd.DataFrame({ID_COLUMN: ids[is_test], TARGET_COLUMN: target[is_test]})
    return train, test, oracle, outcomes


def write(out_dir: str | Path, rows: int, seed: int = 0) -> dict[str, Path]:
    """Generate and write the four CSV files; returns their paths by role."""
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    train, test, oracle, outcomes = _world(rows, seed)
    paths = {"train": out / TRAIN_FILE, "test": out / TEST_FILE, "oracle": out / ORACLE_FILE,
             "outcomes": out / OUTCOMES_FILE}
    options = pa_csv.WriteOptions(quoting_style="needed", include_header=False)
    for role, frame in (("train", train), ("test", test), ("oracle", oracle), ("outcomes", outcomes)):
        # pyarrow writes an empty cell for a missing value, like the Kaggle files, and
        # is several times faster than DataFrame.to_csv on 300k x 122. The header is
        # written by hand because pyarrow quotes every header name.
        table = pa.Table.from_pandas(frame, preserve_index=False)
        with paths[role].open("wb") as handle:
            handle.write((",".join(frame.columns) + "\n").encode())
            pa_csv.write_csv(table, handle, write_options=options)
    return paths
