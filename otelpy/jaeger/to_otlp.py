"""Jaeger spans -> OTLP, as the Collector's ``ThriftToTraces`` and ``ProtoToTraces``.

* Process -> resource: ``service.name`` (unless empty or ``OTLPResourceNoServiceName``),
  tags as attributes; ``hostname`` -> ``host.name`` and ``jaeger.version`` ->
  ``opencensus.exporterversion: Jaeger-<v>`` when those are not already there.
* Span: IDs (128-bit trace IDs from high/low), ``span.kind`` tag -> kind, status from the
  ``error`` tag (bool), else ``otel.status_code`` / ``otel.status_description``, else
  ``http.status_code`` (4xx is an error on clients only); logs -> events (the ``event``
  field is the name), references -> links with ``opentracing.ref_type`` except the
  CHILD_OF reference that became the parent.
* Protobuf only: ``otel.scope.name`` / ``otel.scope.version`` tags -> scope,
  ``w3c.tracestate`` -> trace state, spans with their own process regrouped by process.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from otelpy.jaeger.model import CHILD_OF, JLog, JProcess, JRef, JSpan, Tag
from otelpy.pdata.values import Attributes

NO_SERVICE_NAME = "OTLPResourceNoServiceName"
KINDS = {"client": Span.SPAN_KIND_CLIENT, "server": Span.SPAN_KIND_SERVER,
         "producer": Span.SPAN_KIND_PRODUCER, "consumer": Span.SPAN_KIND_CONSUMER,
         "internal": Span.SPAN_KIND_INTERNAL}
REF_TYPES = {CHILD_OF: "child_of"}  # anything else: follows_from


def thrift_to_request(process: JProcess | None, spans: list[JSpan]) -> Any:
    """One Thrift batch: one resource, one scope without name."""
    request = ExportTraceServiceRequest()
    if process is None and not spans:
        return request
    rs = request.resource_spans.add()
    _resource(process, Attributes(rs.resource.attributes), proto=False)
    if spans:
        out = rs.scope_spans.add().spans
        for span in spans:
            _span(span, out.add(), proto=False)
    return request


def proto_to_request(batches: Iterable[tuple[JProcess | None, list[JSpan]]]) -> Any:
    """Protobuf batches, regrouped so that each distinct process is one resource."""
    groups: dict[Any, tuple[JProcess | None, list[JSpan]]] = {}
    for process, spans in batches:
        own = groups.setdefault(_key(process), (process, []))
        for span in spans:
            target = own if span.process is None else \
                groups.setdefault(_key(span.process), (span.process, []))
            target[1].append(span)
    request = ExportTraceServiceRequest()
    for process, spans in groups.values():
        if process is None and not spans:
            continue
        rs = request.resource_spans.add()
        _resource(process, Attributes(rs.resource.attributes), proto=True)
        scopes: dict[tuple[str, str], Any] = {}
        for span in spans:
            scope = _scope_of(span)
            if scope not in scopes:
                ss = rs.scope_spans.add()
                ss.scope.name, ss.scope.version = scope
                scopes[scope] = ss.spans
            _span(span, scopes[scope].add(), proto=True)
    return request


def _key(process: JProcess | None) -> Any:
    return None if process is None else process.key()


def _resource(process: JProcess | None, attrs: Attributes, proto: bool) -> None:
    if process is None or (proto and process.service_name == NO_SERVICE_NAME):
        return
    if not process.service_name and process.tags is None:
        return
    if process.service_name:
        attrs["service.name"] = process.service_name
    _put_tags(process.tags or (), attrs)
    if "hostname" in attrs and "host.name" not in attrs:
        attrs["host.name"] = attrs["hostname"]
        del attrs["hostname"]
    if "jaeger.version" in attrs and "opencensus.exporterversion" not in attrs:
        version = attrs["jaeger.version"]
        text = version if isinstance(version, str) else ""
        attrs["opencensus.exporterversion"] = f"Jaeger-{text}"
        del attrs["jaeger.version"]


def _put_tags(tags: Iterable[Tag], attrs: Attributes) -> None:
    for key, value in tags:
        attrs[key] = value


def _scope_of(span: JSpan) -> tuple[str, str]:
    name = _take_str(span, "otel.scope.name")
    if name is None:
        return "", ""
    return name, _take_str(span, "otel.scope.version") or ""


def _take_str(span: JSpan, key: str) -> str | None:
    for i, (k, v) in enumerate(span.tags):
        if k == key:
            del span.tags[i]
            return v if isinstance(v, str) else ""
    return None


def _id(high: int, low: int) -> bytes:
    return high.to_bytes(8, "big") + low.to_bytes(8, "big")


def _span(src: JSpan, dest: Any, proto: bool) -> None:
    dest.trace_id = _id(src.trace_high, src.trace_low)
    dest.span_id = src.span_id.to_bytes(8, "big")
    dest.name = src.operation_name
    dest.start_time_unix_nano = src.start_ns
    dest.end_time_unix_nano = src.start_ns + src.duration_ns
    parent = src.parent_id()
    if parent:
        dest.parent_span_id = parent.to_bytes(8, "big")
    attrs = Attributes(dest.attributes)
    _put_tags(src.tags, attrs)
    if "span.kind" in attrs:
        kind = attrs["span.kind"]
        dest.kind = KINDS.get(kind, Span.SPAN_KIND_UNSPECIFIED) if isinstance(kind, str) else 0
        del attrs["span.kind"]
    set_status(attrs, dest)
    if proto and "w3c.tracestate" in attrs:
        state = attrs["w3c.tracestate"]
        dest.trace_state = state if isinstance(state, str) else ""
        del attrs["w3c.tracestate"]
    for log in src.logs:
        _event(log, dest.events.add())
    _links(src.references, parent, dest)


def _event(log: JLog, event: Any) -> None:
    event.time_unix_nano = log.time_ns
    attrs = Attributes(event.attributes)
    _put_tags(log.fields, attrs)
    if "event" in attrs:
        name = attrs["event"]
        event.name = name if isinstance(name, str) else ""
        del attrs["event"]


def _links(refs: list[JRef], parent: int, dest: Any) -> None:
    for ref in refs:
        if ref.span_id == parent and ref.ref_type == CHILD_OF:
            continue
        link = dest.links.add(trace_id=_id(ref.trace_high, ref.trace_low),
                              span_id=ref.span_id.to_bytes(8, "big"))
        Attributes(link.attributes)["opentracing.ref_type"] = \
            REF_TYPES.get(ref.ref_type, "follows_from")


def set_status(attrs: Attributes, span: Any) -> None:
    """The Collector's ``setInternalSpanStatus``: ``error`` (bool) first, then
    ``otel.status_code``, then ``http.status_code``; the tags used are removed."""
    code: int = Status.STATUS_CODE_UNSET
    message, found = "", False
    if attrs.get("error") is True:
        code, found = Status.STATUS_CODE_ERROR, True
        del attrs["error"]
        description = _take_description(attrs)
        if description is None:
            http_message = attrs.get("http.status_message")
            description = http_message if isinstance(http_message, str) else ""
        message = description
    if "otel.status_code" in attrs:
        if not found:
            found = True
            text = attrs["otel.status_code"]
            upper = text.upper() if isinstance(text, str) else ""
            code = {"OK": 1, "ERROR": 2}.get(upper, Status.STATUS_CODE_UNSET)
            message = _take_description(attrs) or ""
        del attrs["otel.status_code"]
    elif not found and "http.status_code" in attrs:
        http_code = _int_of(attrs["http.status_code"])
        if http_code is not None:
            code = _http_status(http_code, span.kind)
            found = code != Status.STATUS_CODE_UNSET
            http_message = attrs.get("http.status_message")
            if isinstance(http_message, str):
                message = http_message
    if found:
        span.status.code = code
        span.status.message = message or ""


def _take_description(attrs: Attributes) -> str | None:
    if "otel.status_description" not in attrs:
        return None
    value = attrs["otel.status_description"]
    del attrs["otel.status_description"]
    return value if isinstance(value, str) else ""


def _int_of(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value, 10)
        except ValueError:
            return None
    return None


def _http_status(code: int, kind: int) -> int:
    """tracetranslator.StatusCodeFromHTTP with the 4xx rule for client and server spans."""
    if 400 <= code < 500:
        if kind == Span.SPAN_KIND_CLIENT:
            return Status.STATUS_CODE_ERROR
        if kind == Span.SPAN_KIND_SERVER:
            return Status.STATUS_CODE_UNSET
    return Status.STATUS_CODE_UNSET if 100 <= code < 399 else Status.STATUS_CODE_ERROR
