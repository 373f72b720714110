"""Human-readable text of OTLP requests, in the Collector debug exporter's layouts.

``detailed_*`` print every field (the Collector's otlptext marshaler layout);
``normal_*`` print one line per span, metric data point or log record.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from otelpy.component import Signal
from otelpy.pdata import SPECS

__all__ = ["value_text", "attrs_text", "kv_inline", "timestamp", "detailed", "normal",
           "detailed_traces", "detailed_logs", "normal_traces", "normal_logs"]

# (resource label, scope label) per signal, as the Collector prints them
_LABELS = {Signal.TRACES: ("ResourceSpans", "ScopeSpans"),
           Signal.METRICS: ("ResourceMetrics", "ScopeMetrics"),
           Signal.LOGS: ("ResourceLog", "ScopeLogs")}

_SPAN_KINDS = ["Unspecified", "Internal", "Server", "Client", "Producer", "Consumer"]
_STATUS_CODES = ["Unset", "Ok", "Error"]
_SEVERITIES = ["Unspecified", "Trace", "Trace2", "Trace3", "Trace4", "Debug", "Debug2",
               "Debug3", "Debug4", "Info", "Info2", "Info3", "Info4", "Warn", "Warn2",
               "Warn3", "Warn4", "Error", "Error2", "Error3", "Error4", "Fatal", "Fatal2",
               "Fatal3", "Fatal4"]


def value_text(v: Any) -> str:
    """An AnyValue as the Collector prints it: Str(x), Int(1), Map({...}), ..."""
    kind = v.WhichOneof("value")
    if kind == "string_value":
        return f"Str({v.string_value})"
    if kind == "int_value":
        return f"Int({v.int_value})"
    if kind == "double_value":
        return f"Double({v.double_value:g})"
    if kind == "bool_value":
        return f"Bool({str(v.bool_value).lower()})"
    if kind == "bytes_value":
        return f"Bytes({base64.b64encode(v.bytes_value).decode()})"
    if kind == "array_value":
        return "Slice([" + ",".join(_plain(x) for x in v.array_value.values) + "])"
    if kind == "kvlist_value":
        inner = ",".join(f'"{kv.key}":{_plain(kv.value)}' for kv in v.kvlist_value.values)
        return "Map({" + inner + "})"
    return "Empty()"


def _plain(v: Any) -> str:
    """An AnyValue in JSON-ish form, for values nested in slices and maps."""
    kind = v.WhichOneof("value")
    if kind == "string_value":
        return f'"{v.string_value}"'
    if kind in ("array_value", "kvlist_value"):
        return value_text(v).split("(", 1)[1][:-1]
    if kind is None:
        return "null"
    return value_text(v).split("(", 1)[1][:-1]


def attrs_text(attrs: Iterable[Any], indent: str = "     ") -> list[str]:
    return [f"{indent}-> {kv.key}: {value_text(kv.value)}" for kv in attrs]


def kv_inline(attrs: Iterable[Any], sep: str = " ") -> str:
    """``k=v k2=v2`` with plain values, for one-line output."""
    return sep.join(f"{kv.key}={_inline(kv.value)}" for kv in attrs)


def _inline(v: Any) -> str:
    kind = v.WhichOneof("value")
    if kind == "string_value":
        return str(v.string_value)
    return _plain(v)


def timestamp(ns: int) -> str:
    """Unix nanoseconds as Go's time.String() in UTC."""
    secs, frac = divmod(ns, 1_000_000_000)
    base = datetime.fromtimestamp(secs, UTC).strftime("%Y-%m-%d %H:%M:%S")
    tail = f".{frac:09d}".rstrip("0") if frac else ""
    return f"{base}{tail} +0000 UTC"


def _resource_lines(kind: str, i: int, res: Any) -> list[str]:
    lines = [f"{kind} #{i}", f"Resource SchemaURL: {res.schema_url}"]
    if len(res.resource.attributes):
        lines.append("Resource attributes:")
        lines += attrs_text(res.resource.attributes)
    return lines


def _scope_lines(label: str, i: int, scope: Any) -> list[str]:
    return [f"{label} #{i}", f"{label} SchemaURL: {scope.schema_url}",
            f"InstrumentationScope {scope.scope.name} {scope.scope.version}".rstrip()] + (
        ["InstrumentationScope attributes:", *attrs_text(scope.scope.attributes)]
        if len(scope.scope.attributes) else [])


_Lines = Callable[[int, Any], list[str]]  # (index, resource/scope/item) -> lines


def _walk(signal: Signal, req: Any, resource_lines: Callable[[str, int, Any], list[str]],
          scope_lines: Callable[[str, int, Any], list[str]], item_lines: _Lines) -> str:
    spec = SPECS[signal]
    resource_label, scope_label = _LABELS[signal]
    lines: list[str] = []
    for i, res in enumerate(getattr(req, spec.resources)):
        lines += resource_lines(resource_label, i, res)
        for j, scope in enumerate(getattr(res, spec.scopes)):
            lines += scope_lines(scope_label, j, scope)
            for k, item in enumerate(getattr(scope, spec.items)):
                lines += item_lines(k, item)
    return "\n".join(lines) + "\n"


def detailed(signal: Signal, req: Any, item_lines: _Lines) -> str:
    """Every resource, scope and item of ``req`` in the otlptext layout; ``item_lines``
    prints the ``k``-th item of a scope."""
    return _walk(signal, req, _resource_lines, _scope_lines, item_lines)


def _span_lines(i: int, s: Any) -> list[str]:
    kind = _SPAN_KINDS[s.kind] if s.kind < len(_SPAN_KINDS) else str(s.kind)
    code = s.status.code
    lines = [
        f"Span #{i}",
        f"    Trace ID       : {s.trace_id.hex()}",
        f"    Parent ID      : {s.parent_span_id.hex()}",
        f"    ID             : {s.span_id.hex()}",
        f"    Name           : {s.name}",
        f"    Kind           : {kind}",
        f"    Start time     : {timestamp(s.start_time_unix_nano)}",
        f"    End time       : {timestamp(s.end_time_unix_nano)}",
        f"    Status code    : {_STATUS_CODES[code] if code < 3 else code}",
        f"    Status message : {s.status.message}",
    ]
    if s.trace_state:
        lines.insert(4, f"    TraceState     : {s.trace_state}")
    if len(s.attributes):
        lines += ["Attributes:", *attrs_text(s.attributes)]
    if len(s.events):
        lines.append("Events:")
        for j, ev in enumerate(s.events):
            lines += [f"SpanEvent #{j}", f"     -> Name: {ev.name}",
                      f"     -> Timestamp: {timestamp(ev.time_unix_nano)}",
                      f"     -> DroppedAttributesCount: {ev.dropped_attributes_count}"]
            if len(ev.attributes):
                lines += ["     -> Attributes::", *attrs_text(ev.attributes, "         ")]
    if len(s.links):
        lines.append("Links:")
        for j, link in enumerate(s.links):
            lines += [f"SpanLink #{j}", f"     -> Trace ID: {link.trace_id.hex()}",
                      f"     -> ID: {link.span_id.hex()}",
                      f"     -> TraceState: {link.trace_state}",
                      f"     -> DroppedAttributesCount: {link.dropped_attributes_count}"]
    return lines


def detailed_traces(req: Any) -> str:
    return detailed(Signal.TRACES, req, _span_lines)


def _log_lines(i: int, r: Any) -> list[str]:
    sev = r.severity_number
    sev_name = _SEVERITIES[sev] if sev < len(_SEVERITIES) else "Unknown"
    lines = [
        f"LogRecord #{i}",
        f"ObservedTimestamp: {timestamp(r.observed_time_unix_nano)}",
        f"Timestamp: {timestamp(r.time_unix_nano)}",
        f"SeverityText: {r.severity_text}",
        f"SeverityNumber: {sev_name}({sev})",
    ]
    if r.event_name:
        lines.append(f"EventName: {r.event_name}")
    lines.append(f"Body: {value_text(r.body)}")
    if len(r.attributes):
        lines += ["Attributes:", *attrs_text(r.attributes)]
    lines += [f"Trace ID: {r.trace_id.hex()}", f"Span ID: {r.span_id.hex()}",
              f"Flags: {r.flags}"]
    return lines


def detailed_logs(req: Any) -> str:
    return detailed(Signal.LOGS, req, _log_lines)


def _normal_resource(kind: str, i: int, res: Any) -> list[str]:
    head = f"{kind} #{i}" + (f" {res.schema_url}" if res.schema_url else "")
    return _with_attrs(head, res.resource.attributes)


def _normal_scope(label: str, j: int, scope: Any) -> list[str]:
    name = scope.scope.name + (f"@{scope.scope.version}" if scope.scope.version else "")
    return [f"{label} #{j} {name}".rstrip()]


def normal(signal: Signal, req: Any, item_lines: _Lines) -> str:
    """One line per resource and scope of ``req``, and the lines ``item_lines`` gives for
    each item (one per span or log record, one per metric data point)."""
    return _walk(signal, req, _normal_resource, _normal_scope, item_lines)


def _with_attrs(head: str, attrs: Iterable[Any]) -> list[str]:
    text = kv_inline(attrs)
    return [f"{head} {text}" if text else head]


def normal_traces(req: Any) -> str:
    return normal(Signal.TRACES, req, lambda _, s: _with_attrs(
        f"{s.name} {s.trace_id.hex()} {s.span_id.hex()}", s.attributes))


def normal_logs(req: Any) -> str:
    return normal(Signal.LOGS, req, lambda _, r: _with_attrs(_inline(r.body), r.attributes))
