"""Loading and validation of Kaggle-format application rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml.data import DataValidationError, load_applications, validate_applications, validate_records
from ml.schema import (
    ALL_COLUMNS,
    APPLICATION_COLUMNS,
    CATEGORICAL_COLUMNS,
    ID_COLUMN,
    TARGET_COLUMN,
)

KAGGLE_SAMPLE = Path(__file__).parent / "data" / "kaggle_sample_20.csv"


def _rewrite(tmp_path: Path, line: int, column: str, value: str) -> Path:
    """Copy the 20-row sample with one cell changed (line is 1-based, header = 1)."""
    lines = KAGGLE_SAMPLE.read_text().splitlines()
    frame = pd.read_csv(KAGGLE_SAMPLE, dtype=str, keep_default_na=False)
    frame.loc[line - 2, column] = value
    path = tmp_path / "application_train.csv"
    frame.to_csv(path, index=False)
    assert len(lines) == 21
    return path


def test_schema_has_the_122_kaggle_columns_with_id_and_target_first():
    assert len(ALL_COLUMNS) == 122
    assert ALL_COLUMNS[:2] == [ID_COLUMN, TARGET_COLUMN] == ["SK_ID_CURR", "TARGET"]
    assert len(APPLICATION_COLUMNS) == 120
    assert len(CATEGORICAL_COLUMNS) == 16


def test_hand_written_kaggle_sample_with_xna_365243_and_empty_cells_loads_with_kaggle_dtypes():
    frame = load_applications(KAGGLE_SAMPLE, require_target=True)
    assert frame.shape == (20, 122)
    assert (frame["DAYS_EMPLOYED"] == 365243).sum() == 3
    assert (frame["CODE_GENDER"] == "XNA").sum() == 1
    assert (frame["ORGANIZATION_TYPE"] == "XNA").sum() == 3
    assert frame["EXT_SOURCE_1"].isna().sum() > 0
    assert frame["OCCUPATION_TYPE"].isna().sum() == 3
    assert frame["DAYS_BIRTH"].dtype == np.int64
    assert frame["AMT_CREDIT"].dtype == np.float64
    assert frame["WALLSMATERIAL_MODE"].iloc[0] == "Stone, brick"


@pytest.mark.parametrize(
    ("line", "column", "value", "reason"),
    [
        (5, "AMT_CREDIT", "abc", "is not a number"),
        (7, "DAYS_BIRTH", "120", "outside the valid range"),
        (4, "CODE_GENDER", "Z", "not an allowed value"),
        (9, "CNT_CHILDREN", "1.5", "not an integer"),
        (12, "FLAG_MOBIL", "", "a value is required"),
        (3, "EXT_SOURCE_2", "1.7", "outside the valid range"),
    ],
)
def test_bad_cell_error_names_the_file_line_and_column(tmp_path, line, column, value, reason):
    path = _rewrite(tmp_path, line, column, value)
    with pytest.raises(DataValidationError) as info:
        load_applications(path)
    error = info.value
    assert (error.row, error.column) == (line, column)
    message = str(error)
    assert message.startswith(f"application_train.csv, line {line}, column {column}: ")
    assert reason in message


def test_first_bad_row_is_reported_when_several_rows_are_bad(tmp_path):
    path = _rewrite(tmp_path, 9, "AMT_ANNUITY", "-1")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[4, "CODE_GENDER"] = "?"  # line 6, earlier in the file
    frame.to_csv(path, index=False)
    with pytest.raises(DataValidationError, match="line 6, column CODE_GENDER"):
        load_applications(path)


def test_missing_column_and_unknown_column_are_named(tmp_path):
    frame = pd.read_csv(KAGGLE_SAMPLE, dtype=str, keep_default_na=False)
    frame.drop(columns=["AMT_ANNUITY"]).to_csv(tmp_path / "a.csv", index=False)
    with pytest.raises(DataValidationError, match="line 1, column AMT_ANNUITY: missing column"):
        load_applications(tmp_path / "a.csv")
    frame.rename(columns={"AMT_ANNUITY": "AMT_ANUITY"}).to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(DataValidationError, match="column AMT_ANUITY: unknown column"):
        load_applications(tmp_path / "b.csv")


def test_missing_file_is_a_validation_error_naming_the_path(tmp_path):
    with pytest.raises(DataValidationError, match="nope.csv: file not found"):
        load_applications(tmp_path / "nope.csv")


def test_duplicate_client_id_is_refused(tmp_path):
    path = _rewrite(tmp_path, 4, ID_COLUMN, "100002")
    with pytest.raises(DataValidationError, match="line 4, column SK_ID_CURR: duplicate client id"):
        load_applications(path)


def test_require_target_true_needs_it_and_false_drops_it(tmp_path):
    frame = pd.read_csv(KAGGLE_SAMPLE, dtype=str, keep_default_na=False)
    frame.drop(columns=[TARGET_COLUMN]).to_csv(tmp_path / "test.csv", index=False)
    assert TARGET_COLUMN not in load_applications(tmp_path / "test.csv").columns
    with pytest.raises(DataValidationError, match="column TARGET: missing column"):
        load_applications(tmp_path / "test.csv", require_target=True)
    assert TARGET_COLUMN not in load_applications(KAGGLE_SAMPLE, require_target=False).columns


def test_one_record_validates_like_a_file_row_and_names_the_field():
    row = load_applications(KAGGLE_SAMPLE).drop(columns=[ID_COLUMN, TARGET_COLUMN]).iloc[0]
    record = {k: (None if pd.isna(v) else v) for k, v in row.items()}
    frame = validate_records([record])
    assert frame.shape == (1, 120)
    with pytest.raises(DataValidationError) as info:
        validate_records([{**record, "AMT_INCOME_TOTAL": -5}])
    assert info.value.column == "AMT_INCOME_TOTAL"
    assert str(info.value).startswith("record, row 1, column AMT_INCOME_TOTAL: -5")
    with pytest.raises(DataValidationError, match="column AMT_INCOMES: unknown field"):
        validate_records([{**record, "AMT_INCOMES": 1}])
    missing = dict(record)
    del missing["EXT_SOURCE_2"]
    with pytest.raises(DataValidationError, match="column EXT_SOURCE_2: missing field"):
        validate_records([missing])


def test_in_memory_frame_rows_are_numbered_from_one():
    frame = load_applications(KAGGLE_SAMPLE)
    frame.loc[2, "HOUR_APPR_PROCESS_START"] = 25
    with pytest.raises(DataValidationError, match="data, row 3, column HOUR_APPR_PROCESS_START"):
        validate_applications(frame)
