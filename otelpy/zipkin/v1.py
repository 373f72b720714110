"""Zipkin v1 JSON -> OTLP, as the Collector's ``zipkinv1`` JSON unmarshaler.

Kind from the first core annotation (cs/cr client, sr/ss server, ms producer, mr
consumer), whose endpoint is the resource (``service.name`` plus ``ipv4``/``ipv6``/``port``
attributes); other annotations become events; binary annotations become attributes
(``lc`` as ``component``); an ``error`` binary annotation makes the status an error.
A span without timestamp takes its annotations' range.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from otelpy.pdata.values import Attributes
from otelpy.zipkin.model import MalformedZipkin, hex_id, json_endpoint, parse_json
from otelpy.zipkin.to_otlp import START_TIME_ABSENT, typed_value

UNKNOWN_SERVICE = "unknown-service"
_CORE = {"cs": Span.SPAN_KIND_CLIENT, "cr": Span.SPAN_KIND_CLIENT,
         "ms": Span.SPAN_KIND_PRODUCER, "mr": Span.SPAN_KIND_CONSUMER,
         "ss": Span.SPAN_KIND_SERVER, "sr": Span.SPAN_KIND_SERVER}


def to_request(body: bytes, parse_string_tags: bool, now_ns: int) -> Any:
    """The OTLP request of a JSON v1 list; ``now_ns`` stands in for a missing start time."""
    spans = parse_json(body)
    if not isinstance(spans, list):
        raise MalformedZipkin("zipkinv1: expected a JSON array of spans")
    request = ExportTraceServiceRequest()
    by_endpoint: dict[tuple[str, str, str, int], Any] = {}
    for i, obj in enumerate(spans):
        if not isinstance(obj, dict):
            raise MalformedZipkin(f"zipkinv1: span {i}: expected an object")
        span = Span()
        endpoint = _span(obj, i, span, parse_string_tags, now_ns)
        key = (endpoint.service_name, endpoint.ipv4, endpoint.ipv6, endpoint.port)
        if key not in by_endpoint:
            rs = request.resource_spans.add()
            attrs = Attributes(rs.resource.attributes)
            attrs["service.name"] = endpoint.service_name
            if endpoint.ipv4:
                attrs["ipv4"] = endpoint.ipv4
            if endpoint.ipv6:
                attrs["ipv6"] = endpoint.ipv6
            if endpoint.port:
                attrs["port"] = str(endpoint.port)
            by_endpoint[key] = rs.scope_spans.add().spans
        by_endpoint[key].append(span)
    return request


def _span(obj: dict[str, Any], i: int, span: Any, parse: bool, now_ns: int) -> Any:
    where = f"zipkinv1: span {i}"
    span.trace_id = hex_id(obj.get("traceId"), (8, 16), f"{where} traceId")
    span.span_id = hex_id(obj.get("id"), (8,), f"{where} id")
    if obj.get("parentId"):
        span.parent_span_id = hex_id(obj["parentId"], (8,), f"{where} parentId")
    for raw in (span.trace_id, span.span_id):
        if not any(raw):
            raise MalformedZipkin(f"{where}: ID is zero")
    name = obj.get("name")
    span.name = name if isinstance(name, str) else ""
    endpoint = _annotations(obj.get("annotations") or [], span, where)
    local_component = _binary(obj.get("binaryAnnotations") or [], span, parse, where)
    if endpoint.service_name == UNKNOWN_SERVICE and local_component:
        endpoint.service_name = local_component
    ts, duration = obj.get("timestamp") or 0, obj.get("duration") or 0
    if not isinstance(ts, int) or not isinstance(duration, int):
        raise MalformedZipkin(f"{where}: timestamp and duration must be integers")
    if ts > 0:
        span.start_time_unix_nano = ts * 1000
        span.end_time_unix_nano = max(ts + duration, 0) * 1000
    if span.start_time_unix_nano == 0:
        span.start_time_unix_nano = span.end_time_unix_nano = now_ns
        Attributes(span.attributes)[START_TIME_ABSENT] = True
    return endpoint


def _annotations(annotations: Any, span: Any, where: str) -> Any:
    if not isinstance(annotations, list):
        raise MalformedZipkin(f"{where}: annotations must be a list")
    endpoint, kind_set, early, late = None, False, None, None
    for a in annotations:
        if not isinstance(a, dict) or not a.get("value"):
            continue
        value, ts = a["value"], a.get("timestamp") or 0
        if not isinstance(value, str) or not isinstance(ts, int):
            raise MalformedZipkin(f"{where}: bad annotation {a!r}")
        ep = json_endpoint(a.get("endpoint"), where)
        core = value in _CORE
        if endpoint is None and core and ep is not None and ep.service_name:
            endpoint = ep
        if core and not kind_set:
            span.kind, kind_set = _CORE[value], True
        ns = ts * 1000 if ts > 0 else 0
        if early is None or ts < early:
            early, span.start_time_unix_nano = ts, ns
        if late is None or ts > late:
            late, span.end_time_unix_nano = ts, ns
        if not core:
            span.events.add(time_unix_nano=ns, name=value)
    if endpoint is None:
        endpoint = json_endpoint({"serviceName": UNKNOWN_SERVICE}, where)
    return endpoint


def _binary(binary: Any, span: Any, parse: bool, where: str) -> str:
    if not isinstance(binary, list):
        raise MalformedZipkin(f"{where}: binaryAnnotations must be a list")
    fallback, local_component = "", ""
    attrs = Attributes(span.attributes)
    for b in binary:
        if not isinstance(b, dict) or not isinstance(b.get("key"), str):
            raise MalformedZipkin(f"{where}: bad binary annotation {b!r}")
        value = b.get("value")
        text = value if isinstance(value, str) else ("" if value is None else str(value))
        ep = json_endpoint(b.get("endpoint"), where)
        if ep is not None and ep.service_name:
            fallback = ep.service_name
        key = b["key"]
        if key == "lc":
            key, local_component = "component", text
        if key == "error":
            span.status.code = Status.STATUS_CODE_ERROR
            if text and text != "true":
                span.status.message = text
            continue
        attrs[key] = typed_value(text) if parse else text
    return fallback or local_component
