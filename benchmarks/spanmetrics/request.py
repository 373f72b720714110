"""The spanmetrics benchmark's request: 512 spans of 64 traces across four services, each
trace a chain of calls with client/server pairs (HTTP), a database call and a message
(producer/consumer), so the servicegraph connector pairs spans inside every request.

Per trace (8 spans): frontend SERVER (root) -> frontend CLIENT -> checkout SERVER ->
checkout CLIENT -> payment SERVER -> payment PRODUCER -> mailer CONSUMER, and checkout
CLIENT with db.system/db.name (a database edge by itself). Every 10th trace fails at payment.
"""

from __future__ import annotations

import random
from pathlib import Path

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from otelpy.pdata.values import Attributes

TRACES = 64
SERVICES = ("frontend", "checkout", "payment", "mailer")
K = Span.SpanKind


def _span(scope: object, trace_id: bytes, rnd: random.Random, parent: bytes, name: str,
          kind: int, start: int, ms: float, attrs: dict[str, object]) -> bytes:
    span = scope.spans.add(trace_id=trace_id, span_id=rnd.randbytes(8),  # type: ignore[attr-defined]
                           parent_span_id=parent, name=name, kind=kind,
                           start_time_unix_nano=start,
                           end_time_unix_nano=start + int(ms * 1e6))
    for k, v in attrs.items():
        Attributes(span.attributes)[k] = v
    return bytes(span.span_id)


def build(seed: int = 7, start_ns: int = 1_700_000_000_000_000_000) -> ExportTraceServiceRequest:
    rnd = random.Random(seed)
    req = ExportTraceServiceRequest()
    scopes = {}
    for service in SERVICES:
        rs = req.resource_spans.add()
        Attributes(rs.resource.attributes).update(
            {"service.name": service, "service.version": "1.4.2",
             "deployment.environment": "production", "host.name": f"{service}-7d9f"})
        ss = rs.scope_spans.add()
        ss.scope.name, ss.scope.version = "io.opentelemetry.http", "0.46b0"
        scopes[service] = ss
    for t in range(TRACES):
        tid, t0 = rnd.randbytes(16), start_ns + t * 5_000_000
        route = rnd.choice(["/checkout", "/cart", "/orders/{id}"])
        http = {"http.request.method": "POST", "http.route": route,
                "http.response.status_code": 200}
        root = _span(scopes["frontend"], tid, rnd, b"", f"POST {route}", K.SPAN_KIND_SERVER,
                     t0, 40 + rnd.random() * 200, http)
        call = _span(scopes["frontend"], tid, rnd, root, "POST", K.SPAN_KIND_CLIENT, t0 + 1,
                     35 + rnd.random() * 150, {"peer.service": "checkout", **http})
        served = _span(scopes["checkout"], tid, rnd, call, f"POST {route}", K.SPAN_KIND_SERVER,
                       t0 + 2, 30 + rnd.random() * 120, http)
        _span(scopes["checkout"], tid, rnd, served, "SELECT orders", K.SPAN_KIND_CLIENT, t0 + 3,
              rnd.random() * 20, {"db.system": "postgresql", "db.name": "orders"})
        pay = _span(scopes["checkout"], tid, rnd, served, "POST", K.SPAN_KIND_CLIENT, t0 + 4,
                    20 + rnd.random() * 90, {"peer.service": "payment", **http})
        charged = _span(scopes["payment"], tid, rnd, pay, "POST /charge", K.SPAN_KIND_SERVER,
                        t0 + 5, 15 + rnd.random() * 80, {**http, "http.route": "/charge"})
        if t % 10 == 0:
            scopes["payment"].spans[-1].status.code = Status.STATUS_CODE_ERROR
        sent = _span(scopes["payment"], tid, rnd, charged, "receipts publish",
                     K.SPAN_KIND_PRODUCER, t0 + 6, rnd.random() * 5,
                     {"messaging.system": "kafka", "messaging.destination.name": "receipts"})
        _span(scopes["mailer"], tid, rnd, sent, "receipts process", K.SPAN_KIND_CONSUMER,
              t0 + 7, 5 + rnd.random() * 50, {"messaging.system": "kafka"})
    return req


def write_frame(path: Path) -> tuple[int, int]:
    """One length-prefixed gRPC message; returns (spans, message size)."""
    req = build()
    msg = req.SerializeToString()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x00" + len(msg).to_bytes(4, "big") + msg)
    return sum(len(ss.spans) for rs in req.resource_spans for ss in rs.scope_spans), len(msg)
