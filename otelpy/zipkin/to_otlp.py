"""Zipkin v2 spans -> OTLP, as the Collector's ``zipkinv2.ToTranslator``.

* Spans are grouped (stable sort) by local service name, then by the ``otel.library.name``
  tag: one resource per service (``service.name``, or the key named by
  ``otlp.service.name.source``; none for a span without local service), one scope per
  library. Resource semantic-convention tags of a group's first span go to the resource and
  are left out of every span of the group.
* Kind from ``kind`` (or the ``span.kind: internal`` tag); status from ``otel.status_code``
  (+ ``otel.status_description``), then any ``error`` tag makes it an error (the tag is kept
  unless its value is ``true``); ``w3c.tracestate`` -> trace state; ``otlp.link.N`` tags ->
  links; annotations -> events (``name|{json attributes}|dropped`` is unpacked).
* Tags are string attributes, or typed ones with ``parse_string_tags``; endpoints become
  ``net.host.ip``/``net.host.port``, ``peer.service``/``net.peer.ip``/``net.peer.port``.
* A span without timestamp starts at 0 and gets ``otel.zipkin.absentField.startTime: true``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from otelpy.pdata.values import Attributes, Value
from otelpy.zipkin.model import MalformedZipkin, ZSpan
from otelpy.zipkin.semconv import NON_SPAN_ATTRIBUTES

NO_SERVICE_NAME = "OTLPResourceNoServiceName"
START_TIME_ABSENT = "otel.zipkin.absentField.startTime"
SERVICE_NAME_SOURCE = "otlp.service.name.source"
LIBRARY_NAME, LIBRARY_VERSION = "otel.library.name", "otel.library.version"
KINDS = {"CLIENT": Span.SPAN_KIND_CLIENT, "SERVER": Span.SPAN_KIND_SERVER,
         "PRODUCER": Span.SPAN_KIND_PRODUCER, "CONSUMER": Span.SPAN_KIND_CONSUMER}
STATUS_CODES = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2,
                "Unset": 0, "Ok": 1, "Error": 2}
_TYPED = [(re.compile(r"^$"), "empty"), (re.compile(r"^-?\d+$"), "int"),
          (re.compile(r"^-?\d+\.\d+$"), "double"), (re.compile(r"^(true|false)$"), "bool")]


def typed_value(text: str) -> Value:
    """``parse_string_tags``: ints, doubles and booleans by the Collector's patterns."""
    for pattern, kind in _TYPED:
        if pattern.match(text):
            if kind == "int":
                value = int(text)
                return value if -(1 << 63) <= value < (1 << 63) else text
            if kind == "double":
                return float(text)
            if kind == "bool":
                return text == "true"
            return text
    return text


def _service(span: ZSpan) -> str:
    return span.local.service_name if span.local and span.local.service_name \
        else NO_SERVICE_NAME


def to_request(spans: list[ZSpan], parse_string_tags: bool) -> Any:
    """The OTLP request for ``spans``; MalformedZipkin for an unreadable link or event."""
    request = ExportTraceServiceRequest()
    ordered = sorted(spans, key=lambda s: (_service(s), s.tags.get(LIBRARY_NAME, "")))
    prev_service: str | None = None
    prev_library: str | None = None
    rs: Any = None
    out: Any = None
    for span in ordered:
        tags = dict(span.tags)
        service = _service(span)
        if service != prev_service:
            prev_service, prev_library = service, None
            rs = request.resource_spans.add()
            _resource(tags, service, Attributes(rs.resource.attributes))
        library = span.tags.get(LIBRARY_NAME, "")
        if library != prev_library:
            prev_library = library
            ss = rs.scope_spans.add()
            if library:
                ss.scope.name = tags.pop(LIBRARY_NAME, "")
                ss.scope.version = tags.pop(LIBRARY_VERSION, "")
            out = ss.spans
        _span(span, tags, out.add(), parse_string_tags)
    return request


def _resource(tags: dict[str, str], service: str, attrs: Attributes) -> None:
    if service == NO_SERVICE_NAME:
        return
    attrs[tags.pop(SERVICE_NAME_SOURCE, "") or "service.name"] = service
    for key in list(tags):
        if key in NON_SPAN_ATTRIBUTES and key not in (LIBRARY_NAME, LIBRARY_VERSION):
            attrs[key] = tags.pop(key)


def _span(src: ZSpan, tags: dict[str, str], dest: Any, parse: bool) -> None:
    dest.trace_id, dest.span_id = src.trace_id, src.id
    if "w3c.tracestate" in tags:
        dest.trace_state = tags.pop("w3c.tracestate")
    if src.parent_id is not None and src.parent_id != src.id:
        dest.parent_span_id = src.parent_id
    dest.name = src.name
    dest.kind = KINDS.get(src.kind, Span.SPAN_KIND_UNSPECIFIED)
    if not src.kind and "span.kind" in tags:
        dest.kind = Span.SPAN_KIND_INTERNAL if tags.pop("span.kind") == "internal" else 0
    _status(tags, dest.status)
    _links(tags, dest)
    attrs = Attributes(dest.attributes)
    for key, text in tags.items():
        if key not in NON_SPAN_ATTRIBUTES:
            attrs[key] = typed_value(text) if parse else text
    if src.local is not None:
        _endpoint_attrs(attrs, src.local, "net.host.ip", "net.host.port")
    if src.remote is not None:
        if src.remote.service_name:
            attrs["peer.service"] = src.remote.service_name
        _endpoint_attrs(attrs, src.remote, "net.peer.ip", "net.peer.port")
    if src.timestamp_us == 0:
        dest.start_time_unix_nano, dest.end_time_unix_nano = 0, src.duration_us * 1000
        attrs[START_TIME_ABSENT] = True
    else:
        dest.start_time_unix_nano = src.timestamp_us * 1000
        dest.end_time_unix_nano = (src.timestamp_us + src.duration_us) * 1000
    for ts, value in src.annotations:
        _event(ts, value, dest.events.add())


def _endpoint_attrs(attrs: Attributes, ep: Any, ip_key: str, port_key: str) -> None:
    if ep.ipv4:
        attrs[ip_key] = ep.ipv4
    if ep.ipv6:
        attrs[ip_key] = ep.ipv6
    if ep.port > 0:
        attrs[port_key] = ep.port


def _status(tags: dict[str, str], status: Any) -> None:
    if "otel.status_code" in tags:
        status.code = STATUS_CODES.get(tags.pop("otel.status_code"), 0)
        if "otel.status_description" in tags:
            status.message = tags.pop("otel.status_description")
    if "error" in tags:
        status.code = Status.STATUS_CODE_ERROR
        if tags["error"] == "true":
            del tags["error"]


def _packed(value: str, fixed: int, what: str) -> tuple[list[str], dict[str, Any], int]:
    """``a|b|...|{json}|dropped`` -> (the ``fixed`` leading parts, attributes, dropped)."""
    parts = value.split("|")
    text = "|".join(parts[fixed:-1])
    try:
        raw = json.loads(text)
        dropped = int(parts[-1])
    except ValueError as exc:
        raise MalformedZipkin(f"{what}: {exc}") from None
    if not isinstance(raw, dict) or not 0 <= dropped < 1 << 32:
        raise MalformedZipkin(f"{what}: expected a JSON object and a dropped count")
    return parts[:fixed], raw, dropped


def _put_json(attrs: Attributes, raw: dict[str, Any]) -> None:
    for key, value in raw.items():
        if isinstance(value, bool) or isinstance(value, str):
            attrs[key] = value
        elif isinstance(value, int | float):
            attrs[key] = int(value) if float(value).is_integer() and abs(value) < 2**63 \
                else float(value)


def _event(ts_us: int, value: str, event: Any) -> None:
    event.time_unix_nano = ts_us * 1000
    parts = value.split("|")
    event.name = parts[0]
    if len(parts) < 3:
        return
    _, raw, dropped = _packed(value, 1, "annotation")
    _put_json(Attributes(event.attributes), raw)
    event.dropped_attributes_count = dropped


def _links(tags: dict[str, str], dest: Any) -> None:
    for i in range(128):
        value = tags.pop(f"otlp.link.{i}", None)
        if value is None:
            return
        if len(value.split("|")) < 5:
            continue
        (trace_hex, span_hex, state), raw, dropped = _packed(value, 3, f"otlp.link.{i}")
        try:
            trace_id = bytes.fromhex(trace_hex) if trace_hex else b""
            span_id = bytes.fromhex(span_hex) if span_hex else b""
        except ValueError as exc:
            raise MalformedZipkin(f"otlp.link.{i}: {exc}") from None
        if len(trace_id) not in (0, 16) or len(span_id) not in (0, 8):
            raise MalformedZipkin(f"otlp.link.{i}: invalid length for ID")
        link = dest.links.add(trace_id=trace_id, span_id=span_id, trace_state=state,
                              dropped_attributes_count=dropped)
        _put_json(Attributes(link.attributes), raw)
