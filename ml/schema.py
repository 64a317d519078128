"""The Kaggle Home Credit ``application_train.csv`` schema: 122 columns.

``SK_ID_CURR`` (the bank's client id), ``TARGET`` (1 = payment difficulties) and the 120
application columns, in the file's order, with the dtype pandas infers on the real file, the
categorical levels seen in the real data and generous valid ranges (a value outside them is a
data error, not a rare client). ``application_test.csv`` is the same without ``TARGET``.

Kind codes: ``"id"``, ``"target"``, ``"integer"`` (int64 in the real file, never empty),
``"number"`` (float64, may be empty), ``"flag"`` (0/1 integer), ``"category"`` (text, may be
empty). ``DAYS_EMPLOYED`` is an integer column whose sentinel ``365243`` means "not employed
(pensioner/unemployed)"; it is valid and turned into missing + a flag by ``ml.features``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ID_COLUMN = "SK_ID_CURR"
TARGET_COLUMN = "TARGET"
DAYS_EMPLOYED_SENTINEL = 365243


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # id | target | integer | number | flag | category
    min: float | None = None
    max: float | None = None
    levels: tuple[str, ...] = field(default_factory=tuple)
    nullable: bool = True
    # Values allowed although outside [min, max] (the 365243 sentinel).
    special: tuple[float, ...] = field(default_factory=tuple)

    @property
    def is_categorical(self) -> bool:
        return self.kind == "category"

    @property
    def pandas_dtype(self) -> str:
        if self.kind in {"id", "target", "integer", "flag"}:
            return "int64"
        if self.kind == "number":
            return "float64"
        return "object"


ORGANIZATION_TYPES = (
    "Business Entity Type 3", "XNA", "Self-employed", "Other", "Medicine",
    "Business Entity Type 2", "Government", "School", "Trade: type 7", "Kindergarten",
    "Construction", "Business Entity Type 1", "Transport: type 4", "Trade: type 3",
    "Industry: type 9", "Industry: type 3", "Security", "Housing", "Industry: type 11",
    "Military", "Bank", "Agriculture", "Police", "Transport: type 2", "Postal",
    "Security Ministries", "Trade: type 2", "Restaurant", "Services", "University",
    "Industry: type 7", "Transport: type 3", "Industry: type 1", "Hotel", "Electricity",
    "Industry: type 4", "Trade: type 6", "Industry: type 5", "Insurance", "Telecom",
    "Emergency", "Industry: type 2", "Advertising", "Realtor", "Culture",
    "Industry: type 12", "Trade: type 1", "Mobile", "Legal Services", "Cleaning",
    "Transport: type 1", "Industry: type 6", "Industry: type 10", "Religion",
    "Industry: type 13", "Trade: type 4", "Trade: type 5", "Industry: type 8",
)  # fmt: skip

OCCUPATION_TYPES = (
    "Laborers", "Sales staff", "Core staff", "Managers", "Drivers", "High skill tech staff",
    "Accountants", "Medicine staff", "Security staff", "Cooking staff", "Cleaning staff",
    "Private service staff", "Low-skill Laborers", "Waiters/barmen staff", "Secretaries",
    "Realty agents", "HR staff", "IT staff",
)  # fmt: skip

LEVELS: dict[str, tuple[str, ...]] = {
    "NAME_CONTRACT_TYPE": ("Cash loans", "Revolving loans"),
    "CODE_GENDER": ("F", "M", "XNA"),
    "FLAG_OWN_CAR": ("N", "Y"),
    "FLAG_OWN_REALTY": ("N", "Y"),
    "NAME_TYPE_SUITE": (
        "Unaccompanied", "Family", "Spouse, partner", "Children", "Other_B", "Other_A",
        "Group of people",
    ),
    "NAME_INCOME_TYPE": (
        "Working", "Commercial associate", "Pensioner", "State servant", "Unemployed",
        "Student", "Businessman", "Maternity leave",
    ),
    "NAME_EDUCATION_TYPE": (
        "Secondary / secondary special", "Higher education", "Incomplete higher",
        "Lower secondary", "Academic degree",
    ),
    "NAME_FAMILY_STATUS": (
        "Married", "Single / not married", "Civil marriage", "Separated", "Widow", "Unknown",
    ),
    "NAME_HOUSING_TYPE": (
        "House / apartment", "With parents", "Municipal apartment", "Rented apartment",
        "Office apartment", "Co-op apartment",
    ),
    "OCCUPATION_TYPE": OCCUPATION_TYPES,
    "WEEKDAY_APPR_PROCESS_START": (
        "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY",
    ),
    "ORGANIZATION_TYPE": ORGANIZATION_TYPES,
    "FONDKAPREMONT_MODE": (
        "reg oper account", "reg oper spec account", "not specified", "org spec account",
    ),
    "HOUSETYPE_MODE": ("block of flats", "specific housing", "terraced house"),
    "WALLSMATERIAL_MODE": (
        "Panel", "Stone, brick", "Block", "Wooden", "Mixed", "Monolithic", "Others",
    ),
    "EMERGENCYSTATE_MODE": ("No", "Yes"),
}  # fmt: skip

BUILDING_STEMS = (
    "APARTMENTS", "BASEMENTAREA", "YEARS_BEGINEXPLUATATION", "YEARS_BUILD", "COMMONAREA",
    "ELEVATORS", "ENTRANCES", "FLOORSMAX", "FLOORSMIN", "LANDAREA", "LIVINGAPARTMENTS",
    "LIVINGAREA", "NONLIVINGAPARTMENTS", "NONLIVINGAREA",
)  # fmt: skip
BUILDING_NUMERIC = tuple(f"{stem}_{stat}" for stat in ("AVG", "MODE", "MEDI") for stem in BUILDING_STEMS)
DOCUMENT_FLAGS = tuple(f"FLAG_DOCUMENT_{n}" for n in range(2, 22))
BUREAU_REQUESTS = tuple(
    f"AMT_REQ_CREDIT_BUREAU_{p}" for p in ("HOUR", "DAY", "WEEK", "MON", "QRT", "YEAR")
)


def _cat(name: str) -> Column:
    return Column(name, "category", levels=LEVELS[name])


def _flag(name: str) -> Column:
    return Column(name, "flag", 0, 1, nullable=False)


def _int(name: str, lo: float, hi: float, special: tuple[float, ...] = ()) -> Column:
    return Column(name, "integer", lo, hi, nullable=False, special=special)


def _num(name: str, lo: float, hi: float) -> Column:
    return Column(name, "number", lo, hi)


def _build_columns() -> tuple[Column, ...]:
    cols: list[Column] = [
        Column(ID_COLUMN, "id", 1, 10**12, nullable=False),
        Column(TARGET_COLUMN, "target", 0, 1, nullable=False),
        _cat("NAME_CONTRACT_TYPE"),
        _cat("CODE_GENDER"),
        _cat("FLAG_OWN_CAR"),
        _cat("FLAG_OWN_REALTY"),
        _int("CNT_CHILDREN", 0, 25),
        _num("AMT_INCOME_TOTAL", 1, 1.5e8),
        _num("AMT_CREDIT", 1, 1e7),
        _num("AMT_ANNUITY", 1, 1e6),
        _num("AMT_GOODS_PRICE", 1, 1e7),
        _cat("NAME_TYPE_SUITE"),
        _cat("NAME_INCOME_TYPE"),
        _cat("NAME_EDUCATION_TYPE"),
        _cat("NAME_FAMILY_STATUS"),
        _cat("NAME_HOUSING_TYPE"),
        _num("REGION_POPULATION_RELATIVE", 0, 1),
        _int("DAYS_BIRTH", -36500, -6570),  # 18 to 100 years old
        _int("DAYS_EMPLOYED", -25000, 0, special=(DAYS_EMPLOYED_SENTINEL,)),
        _num("DAYS_REGISTRATION", -36500, 0),
        _int("DAYS_ID_PUBLISH", -36500, 0),
        _num("OWN_CAR_AGE", 0, 100),
        _flag("FLAG_MOBIL"),
        _flag("FLAG_EMP_PHONE"),
        _flag("FLAG_WORK_PHONE"),
        _flag("FLAG_CONT_MOBILE"),
        _flag("FLAG_PHONE"),
        _flag("FLAG_EMAIL"),
        _cat("OCCUPATION_TYPE"),
        _num("CNT_FAM_MEMBERS", 1, 30),
        _int("REGION_RATING_CLIENT", 1, 3),
        _int("REGION_RATING_CLIENT_W_CITY", -1, 3),  # the real file holds one -1
        _cat("WEEKDAY_APPR_PROCESS_START"),
        _int("HOUR_APPR_PROCESS_START", 0, 23),
        _flag("REG_REGION_NOT_LIVE_REGION"),
        _flag("REG_REGION_NOT_WORK_REGION"),
        _flag("LIVE_REGION_NOT_WORK_REGION"),
        _flag("REG_CITY_NOT_LIVE_CITY"),
        _flag("REG_CITY_NOT_WORK_CITY"),
        _flag("LIVE_CITY_NOT_WORK_CITY"),
        _cat("ORGANIZATION_TYPE"),
        _num("EXT_SOURCE_1", 0, 1),
        _num("EXT_SOURCE_2", 0, 1),
        _num("EXT_SOURCE_3", 0, 1),
    ]
    cols += [_num(name, 0, 1) for name in BUILDING_NUMERIC[:14]]
    cols += [_num(name, 0, 1) for name in BUILDING_NUMERIC[14:28]]
    cols += [_num(name, 0, 1) for name in BUILDING_NUMERIC[28:]]
    cols += [
        _cat("FONDKAPREMONT_MODE"),
        _cat("HOUSETYPE_MODE"),
        _num("TOTALAREA_MODE", 0, 1),
        _cat("WALLSMATERIAL_MODE"),
        _cat("EMERGENCYSTATE_MODE"),
        _num("OBS_30_CNT_SOCIAL_CIRCLE", 0, 1000),
        _num("DEF_30_CNT_SOCIAL_CIRCLE", 0, 1000),
        _num("OBS_60_CNT_SOCIAL_CIRCLE", 0, 1000),
        _num("DEF_60_CNT_SOCIAL_CIRCLE", 0, 1000),
        _num("DAYS_LAST_PHONE_CHANGE", -36500, 0),
    ]
    cols += [_flag(name) for name in DOCUMENT_FLAGS]
    cols += [_num(name, 0, 1000) for name in BUREAU_REQUESTS]
    return tuple(cols)


COLUMNS: tuple[Column, ...] = _build_columns()
COLUMN_BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
ALL_COLUMNS: list[str] = [c.name for c in COLUMNS]
# The 120 application columns: what a client's file holds, without id and outcome.
APPLICATION_COLUMNS: list[str] = [c for c in ALL_COLUMNS if c not in (ID_COLUMN, TARGET_COLUMN)]
TEST_COLUMNS: list[str] = [c for c in ALL_COLUMNS if c != TARGET_COLUMN]
CATEGORICAL_COLUMNS: list[str] = [c.name for c in COLUMNS if c.is_categorical]
NUMERIC_COLUMNS: list[str] = [
    c.name for c in COLUMNS if not c.is_categorical and c.name not in (ID_COLUMN, TARGET_COLUMN)
]
DTYPES: dict[str, str] = {c.name: c.pandas_dtype for c in COLUMNS}

assert len(COLUMNS) == 122, len(COLUMNS)  # noqa: S101 - import-time self check of the table
