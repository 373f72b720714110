"""OTLP log records as Datadog logs intake entries (``POST /api/v2/logs``, a JSON array),
after DataDog/opentelemetry-mapping-go's ``logs.Transform``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from otelpy.pdata import items
from otelpy.pdata.asstring import as_string
from otelpy.pdata.ids import datetime_of, hex_id
from otelpy.pdata.values import to_value

__all__ = ["DEFAULT_SOURCE", "log_bodies", "to_dd_log"]

DEFAULT_SOURCE = "otlp_log_ingestion"
_STATUS = ((4, "trace"), (8, "debug"), (12, "info"), (16, "warn"), (20, "error"),
           (24, "fatal"))
#: the intake takes up to 5 MB and 1000 entries per request; stay below
MAX_BODY, MAX_ENTRIES = 4_000_000, 1000


def _status(record: Any) -> str:
    if record.severity_text:
        return str(record.severity_text)
    number = record.severity_number
    if number <= 0:
        return "info"
    return next((name for top, name in _STATUS if number <= top), "fatal")


def _tags(res_attrs: dict[str, Any]) -> str:
    pairs = [("env", res_attrs.get("deployment.environment.name",
                                   res_attrs.get("deployment.environment"))),
             ("version", res_attrs.get("service.version"))]
    return ",".join(f"{k}:{as_string(v)}" for k, v in pairs if v is not None)


def to_dd_log(item: Any, hostname: str) -> dict[str, Any]:
    """One OTLP log record (an ``items.log_records`` item) as an intake entry."""
    record = item.record
    res_attrs = dict(item.resource_attributes)
    entry: dict[str, Any] = {as_string(k): (v if isinstance(v, str | int | float | bool)
                                            else as_string(v))
                             for k, v in {**res_attrs, **dict(item.attributes)}.items()}
    body = to_value(record.body) if record.HasField("body") else None
    entry["message"] = as_string(body) if body is not None else ""
    entry["status"] = _status(record)
    entry["ddsource"] = DEFAULT_SOURCE
    entry["ddtags"] = _tags(res_attrs)
    entry["hostname"] = as_string(res_attrs.get("host.name", hostname))
    service = res_attrs.get("service.name")
    if service is not None:
        entry["service"] = as_string(service)
    nanos = record.time_unix_nano or record.observed_time_unix_nano
    if nanos:
        entry["@timestamp"] = datetime_of(nanos).isoformat(timespec="milliseconds")
    if record.severity_number:
        entry["otel.severity_number"] = str(record.severity_number)
    if record.severity_text:
        entry["otel.severity_text"] = record.severity_text
    if any(record.trace_id):
        entry["otel.trace_id"] = hex_id(record.trace_id)
        entry["dd.trace_id"] = str(int.from_bytes(record.trace_id[-8:], "big"))
    if any(record.span_id):
        entry["otel.span_id"] = hex_id(record.span_id)
        entry["dd.span_id"] = str(int.from_bytes(record.span_id, "big"))
    return entry


def log_bodies(request: Any, hostname: str) -> Iterator[bytes]:
    """JSON arrays of entries, each at most ``MAX_BODY`` bytes and ``MAX_ENTRIES`` entries
    (one entry alone may be larger)."""
    parts: list[bytes] = []
    size = 0
    for item in items.log_records(request):
        part = json.dumps(to_dd_log(item, hostname), separators=(",", ":")).encode()
        if parts and (size + len(part) + 2 > MAX_BODY or len(parts) >= MAX_ENTRIES):
            yield b"[" + b",".join(parts) + b"]"
            parts, size = [], 0
        parts.append(part)
        size += len(part) + 1
    if parts:
        yield b"[" + b",".join(parts) + b"]"
