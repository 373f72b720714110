"""One core/v1 Event as one log record, with the Collector's k8seventsreceiver fields.

Resource: ``k8s.node.name`` (source.host) and the involved object's ``k8s.object.kind``,
``name``, ``uid``, ``fieldpath``, ``api_version``, ``resource_version`` (each present, empty
when the event lacks it). Record: body = message; timestamp = eventTime, else
lastTimestamp, else firstTimestamp; severity from the event type (Normal INFO, Warning
WARN, Error ERROR, Critical FATAL; text = the type as written; an unknown type leaves both
unset); attributes ``k8s.event.reason``, ``action``, ``start_time`` (creationTimestamp in
Go's ``time.Time.String`` form, UTC), ``name``, ``uid``, ``k8s.namespace.name`` (the
involved object's) and ``k8s.event.count`` when non-zero.
"""

from __future__ import annotations

import calendar
import re
import time
from typing import Any

from otelpy.k8swatch import JSONObject
from otelpy.pdata.values import INT64_MAX, INT64_MIN, Value, set_value

SEVERITY = {"normal": 9, "warning": 13, "error": 17, "critical": 21}
_RFC3339 = re.compile(r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?"
                      r"(?:([Zz])|([+-])(\d\d):(\d\d))$")
_ZERO_TIME = "0001-01-01 00:00:00 +0000 UTC"  # Go's zero time.Time, printed


def parse_time(text: Any) -> tuple[int, int] | None:
    """(Unix seconds, nanoseconds) of an RFC 3339 time, or None when absent or malformed."""
    if not isinstance(text, str):
        return None
    match = _RFC3339.match(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, sec = (int(g) for g in match.groups()[:6])
    fraction = match.group(7) or ""
    seconds = calendar.timegm((year, month, day, hour, minute, sec, 0, 0, 0))
    if match.group(9):
        offset = int(match.group(10)) * 3600 + int(match.group(11)) * 60
        seconds -= offset if match.group(9) == "+" else -offset
    return seconds, int(fraction.ljust(9, "0")) if fraction else 0


def event_time_ns(event: JSONObject) -> int | None:
    """The Collector's event timestamp: eventTime, else lastTimestamp, else firstTimestamp
    (None when none is set)."""
    for key in ("eventTime", "lastTimestamp", "firstTimestamp"):
        parsed = parse_time(event.get(key))
        if parsed is not None:
            return parsed[0] * 1_000_000_000 + parsed[1]
    return None


def go_time_string(text: Any) -> str:
    """An RFC 3339 time as Go's ``time.Time.String()`` prints it in UTC
    (``2024-05-01 10:00:00 +0000 UTC``, fraction trimmed of trailing zeros)."""
    parsed = parse_time(text)
    if parsed is None:
        return _ZERO_TIME
    seconds, nanos = parsed
    t = time.gmtime(seconds)
    fraction = f".{nanos:09d}".rstrip("0") if nanos else ""
    return (f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d} "
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}{fraction} +0000 UTC")


def _str(obj: Any, key: str) -> str:
    value = obj.get(key) if isinstance(obj, dict) else None
    return "" if value is None else str(value)


def resource_attributes(event: JSONObject) -> dict[str, Value]:
    involved = event.get("involvedObject")
    return {"k8s.node.name": _str(event.get("source"), "host"),
            "k8s.object.kind": _str(involved, "kind"),
            "k8s.object.name": _str(involved, "name"),
            "k8s.object.uid": _str(involved, "uid"),
            "k8s.object.fieldpath": _str(involved, "fieldPath"),
            "k8s.object.api_version": _str(involved, "apiVersion"),
            "k8s.object.resource_version": _str(involved, "resourceVersion")}


def record_attributes(event: JSONObject) -> dict[str, Value]:
    meta = event.get("metadata")
    attrs: dict[str, Value] = {
        "k8s.event.reason": _str(event, "reason"),
        "k8s.event.action": _str(event, "action"),
        "k8s.event.start_time": go_time_string(
            meta.get("creationTimestamp") if isinstance(meta, dict) else None),
        "k8s.event.name": _str(meta, "name"),
        "k8s.event.uid": _str(meta, "uid"),
        "k8s.namespace.name": _str(event.get("involvedObject"), "namespace"),
    }
    count = event.get("count")
    if isinstance(count, int) and not isinstance(count, bool) and count != 0 \
            and INT64_MIN <= count <= INT64_MAX:
        attrs["k8s.event.count"] = count
    return attrs


def fill_record(record: Any, event: JSONObject, time_ns: int) -> None:
    """Set ``record`` (a LogRecord) from ``event`` with timestamp ``time_ns`` (left unset
    when it is beyond what a timestamp holds, after 2262: Go's UnixNano overflows there)."""
    record.time_unix_nano = time_ns if 0 <= time_ns <= INT64_MAX else 0
    record.body.string_value = _str(event, "message")
    kind = _str(event, "type")
    number = SEVERITY.get(kind.lower())
    if number is not None:
        record.severity_number = number
        record.severity_text = kind
    for key, value in record_attributes(event).items():
        set_value(record.attributes.add(key=key).value, value)
