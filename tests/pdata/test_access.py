"""The pdata access layer: values both ways, attributes as a mapping, item walks, removal,
builders, IDs and timestamps."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from otelpy.component import Signal
from otelpy.pdata import Batch
from otelpy.pdata import items as it
from otelpy.pdata.build import RequestBuilder
from otelpy.pdata.ids import (
    datetime_of,
    hex_id,
    id_from_hex,
    is_valid_id,
    nanos_of,
    trace_id_from_int,
    trace_id_to_int,
)
from otelpy.pdata.values import (
    INT64_MAX,
    INT64_MIN,
    Attributes,
    Value,
    set_value,
    to_value,
    value_of,
)
from otelpy.testing.samples import logs_request, metrics_request, traces_request

# -- values ---------------------------------------------------------------------------------
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(INT64_MIN, INT64_MAX),
    st.floats(allow_nan=False), st.text(), st.binary(),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)),
    max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(VALUES)
def test_value_round_trips_through_anyvalue_and_the_wire(value: Value) -> None:
    wire = value_of(value).SerializeToString()
    assert to_value(AnyValue.FromString(wire)) == value


@pytest.mark.parametrize(("value", "field"), [
    (True, "bool_value"), (0, "int_value"), (-1, "int_value"), (1.5, "double_value"),
    ("", "string_value"), (b"", "bytes_value"), ([], "array_value"), ({}, "kvlist_value"),
], ids=["bool", "zero", "negative", "double", "empty-string", "empty-bytes", "empty-list",
        "empty-map"])
def test_each_python_type_picks_its_anyvalue_field(value: Value, field: str) -> None:
    assert value_of(value).WhichOneof("value") == field


def test_none_is_the_empty_anyvalue_and_nan_survives() -> None:
    assert value_of(None).WhichOneof("value") is None
    assert math.isnan(to_value(value_of(math.nan)))  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [2**63, INT64_MIN - 1], ids=["over", "under"])
def test_int_outside_64_bits_is_refused(value: int) -> None:
    with pytest.raises(OverflowError):
        set_value(AnyValue(), value)


def test_value_without_anyvalue_form_is_refused() -> None:
    with pytest.raises(TypeError, match="object"):
        set_value(AnyValue(), object())  # type: ignore[arg-type]


# -- attributes -----------------------------------------------------------------------------
def _span(**attrs: str) -> Span:
    return Span(attributes=[KeyValue(key=k, value=AnyValue(string_value=v))
                            for k, v in attrs.items()])


def test_attributes_set_replaces_in_place_and_appends_new_keys() -> None:
    span = _span(a="1", b="2")
    attrs = Attributes(span.attributes)
    attrs["a"] = 10
    attrs["c"] = [1, "x"]
    assert [kv.key for kv in span.attributes] == ["a", "b", "c"]
    assert attrs.as_dict() == {"a": 10, "b": "2", "c": [1, "x"]}
    assert span.attributes[0].value.int_value == 10


def test_attributes_delete_contains_len_and_missing_keys() -> None:
    attrs = Attributes(_span(a="1", b="2").attributes)
    del attrs["a"]
    assert "a" not in attrs and "b" in attrs and len(attrs) == 1
    assert attrs.get("a") is None
    with pytest.raises(KeyError):
        del attrs["a"]
    with pytest.raises(KeyError):
        attrs["zzz"]  # noqa: B018


def test_attributes_retain_keeps_listed_keys_in_order() -> None:
    span = _span(a="1", b="2", c="3")
    assert Attributes(span.attributes).retain({"c", "a"}) == 1
    assert [kv.key for kv in span.attributes] == ["a", "c"]
    assert span.attributes[1].value.string_value == "3"


def test_attributes_iteration_survives_deleting_while_iterating() -> None:
    attrs = Attributes(_span(a="1", b="2", c="3").attributes)
    for key in attrs:
        if key != "b":
            del attrs[key]
    assert list(attrs) == ["b"]


# -- walking --------------------------------------------------------------------------------
def test_spans_walk_every_span_with_its_resource_and_scope() -> None:
    request = traces_request(spans=30, seed=3)
    walked = list(it.spans(request))
    assert len(walked) == Batch.from_message(Signal.TRACES, request).item_count == 30
    first = walked[0]
    assert first.resource is request.resource_spans[0]
    assert first.scope is request.resource_spans[0].scope_spans[0]
    assert first.span is request.resource_spans[0].scope_spans[0].spans[0]
    assert "service.name" in first.resource_attributes


def test_changes_through_items_change_the_batch() -> None:
    batch = Batch.from_bytes(Signal.TRACES, traces_request(spans=5).SerializeToString())
    for item in it.spans(batch.mutable_message()):
        item.attributes["seen"] = True
        item.span.name = "renamed"
    again = Batch.from_bytes(Signal.TRACES, batch.data)
    assert {i.span.name for i in it.spans(again.message)} == {"renamed"}
    assert all(i.attributes["seen"] is True for i in it.spans(again.message))


def test_data_points_and_metrics_walks_agree_with_the_batch_count() -> None:
    request = metrics_request(points=40, seed=1)
    points = list(it.data_points(request))
    assert len(points) == Batch.from_message(Signal.METRICS, request).item_count
    assert {p.kind for p in points} <= set(it.POINT_KINDS)
    assert all(p.point in getattr(p.metric, p.kind).data_points for p in points)  # type: ignore[arg-type]


def test_log_records_scopes_and_resources_walks() -> None:
    request = logs_request(records=12, seed=2)
    assert len(list(it.log_records(request))) == 12
    assert len(list(it.resources(request))) == len(request.resource_logs)
    assert len(list(it.scopes(request))) == sum(len(r.scope_logs) for r in request.resource_logs)


# -- removing -------------------------------------------------------------------------------
def test_retain_spans_removes_and_prunes_empty_envelopes() -> None:
    request = traces_request(spans=20, seed=5)
    keep_name = next(it.spans(request)).span.name
    expected = sum(1 for i in it.spans(request) if i.span.name != keep_name)
    removed = it.retain_spans(request, lambda i: i.span.name == keep_name)
    assert removed == expected
    assert {i.span.name for i in it.spans(request)} == {keep_name}
    assert all(len(s.spans) for r in request.resource_spans for s in r.scope_spans)
    assert it.retain_spans(request, lambda i: False) == 20 - expected
    assert len(request.resource_spans) == 0


def test_retain_data_points_drops_metrics_left_empty() -> None:
    request = metrics_request(points=30, seed=4)
    total = len(list(it.data_points(request)))
    removed = it.retain_data_points(request, lambda p: p.kind == "histogram")
    remaining = list(it.data_points(request))
    assert removed + len(remaining) == total
    assert {p.kind for p in remaining} == {"histogram"}
    assert {m.kind for m in it.metrics(request)} == {"histogram"}


def test_retain_metrics_counts_removed_points() -> None:
    request = metrics_request(points=30, seed=4)
    total = len(list(it.data_points(request)))
    kept = sum(1 for p in it.data_points(request) if p.kind == "sum")
    assert it.retain_metrics(request, lambda m: m.kind == "sum") == total - kept


def test_retain_log_records_on_an_empty_request() -> None:
    assert it.retain_log_records(ExportLogsServiceRequest(), lambda i: False) == 0


# -- building -------------------------------------------------------------------------------
def test_builder_groups_by_resource_and_scope_in_first_seen_order() -> None:
    builder = RequestBuilder(Signal.LOGS)
    assert not builder
    for service, scope in [("a", "s1"), ("b", "s1"), ("a", "s2"), ("a", "s1")]:
        envelope = builder.scope({"service.name": service}, scope, "1.0")
        envelope.log_records.add(body=value_of(f"{service}/{scope}"))
    batch = builder.batch()
    request = Batch.from_bytes(Signal.LOGS, batch.data).message
    layout = [(Attributes(r.resource.attributes)["service.name"],
               [(s.scope.name, s.scope.version, len(s.log_records)) for s in r.scope_logs])
              for r in request.resource_logs]
    assert layout == [("a", [("s1", "1.0", 2), ("s2", "1.0", 1)]), ("b", [("s1", "1.0", 1)])]
    assert batch.item_count == 4
    assert not builder and builder.batch().item_count == 0


# -- IDs and time ---------------------------------------------------------------------------
def test_ids_hex_both_cases_and_validity() -> None:
    raw = bytes.fromhex("5b8efff798038103d269b633813fc60c")
    assert hex_id(raw) == "5b8efff798038103d269b633813fc60c"
    assert id_from_hex("5B8EFFF798038103D269B633813FC60C", 16) == raw
    assert trace_id_from_int(trace_id_to_int(raw)) == raw
    assert is_valid_id(raw, 16) and not is_valid_id(bytes(16), 16) and not is_valid_id(raw, 8)
    for bad in ("5b8e", "zz" * 16):
        with pytest.raises(ValueError):
            id_from_hex(bad, 16)


def test_timestamps_both_ways() -> None:
    moment = datetime(2026, 12, 4, 17, 0, 0, 123456, tzinfo=UTC)
    nanos = nanos_of(moment)
    assert nanos == 1796403600123456000
    assert datetime_of(nanos + 789) == moment
    assert nanos_of(1.5) == 1_500_000_000
    with pytest.raises(ValueError, match="naive"):
        nanos_of(datetime(2026, 1, 1))  # noqa: DTZ001
