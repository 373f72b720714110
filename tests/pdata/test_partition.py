"""Splitting requests by a key per resource, scope, item or data point."""

from __future__ import annotations

from otelpy.component import Signal
from otelpy.pdata import items
from otelpy.pdata.build import RequestBuilder
from otelpy.pdata.partition import partition


def traces() -> object:
    builder = RequestBuilder(Signal.TRACES)
    for service in ("a", "b"):
        for scope in ("s1", "s2"):
            spans = builder.scope({"service.name": service}, scope).spans
            for i in range(3):
                spans.add(name=f"{service}.{scope}.{i}")
    return builder.batch().message


def names(request: object) -> list[str]:
    return [i.span.name for i in items.spans(request)]


def test_one_key_means_forward_the_original() -> None:
    request = traces()
    assert partition(request, "span", lambda i: "x") == {"x": None}
    assert partition(type(request)(), "span", lambda i: "x") == {}


def test_spans_split_under_copies_of_their_envelopes_in_order() -> None:
    request = traces()
    before = request.SerializeToString()
    parts = partition(request, "span", lambda i: int(i.span.name[-1]) % 2)
    assert request.SerializeToString() == before  # the input is untouched
    assert names(parts[0]) == ["a.s1.0", "a.s1.2", "a.s2.0", "a.s2.2", "b.s1.0", "b.s1.2",
                               "b.s2.0", "b.s2.2"]
    assert names(parts[1]) == ["a.s1.1", "a.s2.1", "b.s1.1", "b.s2.1"]
    assert [(dict(r.resource_attributes), [s.scope.name for s in r.resource.scope_spans])
            for r in items.resources(parts[1])] == [({"service.name": "a"}, ["s1", "s2"]),
                                                    ({"service.name": "b"}, ["s1", "s2"])]


def test_resources_and_scopes_move_whole() -> None:
    request = traces()
    by_res = partition(request, "resource", lambda r: r.resource_attributes["service.name"])
    assert names(by_res["b"]) == [n for n in names(request) if n.startswith("b.")]
    by_scope = partition(request, "scope", lambda s: s.scope.scope.name)
    assert names(by_scope["s2"]) == ["a.s2.0", "a.s2.1", "a.s2.2", "b.s2.0", "b.s2.1", "b.s2.2"]


def test_data_points_keep_their_metric_fields() -> None:
    builder = RequestBuilder(Signal.METRICS)
    metric = builder.scope({}, "s").metrics.add(name="h", description="d", unit="ms")
    metric.histogram.aggregation_temporality = 1
    for i in range(4):
        metric.histogram.data_points.add(count=i, explicit_bounds=[1.0])
    parts = partition(builder.batch().message, "datapoint", lambda p: p.point.count > 1)
    for flag, counts in ((False, [0, 1]), (True, [2, 3])):
        [m] = [i.metric for i in items.metrics(parts[flag])]
        assert (m.name, m.description, m.unit, m.histogram.aggregation_temporality) == (
            "h", "d", "ms", 1)
        assert [p.count for p in m.histogram.data_points] == counts
