"""A period given in a query (``from``, ``to``): both bounds in UTC, in order, within dates
that mean something, or a 422 naming the field.

Every timestamp is stored in UTC, and SQLite compares stored times as text: a bound sent with
its offset ("2026-12-05T22:45:00+01:00", Paris time) must be turned into the same UTC instant
before it is compared, or the search answers for another hour. A bound without an offset is
read as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.exceptions import RequestValidationError

# Dates a search or report can mean; beyond them date arithmetic overflows (a 500 before issue 14).
MIN_DATE = datetime(1970, 1, 1, tzinfo=UTC)
MAX_DATE = datetime(9000, 1, 1, tzinfo=UTC)


def _invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("query", field), "msg": message, "type": "value_error"}])


def utc_bound(value: datetime | None, field: str) -> datetime | None:
    """``value`` as an aware UTC time (naive read as UTC), or a 422 if outside the dates a
    period can mean."""
    if value is None:
        return None
    out_of_range = _invalid(field, f"must be between {MIN_DATE:%Y-%m-%d} and {MAX_DATE:%Y-%m-%d}")
    try:
        # Year 1 at +01:00, or 9999-12-31 at -01:00, is no UTC time at all (OverflowError: a
        # 500 until the twenty-eighth session's API sweep).
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise out_of_range from None
    if not MIN_DATE <= value <= MAX_DATE:
        raise out_of_range
    return value


def utc_period(start: datetime | None, end: datetime | None) -> tuple[datetime | None, datetime | None]:
    """(``from``, ``to``) in UTC; a 422 on ``from`` when it is not before ``to`` (an empty
    answer would read as "nothing happened")."""
    start, end = utc_bound(start, "from"), utc_bound(end, "to")
    if start is not None and end is not None and start >= end:
        raise _invalid("from", "must be earlier than 'to'")
    return start, end
