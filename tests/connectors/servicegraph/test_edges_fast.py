"""servicegraph pairing: client sides opened on the fast path (no dimensions, nobody waiting
under their key) give the same edges, counts and expiries as the general path."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otelpy.pdata.values import Attributes
from otelpy.spanstats.edges import EdgeTracker

SPAN_ATTRS: list[dict[str, Any]] = [
    {}, {"peer.service": "pay"}, {"db.name": "orders", "peer.service": "pg"},
    {"db.system": "redis"}, {"peer.service": 7}, {"http.route": "/x", "db.system": "mysql"}]


def request(seed: int) -> bytes:
    """Four services; clients, producers, servers and consumers of 40 traces in an order
    that has servers before and after their clients, repeated span IDs and roots."""
    req = ExportTraceServiceRequest()
    for r, service in enumerate(("front", "back", "db-owner", "worker")):
        rs = req.resource_spans.add()
        res = {"service.name": service}
        if service == "db-owner":
            res["db.name"] = "resource-db"
        Attributes(rs.resource.attributes).update(res)
        scope = rs.scope_spans.add()
        for i in range(160):
            t, kind = (i * 7 + seed + r) % 40, (i + r + seed) % 6
            start = 1_000_000_000 + i * 1_000_000
            parent = bytes([t, (i + 1) % 5]) * 4 if i % 9 else b""
            span = scope.spans.add(
                trace_id=bytes([t]) * 16, span_id=bytes([t, i % 5]) * 4,
                parent_span_id=parent, kind=kind, start_time_unix_nano=start,
                end_time_unix_nano=start + ((i * 13) % 50 - 3) * 1_000_000)
            span.status.code = 2 if i % 11 == 0 else 0
            Attributes(span.attributes).update(SPAN_ATTRS[(i + r) % len(SPAN_ATTRS)])
    return req.SerializeToString()


def run(inline: bool, max_items: int) -> list[Any]:
    tracker = EdgeTracker(max_items, 2.0)
    tracker.inline_clients = inline
    out: list[Any] = []
    for seed in range(4):
        out.append(tracker.consume(request(seed), float(seed)))
        out.append(tracker.expire(float(seed) + 0.5))
        out.append((len(tracker), tracker.total, tracker.dropped_spans, tracker.expired))
    out.append(tracker.expire(float("inf")))
    return out


@pytest.mark.parametrize("max_items", [10_000, 30])
def test_fast_client_path_equals_the_general_one(max_items: int) -> None:
    fast, general = run(True, max_items), run(False, max_items)
    assert sum(len(x) for x in fast[0::3]) > 50  # edges were made
    assert fast[2][2] or max_items > 1000  # the small store refused spans
    assert fast == general
