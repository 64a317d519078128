"""Loading and validating Home Credit application rows (files, frames, single records).

Every entry point checks the same things, column by column and vectorised: the columns
are the Kaggle ones (``ml.schema``), numbers parse, integer columns hold integers, values are
inside their valid range (``DAYS_EMPLOYED = 365243`` is allowed: it is Kaggle's
"not employed" code), categorical values are known levels, non-nullable columns are filled
and ``SK_ID_CURR`` is unique. The first problem (in row order) raises
:class:`DataValidationError` whose message names the source, the row and the column; for a
file the row is the 1-based line number in the file (the header is line 1).

The returned frame has the schema's dtypes: int64 for id/target/integer/flag columns,
float64 for numbers (empty cell = NaN), text for categories (empty cell = NaN).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ml.schema import (
    ALL_COLUMNS,
    COLUMN_BY_NAME,
    ID_COLUMN,
    TARGET_COLUMN,
    Column,
)

TRAIN_FILE = "application_train.csv"
TEST_FILE = "application_test.csv"
ORACLE_FILE = "oracle_train.csv"
# Synthetic data only: what later happened to each applicant of TEST_FILE (SK_ID_CURR, TARGET),
# in the format of `octroi outcomes import`, so a demo has a backtest to show.
OUTCOMES_FILE = "outcomes_test.csv"


class DataValidationError(ValueError):
    """A data problem; ``str()`` names the source, the row and the column.

    Attributes: ``source`` (file name or label), ``row`` (1-based line in the file, or
    1-based row/record number in memory; None for whole-file problems), ``column``
    (None when the problem is not about one column) and ``reason``.
    """

    def __init__(self, source: str, row: int | None, column: str | None, reason: str) -> None:
        self.source = source
        self.row = row
        self.column = column
        self.reason = reason
        where = [source]
        if row is not None:
            where.append(f"line {row}" if _looks_like_file(source) else f"row {row}")
        if column is not None:
            where.append(f"column {column}")
        super().__init__(f"{', '.join(where)}: {reason}")


def _looks_like_file(source: str) -> bool:
    return source.lower().endswith((".csv", ".csv.gz", ".txt"))


def resolve_train_file(path: str | Path) -> Path:
    """A CSV path, or a directory holding ``application_train.csv``."""
    path = Path(path)
    if path.is_dir():
        path = path / TRAIN_FILE
    return path


def load_applications(path: str | Path, *, require_target: bool | None = None) -> pd.DataFrame:
    """Read and validate one Kaggle-format CSV (``application_train.csv`` or ``_test.csv``).

    ``require_target``: True = ``TARGET`` must be present; None = optional (validated when
    present); False = not needed, and dropped when present (e.g. a client import keeps no
    outcomes). Raises :class:`DataValidationError` (also for a missing or unreadable file).
    """
    path = Path(path)
    source = path.name or str(path)
    if not path.is_file():
        raise DataValidationError(str(path), None, None, "file not found")
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError) as exc:
        raise DataValidationError(source, None, None, f"cannot read the file ({exc})") from exc
    if not header:
        raise DataValidationError(source, 1, None, "the file is empty (no header line)")
    _check_columns(header, source, require_target, header_row=1)
    text_columns = {c: str for c in header if c in COLUMN_BY_NAME and COLUMN_BY_NAME[c].is_categorical}
    try:
        frame = pd.read_csv(
            path,
            dtype=text_columns,
            keep_default_na=False,
            na_values=[""],
            low_memory=False,
        )
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DataValidationError(source, None, None, f"not a readable CSV file ({exc})") from exc
    # Line numbers: header is line 1, data row i (0-based) is line i + 2.
    return _validate(frame, source, require_target, require_id=True, first_row=2)


def validate_applications(
    frame: pd.DataFrame,
    *,
    require_target: bool | None = None,
    require_id: bool = False,
    source: str = "data",
) -> pd.DataFrame:
    """Validate an in-memory frame the way :func:`load_applications` validates a file.

    Rows are numbered from 1. Returns a new frame with the schema's dtypes.
    """
    _check_columns(list(frame.columns), source, require_target, header_row=None, require_id=require_id)
    return _validate(frame.reset_index(drop=True), source, require_target, require_id, first_row=1)


def validate_records(
    records: Iterable[Mapping[str, Any]],
    *,
    require_target: bool | None = None,
    require_id: bool = False,
    source: str = "record",
) -> pd.DataFrame:
    """Validate a list of dict rows (e.g. one simulated application); rows numbered from 1.

    Every application column must be present in every dict (None = empty). Unknown keys are
    refused so a misspelt field is reported, not ignored.
    """
    rows = list(records)
    if not rows:
        raise DataValidationError(source, None, None, "no rows")
    for number, row in enumerate(rows, start=1):
        unknown = [key for key in row if key not in COLUMN_BY_NAME]
        if unknown:
            raise DataValidationError(source, number, unknown[0], "unknown field")
        for name in ALL_COLUMNS:
            if name == TARGET_COLUMN and require_target is not True:
                continue
            if name == ID_COLUMN and not require_id:
                continue
            if name not in row:
                raise DataValidationError(source, number, name, "missing field")
    frame = pd.DataFrame.from_records(rows)
    # Records are JSON: an empty cell arrives as None or as "" for categories.
    return _validate(frame, source, require_target, require_id, first_row=1)


def _check_columns(
    columns: list[str],
    source: str,
    require_target: bool | None,
    header_row: int | None,
    require_id: bool = True,
) -> None:
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            raise DataValidationError(source, header_row, name, "duplicate column")
        seen.add(name)
        if name not in COLUMN_BY_NAME:
            raise DataValidationError(source, header_row, name, "unknown column (not in the Home Credit schema)")
    for name in ALL_COLUMNS:
        if name in seen:
            continue
        if name == TARGET_COLUMN and require_target is not True:
            continue
        if name == ID_COLUMN and not require_id:
            continue
        raise DataValidationError(source, header_row, name, "missing column")


def _validate(
    frame: pd.DataFrame,
    source: str,
    require_target: bool | None,
    require_id: bool,
    first_row: int,
) -> pd.DataFrame:
    if require_target is False and TARGET_COLUMN in frame.columns:
        frame = frame.drop(columns=[TARGET_COLUMN])
    n = len(frame)
    if n == 0:
        raise DataValidationError(source, None, None, "no data rows")
    out: dict[str, Any] = {}
    first_bad: tuple[int, int, str, str] | None = None  # (row index, column order, column, reason)
    for order, name in enumerate(ALL_COLUMNS):
        if name not in frame.columns:
            continue
        spec = COLUMN_BY_NAME[name]
        values, bad_index, reason = _check_column(frame[name], spec)
        if bad_index is not None and (first_bad is None or bad_index < first_bad[0]):
            first_bad = (bad_index, order, name, reason)
        out[name] = values
    if first_bad is not None:
        index, _, name, reason = first_bad
        raise DataValidationError(source, index + first_row, name, reason)
    result = pd.DataFrame(out, index=pd.RangeIndex(n))
    if ID_COLUMN in result.columns:
        duplicated = result[ID_COLUMN].duplicated()
        if duplicated.any():
            index = int(np.flatnonzero(duplicated.to_numpy())[0])
            raise DataValidationError(source, index + first_row, ID_COLUMN, "duplicate client id")
    return result


def _fmt(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else f"{value:g}" if isinstance(value, float) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_column(series: pd.Series, spec: Column) -> tuple[Any, int | None, str]:
    """(converted values, first bad row index or None, reason)."""
    if spec.is_categorical:
        return _check_category(series, spec)
    raw = series.to_numpy(dtype=object) if series.dtype == object or pd.api.types.is_string_dtype(series) else None
    if raw is not None:
        # Text in a numeric column: find the first cell that is not a number.
        cleaned = pd.Series(raw).replace("", None)
        numbers = pd.to_numeric(cleaned, errors="coerce")
        not_numeric = numbers.isna().to_numpy() & cleaned.notna().to_numpy()
        if not_numeric.any():
            i = int(np.flatnonzero(not_numeric)[0])
            return None, i, f"{_fmt(raw[i])} is not a number"
        values = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
    elif pd.api.types.is_bool_dtype(series):
        values = series.to_numpy(dtype=np.float64)
    else:
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    missing = np.isnan(values)
    if not spec.nullable and missing.any():
        i = int(np.flatnonzero(missing)[0])
        return None, i, "empty, a value is required"
    with np.errstate(invalid="ignore"):
        present = ~missing
        bad = present & ~np.isfinite(values)
        if spec.kind in {"id", "target", "integer", "flag"}:
            bad |= present & (np.floor(values) != values)
        out_of_range = present & ((values < spec.min) | (values > spec.max))
        if spec.special:
            out_of_range &= ~np.isin(values, spec.special)
    first_bad = _first(bad)
    first_range = _first(out_of_range)
    if first_bad is not None and (first_range is None or first_bad <= first_range):
        expected = "an integer" if spec.kind != "number" else "a finite number"
        return None, first_bad, f"{_fmt(values[first_bad])} is not {expected}"
    if first_range is not None:
        v = values[first_range]
        allowed = f"[{_fmt(float(spec.min))}, {_fmt(float(spec.max))}]"
        if spec.special:
            allowed += " or " + ", ".join(_fmt(float(s)) for s in spec.special)
        return None, first_range, f"{_fmt(float(v))} is outside the valid range {allowed}"
    if spec.kind in {"id", "target", "integer", "flag"}:
        return values.astype(np.int64), None, ""
    return values, None, ""


def _check_category(series: pd.Series, spec: Column) -> tuple[Any, int | None, str]:
    raw = series.to_numpy(dtype=object)
    allowed = set(spec.levels)
    missing = pd.isna(raw) | (raw == "")
    valid = missing | np.fromiter((v in allowed for v in raw), dtype=bool, count=len(raw))
    if not valid.all():
        i = int(np.flatnonzero(~valid)[0])
        shown = ", ".join(spec.levels[:6]) + (", ..." if len(spec.levels) > 6 else "")
        return None, i, f"{_fmt(raw[i])} is not an allowed value ({shown})"
    out = raw.copy()
    out[missing] = np.nan
    return out, None, ""


def _first(mask: np.ndarray) -> int | None:
    if not mask.any():
        return None
    return int(np.argmax(mask))


def is_missing(value: Any) -> bool:
    """True for None, NaN and the empty string (how an empty cell arrives in memory)."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value == ""
