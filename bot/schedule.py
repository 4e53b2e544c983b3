"""Support hours (SLA 2.1): working days from 8:00 to 18:00 Moscow time, except weekends and holidays.

Russian public holidays and the days off moved by decree come from the `holidays` package. The
production calendar changes every year by government decree, so the days it moves are also kept
as data an admin can edit: `bot/production_calendar.json` shipped with the bot, an optional file
named by `PRODUCTION_CALENDAR_FILE`, and the `EXTRA_DAYS_OFF` / `EXTRA_WORKING_DAYS` settings.
The more specific source wins: settings over the files, the files over the package.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import holidays

if TYPE_CHECKING:
    from bot.settings import Settings

DEFAULT_CALENDAR_FILE = Path(__file__).with_name("production_calendar.json")


class CalendarError(ValueError):
    """A production-calendar file or date that cannot be read."""


def _parse_day(value: object, source: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as error:
        raise CalendarError(f"{source}: {value!r} is not a date (YYYY-MM-DD)") from error


def load_calendar(path: str | Path) -> tuple[frozenset[date], frozenset[date]]:
    """(days off, working days) listed in a production-calendar JSON file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CalendarError(f"cannot read the production calendar {path}: {error}") from error
    if not isinstance(data, dict):
        raise CalendarError(f"{path}: expected an object with days_off and working_days")
    days_off = data.get("days_off", [])
    working = data.get("working_days", [])
    if not isinstance(days_off, list) or not isinstance(working, list):
        raise CalendarError(f"{path}: days_off and working_days must be lists of dates")
    return (
        frozenset(_parse_day(item, str(path)) for item in days_off),
        frozenset(_parse_day(item, str(path)) for item in working),
    )


@lru_cache(maxsize=64)
def _russian_year(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """Holidays (with days off moved by decree) and weekend working days the package knows for a year."""
    calendar = holidays.country_holidays("RU", years=year)
    return frozenset(calendar), frozenset(getattr(calendar, "weekend_workdays", ()))


class SupportSchedule:
    def __init__(
        self,
        *,
        timezone: str = "Europe/Moscow",
        open_hour: int = 8,
        close_hour: int = 18,
        extra_days_off: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
        calendar_files: Iterable[str | Path] = (DEFAULT_CALENDAR_FILE,),
    ) -> None:
        if not 0 <= open_hour < close_hour <= 24:
            raise ValueError(f"support hours must satisfy 0 <= open ({open_hour}) < close ({close_hour}) <= 24")
        self.tz = ZoneInfo(timezone)
        self.open_hour = open_hour
        self.close_hour = close_hour
        file_off: set[date] = set()
        file_working: set[date] = set()
        for path in calendar_files:
            off, working = load_calendar(path)
            file_off |= off
            file_working |= working
        self._file_off = frozenset(file_off)
        self._file_working = frozenset(file_working)
        self._extra_off = frozenset(extra_days_off)
        self._extra_working = frozenset(extra_working_days)
        if clash := self._extra_off & self._extra_working:
            raise CalendarError(f"dates both extra days off and extra working days: {sorted(clash)}")

    @classmethod
    def from_settings(cls, settings: Settings) -> SupportSchedule:
        files: list[str | Path] = [DEFAULT_CALENDAR_FILE]
        if settings.production_calendar_file:
            files.append(settings.production_calendar_file)
        return cls(
            timezone=settings.support_timezone,
            open_hour=settings.support_open_hour,
            close_hour=settings.support_close_hour,
            extra_days_off=(_parse_day(day, "EXTRA_DAYS_OFF") for day in settings.extra_days_off),
            extra_working_days=(_parse_day(day, "EXTRA_WORKING_DAYS") for day in settings.extra_working_days),
            calendar_files=files,
        )

    # --- Days -----------------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        if day in self._extra_working:
            return True
        if day in self._extra_off:
            return False
        if day in self._file_working:
            return True
        if day in self._file_off:
            return False
        package_off, package_working = _russian_year(day.year)
        if day in package_working:
            return True
        if day in package_off:
            return False
        return day.weekday() < 5

    # --- Moments --------------------------------------------------------------------------------

    def _local(self, at: datetime) -> datetime:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("a support-hours check needs an aware datetime (with a time zone)")
        return at.astimezone(self.tz)

    def _opening(self, day: date) -> datetime:
        return datetime.combine(day, time(self.open_hour), self.tz)

    def _closing(self, day: date) -> datetime:
        if self.close_hour == 24:
            return datetime.combine(day + timedelta(days=1), time(0), self.tz)
        return datetime.combine(day, time(self.close_hour), self.tz)

    def is_open(self, at: datetime) -> bool:
        local = self._local(at)
        day = local.date()
        return self.is_working_day(day) and self._opening(day) <= local < self._closing(day)

    def next_open(self, at: datetime) -> datetime:
        """`at` itself (in the support time zone) when open, else the start of the next open period."""
        local = self._local(at)
        if self.is_open(local):
            return local
        day = local.date()
        if local >= self._opening(day):
            day += timedelta(days=1)
        for _ in range(3660):  # ten years: a calendar with no working day at all is a configuration error
            if self.is_working_day(day):
                return self._opening(day)
            day += timedelta(days=1)
        raise CalendarError("no working day within ten years: check the production calendar")

    def working_seconds_between(self, start: datetime, end: datetime) -> float:
        """Seconds of support hours between two moments (0 when end is not after start)."""
        begin, finish = self._local(start), self._local(end)
        if finish <= begin:
            return 0.0
        total = 0.0
        day = begin.date()
        while day <= finish.date():
            if self.is_working_day(day):
                lo = max(begin, self._opening(day))
                hi = min(finish, self._closing(day))
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return total

    def add_working_seconds(self, at: datetime, seconds: float) -> datetime:
        """The moment `seconds` of support hours after `at` (counted from the next opening when closed)."""
        moment = self.next_open(at)
        remaining = max(0.0, seconds)
        while True:
            closing = self._closing(moment.date())
            available = (closing - moment).total_seconds()
            if remaining <= available:
                return moment + timedelta(seconds=remaining)
            remaining -= available
            moment = self.next_open(closing)

    def add_working_days(self, at: datetime, days: int) -> datetime:
        """The same local time `days` working days later (or earlier, for a negative number)."""
        local = self._local(at)
        step = 1 if days >= 0 else -1
        remaining = abs(days)
        day = local.date()
        while remaining:
            day += timedelta(days=step)
            if self.is_working_day(day):
                remaining -= 1
        return datetime.combine(day, local.timetz().replace(tzinfo=None), self.tz)
