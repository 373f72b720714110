"""Sampling rates over 100,000 deterministic trace IDs (splitmix64, no random seed) stay
within five standard deviations of the configured probability, for every mode."""

from __future__ import annotations

import asyncio
import math

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otelpy.component import Signal
from otelpy.pdata import Batch

from .test_vectors import make

N = 100_000


def splitmix64(state: int) -> tuple[int, int]:
    state = (state + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return state, z ^ (z >> 31)


def trace_ids(n: int) -> list[bytes]:
    state, out = 1, []
    for _ in range(n):
        state, hi = splitmix64(state)
        state, lo = splitmix64(state)
        out.append(hi.to_bytes(8, "big") + lo.to_bytes(8, "big"))
    return out


IDS = trace_ids(N)


@pytest.mark.parametrize(("mode", "pct", "expected"), [
    ("hash_seed", 10, 1638 / 16384), ("hash_seed", 33.3, 5455 / 16384),
    ("proportional", 10, 0.1), ("proportional", 1, 0.01), ("equalizing", 50, 0.5),
])
def test_rate_within_bounds(mode: str, pct: float, expected: float) -> None:
    proc, sink, telemetry = make({"sampling_percentage": pct, "mode": mode,
                                  "sampling_precision": 14}, Signal.TRACES)

    async def send() -> None:
        for start in range(0, N, 512):
            req = ExportTraceServiceRequest()
            spans = req.resource_spans.add().scope_spans.add().spans
            for tid in IDS[start:start + 512]:
                spans.add(trace_id=tid, span_id=b"\x01" * 8, name="x")
            await proc.consume_traces(Batch.from_bytes(Signal.TRACES, req.SerializeToString()))
    asyncio.run(send())
    kept = sink.items[Signal.TRACES]
    sigma = math.sqrt(N * expected * (1 - expected))
    assert abs(kept - N * expected) <= 5 * sigma, (kept, N * expected)
    policy = "trace_id_hash" if mode == "hash_seed" else "trace_id_w3c"
    name = "otelcol_processor_probabilistic_sampler_count_traces_sampled_total"
    labels = {"processor": "probabilistic_sampler", "policy": policy}
    assert telemetry.value(name, {**labels, "sampled": "true"}) == kept
    assert telemetry.value(name, {**labels, "sampled": "false"}) == N - kept
