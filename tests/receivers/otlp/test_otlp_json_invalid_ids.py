"""OTLP/JSON metrics with invalid IDs in exemplars: the data points holding them are dropped
and counted as partial success (``rejectedDataPoints``), the rest is accepted (the spans
and log records case is in test_otlp_http.py)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from otelpy.component import Signal
from otelpy.receivers.otlp import OTLPReceiver
from otelpy.testing.sink import SinkConsumer

StartReceiver = Callable[..., Awaitable[OTLPReceiver]]
Malformed = Callable[[str, str], float]
TRACE_ID = "5b8efff798038103d269b633813fc60c"
SPAN_ID = "eee19b7ec3c1b174"


def _point(value: float, trace_id: str = TRACE_ID, span_id: str = SPAN_ID,
           **extra: Any) -> dict[str, Any]:
    exemplar = {"asDouble": value, "timeUnixNano": "1", "traceId": trace_id, "spanId": span_id}
    return {"timeUnixNano": "2", "exemplars": [exemplar], **extra}


def _histogram_point(value: float, **ids: str) -> dict[str, Any]:
    return _point(value, **ids, count="1", sum=value, bucketCounts=["1"], explicitBounds=[])


DOC = {"resourceMetrics": [{"scopeMetrics": [{"metrics": [
    {"name": "gauge", "gauge": {"dataPoints": [
        {**_point(1.0), "asDouble": 1.0},
        {**_point(2.0, trace_id=TRACE_ID[:-2]), "asDouble": 2.0},  # 15-byte trace ID
        {**_point(3.0, span_id="zz" * 8), "asDouble": 3.0},  # not hex
    ]}},
    {"name": "sum", "sum": {"aggregationTemporality": 2, "isMonotonic": True, "dataPoints": [
        {**_point(4.0), "asInt": "4"},
    ]}},
    {"name": "histogram", "histogram": {"aggregationTemporality": 2, "dataPoints": [
        _histogram_point(5.0, span_id=SPAN_ID + "00"),  # 9-byte span ID
        _histogram_point(6.0),
    ]}},
    {"name": "exponential", "exponentialHistogram": {"aggregationTemporality": 2,
                                                     "dataPoints": [
        _point(7.0, trace_id="x", count="1", scale=0, zeroCount="1"),
    ]}},
    {"name": "summary", "summary": {"dataPoints": [
        {"timeUnixNano": "2", "count": "1", "sum": 8.0},
    ]}},
]}]}]}


async def test_bad_exemplar_ids_drop_their_data_points(start_receiver: StartReceiver,
                                                       sink: SinkConsumer,
                                                       malformed: Malformed) -> None:
    rcv = await start_receiver({"http": {"endpoint": "127.0.0.1:0"}})
    assert rcv.http is not None
    async with aiohttp.ClientSession() as session:
        async with session.post(f"http://127.0.0.1:{rcv.http.port}/v1/metrics",
                                data=json.dumps(DOC),
                                headers={"Content-Type": "application/json"}) as resp:
            status, answer = resp.status, await resp.json()
    assert status == 200
    partial = answer["partialSuccess"]
    assert partial["rejectedDataPoints"] == "4"
    assert partial["errorMessage"].startswith("data points with invalid IDs dropped: 4 "), partial
    assert "(first: dataPoints[1].exemplars[0].traceId: invalid ID" in partial["errorMessage"]
    assert malformed("http", "invalid_ids") == 1
    assert sink.items[Signal.METRICS] == 4  # 8 points sent, 4 dropped
    metrics = sink.batches[-1].message.resource_metrics[0].scope_metrics[0].metrics
    kept = {m.name: m for m in metrics}
    assert [p.as_double for p in kept["gauge"].gauge.data_points] == [1.0]
    assert [p.as_int for p in kept["sum"].sum.data_points] == [4]
    assert [p.sum for p in kept["histogram"].histogram.data_points] == [6.0]
    assert len(kept["exponential"].exponential_histogram.data_points) == 0
    assert [p.sum for p in kept["summary"].summary.data_points] == [8.0]
    exemplar = kept["histogram"].histogram.data_points[0].exemplars[0]
    assert exemplar.trace_id.hex() == TRACE_ID and exemplar.span_id.hex() == SPAN_ID
