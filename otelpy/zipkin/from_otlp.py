"""OTLP -> Zipkin v2 spans, as the Collector's ``zipkinv2.FromTranslator`` (the zipkin
exporter), and their JSON v2 and protobuf encodings.

Resource attributes and span attributes become string tags (``AsString``; the service name
from ``service.name``, else ``faas.name``, ``k8s.deployment.name``,
``process.executable.name`` with ``otlp.service.name.source`` naming it, else
``default_service_name``); scope -> ``otel.library.name``/``version``; endpoints from
``net.host.*`` / ``peer.service``, ``net.peer.*``; status -> ``otel.status_code``
(``Ok``/``Error``), ``otel.status_description`` and ``error`` (the description, or
``true``); events -> annotations (``name|{json}|dropped`` when they carry attributes);
links -> ``otlp.link.N`` tags.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from typing import Any

from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from otelpy.pdata import items
from otelpy.pdata.asstring import as_string
from otelpy.zipkin.model import KINDS, PROTO

_KIND = {Span.SPAN_KIND_CLIENT: "CLIENT", Span.SPAN_KIND_SERVER: "SERVER",
         Span.SPAN_KIND_PRODUCER: "PRODUCER", Span.SPAN_KIND_CONSUMER: "CONSUMER"}
_STATUS = {Status.STATUS_CODE_OK: "Ok", Status.STATUS_CODE_ERROR: "Error"}
_SOURCES = ("faas.name", "k8s.deployment.name", "process.executable.name")


def _service(tags: dict[str, str], default: str) -> str:
    if "service.name" in tags:
        return tags.pop("service.name")
    for key in _SOURCES:
        if key in tags:
            tags["otlp.service.name.source"] = key
            return tags.pop(key)
    return default


def spans(request: Any, default_service_name: str) -> Iterator[dict[str, Any]]:
    """Each span of ``request`` as a Zipkin v2 JSON object (dict); spans with an invalid
    trace or span ID are skipped (the Collector fails the request: counted by the caller
    as the difference)."""
    for item in items.spans(request):
        span = item.span
        if len(span.trace_id) != 16 or not any(span.trace_id) or len(span.span_id) != 8 \
                or not any(span.span_id):
            continue
        tags = {k: as_string(v) for k, v in item.resource_attributes.items()}
        service = _service(tags, default_service_name) if tags else default_service_name
        scope = item.scope.scope
        if scope.name:
            tags["otel.library.name"] = scope.name
        if scope.version:
            tags["otel.library.version"] = scope.version
        tags.update((k, as_string(v)) for k, v in item.attributes.items())
        yield _span(span, service, tags)


def _span(span: Any, service: str, tags: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"traceId": span.trace_id.hex(), "id": span.span_id.hex()}
    if span.trace_state:
        tags["w3c.tracestate"] = span.trace_state
    if len(span.parent_span_id) == 8 and any(span.parent_span_id):
        out["parentId"] = span.parent_span_id.hex()
    if span.kind in _KIND:
        out["kind"] = _KIND[span.kind]
    elif span.kind == Span.SPAN_KIND_INTERNAL:
        tags["span.kind"] = "internal"
    out["name"] = span.name
    if span.start_time_unix_nano // 1_000_000_000 != 0:
        out["timestamp"] = span.start_time_unix_nano // 1000
    if span.end_time_unix_nano:
        nanos = span.end_time_unix_nano - span.start_time_unix_nano
        out["duration"] = nanos // 1000 if nanos >= 1000 or nanos <= 0 else 1
    local = _endpoint(tags, service, "net.host.ip", "net.host.port", None)
    remote = _endpoint(tags, "", "net.peer.ip", "net.peer.port", "peer.service")
    if local:
        out["localEndpoint"] = local
    if remote:
        out["remoteEndpoint"] = remote
    _status(span.status, tags)
    if span.events:
        out["annotations"] = [_annotation(e) for e in span.events]
    for i, link in enumerate(span.links):
        attrs = {kv.key: kv.value for kv in link.attributes}
        tags[f"otlp.link.{i}"] = "|".join([
            link.trace_id.hex(), link.span_id.hex(), link.trace_state,
            _json_attrs(attrs), str(link.dropped_attributes_count)])
    if tags:
        out["tags"] = tags
    return out


def _json_attrs(attrs: dict[str, Any]) -> str:
    from otelpy.pdata.values import to_value
    return as_string({k: to_value(v) for k, v in attrs.items()})


def _annotation(event: Any) -> dict[str, Any]:
    value = event.name
    if len(event.attributes) or event.dropped_attributes_count:
        value = f"{event.name}|{_json_attrs({kv.key: kv.value for kv in event.attributes})}|" \
                f"{event.dropped_attributes_count}"
    return {"timestamp": event.time_unix_nano // 1000, "value": value}


def _endpoint(tags: dict[str, str], service: str, ip_key: str, port_key: str,
              peer_key: str | None) -> dict[str, Any] | None:
    if peer_key and peer_key in tags:
        service = tags.pop(peer_key)
    ip = tags.pop(ip_key, None)
    port_text = tags.pop(port_key, None)
    address = None
    if ip is not None:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            address = None
    if not service and address is None:
        return None
    out: dict[str, Any] = {}
    if service:
        out["serviceName"] = service
    if address is not None:
        out["ipv6" if ":" in ip else "ipv4"] = str(address)  # type: ignore[operator]
    port = int(port_text) if port_text and port_text.isdigit() and int(port_text) < 65536 \
        else 0
    if port:
        out["port"] = port
    return out


def _status(status: Any, tags: dict[str, str]) -> None:
    if status.code == Status.STATUS_CODE_ERROR:
        tags["error"] = status.message or "true"  # zipkin-go writes the error's text
    else:
        tags.pop("error", None)
    if status.code in _STATUS:
        tags["otel.status_code"] = _STATUS[status.code]
        if status.message:
            tags["otel.status_description"] = status.message


def encode_json(spans: list[dict[str, Any]]) -> bytes:
    return json.dumps(spans, separators=(",", ":"), ensure_ascii=False).encode()


def encode_proto(spans: list[dict[str, Any]]) -> bytes:
    message = PROTO["ListOfSpans"]()
    for s in spans:
        p = message.spans.add(trace_id=bytes.fromhex(s["traceId"]), id=bytes.fromhex(s["id"]),
                              name=s.get("name", ""), timestamp=s.get("timestamp", 0),
                              duration=s.get("duration", 0))
        if "parentId" in s:
            p.parent_id = bytes.fromhex(s["parentId"])
        if "kind" in s:
            p.kind = KINDS.index(s["kind"])
        for key, field in (("localEndpoint", p.local_endpoint),
                           ("remoteEndpoint", p.remote_endpoint)):
            if key in s:
                ep = s[key]
                field.service_name = ep.get("serviceName", "")
                if "ipv4" in ep:
                    field.ipv4 = ipaddress.IPv4Address(ep["ipv4"]).packed
                if "ipv6" in ep:
                    field.ipv6 = ipaddress.IPv6Address(ep["ipv6"]).packed
                field.port = ep.get("port", 0)
        for a in s.get("annotations", ()):
            p.annotations.add(timestamp=a["timestamp"], value=a["value"])
        p.tags.update(s.get("tags", {}))
    return bytes(message.SerializeToString())
