"""The bank's time zone: the day a daily figure belongs to, as the people who read it live it.

Timestamps are stored and sent in UTC; a figure kept per day (the challenger's agreement) is
kept per day in Paris, the day every page and report shows (a request at 00:30 in Paris on
6 December belongs to 6 December, not to 5 December in UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

BANK_TIMEZONE = ZoneInfo("Europe/Paris")


def bank_day(moment: datetime | None = None) -> str:
    """The day (YYYY-MM-DD) in the bank's time zone of ``moment`` (an aware time; now if None)."""
    return (moment or datetime.now(UTC)).astimezone(BANK_TIMEZONE).date().isoformat()
