"""Support hours (SLA 2.1): Mon–Fri 8:00–18:00 Moscow time, Russian holidays, the production calendar."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.schedule import CalendarError, SupportSchedule
from bot.settings import Settings

MSK = ZoneInfo("Europe/Moscow")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def msk(*args: int) -> datetime:
    return datetime(*args, tzinfo=MSK)


@pytest.fixture(scope="module")
def schedule() -> SupportSchedule:
    return SupportSchedule()


def test_the_8_and_18_edges_in_moscow_time_from_a_utc_clock(schedule: SupportSchedule) -> None:
    # Wednesday 5 November 2025; Moscow is UTC+3.
    assert not schedule.is_open(utc(2025, 11, 5, 4, 59, 59))
    assert schedule.is_open(utc(2025, 11, 5, 5, 0, 0))
    assert schedule.is_open(utc(2025, 11, 5, 14, 59, 59))
    assert not schedule.is_open(utc(2025, 11, 5, 15, 0, 0))
    assert schedule.next_open(utc(2025, 11, 5, 4, 0)) == msk(2025, 11, 5, 8, 0)
    assert schedule.next_open(utc(2025, 11, 5, 15, 0)) == msk(2025, 11, 6, 8, 0)


def test_next_open_is_the_moment_itself_when_open(schedule: SupportSchedule) -> None:
    moment = utc(2025, 11, 5, 9, 30)
    opened = schedule.next_open(moment)
    assert opened == moment
    assert opened.tzinfo is not None and opened.utcoffset() == timedelta(hours=3)


def test_any_time_zone_is_accepted(schedule: SupportSchedule) -> None:
    vladivostok = timezone(timedelta(hours=10))
    # 15:30 in Vladivostok is 8:30 in Moscow.
    assert schedule.is_open(datetime(2025, 11, 5, 15, 30, tzinfo=vladivostok))
    assert not schedule.is_open(datetime(2025, 11, 5, 14, 30, tzinfo=vladivostok))


def test_naive_datetimes_are_refused(schedule: SupportSchedule) -> None:
    with pytest.raises(ValueError, match="aware"):
        schedule.is_open(datetime(2025, 11, 5, 10, 0))
    with pytest.raises(ValueError, match="aware"):
        schedule.next_open(datetime(2025, 11, 5, 10, 0))


def test_weekend(schedule: SupportSchedule) -> None:
    assert not schedule.is_working_day(date(2025, 11, 8))  # Saturday
    assert not schedule.is_open(msk(2025, 11, 9, 12, 0))  # Sunday noon
    assert schedule.next_open(msk(2025, 11, 7, 18, 0)) == msk(2025, 11, 10, 8, 0)  # Friday evening → Monday


def test_holiday_and_transferred_day_off(schedule: SupportSchedule) -> None:
    assert not schedule.is_working_day(date(2025, 11, 4))  # Unity Day
    assert not schedule.is_working_day(date(2025, 11, 3))  # Monday, moved from Saturday 1 November
    assert not schedule.is_working_day(date(2025, 5, 2))  # moved from 4 January
    assert not schedule.is_open(msk(2025, 11, 4, 11, 0))


def test_working_saturday_1_november_2025(schedule: SupportSchedule) -> None:
    assert schedule.is_working_day(date(2025, 11, 1))
    assert schedule.is_open(utc(2025, 11, 1, 7, 0))  # 10:00 in Moscow
    # Friday evening → the working Saturday; Saturday evening → Wednesday (Sunday, 3 and 4 November off).
    assert schedule.next_open(msk(2025, 10, 31, 18, 0)) == msk(2025, 11, 1, 8, 0)
    assert schedule.next_open(msk(2025, 11, 1, 18, 0)) == msk(2025, 11, 5, 8, 0)


def test_31_december_2025_and_the_new_year_holidays(schedule: SupportSchedule) -> None:
    assert schedule.is_working_day(date(2025, 12, 30))
    assert not schedule.is_working_day(date(2025, 12, 31))
    assert not schedule.is_working_day(date(2026, 1, 9))  # moved from 3 January 2026
    assert schedule.next_open(msk(2025, 12, 30, 18, 0)) == msk(2026, 1, 12, 8, 0)


def test_working_seconds_skip_nights_weekends_and_holidays(schedule: SupportSchedule) -> None:
    # Friday 17:00 → Monday 09:00: one hour on Friday, one on Monday.
    assert schedule.working_seconds_between(msk(2025, 11, 14, 17, 0), msk(2025, 11, 17, 9, 0)) == 7200
    # Friday 17:00 → Saturday 1 November 09:00, a working Saturday.
    assert schedule.working_seconds_between(msk(2025, 10, 31, 17, 0), msk(2025, 11, 1, 9, 0)) == 7200
    assert schedule.working_seconds_between(msk(2025, 11, 3, 9, 0), msk(2025, 11, 4, 17, 0)) == 0
    assert schedule.working_seconds_between(msk(2025, 11, 6, 9, 0), msk(2025, 11, 5, 9, 0)) == 0


def test_add_working_days(schedule: SupportSchedule) -> None:
    friday = msk(2025, 10, 31, 10, 0)
    assert schedule.add_working_days(friday, 1) == msk(2025, 11, 1, 10, 0)
    assert schedule.add_working_days(friday, 2) == msk(2025, 11, 5, 10, 0)
    assert schedule.add_working_days(msk(2025, 11, 5, 10, 0), -1) == msk(2025, 11, 1, 10, 0)
    assert schedule.add_working_days(friday, 0) == friday


def test_admin_corrections_override_the_calendar() -> None:
    schedule = SupportSchedule(extra_days_off=[date(2025, 11, 1)], extra_working_days=[date(2025, 11, 8)])
    assert not schedule.is_working_day(date(2025, 11, 1))
    assert schedule.is_working_day(date(2025, 11, 8))
    with pytest.raises(CalendarError):
        SupportSchedule(extra_days_off=[date(2025, 11, 8)], extra_working_days=[date(2025, 11, 8)])


def test_hours_are_configurable() -> None:
    schedule = SupportSchedule(open_hour=9, close_hour=24)
    assert not schedule.is_open(msk(2025, 11, 5, 8, 30))
    assert schedule.is_open(msk(2025, 11, 5, 23, 59))
    assert schedule.next_open(msk(2025, 11, 5, 8, 30)) == msk(2025, 11, 5, 9, 0)
    with pytest.raises(ValueError):
        SupportSchedule(open_hour=18, close_hour=8)


def test_from_settings_reads_the_environment_and_an_admin_calendar_file(monkeypatch, tmp_path) -> None:
    calendar = tmp_path / "calendar.json"
    calendar.write_text(json.dumps({"working_days": ["2027-01-09"], "days_off": ["2027-02-24"]}), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EXTRA_DAYS_OFF", "2025-11-05, 2025-11-06")
    monkeypatch.setenv("EXTRA_WORKING_DAYS", "2025-11-08")
    monkeypatch.setenv("PRODUCTION_CALENDAR_FILE", str(calendar))
    monkeypatch.setenv("SUPPORT_OPEN_HOUR", "9")
    schedule = SupportSchedule.from_settings(Settings())
    assert not schedule.is_working_day(date(2025, 11, 5))
    assert not schedule.is_working_day(date(2025, 11, 6))
    assert schedule.is_working_day(date(2025, 11, 8))
    assert schedule.is_working_day(date(2027, 1, 9))  # a Saturday made working by the admin's file
    assert not schedule.is_working_day(date(2027, 2, 24))
    assert schedule.is_working_day(date(2025, 11, 1))  # the shipped calendar still applies
    assert not schedule.is_open(msk(2025, 11, 7, 8, 30))


@pytest.mark.parametrize(
    "content",
    ["not json", json.dumps(["2025-11-01"]), json.dumps({"days_off": ["31.12.2025"]}), json.dumps({"days_off": "x"})],
)
def test_a_bad_calendar_file_is_a_clear_error(tmp_path, content: str) -> None:
    path = tmp_path / "calendar.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CalendarError, match=r"calendar|date|lists"):
        SupportSchedule(calendar_files=[path])


def test_a_bad_date_in_the_settings_is_a_clear_error(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EXTRA_DAYS_OFF", "31.12.2025")
    with pytest.raises(CalendarError, match="EXTRA_DAYS_OFF"):
        SupportSchedule.from_settings(Settings())


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)))
def test_next_open_is_open_and_never_earlier(at: datetime) -> None:
    schedule = SupportSchedule()
    opened = schedule.next_open(at)
    assert opened >= at
    assert schedule.is_open(opened)
    assert schedule.is_open(at) == (opened == at)
    # Nothing is open between the moment and the next opening.
    assert schedule.working_seconds_between(at, opened) == 0


def test_working_seconds_are_added_within_support_hours(schedule: SupportSchedule) -> None:
    assert schedule.add_working_seconds(msk(2026, 12, 8, 12, 0), 1800) == msk(2026, 12, 8, 12, 30)
    assert schedule.add_working_seconds(msk(2026, 12, 8, 17, 30), 3600) == msk(2026, 12, 9, 8, 30)  # over the night
    assert schedule.add_working_seconds(msk(2026, 12, 8, 3, 0), 3600) == msk(2026, 12, 8, 9, 0)     # from the opening
    assert schedule.add_working_seconds(msk(2026, 12, 11, 17, 0), 7200) == msk(2026, 12, 14, 9, 0)  # over a weekend
    # 31 December and the New Year holidays are days off (the production calendar): two hours from 11 January
    assert schedule.add_working_seconds(msk(2026, 12, 31, 17, 0), 7200) == msk(2027, 1, 11, 10, 0)


@settings(max_examples=40, deadline=None)
@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 1)), st.floats(0, 200_000))
def test_adding_working_seconds_counts_them_back(schedule: SupportSchedule, moment: datetime, seconds: float) -> None:
    start = moment.replace(tzinfo=MSK)
    end = schedule.add_working_seconds(start, seconds)
    assert abs(schedule.working_seconds_between(start, end) - seconds) < 1e-3
