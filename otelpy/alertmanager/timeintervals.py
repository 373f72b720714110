"""Alertmanager's time intervals (``time_intervals:`` / ``mute_time_intervals:``): a time is
in an interval when it is in any of its periods, and in a period when every given field
(times, weekdays, days_of_month, months, years) contains it, in the period's location."""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo
from dataclasses import dataclass

from otelpy.alertmanager.config import TimeInterval, TimePeriod

__all__ = ["CompiledInterval", "compile_interval"]

_DAYS = {name: i for i, name in enumerate(
    ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"))}
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}


def _minutes(text: str, allow_24: bool) -> int:
    hh, sep, mm = text.partition(":")
    if not sep or not hh.isdigit() or not mm.isdigit() or len(mm) != 2:
        raise ValueError(f"couldn't parse timestamp {text}, invalid format")
    h, m = int(hh), int(mm)
    if m > 59 or h > 24 or (h == 24 and (m or not allow_24)):
        raise ValueError(f"timestamp {text} out of range")
    return h * 60 + m


def _ranges(items: list[str], names: dict[str, int] | None, lo: int, hi: int,
            what: str) -> list[tuple[int, int]]:
    out = []
    for item in items:
        first, _, last = item.partition(":")
        last = last or first

        def value(text: str) -> int:
            key = text.strip().lower()
            if names is not None and key in names:
                return names[key]
            try:
                return int(key)
            except ValueError:
                raise ValueError(f"invalid {what}: {text!r}") from None
        a, b = value(first), value(last)
        if not (lo <= abs(a) <= hi and lo <= abs(b) <= hi) or a == 0 and lo > 0:
            raise ValueError(f"{what} {item!r} out of range")
        out.append((a, b))
    return out


@dataclass(frozen=True)
class _Period:
    times: list[tuple[int, int]]
    weekdays: list[tuple[int, int]]
    days: list[tuple[int, int]]
    months: list[tuple[int, int]]
    years: list[tuple[int, int]]
    zone: dt.tzinfo

    def contains(self, when: dt.datetime) -> bool:
        t = when.astimezone(self.zone)
        minute = t.hour * 60 + t.minute
        if self.times and not any(a <= minute < b for a, b in self.times):
            return False
        weekday = (t.weekday() + 1) % 7
        if self.weekdays and not any(a <= weekday <= b for a, b in self.weekdays):
            return False
        if self.days and not any(self._day_in(t, a, b) for a, b in self.days):
            return False
        if self.months and not any(a <= t.month <= b for a, b in self.months):
            return False
        return not self.years or any(a <= t.year <= b for a, b in self.years)

    @staticmethod
    def _day_in(t: dt.datetime, a: int, b: int) -> bool:
        n = calendar.monthrange(t.year, t.month)[1]
        start = a if a > 0 else n + a + 1
        end = b if b > 0 else n + b + 1
        return max(start, 1) <= t.day <= min(end, n)


def _zone(name: str) -> dt.tzinfo:
    if name in ("", "UTC"):
        return dt.UTC
    if name == "Local":
        local = dt.datetime.now().astimezone().tzinfo
        return local if local is not None else dt.UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone: {name!r}") from None


def _period(p: TimePeriod) -> _Period:
    times = [(_minutes(r.start_time, False), _minutes(r.end_time, True)) for r in p.times]
    for (a, b), r in zip(times, p.times, strict=True):
        if a >= b:
            raise ValueError(f"start time {r.start_time} cannot be equal or greater than end "
                             f"time {r.end_time}")
    return _Period(times, _ranges(p.weekdays, _DAYS, 0, 6, "weekday"),
                   _ranges(p.days_of_month, None, 1, 31, "day of month"),
                   _ranges(p.months, _MONTHS, 1, 12, "month"),
                   _ranges(p.years, None, 1, 9999, "year"), _zone(p.location))


@dataclass(frozen=True)
class CompiledInterval:
    name: str
    periods: tuple[_Period, ...]

    def contains(self, when: dt.datetime) -> bool:
        return any(p.contains(when) for p in self.periods)


def compile_interval(ti: TimeInterval) -> CompiledInterval:
    """Raises ValueError naming what does not parse."""
    return CompiledInterval(ti.name, tuple(_period(p) for p in ti.time_intervals))
