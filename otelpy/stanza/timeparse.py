"""Timestamps as the Collector's stanza parses them: ``strptime`` (its directive table),
``gotime`` (Go reference layouts, ``Jan 2 15:04:05 MST 2006``) and ``epoch`` (``s``, ``ms``,
``us``, ``ns``, ``s.ms``, ``s.us``, ``s.ns``).

A layout is compiled once into a regular expression with one group per element. A time
without a year gets the current one (the year before when that would put it more than
7 days in the future, as the Collector's ``SetTimestampYear``). Without a zone in the text,
``location`` applies (default: the local zone); a zone abbreviation (``MST``) resolves
through ``time_zone_locations``, then the IANA database (``EST``), then ``location``.
"""

from __future__ import annotations

import re
import time as _time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["TimeLayout", "TimeParseError", "strptime_to_gotime", "load_location", "EPOCH"]

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december"]
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_STRPTIME = {
    "Y": "2006", "y": "06", "m": "01", "o": "_1", "q": "1", "b": "Jan", "h": "Jan",
    "B": "January", "d": "02", "e": "_2", "g": "2", "a": "Mon", "A": "Monday", "H": "15",
    "I": "03", "l": "3", "p": "PM", "P": "pm", "M": "04", "S": "05", "L": "999",
    "f": "999999", "s": "999999999", "Z": "MST", "z": "Z0700", "i": "-07", "j": "-07:00",
    "k": "-07:00:00", "D": "01/02/06", "F": "2006-01-02", "T": "15:04:05",
    "r": "03:04:05 PM", "c": "Mon Jan 02 15:04:05 2006", "R": "15:04", "n": "\n",
    "t": "\t", "%": "%"}
EPOCH = {"s": Decimal(10**9), "ms": Decimal(10**6), "us": Decimal(10**3), "ns": Decimal(1),
         "s.ms": Decimal(10**9), "s.us": Decimal(10**9), "s.ns": Decimal(10**9)}
# (chunk, element, regex) tried in order at each position of a Go layout
_CHUNKS: list[tuple[str, str, str]] = [
    ("January", "month_name", "[A-Za-z]+"), ("Jan", "month_abbr", "[A-Za-z]{3}"),
    ("Monday", "weekday", "[A-Za-z]+"), ("Mon", "weekday", "[A-Za-z]{3}"),
    ("MST", "zone_abbr", r"[A-Za-z]{3,5}|[+-]\d{2,4}"),
    ("2006", "year", r"\d{4}"), ("-07:00:00", "offset", r"[+-]\d{2}:\d{2}:\d{2}"),
    ("-070000", "offset", r"[+-]\d{6}"), ("-0700", "offset", r"[+-]\d{4}"),
    ("-07:00", "offset", r"[+-]\d{2}:\d{2}"), ("-07", "offset", r"[+-]\d{2}"),
    ("Z07:00:00", "offset", r"Z|[+-]\d{2}:\d{2}:\d{2}"), ("Z070000", "offset", r"Z|[+-]\d{6}"),
    ("Z0700", "offset", r"Z|[+-]\d{4}"), ("Z07:00", "offset", r"Z|[+-]\d{2}:\d{2}"),
    ("Z07", "offset", r"Z|[+-]\d{2}"), ("__2", "yday", r" {0,2}\d{1,3}"),
    ("002", "yday", r"\d{3}"), ("_2", "day", r" ?\d{1,2}"), ("_1", "month", r" ?\d{1,2}"),
    ("01", "month", r"\d{2}"), ("02", "day", r"\d{2}"), ("03", "hour12", r"\d{2}"),
    ("04", "minute", r"\d{2}"), ("05", "second", r"\d{2}"), ("06", "year2", r"\d{2}"),
    ("15", "hour", r"\d{1,2}"), ("1", "month", r"\d{1,2}"), ("2", "day", r"\d{1,2}"),
    ("3", "hour12", r"\d{1,2}"), ("4", "minute", r"\d{1,2}"), ("5", "second", r"\d{1,2}"),
    ("PM", "ampm", "AM|PM"), ("pm", "ampm", "am|pm")]
_FRACTION = re.compile(r"[.,](0+|9+)(?!\d)")


class TimeParseError(ValueError):
    """A value that does not match the layout, or a layout that cannot be used."""


def strptime_to_gotime(layout: str) -> str:
    """The Go layout of a strptime layout; raises TimeParseError on an unknown directive."""
    out: list[str] = []
    i = 0
    while i < len(layout):
        ch = layout[i]
        if ch == "%" and i + 1 < len(layout):
            directive = layout[i + 1]
            if directive not in _STRPTIME:
                raise TimeParseError(f"unsupported strptime directive %{directive}")
            go = _STRPTIME[directive]
            if directive in "Lfs" and not (out and out[-1] in ".,"):
                go = "." + go  # a fraction needs its separator in a Go layout
            out.append(go)
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def load_location(name: str) -> tzinfo:
    """``Local`` (the process's zone), ``UTC``, or an IANA name; raises TimeParseError."""
    if name in ("", "Local"):
        return datetime.now().astimezone().tzinfo or UTC
    if name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise TimeParseError(f"unknown location {name!r}") from exc


@dataclass
class _Compiled:
    regex: re.Pattern[str]
    elements: list[tuple[str, str]]  # (group name, element)


def _compile_go(layout: str) -> _Compiled:
    parts: list[str] = []
    elements: list[tuple[str, str]] = []
    i = 0
    while i < len(layout):
        frac = _FRACTION.match(layout, i)
        if frac is not None and elements and elements[-1][1] == "second":
            name = f"g{len(elements)}"
            digits = len(frac.group(1))
            body = r"\d+" if frac.group(1)[0] == "9" else rf"\d{{{digits}}}"
            parts.append(rf"(?:[.,](?P<{name}>{body}))" + ("?" if body == r"\d+" else ""))
            elements.append((name, "fraction"))
            i = frac.end()
            continue
        for chunk, element, pattern in _CHUNKS:
            if layout.startswith(chunk, i):
                name = f"g{len(elements)}"
                parts.append(f"(?P<{name}>{pattern})")
                if element == "second" and not _FRACTION.match(layout, i + len(chunk)):
                    parts.append(rf"(?:[.,](?P<{name}f>\d+))?")  # Go accepts one anyway
                    elements.append((name, element))
                    elements.append((name + "f", "fraction"))
                else:
                    elements.append((name, element))
                i += len(chunk)
                break
        else:
            parts.append(re.escape(layout[i]))
            i += 1
    return _Compiled(re.compile("^" + "".join(parts) + "$", re.IGNORECASE), elements)


class TimeLayout:
    """A compiled ``layout`` of ``layout_type``; :meth:`parse` returns ns since the epoch."""

    def __init__(self, layout: str, layout_type: str = "strptime", location: str = "Local",
                 time_zone_locations: dict[str, str] | None = None,
                 now: Callable[[], float] = _time.time) -> None:
        if layout_type not in ("strptime", "gotime", "epoch"):
            raise TimeParseError(f"unsupported layout_type {layout_type!r} (strptime, "
                                 "gotime, epoch)")
        if layout_type == "epoch" and layout not in EPOCH:
            raise TimeParseError(f"invalid epoch layout {layout!r} (one of "
                                 f"{', '.join(EPOCH)})")
        self.layout_type = layout_type
        self.layout = layout
        self.location = load_location(location)
        self.zones = {k: load_location(v) for k, v in (time_zone_locations or {}).items()}
        self._now = now
        self._compiled: _Compiled | None = None
        if layout_type != "epoch":
            go = strptime_to_gotime(layout) if layout_type == "strptime" else layout
            self._compiled = _compile_go(go)

    def parse(self, value: Any) -> int:
        """ns since the epoch; raises TimeParseError when ``value`` does not fit."""
        if self._compiled is None:
            return _epoch(self.layout, value)
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if not isinstance(value, str):
            raise TimeParseError(f"type {type(value).__name__} cannot be parsed as a time")
        match = self._compiled.regex.match(value)
        if match is None:
            raise TimeParseError(f"parsing time {value!r} as {self.layout!r}: does not match")
        return self._assemble(value, {el: match.group(name) for name, el in
                                      self._compiled.elements if match.group(name) is not None})

    def _assemble(self, value: str, got: dict[str, str]) -> int:
        try:
            month = _month(got)
            hour = int(got.get("hour", got.get("hour12", "0")))
            if "ampm" in got:
                hour = hour % 12 + (12 if got["ampm"].lower() == "pm" else 0)
            year = int(got["year"]) if "year" in got else (
                int(got["year2"]) + (1900 if int(got["year2"]) >= 69 else 2000)
                if "year2" in got else 0)
            frac = got.get("fraction", "")
            ns = int((frac + "000000000")[:9]) if frac else 0
            zone = self._zone(got)
            dt = datetime(year or 2000, month, int(got.get("day", "1").strip() or 1), hour,
                          int(got.get("minute", "0")), int(got.get("second", "0")), 0, zone)
        except (ValueError, KeyError) as exc:
            raise TimeParseError(f"parsing time {value!r} as {self.layout!r}: {exc}") from exc
        if not year:
            dt = self._this_year(dt)
        return int(dt.timestamp()) * 1_000_000_000 + ns

    def _zone(self, got: dict[str, str]) -> tzinfo:
        if "offset" in got:
            return _offset(got["offset"])
        abbr = got.get("zone_abbr")
        if abbr is None:
            return self.location
        if abbr[0] in "+-":
            return _offset(abbr)
        if abbr.upper() in ("UTC", "GMT", "Z"):
            return UTC
        if abbr in self.zones:
            return _zone_of_abbreviation(self.zones[abbr], abbr, got)
        try:
            return ZoneInfo(abbr.upper())
        except (ZoneInfoNotFoundError, ValueError):
            return self.location

    def _this_year(self, dt: datetime) -> datetime:
        now = datetime.fromtimestamp(self._now(), dt.tzinfo)
        try:
            candidate = dt.replace(year=now.year)
            if candidate > now + timedelta(days=7):
                candidate = candidate.replace(year=now.year - 1)
        except ValueError:  # 29 February
            candidate = dt.replace(year=now.year - 1 if now.year % 4 else now.year)
        return candidate


def _zone_of_abbreviation(location: tzinfo, abbr: str, got: dict[str, str]) -> tzinfo:
    """The offset ``location`` uses under the name ``abbr`` (Go's ParseInLocation: NZST is
    +12:00 even in January), or ``location`` when it never uses that name."""
    probe = datetime(int(got.get("year", "2000")), _month(got), 1, 12)
    for months in range(0, 12):
        moment = (probe + timedelta(days=30 * months)).replace(tzinfo=location)
        if moment.tzname() == abbr:
            offset = moment.utcoffset()
            return timezone(offset, abbr) if offset is not None else location
    return location


def _month(got: dict[str, str]) -> int:
    for key in ("month_name", "month_abbr"):
        if key in got:
            name = got[key].lower()
            for i, full in enumerate(MONTHS):
                if full == name or (key == "month_abbr" and full[:3] == name):
                    return i + 1
            raise ValueError(f"unknown month {got[key]!r}")
    return int(got.get("month", "1").strip() or 1)


def _offset(text: str) -> tzinfo:
    if text.upper() == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes, seconds = int(digits[:2]), int(digits[2:4] or 0), int(digits[4:6] or 0)
    return timezone(sign * timedelta(hours=hours, minutes=minutes, seconds=seconds))


def _epoch(layout: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TimeParseError(f"type {type(value).__name__} cannot be parsed as an epoch")
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, float) else Decimal(
            repr(value))
    except InvalidOperation as exc:
        raise TimeParseError(f"invalid epoch value {value!r}") from exc
    if not number.is_finite():
        raise TimeParseError(f"invalid epoch value {value!r}")
    return int(number * EPOCH[layout])
