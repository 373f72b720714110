"""What the connector emits: alert state changes as log records, rule results as metrics.

A change is a log record with ``event.name = alert`` (also in the record's ``event_name``
field) and the attributes ``alertname``, ``state`` (pending | firing | resolved),
``severity``, ``labels`` and ``annotations`` (maps), ``value``, ``startsAt``, ``endsAt``
(RFC 3339; empty while pending), ``fingerprint`` (Alertmanager's: FNV-1a 64 of the sorted
label names and values, 16 hex digits), ``series`` (a map: ``t``, the evaluation times in ms,
and ``v``, the alert's value at each, over its latest rounds while pending or firing, at most
60; the notify exporter correlates alerts by them) and, when escalation rules name channels for the
severity, ``channels``. ``startsAt`` is when the alert became active (pending) or fired;
``endsAt`` of a firing alert is ``now + 4 × max(interval, 1m)`` as Prometheus sends it to
Alertmanager, of a resolved one the resolution time.

Rule results are gauges: each sample ``name{labels} value`` at the evaluation time; a stale
marker becomes a point flagged "no recorded value".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from otelpy.alerting.groups import RESOLVED, AlertChange
from otelpy.component import Signal
from otelpy.pdata import Batch
from otelpy.pdata.build import RequestBuilder
from otelpy.pdata.values import Attributes, Value, value_of
from otelpy.promql.values import Labels, is_stale

SCOPE = "otelpy/alerting"
_FNV_OFFSET, _FNV_PRIME, _MASK = 14695981039346656037, 1099511628211, (1 << 64) - 1
_SEVERITY = {"critical": (17, "ERROR"), "error": (17, "ERROR"), "page": (17, "ERROR"),
             "warning": (13, "WARN"), "warn": (13, "WARN"), "info": (9, "INFO")}
_NO_RECORDED_VALUE = 1


def fingerprint(labels: Iterable[tuple[str, str]]) -> str:
    """Alertmanager's fingerprint of a label set (``model.LabelSet.Fingerprint``)."""
    h = _FNV_OFFSET
    for name, value in sorted(labels):
        for part in (name, value):
            for byte in part.encode():
                h = ((h ^ byte) * _FNV_PRIME) & _MASK
            h = ((h ^ 0xFF) * _FNV_PRIME) & _MASK
    return f"{h:016x}"


def rfc3339(ms: int) -> str:
    """Milliseconds since the epoch as RFC 3339 in UTC (``2026-01-01T00:00:00.123Z``)."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def alert_logs(changes: list[AlertChange], interval_ms: Mapping[str, int],
               channels: Mapping[str, list[str]]) -> Batch:
    """One log record per change; ``interval_ms`` by group name (for ``endsAt``),
    ``channels`` by severity."""
    builder = RequestBuilder(Signal.LOGS)
    scope = builder.scope({}, SCOPE)
    for change in changes:
        a = change.alert
        labels = dict(a.labels)
        severity = labels.get("severity", "")
        ts_ns = change.ts * 1_000_000
        record = scope.log_records.add(time_unix_nano=ts_ns, observed_time_unix_nano=ts_ns,
                                       event_name="alert")
        number, text = _SEVERITY.get(severity.lower(), (9, "INFO"))
        record.severity_number, record.severity_text = number, text
        annotations = dict(a.annotations)
        summary = annotations.get("summary") or annotations.get("description") or ""
        record.body.CopyFrom(value_of(
            f"[{change.state.upper()}] {change.rule.name}" + (f": {summary}" if summary else "")))
        attrs = Attributes(record.attributes)
        attrs["event.name"] = "alert"
        attrs["alertname"] = change.rule.name
        attrs["state"] = change.state
        attrs["severity"] = severity
        attrs["labels"] = dict[str, Value](labels)
        attrs["annotations"] = dict[str, Value](annotations)
        attrs["value"] = float(a.value)
        attrs["startsAt"] = rfc3339(a.active_at if change.state == "pending" else a.fired_at)
        attrs["endsAt"] = _ends_at(change, interval_ms.get(change.group.name, 60_000))
        attrs["fingerprint"] = fingerprint(a.labels)
        if change.recent:
            attrs["series"] = {"t": [t for t, _ in change.recent],
                               "v": [float(v) for _, v in change.recent]}
        if channels.get(severity):
            attrs["channels"] = list(channels[severity])
    return builder.batch()


def _ends_at(change: AlertChange, interval_ms: int) -> str:
    if change.state == RESOLVED:
        return rfc3339(change.alert.resolved_at)
    if change.state == "firing":
        return rfc3339(change.ts + 4 * max(interval_ms, 60_000))
    return ""


def rule_metrics(samples: list[tuple[Labels, float]], ts_ms: int) -> Batch:
    """Gauges of recording rules, ``ALERTS``, ``ALERTS_FOR_STATE`` and bands."""
    builder = RequestBuilder(Signal.METRICS)
    scope = builder.scope({}, SCOPE)
    by_name: dict[str, object] = {}
    ts_ns = ts_ms * 1_000_000
    for metric, value in samples:
        labels = dict(metric)
        name = labels.pop("__name__", "")
        gauge = by_name.get(name)
        if gauge is None:
            gauge = by_name[name] = scope.metrics.add(name=name).gauge
        point = gauge.data_points.add(time_unix_nano=ts_ns)  # type: ignore[attr-defined]
        if math.isnan(value) and is_stale(value):
            point.flags = _NO_RECORDED_VALUE
        else:
            point.as_double = value
        attrs = Attributes(point.attributes)
        for key, text in labels.items():
            attrs[key] = text
    return builder.batch()
