"""OTLP spans as Datadog trace-agent spans (the mapping of DataDog/opentelemetry-mapping-go,
``OtelSpanToDDSpan``, operation and resource names "v1"), and the ``/v0.4/traces`` msgpack
payload: an array of traces, each an array of span maps."""

from __future__ import annotations

from typing import Any

import msgpack

from otelpy.pdata import items
from otelpy.pdata.asstring import as_string
from otelpy.pdata.ids import hex_id
from otelpy.pdata.values import to_value

__all__ = ["DDSpan", "encode_traces", "to_dd_spans"]

DDSpan = dict[str, Any]
_KINDS = ("unspecified", "internal", "server", "client", "producer", "consumer")
_STATUS = ("Unset", "Ok", "Error")
_KIND_SERVER, _KIND_CLIENT, _KIND_PRODUCER, _KIND_CONSUMER = 2, 3, 4, 5
_CACHE_SYSTEMS = frozenset({"redis", "memcached"})
NO_SERVICE = "otlpresourcenoservicename"


def _u64(raw: bytes) -> int:
    """The low 64 bits of an ID, as the agent's uint64 (0 for an empty ID)."""
    return int.from_bytes(raw[-8:], "big") if raw else 0


def _resource_name(name: str, attrs: dict[str, Any]) -> str:
    if "resource.name" in attrs:
        return as_string(attrs["resource.name"])
    method = attrs.get("http.request.method", attrs.get("http.method"))
    if method is not None:
        route = attrs.get("http.route")
        return f"{method} {route}" if route else as_string(method)
    if "messaging.operation" in attrs and "messaging.destination.name" in attrs:
        return f"{attrs['messaging.operation']} {attrs['messaging.destination.name']}"
    if "rpc.method" in attrs and "rpc.service" in attrs:
        return f"{attrs['rpc.method']} {attrs['rpc.service']}"
    return name


def _span_type(kind: int, attrs: dict[str, Any]) -> str:
    if "span.type" in attrs:
        return as_string(attrs["span.type"])
    if kind == _KIND_SERVER:
        return "web"
    if kind == _KIND_CLIENT:
        system = attrs.get("db.system")
        if system is not None:
            return "cache" if system in _CACHE_SYSTEMS else "db"
        return "http"
    return "custom"


def _operation_name(scope_name: str, kind: int, attrs: dict[str, Any]) -> str:
    if "operation.name" in attrs:
        return as_string(attrs["operation.name"])
    kind_name = _KINDS[kind] if 0 <= kind < len(_KINDS) else "unspecified"
    return f"{scope_name or 'opentelemetry'}.{kind_name}".lower().replace("/", ".")


def _errors(span: Any, meta: dict[str, str]) -> None:
    """error.msg / error.type / error.stack from the first ``exception`` event."""
    if span.status.message:
        meta["error.msg"] = span.status.message
    for event in span.events:
        if event.name != "exception":
            continue
        for kv in event.attributes:
            key = {"exception.message": "error.msg", "exception.type": "error.type",
                   "exception.stacktrace": "error.stack"}.get(kv.key)
            if key:
                meta[key] = as_string(to_value(kv.value))
        return


def to_dd_span(item: Any) -> DDSpan:
    """One OTLP span (an ``items.spans`` item) as an agent span map."""
    span = item.span
    res_attrs = dict(item.resource_attributes)
    attrs = dict(item.attributes)
    merged = {**res_attrs, **attrs}
    meta: dict[str, str] = {}
    metrics: dict[str, float] = {}
    for key, value in merged.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            meta[key] = as_string(value)
        else:
            metrics[key] = float(value)
    service = res_attrs.get("service.name")
    scope = item.scope.scope
    kind = span.kind
    meta.update({"otel.trace_id": hex_id(span.trace_id),
                 "span.kind": _KINDS[kind] if 0 <= kind < len(_KINDS) else "unspecified",
                 "otel.status_code": _STATUS[span.status.code] if span.status.code < 3
                 else "Unset", "otel.library.name": scope.name,
                 "otel.library.version": scope.version})
    if "deployment.environment.name" in merged or "deployment.environment" in merged:
        meta["env"] = as_string(merged.get("deployment.environment.name",
                                           merged.get("deployment.environment")))
    if "service.version" in res_attrs:
        meta["version"] = as_string(res_attrs["service.version"])
    if len(span.trace_id) == 16 and any(span.trace_id[:8]):
        meta["_dd.p.tid"] = span.trace_id[:8].hex()
    error = 1 if span.status.code == 2 else 0
    if error:
        _errors(span, meta)
    if not span.parent_span_id or kind in (_KIND_SERVER, _KIND_CONSUMER):
        metrics["_top_level"] = 1.0
    if kind in (_KIND_CLIENT, _KIND_PRODUCER):
        metrics["_dd.measured"] = 1.0
    priority = merged.get("sampling.priority")
    metrics["_sampling_priority_v1"] = (float(priority) if isinstance(priority, int | float)
                                        and not isinstance(priority, bool) else 1.0)
    duration = span.end_time_unix_nano - span.start_time_unix_nano
    return {
        "service": as_string(service) if service is not None else NO_SERVICE,
        "name": _operation_name(scope.name, kind, attrs),
        "resource": _resource_name(span.name, merged),
        "trace_id": _u64(span.trace_id), "span_id": _u64(span.span_id),
        "parent_id": _u64(span.parent_span_id),
        "start": span.start_time_unix_nano, "duration": duration if duration > 0 else 0,
        "error": error, "meta": meta, "metrics": metrics, "type": _span_type(kind, merged),
    }


def to_dd_spans(request: Any) -> list[list[DDSpan]]:
    """The spans of a request grouped into traces (by the full trace ID, first-seen order)."""
    traces: dict[bytes, list[DDSpan]] = {}
    for item in items.spans(request):
        traces.setdefault(bytes(item.span.trace_id), []).append(to_dd_span(item))
    return list(traces.values())


def encode_traces(traces: list[list[DDSpan]]) -> bytes:
    """The ``/v0.4/traces`` body: msgpack array of traces."""
    body: bytes = msgpack.packb(traces, use_bin_type=True)
    return body
