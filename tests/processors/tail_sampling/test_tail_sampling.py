"""tail_sampling on a FakeClock: policies table-tested on built traces, decision_wait,
num_traces eviction, late spans and the decision caches."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.pdata import Batch
from otelpy.pdata.values import Attributes
from otelpy.processors.tail_sampling import factory
from otelpy.telemetry import Telemetry
from otelpy.testing.clock import FakeClock
from otelpy.testing.sink import SinkConsumer

T0 = 1_700_000_000_000_000_000


def tid(n: int) -> bytes:
    return n.to_bytes(16, "big")


def request(spans: list[dict[str, Any]], resource: dict[str, Any] | None = None) -> Batch:
    req = ExportTraceServiceRequest()
    rs = req.resource_spans.add(schema_url="https://res")
    for k, v in (resource or {"service.name": "svc"}).items():
        Attributes(rs.resource.attributes)[k] = v
    ss = rs.scope_spans.add(schema_url="https://scope")
    ss.scope.name, ss.scope.version = "lib", "1.0"
    for i, s in enumerate(spans):
        span = ss.spans.add(trace_id=tid(s["trace"]), span_id=(i + 1).to_bytes(8, "big"),
                            name=s.get("name", "op"), start_time_unix_nano=T0,
                            end_time_unix_nano=T0 + s.get("ms", 1) * 1_000_000,
                            trace_state=s.get("ts", ""))
        span.status.code = s.get("status", 0)
        for k, v in s.get("attrs", {}).items():
            Attributes(span.attributes)[k] = v
        for name in s.get("events", []):
            span.events.add(name=name)
    return Batch.from_bytes(Signal.TRACES, req.SerializeToString())


class Harness:
    def __init__(self, config: dict[str, Any]) -> None:
        cfg = factory.config_type.model_validate(config)
        assert cfg.validate_config() == []  # type: ignore[attr-defined]
        self.clock, self.sink, self.telemetry = FakeClock(), SinkConsumer(), Telemetry()
        settings = Settings(ComponentID("tail_sampling"), Kind.PROCESSOR,
                            logging.getLogger("test.ts"), self.telemetry, self.clock)
        self.proc = factory.create(settings, cfg, Signal.TRACES, self.sink)

    def sampled(self) -> dict[int, int]:
        """trace number -> spans received at the sink."""
        out: dict[int, int] = {}
        for batch in self.sink.batches:
            for rs in batch.message.resource_spans:
                for ss in rs.scope_spans:
                    for span in ss.spans:
                        n = int.from_bytes(span.trace_id, "big")
                        out[n] = out.get(n, 0) + 1
        return out

    def metric(self, name: str, **labels: str) -> float:
        return self.telemetry.value(name, {"processor": "tail_sampling", **labels})


def decide(policies: list[dict[str, Any]], spans: list[dict[str, Any]],
           **extra: Any) -> dict[int, int]:
    async def go() -> dict[int, int]:
        h = Harness({"decision_wait": "1s", "policies": policies, **extra})
        await h.proc.start(None)  # type: ignore[arg-type]
        await h.proc.consume_traces(request(spans))
        await h.clock.advance(2)
        await h.proc.shutdown()
        return h.sampled()
    return asyncio.run(go())


def P(name: str, type_: str, **settings: Any) -> dict[str, Any]:  # noqa: N802
    return {"name": name, "type": type_, **({type_: settings} if settings else {})}


POLICY_CASES = [
    ("always", [P("a", "always_sample")], [{"trace": 1}], {1: 1}),
    ("latency over", [P("l", "latency", threshold_ms=100)],
     [{"trace": 1, "ms": 150}, {"trace": 2, "ms": 50}], {1: 1}),
    ("latency upper", [P("l", "latency", threshold_ms=100, upper_threshold_ms=200)],
     [{"trace": 1, "ms": 150}, {"trace": 2, "ms": 250}, {"trace": 3, "ms": 100}], {1: 1}),
    ("status error", [P("s", "status_code", status_codes=["ERROR"])],
     [{"trace": 1, "status": 2}, {"trace": 1}, {"trace": 2, "status": 1}], {1: 2}),
    ("numeric range", [P("n", "numeric_attribute", key="code", min_value=500, max_value=599)],
     [{"trace": 1, "attrs": {"code": 503}}, {"trace": 2, "attrs": {"code": 404}},
      {"trace": 3, "attrs": {"code": 550.0}}], {1: 1}),
    ("numeric min only", [P("n", "numeric_attribute", key="code", min_value=500)],
     [{"trace": 1, "attrs": {"code": 10**12}}, {"trace": 2, "attrs": {"code": 499}}], {1: 1}),
    ("numeric inverted", [P("n", "numeric_attribute", key="code", min_value=500,
                            max_value=599, invert_match=True)],
     [{"trace": 1, "attrs": {"code": 503}}, {"trace": 2, "attrs": {"code": 404}},
      {"trace": 3}], {2: 1, 3: 1}),
    ("string exact", [P("s", "string_attribute", key="env", values=["prod"])],
     [{"trace": 1, "attrs": {"env": "prod"}}, {"trace": 2, "attrs": {"env": "production"}}],
     {1: 1}),
    ("string regex unanchored", [P("s", "string_attribute", key="route", values=["/v1/.+"],
                                   enabled_regex_matching=True, cache_max_size=2)],
     [{"trace": 1, "attrs": {"route": "/api/v1/x"}}, {"trace": 2, "attrs": {"route": "/v2"}}],
     {1: 1}),
    ("string from resource", [P("s", "string_attribute", key="service.name", values=["svc"])],
     [{"trace": 1}], {1: 1}),
    ("string inverted", [P("s", "string_attribute", key="env", values=["dev"],
                           invert_match=True)],
     [{"trace": 1, "attrs": {"env": "dev"}}, {"trace": 2, "attrs": {"env": "prod"}}], {2: 1}),
    ("boolean", [P("b", "boolean_attribute", key="force", value=True)],
     [{"trace": 1, "attrs": {"force": True}}, {"trace": 2, "attrs": {"force": "true"}}],
     {1: 1}),
    ("span count", [P("c", "span_count", min_spans=2, max_spans=3)],
     [{"trace": 1}, {"trace": 1}, {"trace": 2}, *[{"trace": 3}] * 4], {1: 2}),
    ("trace state", [P("t", "trace_state", key="vendor", values=["gold"])],
     [{"trace": 1, "ts": "vendor=gold,x=y"}, {"trace": 2, "ts": "vendor=silver"},
      {"trace": 3, "ts": "vendor=gold,vendor=gold"}], {1: 1}),
    ("ottl span and event", [P("o", "ottl_condition", span=['name == "checkout"'],
                               spanevent=['name == "exception"'])],
     [{"trace": 1, "name": "checkout"}, {"trace": 2, "events": ["exception"]},
      {"trace": 3, "events": ["log"]}], {1: 1, 2: 1}),
    ("rate limiting burst", [P("r", "rate_limiting", spans_per_second=2)],
     [*[{"trace": 1}] * 3, *[{"trace": 2}] * 2, {"trace": 3}], {1: 3, 3: 1}),
    ("and", [{"name": "a", "type": "and", "and": {"and_sub_policy": [
        P("x", "status_code", status_codes=["ERROR"]), P("y", "latency", threshold_ms=10)]}}],
     [{"trace": 1, "status": 2, "ms": 20}, {"trace": 2, "status": 2, "ms": 5}], {1: 1}),
    ("drop wins over sample", [P("a", "always_sample"), {"name": "d", "type": "drop", "drop": {
        "drop_sub_policy": [P("h", "string_attribute", key="route", values=["/health"])]}}],
     [{"trace": 1, "attrs": {"route": "/health"}}, {"trace": 2}], {2: 1}),
    ("inverted not-sampled wins", [P("a", "always_sample"), P(
        "s", "string_attribute", key="env", values=["dev"], invert_match=True)],
     [{"trace": 1, "attrs": {"env": "dev"}}, {"trace": 2}], {2: 1}),
    ("probabilistic 0 and 100", [P("p", "probabilistic", sampling_percentage=0)],
     [{"trace": 1}], {}),
    ("composite allocation", [{"name": "c", "type": "composite", "composite": {
        "max_total_spans_per_second": 4, "policy_order": ["e", "all"],
        "composite_sub_policy": [P("e", "status_code", status_codes=["ERROR"]),
                                 P("all", "always_sample")],
        "rate_allocation": [{"policy": "e", "percent": 50}, {"policy": "all", "percent": 50}]}}],
     [{"trace": 1, "status": 2}, {"trace": 1, "status": 2}, {"trace": 2, "status": 2},
      {"trace": 3}, {"trace": 4}, {"trace": 5}], {1: 2, 3: 1, 4: 1}),
]


@pytest.mark.parametrize(("name", "policies", "spans", "expected"), POLICY_CASES,
                         ids=[c[0] for c in POLICY_CASES])
def test_policies(name: str, policies: list[dict[str, Any]], spans: list[dict[str, Any]],
                  expected: dict[int, int]) -> None:
    assert decide(policies, spans) == expected


def test_probabilistic_policy_vectors() -> None:
    """FNV-1a 64 of "default-hash-seed" + trace ID <= MaxUint64 * ratio, computed here."""
    from otelpy.processors.tail_sampling.policies import _fnv64a, probabilistic_threshold

    limit = probabilistic_threshold(25)
    assert limit == 2**62 - 1  # (2**64 - 1) * 0.25 = 2**62 - 0.25 fits 64 bits; truncated
    # spread IDs (sequential ones differ in the last bytes only, which FNV mixes poorly)
    ids = [(n * 0x9E3779B97F4A7C15F39CC0605CEDC835) % 2**128 for n in range(1, 2001)]
    expect = {n for n in ids if _fnv64a(0xCBF29CE484222325, b"default-hash-seed" + tid(n))
              <= limit}
    got = decide([P("p", "probabilistic", sampling_percentage=25)],
                 [{"trace": n} for n in ids])
    assert set(got) == expect and 400 < len(expect) < 600


def test_decision_wait_eviction_and_late_spans() -> None:
    async def go() -> None:
        h = Harness({"decision_wait": "3s", "num_traces": 3,
                     "policies": [P("s", "status_code", status_codes=["ERROR"])]})
        await h.proc.start(None)  # type: ignore[arg-type]
        await h.proc.consume_traces(request([{"trace": 1, "status": 2}, {"trace": 2}]))
        await h.clock.advance(2.5)
        assert h.sampled() == {}  # not before decision_wait
        await h.proc.consume_traces(request([{"trace": 1}]))  # still buffered
        await h.clock.advance(1.6)
        assert h.sampled() == {1: 2}
        # late spans follow the decision kept in the table
        await h.proc.consume_traces(request([{"trace": 1}, {"trace": 2, "status": 2}]))
        assert h.sampled() == {1: 3}
        assert h.metric("otelcol_processor_tail_sampling_sampling_late_spans_total",
                        sampled="false") == 1
        # num_traces 3: traces 3..5 evict 1, 2, then 3 arrives undecided and is evicted by 6
        await h.proc.consume_traces(request([{"trace": n, "status": 2} for n in (3, 4, 5, 6)]))
        await h.clock.advance(5)
        assert h.sampled() == {1: 3, 4: 1, 5: 1, 6: 1}
        assert h.metric("otelcol_processor_tail_sampling_sampling_trace_dropped_too_early_total"
                        ) == 1
        assert h.metric("otelpy_processor_tail_sampling_dropped_spans_total",
                        reason="evicted_before_decision") == 1
        # trace 1 was evicted: its next span starts a new trace, decided on its own
        await h.proc.consume_traces(request([{"trace": 1}]))
        await h.clock.advance(5)
        assert h.sampled()[1] == 3
        await h.proc.shutdown()
    asyncio.run(go())


def test_decision_caches_and_shutdown() -> None:
    async def go() -> None:
        h = Harness({"decision_wait": "1s", "num_traces": 10,
                     "decision_cache": {"sampled_cache_size": 5, "non_sampled_cache_size": 5},
                     "policies": [P("s", "status_code", status_codes=["ERROR"])]})
        await h.proc.start(None)  # type: ignore[arg-type]
        await h.proc.consume_traces(request([{"trace": 1, "status": 2}, {"trace": 2}]))
        await h.clock.advance(2)
        assert h.proc._table.traces == {}  # type: ignore[attr-defined]  # cached: freed
        await h.proc.consume_traces(request([{"trace": 1}, {"trace": 2, "status": 2}]))
        assert h.sampled() == {1: 2}
        # undecided traces are decided on shutdown with what arrived
        await h.proc.consume_traces(request([{"trace": 7, "status": 2}]))
        await h.proc.shutdown()
        assert h.sampled() == {1: 2, 7: 1}
        out = h.sink.batches[-1].message.resource_spans[0]
        assert out.schema_url == "https://res" and out.scope_spans[0].scope.name == "lib"
        assert out.scope_spans[0].schema_url == "https://scope"
    asyncio.run(go())


@pytest.mark.parametrize(("config", "message"), [
    ({"policies": [P("", "always_sample")]}, "policy name cannot be empty"),
    ({"policies": [P("a", "always_sample"), P("a", "always_sample")]}, "duplicate"),
    ({"policies": [P("n", "numeric_attribute", key="k")]}, "min_value or max_value"),
    ({"policies": [P("s", "status_code")]}, "at least one status code"),
    ({"policies": [P("o", "ottl_condition", span=["name =="])]}, "ottl_condition::span::0"),
], ids=["no-name", "duplicate", "numeric-bounds", "status-codes", "ottl"])
def test_config_problems(config: dict[str, Any], message: str) -> None:
    cfg = factory.config_type.model_validate(config)
    assert any(message in p for p in cfg.validate_config())  # type: ignore[attr-defined]


def test_long_traces_are_held_packed_and_leave_byte_for_byte() -> None:
    """Spans of a trace arriving together are kept compressed; the sampled output holds
    exactly the spans that came in, late ones included, under their resource and scope."""
    spans = [{"trace": 1, "status": 2 if i == 7 else 0, "attrs": {"pad": "p" * 80, "i": i}}
             for i in range(30)] + [{"trace": 2, "attrs": {"pad": "q" * 80}}] * 20

    async def go() -> None:
        h = Harness({"decision_wait": "1s",
                     "policies": [P("s", "status_code", status_codes=["ERROR"])]})
        await h.proc.start(None)  # type: ignore[arg-type]
        batch = request(spans)
        sent = list(batch.message.resource_spans[0].scope_spans[0].spans)
        await h.proc.consume_traces(batch)
        trace = h.proc._table.traces[tid(1)]  # type: ignore[attr-defined]
        assert trace.runs[0][1][0][0] == 0  # held packed
        await h.clock.advance(2)
        late = request([{"trace": 1, "name": "late"}])
        await h.proc.consume_traces(late)
        await h.proc.shutdown()
        got = [s for b in h.sink.batches for rs in b.message.resource_spans
               for ss in rs.scope_spans for s in ss.spans]
        assert got == sent[:30] + list(late.message.resource_spans[0].scope_spans[0].spans)
        out = h.sink.batches[0].message.resource_spans[0]
        assert Attributes(out.resource.attributes) == {"service.name": "svc"}
        assert out.scope_spans[0].scope.name == "lib"
        assert h.metric("otelpy_processor_tail_sampling_dropped_spans_total",
                        reason="not_sampled") == 20
    asyncio.run(go())


def test_bytes_limiting_counts_the_trace_as_one_request() -> None:
    """trace_size is the protobuf size of the trace's spans as one request, packed or not."""
    from otelpy.pdata.spanframes import by_trace
    from otelpy.processors.tail_sampling.policies import trace_size
    from otelpy.processors.tail_sampling.store import Groups, Trace

    groups, trace = Groups(), Trace(tid(1), 0.0)
    expected = ExportTraceServiceRequest()
    for n, resource in ((3, {"service.name": "a"}), (40, {"service.name": "b"}),
                        (2, {"service.name": "a"})):
        batch = request([{"trace": 1, "attrs": {"pad": "x" * 50}}] * n, resource)
        for envelope, runs in by_trace(batch.data):
            trace.add(groups.get(envelope), runs[0].frames, runs[0].spans)
        expected.MergeFrom(batch.message)
    assert len(trace.runs) == 3 and trace.buffered == 45
    # one ResourceSpans per distinct resource, one ScopeSpans per distinct scope in it
    merged = ExportTraceServiceRequest()
    for rs in expected.resource_spans:
        same = [r for r in merged.resource_spans if r.resource == rs.resource]
        if same:
            same[0].scope_spans[0].spans.extend(rs.scope_spans[0].spans)
        else:
            merged.resource_spans.add().CopyFrom(rs)
    assert len(merged.resource_spans) == 2
    assert trace_size(trace) == merged.ByteSize()


def _varint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    return bytes(out + bytes([n]))


def test_a_span_that_does_not_decode_fails_only_the_policies_reading_it() -> None:
    """Values nested past protobuf's recursion limit pass the receiver's framing check;
    a policy that needs the decoded span fails (counted) and the others still decide."""
    value = b""
    for _ in range(150):  # AnyValue{array_value: ArrayValue{values: [...]}}
        inner = b"\x0a" + _varint(len(value)) + value
        value = b"\x2a" + _varint(len(inner)) + inner
    kv = b"\x0a\x04deep\x12" + _varint(len(value)) + value
    good = request([{"trace": 1, "status": 2}])
    span = good.message.resource_spans[0].scope_spans[0].spans[0].SerializeToString()
    span += b"\x4a" + _varint(len(kv)) + kv  # attributes, field 9
    from otelpy.pdata.spanframes import Envelope, encode_request

    data = encode_request([(Envelope(b"", "", b"", ""), [b"\x12" + _varint(len(span)) + span])])
    batch = Batch.from_bytes(Signal.TRACES, data)

    async def go() -> None:
        h = Harness({"decision_wait": "1s", "policies": [
            P("s", "string_attribute", key="deep", values=["x"]),
            P("e", "status_code", status_codes=["ERROR"])]})
        await h.proc.start(None)  # type: ignore[arg-type]
        await h.proc.consume_traces(batch)
        await h.clock.advance(2)
        await h.proc.shutdown()
        assert [b.item_count for b in h.sink.batches] == [1]
        assert h.sink.batches[0].data == data  # forwarded as it came
        assert h.metric(
            "otelcol_processor_tail_sampling_sampling_policy_evaluation_error_total") == 1
    asyncio.run(go())
