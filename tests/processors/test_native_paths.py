"""The transform and filter processors with their C path (otelpy.ottl.native) against the
same processors made to run the general path: generated statements and conditions, each
error_mode, the same forwarded request (or none), item count and drop counter. Which
configs take the C path, and a malformed request refused as before."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.errors import PermanentError
from otelpy.pdata import Batch
from otelpy.registry import load_registry
from otelpy.telemetry import Telemetry
from otelpy.testing.sink import SinkConsumer
from tests.fuzz.conftest import budget
from tests.ottl.test_native_ops import (
    BENCHMARK,
    BENCHMARK_FILTER,
    _request,
    build,
    conditions,
    statements,
)

REGISTRY = load_registry(include_plugins=False)
FILTERED = "otelcol_processor_filter_spans_filtered_total"


def create(type_: str, config: dict[str, Any], native: bool) -> tuple[Any, SinkConsumer,
                                                                     Telemetry]:
    factory = REGISTRY.get(Kind.PROCESSOR, type_)
    assert factory is not None
    cfg = factory.config_type.model_validate(config)
    sink, telemetry = SinkConsumer(), Telemetry()
    settings = Settings(ComponentID(type_), Kind.PROCESSOR, logging.getLogger("test"),
                        telemetry)
    processor = factory.create(settings, cfg, Signal.TRACES, sink)
    if not native:
        processor._native = None  # the general path, as for a config that does not map
    return processor, sink, telemetry


def through(type_: str, config: dict[str, Any], data: bytes, native: bool) -> tuple[Any, ...]:
    processor, sink, telemetry = create(type_, config, native)
    asyncio.run(processor.consume_traces(Batch.from_bytes(Signal.TRACES, data)))
    if not sink.batches:
        return None, 0, telemetry.value(FILTERED, {"processor": type_})
    out = sink.batches[0]
    return out.message, out.item_count, telemetry.value(FILTERED, {"processor": type_})


@budget(60)
@given(resources=_request, stmts=st.lists(statements(), min_size=1, max_size=4),
       conds=st.lists(conditions(), min_size=1, max_size=3),
       mode=st.sampled_from(["ignore", "silent", "propagate"]))
def test_processors_agree_on_both_paths(resources: list[Any], stmts: list[str],
                                        conds: list[str], mode: str) -> None:
    data = build(resources).SerializeToString()
    transform = {"error_mode": mode,
                 "trace_statements": [{"context": "span", "statements": stmts}]}
    filter_ = {"error_mode": mode, "traces": {"span": conds}}
    assert create("transform", transform, True)[0]._native is not None
    assert create("filter", filter_, True)[0]._native is not None
    edited = [through("transform", transform, data, native) for native in (True, False)]
    assert edited[0] == edited[1]
    if edited[0][0] is None:
        return
    after = edited[0][0].SerializeToString()
    assert through("filter", filter_, after, True) == through("filter", filter_, after, False)


def test_which_configs_take_the_c_path() -> None:
    assert create("transform", {"trace_statements": BENCHMARK}, True)[0]._native is not None
    assert create("filter", {"traces": {"span": BENCHMARK_FILTER}}, True)[0]._native is not None
    grouped = {"trace_statements": [{"context": "span", "statements": BENCHMARK[:2],
                                     "conditions": ['name != "x"']}]}
    assert create("transform", grouped, True)[0]._native is not None
    for config in ({"trace_statements": BENCHMARK + ['set(name, "x")']},
                   {"trace_statements": ['set(resource.attributes["a"], "b")']},
                   {"trace_statements": [{"context": "spanevent",
                                          "statements": ['set(attributes["a"], "b")']}]}):
        assert create("transform", config, True)[0]._native is None, config
    for config in ({"traces": {"span": BENCHMARK_FILTER,
                               "spanevent": ['name == "x"']}},
                   {"traces": {"span": ['kind == SPAN_KIND_CLIENT']}},
                   {"spans": {"exclude": {"match_type": "strict", "span_names": ["x"]}}}):
        assert create("filter", config, True)[0]._native is None, config


def test_the_filter_drops_everything_and_forwards_nothing() -> None:
    data = build([([], [[("OPTIONS /", [], None, "")]])]).SerializeToString()
    assert through("filter", {"traces": {"span": BENCHMARK_FILTER}}, data, True) == (
        None, 0, 1.0)


def test_a_malformed_request_is_refused_as_before() -> None:
    data = build([([], [[("GET /", [("http.route", "/x")], None, "")]])]).SerializeToString()
    bad = data.replace(b"/x", b"\xc0\x80")  # not UTF-8: protobuf refuses it
    for type_, config in (("transform", {"trace_statements": BENCHMARK}),
                          ("filter", {"traces": {"span": BENCHMARK_FILTER}})):
        processor, sink, _ = create(type_, config, True)
        with pytest.raises(PermanentError, match="malformed"):
            asyncio.run(processor.consume_traces(Batch(Signal.TRACES, bad, count=1)))
        assert not sink.batches
