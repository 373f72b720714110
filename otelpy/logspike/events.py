"""Anomalies as log events, and back.

An anomaly is a log record with ``event.name = log.anomaly`` (the attribute and the record's
``event_name`` field), its detection time as timestamp, severity ERROR for a spike and WARN
for a new pattern, a one-line body, and the attributes in :data:`ATTRIBUTES`. It also
carries what the ``notify`` exporter reads from an alert event (``alertname``, ``severity``,
``labels``, ``annotations``), so one ``transform`` statement (``set(attributes["event.name"],
"alert")``) turns it into an alert.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from otelpy.component import Signal
from otelpy.logspike.detector import ERROR_SPIKE, NEW_PATTERN, Anomaly
from otelpy.pdata import Batch
from otelpy.pdata.build import RequestBuilder
from otelpy.pdata.values import Attributes, Value, value_of

__all__ = ["ATTRIBUTES", "EVENT_NAME", "AnomalyEvent", "anomaly_logs", "event_of", "rfc3339"]

EVENT_NAME = "log.anomaly"
SCOPE = "otelpy/logspike"
#: attribute -> what it holds
ATTRIBUTES = {
    "event.name": "`log.anomaly`",
    "log.anomaly.type": "`error_spike` or `new_pattern`",
    "log.pattern.id": "the pattern's ID",
    "log.pattern.template": "the pattern's template",
    "log.anomaly.window.start": "start of the window (RFC 3339, UTC)",
    "log.anomaly.window.end": "end of the window (RFC 3339, UTC)",
    "log.anomaly.count": "records of the pattern in the window when detected (int)",
    "log.anomaly.baseline": "the pattern's baseline: records per window (double; 0 for new)",
    "log.anomaly.factor": "the configured factor (double)",
    "log.anomaly.first_seen": "when the detector first saw the pattern (RFC 3339)",
    "log.anomaly.trace_ids": "trace IDs of the window's records (list, at most max_trace_ids)",
    "log.anomaly.services": "`service.name`s of the window's records (list)",
    "alertname": "`LogErrorSpike` or `LogNewErrorPattern`",
    "severity": "`spike_severity` or `new_pattern_severity`",
    "labels": "map: alertname, severity, pattern_id, service (when one)",
    "annotations": "map: summary (the body), template",
}
ALERT_NAMES = {ERROR_SPIKE: "LogErrorSpike", NEW_PATTERN: "LogNewErrorPattern"}
_RECORD_SEVERITY = {ERROR_SPIKE: (17, "ERROR"), NEW_PATTERN: (13, "WARN")}


def rfc3339(ns: int) -> str:
    """Nanoseconds since the epoch as RFC 3339 in UTC, to the millisecond."""
    ms = ns // 1_000_000
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def summary(a: Anomaly, window: float) -> str:
    """The event's body: one line a person reads in a notification."""
    if a.type == NEW_PATTERN:
        return f"new error pattern: {a.template}"
    return (f"error spike: {a.count} records of '{a.template}' in {window:g}s "
            f"(baseline {a.baseline:.2f}, factor {a.factor:g})")


def anomaly_logs(anomalies: Sequence[Anomaly], now_ns: int, window: float,
                 severities: Mapping[str, str]) -> Batch:
    """One log record per anomaly; ``severities`` by type for the alert ``severity``."""
    builder = RequestBuilder(Signal.LOGS)
    scope = builder.scope({}, SCOPE)
    for a in anomalies:
        number, text = _RECORD_SEVERITY[a.type]
        body = summary(a, window)
        record = scope.log_records.add(time_unix_nano=now_ns, observed_time_unix_nano=now_ns,
                                       severity_number=number, severity_text=text,
                                       event_name=EVENT_NAME)
        record.body.CopyFrom(value_of(body))
        attrs = Attributes(record.attributes)
        attrs["event.name"] = EVENT_NAME
        attrs["log.anomaly.type"] = a.type
        attrs["log.pattern.id"] = a.pattern_id
        attrs["log.pattern.template"] = a.template
        attrs["log.anomaly.window.start"] = rfc3339(a.window_start_ns)
        attrs["log.anomaly.window.end"] = rfc3339(a.window_end_ns)
        attrs["log.anomaly.count"] = a.count
        attrs["log.anomaly.baseline"] = float(a.baseline)
        attrs["log.anomaly.factor"] = float(a.factor)
        attrs["log.anomaly.first_seen"] = rfc3339(a.first_seen_ns)
        attrs["log.anomaly.trace_ids"] = list[Value](a.trace_ids)
        attrs["log.anomaly.services"] = list[Value](a.services)
        severity = severities.get(a.type, "warning")
        labels: dict[str, Value] = {"alertname": ALERT_NAMES[a.type], "severity": severity,
                                    "pattern_id": a.pattern_id}
        if len(a.services) == 1:
            labels["service"] = a.services[0]
        attrs["alertname"] = ALERT_NAMES[a.type]
        attrs["severity"] = severity
        attrs["labels"] = labels
        attrs["annotations"] = {"summary": body, "template": a.template}
    return builder.batch()


@dataclass(frozen=True)
class AnomalyEvent:
    """An anomaly read back from its log event."""

    type: str
    message: str
    pattern_id: str
    template: str
    window_start: str
    window_end: str
    count: int
    baseline: float
    factor: float
    trace_ids: tuple[str, ...]
    services: tuple[str, ...]


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else 0.0


def event_of(attrs: Mapping[str, Any], body: str) -> AnomalyEvent | None:
    """The anomaly a record's attributes describe, or None when it is no log.anomaly event
    (``event.name`` differs or ``log.anomaly.type`` is missing)."""
    kind = attrs.get("log.anomaly.type")
    if attrs.get("event.name") != EVENT_NAME or not isinstance(kind, str):
        return None

    def text(key: str) -> str:
        value = attrs.get(key)
        return value if isinstance(value, str) else ""

    return AnomalyEvent(
        kind, body, text("log.pattern.id"), text("log.pattern.template"),
        text("log.anomaly.window.start"), text("log.anomaly.window.end"),
        int(_number(attrs.get("log.anomaly.count"))), _number(attrs.get("log.anomaly.baseline")),
        _number(attrs.get("log.anomaly.factor")), _strings(attrs.get("log.anomaly.trace_ids")),
        _strings(attrs.get("log.anomaly.services")))
