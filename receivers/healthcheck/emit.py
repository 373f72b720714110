"""A check's run as metrics, and its state changes as log events.

Metrics of one run (the runs of one round share each metric, each run with its own
points; gauges, attributes ``healthcheck.name``, ``healthcheck.type``):

* ``healthcheck.status`` — one point per status (healthy, warning, critical, failed,
  attribute ``healthcheck.status``): 1 for the check's status, 0 for the others (the shape
  of the Collector's ``httpcheck.status``); ``healthcheck.critical`` says whether the check
  is critical;
* ``healthcheck.duration`` — how long the run took, in ms;
* ``healthcheck.details.<key>`` — each numeric (or boolean, as 0/1) detail.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, SeverityNumber
from opentelemetry.proto.metrics.v1.metrics_pb2 import Metric

from otelpy.pdata.values import Attributes
from otelpy.probes.overall import CheckState
from otelpy.probes.result import Status

__all__ = ["EVENT_NAME", "PointAttributes", "add_run_metrics", "state_change_event"]

EVENT_NAME = "healthcheck.state_change"
_REPORTED = (Status.HEALTHY, Status.WARNING, Status.CRITICAL, Status.FAILED)
_METRIC_CHARS = re.compile(r"[^A-Za-z0-9_.]")
_SEVERITY = {Status.HEALTHY: (SeverityNumber.SEVERITY_NUMBER_INFO, "INFO"),
             Status.WARNING: (SeverityNumber.SEVERITY_NUMBER_WARN, "WARN"),
             Status.CRITICAL: (SeverityNumber.SEVERITY_NUMBER_ERROR, "ERROR"),
             Status.FAILED: (SeverityNumber.SEVERITY_NUMBER_ERROR, "ERROR"),
             Status.PENDING: (SeverityNumber.SEVERITY_NUMBER_INFO, "INFO")}


def _gauge(into: dict[str, Metric], add: Callable[[], Metric], name: str, description: str,
           unit: str) -> Metric:
    """The metric ``name`` of this batch, made by ``add`` the first time."""
    metric = into.get(name)
    if metric is None:
        metric = into[name] = add()
        metric.name, metric.description, metric.unit = name, description, unit
        metric.gauge.SetInParent()
    return metric


def _point(metric: Metric, attributes: Any, now_ns: int) -> Any:
    """A new point of ``metric`` with ``attributes`` (a repeated KeyValue built once per
    check: copying it is much cheaper than setting each key anew)."""
    point = metric.gauge.data_points.add(time_unix_nano=now_ns)
    point.attributes.extend(attributes)
    return point


def _holder(**values: Any) -> Any:
    holder = Metric().gauge.data_points.add()
    attrs = Attributes(holder.attributes)
    for key, value in values.items():
        attrs[key.replace("_", ".")] = value
    return holder.attributes


class PointAttributes:
    """Each check's point attributes, built once: ``healthcheck.name`` and ``.type``; for
    its status points also ``healthcheck.status`` and ``.critical``."""

    def __init__(self) -> None:
        self._by_check: dict[tuple[str, str, bool], tuple[Any, list[Any]]] = {}

    def of(self, state: CheckState) -> tuple[Any, list[Any]]:
        key = (state.name, state.type, state.critical)
        found = self._by_check.get(key)
        if found is None:
            common = dict(healthcheck_name=state.name, healthcheck_type=state.type)
            found = self._by_check[key] = (_holder(**common), [
                _holder(**common, healthcheck_status=s.value,
                        healthcheck_critical=state.critical) for s in _REPORTED])
        return found


def add_run_metrics(into: dict[str, Metric], add: Callable[[], Metric], state: CheckState,
                    now_ns: int, attributes: PointAttributes) -> None:
    """Add the points of ``state``'s latest run to the batch's metrics ``into`` (by name;
    ``add`` makes a new metric in the batch): the runs of one round share one metric
    per name, each run its own points."""
    common, by_status = attributes.of(state)
    status = _gauge(into, add, "healthcheck.status",
                    "1 for the check's current status, 0 for the others", "1")
    for s, attrs in zip(_REPORTED, by_status, strict=True):
        _point(status, attrs, now_ns).as_int = int(s is state.status)
    duration = _gauge(into, add, "healthcheck.duration", "How long the check's run took", "ms")
    _point(duration, common, now_ns).as_double = state.response_time_ms
    for key, value in state.details.items():
        if isinstance(value, bool):
            value = int(value)
        if not isinstance(value, (int, float)) or isinstance(value, int) and \
                not -2**63 <= value < 2**63:
            continue
        detail = _gauge(into, add, "healthcheck.details." + _METRIC_CHARS.sub("_", key),
                        f"Detail {key!r} of the check's latest run", "")
        point = _point(detail, common, now_ns)
        if isinstance(value, int):
            point.as_int = value
        else:
            point.as_double = value


def state_change_event(state: CheckState, previous: Status, now_ns: int,
                       channels: Sequence[str]) -> LogRecord:
    """The log event of ``state`` entering its status from ``previous``."""
    severity, text = _SEVERITY[state.status]
    record = LogRecord(time_unix_nano=now_ns, observed_time_unix_nano=now_ns,
                       severity_number=severity, severity_text=text, event_name=EVENT_NAME)
    body = f"health check {state.name}: {previous.value} -> {state.status.value}"
    record.body.string_value = body + (f": {state.message}" if state.message else "")
    attrs = Attributes(record.attributes)
    attrs["event.name"] = EVENT_NAME
    attrs["healthcheck.name"] = state.name
    attrs["healthcheck.type"] = state.type
    attrs["healthcheck.critical"] = state.critical
    attrs["healthcheck.status"] = state.status.value
    attrs["healthcheck.previous_status"] = previous.value
    attrs["healthcheck.response_time_ms"] = state.response_time_ms
    if state.message:
        attrs["healthcheck.message"] = state.message
    attrs["healthcheck.details"] = json.dumps(dict(state.details), sort_keys=True,
                                              default=str)
    if channels:
        attrs["healthcheck.notification_channels"] = list(channels)
    return record
