"""Decision vectors of the probabilistic_sampler.

Cases marked "Collector" are taken from the Collector's own tests
(open-telemetry/opentelemetry-collector-contrib, processor/probabilisticsamplerprocessor:
``tracesprocessor_test.go`` Test_tracesamplerprocessor_TraceState, TestHashingFunction,
Test_tracesamplerprocessor_HashSeedTraceState, Test_parseSpanSamplingPriority,
TestEmptyHashFunction;
``logsprocessor_test.go`` TestLogsSamplingState). The others are computed here from the
documented algorithm (FNV-1a with the seed's little-endian bytes; W3C randomness = the last
7 bytes of the trace ID; threshold <= randomness samples).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.pdata import Batch
from otelpy.pdata.values import Attributes
from otelpy.processors.probabilistic_sampler import factory
from otelpy.processors.probabilistic_sampler import threshold as th
from otelpy.telemetry import Telemetry
from otelpy.testing.sink import SinkConsumer

DEFAULT_TID = "fefefefefefefefefe80000000000000"  # randomness 0x80000000000000 (Collector)
IMPROBABLE_TID = "111111111111111111ffffffffffffff"  # sampled at every probability (Collector)


def make(config: dict[str, Any], signal: Signal) -> tuple[Any, SinkConsumer, Telemetry]:
    cfg = factory.config_type.model_validate(config)
    assert cfg.validate_config() == []  # type: ignore[attr-defined]
    sink, telemetry = SinkConsumer(), Telemetry()
    settings = Settings(ComponentID("probabilistic_sampler"), Kind.PROCESSOR,
                        logging.getLogger("test.ps"), telemetry)
    return factory.create(settings, cfg, signal, sink), sink, telemetry


def one_span(tid: str, tracestate: str = "", attrs: dict[str, Any] | None = None) -> Any:
    req = ExportTraceServiceRequest()
    span = req.resource_spans.add().scope_spans.add().spans.add(
        trace_id=bytes.fromhex(tid), span_id=bytes.fromhex("00000000fefefefe"),
        name="s", trace_state=tracestate)
    for k, v in (attrs or {}).items():
        Attributes(span.attributes)[k] = v
    return req


def run_span(config: dict[str, Any], tid: str, tracestate: str = "",
             attrs: dict[str, Any] | None = None) -> str | None:
    """The span's tracestate after sampling, or None when it was dropped."""
    proc, sink, _ = make(config, Signal.TRACES)
    batch = Batch.from_bytes(Signal.TRACES, one_span(tid, tracestate, attrs).SerializeToString())
    asyncio.run(proc.consume_traces(batch))
    if not sink.batches:
        return None
    spans = [s for rs in sink.batches[0].message.resource_spans
             for ss in rs.scope_spans for s in ss.spans]
    assert len(spans) == 1
    return str(spans[0].trace_state)


# (name, config, tid, incoming tracestate, {mode: expected tracestate or None (dropped)})
BOTH = ("equalizing", "proportional")
TRACESTATE_CASES = [  # Collector: Test_tracesamplerprocessor_TraceState
    ("100 percent", {"sampling_percentage": 100}, None, "", dict.fromkeys(BOTH, "ot=th:0")),
    ("50 percent sampled", {"sampling_percentage": 50}, None, "", dict.fromkeys(BOTH, "ot=th:8")),
    ("25 percent sampled", {"sampling_percentage": 25}, "ddddddddddddddddddc0000000000000", "",
     dict.fromkeys(BOTH, "ot=th:c")),
    ("25 percent unsampled", {"sampling_percentage": 25}, "ddddddddddddddddddb0000000000000",
     "", dict.fromkeys(BOTH)),
    ("1 percent sampled", {"sampling_percentage": 1, "sampling_precision": 14}, None,
     "ot=rv:FD70A3D70A3D71", dict.fromkeys(BOTH, "ot=rv:FD70A3D70A3D71;th:fd70a3d70a3d71")),
    ("1 percent rvalue precision 4", {"sampling_percentage": 1, "sampling_precision": 4}, None,
     "ot=rv:FD70A3D70A3D71", dict.fromkeys(BOTH, "ot=rv:FD70A3D70A3D71;th:fd70a")),
    ("1 percent rvalue precision 3", {"sampling_percentage": 1, "sampling_precision": 3}, None,
     "ot=rv:FD70A3D70A3D71", dict.fromkeys(BOTH)),
    ("1 percent not sampled with rvalue", {"sampling_percentage": 1}, None,
     "ot=rv:FD70A3D70A3D70", dict.fromkeys(BOTH)),
    ("49 percent not sampled", {"sampling_percentage": 49}, None, "", dict.fromkeys(BOTH)),
    ("1 percent sampled with tid", {"sampling_percentage": 1, "sampling_precision": 4},
     "a0a0a0a0a0a0a0a0a0fe000000000000", "", dict.fromkeys(BOTH, "ot=th:fd70a")),
    ("incoming 50 percent with rvalue", {"sampling_percentage": 50}, None,
     "ot=rv:90000000000000;th:80000000000000",
     {"equalizing": "ot=rv:90000000000000;th:8", "proportional": None}),
    ("incoming 50 at 25 not sampled", {"sampling_percentage": 25}, None, "ot=th:8",
     dict.fromkeys(BOTH)),
    ("incoming 50 at 25 sampled", {"sampling_percentage": 25},
     "ffffffffffffffffffffffffffffffff", "ot=th:8",
     {"equalizing": "ot=th:c", "proportional": "ot=th:e"}),
    ("equalizing vs proportional", {"sampling_percentage": 50}, None,
     "ot=rv:c0000000000000;th:8",
     {"equalizing": "ot=rv:c0000000000000;th:8", "proportional": "ot=rv:c0000000000000;th:c"}),
    ("inconsistent arriving threshold", {"sampling_percentage": 100, "fail_closed": False},
     None, "ot=rv:40000000000000;th:8", dict.fromkeys(BOTH, "ot=rv:40000000000000;th:0")),
    ("inconsistent threshold fail closed", {"sampling_percentage": 1}, None,
     "ot=rv:40000000000000;th:8", dict.fromkeys(BOTH)),
    ("40 percent precision 3 rvalue", {"sampling_percentage": 40, "sampling_precision": 3},
     None, "ot=rv:a0000000000000", dict.fromkeys(BOTH, "ot=rv:a0000000000000;th:99a")),
    ("arriving 50 at 40 precision 6", {"sampling_percentage": 40, "sampling_precision": 6},
     "a0a0a0a0a0a0a0a0a0d0000000000000", "ot=th:8",
     {"equalizing": "ot=th:99999a", "proportional": "ot=th:cccccd"}),
    ("arriving 50 at 40 partly", {"sampling_percentage": 40, "sampling_precision": 3},
     "a0a0a0a0a0a0a0a0a0b0000000000000", "ot=th:8",
     {"equalizing": "ot=th:99a", "proportional": None}),
    ("arriving 50 at 40 not sampled", {"sampling_percentage": 40, "sampling_precision": 3},
     "a0a0a0a0a0a0a0a0a080000000000000", "ot=th:8", dict.fromkeys(BOTH)),
    ("200 percent", {"sampling_percentage": 200}, None, "", dict.fromkeys(BOTH, "ot=th:0")),
    ("tiny probability rounding", {"sampling_percentage": 100 * 2**-14}, IMPROBABLE_TID,
     "ot=th:fffc", {"equalizing": "ot=th:fffc", "proportional": "ot=th:fffffff"}),
    ("almost 100pct", {"sampling_percentage": (1 - 8e-7) * 100, "sampling_precision": 10},
     IMPROBABLE_TID, "", dict.fromkeys(BOTH, "ot=th:00000cccccccd")),
    ("probability underflow", {"sampling_percentage": 2**-4}, IMPROBABLE_TID,
     "ot=th:fffffffffffff8", {"equalizing": "ot=th:fffffffffffff8", "proportional": None}),
    # computed here: other vendors' members are kept after ot=
    ("1 percent sampled with rvalue", {"sampling_percentage": 1}, None, "ot=rv:fd70B000000000",
     dict.fromkeys(BOTH, "ot=rv:fd70B000000000;th:fd70a3d70a3d71")),
    ("other members kept", {"sampling_percentage": 50}, None, "congo=t61rcWkgMzE,ot=th:0",
     dict.fromkeys(BOTH, "ot=th:8,congo=t61rcWkgMzE")),
    ("invalid tracestate fails closed", {"sampling_percentage": 100}, None, "ot=th:-1",
     dict.fromkeys(BOTH)),
    ("r-value too long fails closed", {"sampling_percentage": 100}, None,
     "ot=rv:abababababababab", dict.fromkeys(BOTH)),
]


@pytest.mark.parametrize("mode", BOTH)
@pytest.mark.parametrize(("name", "config", "tid", "ts", "expect"), TRACESTATE_CASES,
                         ids=[c[0] for c in TRACESTATE_CASES])
def test_consistent_modes(name: str, config: dict[str, Any], tid: str | None, ts: str,
                          expect: dict[str, str | None], mode: str) -> None:
    # the Collector's cases leave SamplingPrecision at Go's zero value: full precision
    config = {"sampling_precision": 14, **config, "mode": mode}
    assert run_span(config, tid or DEFAULT_TID, ts) == expect[mode]


# Collector: TestHashingFunction (seed, trace ID, sampled at 50%), the first 24 of 100
HASHING = [
    (653, "474a03c76d75951a4b4c537ced8f1122", True),
    (563, "53a518291e91307e43cd8467bb06f986", True),
    (142, "a56a02f843b9bc6ee0b13889249e90e6", True),
    (904, "4e40762d3ee97a1c0932e4fa584f89a8", False),
    (445, "5224507db93db513f0ea2a4b4e0578c8", True),
    (38, "0c8717ced36216037af657e9d7f8b35b", True),
    (561, "2a8aa76c18d08e1e8be935541f9318c7", False),
    (757, "9e3d0f9481dc422cb613ea550897ae71", False),
    (22, "66a66c516ac22054673e5da5e6492545", False),
    (172, "84a1ce7bcea3e66194e72b4aa2694e31", True),
    (552, "a811a7def34ca4b98d8e320afd115fad", False),
    (546, "e3a345cc8dbb6f014bfa1edad3981820", True),
    (315, "a71effb50e28d27cbdc9892f3765b8c2", False),
    (510, "55ee665a3fa22f8ea1b744ce15a7339d", False),
    (230, "7a5006be4d0ce7b542d59f83cd6f1c41", False),
    (544, "825b8fb9cfd45867794f4cd8a5a699bd", False),
    (790, "7629ecbea89398bfd9752a2f51c2c137", True),
    (555, "de6cdfb44d69e211f886c57120d7bda0", True),
    (147, "a8a5c3bb9205883fae17ead6675b2450", False),
    (238, "937e6cb3332dbe87062fa3997f48f425", False),
    (122, "5a357e150995e005847816c431ba502d", False),
    (963, "20cb3dcebe2cf8abe6102f4a2e548245", False),
    (141, "1b0afbd09abaaf7996cd26f8f6533795", False),
    (666, "3ee60b013303bcfda06be89071b90bd1", True),
]


@pytest.mark.parametrize(("seed", "tid", "sampled"), HASHING, ids=[h[1][:8] for h in HASHING])
def test_hash_seed_collector_vectors(seed: int, tid: str, sampled: bool) -> None:
    got = run_span({"sampling_percentage": 50, "hash_seed": seed}, tid)
    assert (got is not None) == sampled


def test_hash_seed_writes_rvalue_and_threshold() -> None:
    """hash_seed mode records its 14-bit decision as rv/th (Collector: HashSeedTraceState:
    10% -> th:e668, 33.3% -> th:aaac); rv is computed from the documented bit layout."""
    for pct, tvalue in [(100, "0"),
    (75, "4"),
    (50, "8"),
    (25, "c"),
    (10, "e668"),
                        (100 / 3, "aaac")]:
        seen = 0
        for i in range(400):
            tid = hashlib.sha256(f"h{i}".encode()).hexdigest()[:32]
            ts = run_span({"sampling_percentage": pct, "hash_seed": 4312, "mode": "hash_seed"},
                          tid)
            if ts is None:
                continue
            rnd = th.hashed_randomness(bytes.fromhex(tid), 4312)
            assert ts == f"ot=rv:{rnd:014x};th:{tvalue}"
            assert th.tvalue_to_threshold(tvalue) <= rnd
            seen += 1
        assert seen >= 10


def test_empty_hash_function() -> None:  # Collector: TestEmptyHashFunction
    assert th.fnv32a(b"", 0) & 0x3FFF == 0x3515
    assert th.fnv32a(bytes(16), 0) & 0x3FFF == 0x2455


PRIORITY = [  # Collector: Test_tracesamplerprocessor_SpanSamplingPriority (all modes)
    ("must_sample", 0, 2, True), ("must_sample_double", 0, 1.0, True),
    ("must_sample_string", 0, "1", True), ("must_not_sample", 100, 0, False),
    ("must_not_sample_double", 100, 0.0, False), ("must_not_sample_string", 100, "0", False),
    ("negative defers", 100, -1, True), ("NaN defers", 0, "NaN", False),
]


@pytest.mark.parametrize("mode", ["hash_seed", *BOTH])
@pytest.mark.parametrize(("name", "pct", "value", "sampled"), PRIORITY,
                         ids=[p[0] for p in PRIORITY])
def test_sampling_priority(name: str, pct: float, value: Any, sampled: bool, mode: str) -> None:
    tid = "01000000000000000000000000000000"  # W3C randomness 0: sampled only at 100%
    got = run_span({"sampling_percentage": pct, "mode": mode, "hash_seed": 4312}, tid,
                   attrs={"sampling.priority": value})
    assert (got is not None) == sampled


@pytest.mark.parametrize("mode", ["hash_seed", *BOTH])
@pytest.mark.parametrize(("pct", "fail_closed", "sampled"), [
    (0, True, False), (62, True, False), (100, True, False),
    (0, False, False), (62, False, True), (100, False, True)])
def test_missing_randomness(pct: float, fail_closed: bool, sampled: bool, mode: str) -> None:
    """Collector: Test_tracessamplerprocessor_MissingRandomness (all-zero trace ID)."""
    got = run_span({"sampling_percentage": pct, "fail_closed": fail_closed, "mode": mode,
                    "hash_seed": 4312}, "0" * 32)
    assert (got is not None) == sampled


def run_record(config: dict[str, Any], tid: str, attrs: dict[str, Any]) -> dict[str, Any] | None:
    proc, sink, _ = make(config, Signal.LOGS)
    req = ExportLogsServiceRequest()
    rec = req.resource_logs.add().scope_logs.add().log_records.add(trace_id=bytes.fromhex(tid))
    for k, v in attrs.items():
        Attributes(rec.attributes)[k] = v
    asyncio.run(proc.consume_logs(Batch.from_bytes(Signal.LOGS, req.SerializeToString())))
    if not sink.batches:
        return None
    out = sink.batches[0].message.resource_logs[0].scope_logs[0].log_records[0]
    return dict(Attributes(out.attributes).items())


LOG_CASES = [  # Collector: TestLogsSamplingState
    ("100 percent traceID", {"sampling_percentage": 100, "mode": "proportional"}, DEFAULT_TID,
     {"ignored": "value"}, {"sampling.threshold": "0", "ignored": "value"}),
    ("100 percent traceID hash_seed", {"sampling_percentage": 100, "hash_seed": 22},
     DEFAULT_TID, {"K": "V"}, {"K": "V", "sampling.threshold": "0", "sampling.randomness":
                               f"{th.hashed_randomness(bytes.fromhex(DEFAULT_TID), 22):014x}"}),
    ("100 percent attribute", {"sampling_percentage": 100, "attribute_source": "record",
                               "from_attribute": "veryrandom", "hash_seed": 49},
     DEFAULT_TID, {"veryrandom": "1234"},
     {"sampling.threshold": "0", "veryrandom": "1234",
      "sampling.randomness": f"{th.hashed_randomness(b'1234', 49):014x}"}),
    ("0 percent traceID", {"sampling_percentage": 0}, DEFAULT_TID, {}, None),
    ("10 percent priority incoming randomness",
     {"sampling_percentage": 0, "sampling_priority": "veryrandom", "sampling_precision": 6},
     DEFAULT_TID, {"sampling.randomness": "e6147c00000000", "veryrandom": 10.125},
     {"sampling.randomness": "e6147c00000000", "sampling.threshold": "e6147b",
      "veryrandom": 10.125}),
    ("25 percent incoming", {"sampling_percentage": 50, "mode": "proportional"},
     "fefefefefefefefefef0000000000000", {"sampling.threshold": "c"},
     {"sampling.threshold": "e"}),
    ("25 percent arriving inconsistent", {"sampling_percentage": 50, "mode": "equalizing"},
     "fefefefefefefefefeb0000000000000", {"sampling.threshold": "c"}, None),
    ("25 percent arriving equalizing", {"sampling_percentage": 50, "mode": "equalizing",
                                        "sampling_priority": "prio"},
     "fefefefefefefefefefefefefefefefe", {"sampling.threshold": "c", "prio": 37},
     {"sampling.threshold": "c", "prio": 37}),
    ("hash_seed with spec randomness", {"sampling_percentage": 100, "mode": "hash_seed",
                                        "fail_closed": False},
     DEFAULT_TID, {"sampling.randomness": "f2341234123412"},
     {"sampling.randomness": "f2341234123412"}),
]


@pytest.mark.parametrize(("name", "config", "tid", "attrs", "expect"), LOG_CASES,
                         ids=[c[0] for c in LOG_CASES])
def test_log_records(name: str, config: dict[str, Any], tid: str, attrs: dict[str, Any],
                     expect: dict[str, Any] | None) -> None:
    assert run_record(config, tid, attrs) == expect
