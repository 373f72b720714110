"""The series store: accumulation rules, labels, bounds, expiration (with a fake clock)."""

from __future__ import annotations

from typing import Any

from otelpy.prometheus import SeriesStore, StoreSettings
from otelpy.prometheus.series import ExpHistogramSeries, HistogramSeries, NumberSeries
from otelpy.testing.metrics import CUMULATIVE, DELTA, request

SCOPE = 'otel_scope_name="scope",otel_scope_schema_url="",otel_scope_version="1"'
BASE = f'instance="i-1",job="svc",{SCOPE}'


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _store(**kw: Any) -> tuple[SeriesStore, Clock]:
    clock = Clock()
    return SeriesStore(StoreSettings(**kw), clock=clock), clock


def _only(store: SeriesStore, name: str) -> Any:
    (series,) = store.families[name].series.values()
    return series


def test_delta_sum_accumulates_when_aligned() -> None:
    store, _ = _store()
    store.accumulate(request("sum", points=[{"as_int": 3, "start_time_unix_nano": 10,
                                             "time_unix_nano": 20}], temporality=DELTA))
    store.accumulate(request("sum", points=[{"as_int": 4, "start_time_unix_nano": 20,
                                             "time_unix_nano": 30}], temporality=DELTA))
    s = _only(store, "m_total")
    assert (s.value, s.start, s.ts) == (7, 10, 30)
    # a later, misaligned start is a restart: the value is replaced
    store.accumulate(request("sum", points=[{"as_int": 1, "start_time_unix_nano": 35,
                                             "time_unix_nano": 40}], temporality=DELTA))
    assert (s.value, s.start) == (1, 35)


def test_refusals_are_counted() -> None:
    store, _ = _store()
    store.accumulate(request("sum", points=[{"as_double": 1.0, "time_unix_nano": 50}]))
    store.accumulate(request("sum", points=[{"as_double": 2.0, "time_unix_nano": 40}]))
    store.accumulate(request("sum", monotonic=False, temporality=DELTA))
    store.accumulate(request("sum", temporality=0))
    assert _only(store, "m_total").value == 1.0
    assert dict(store.refused) == {"out_of_order": 1, "delta_non_monotonic": 1,
                                   "unspecified_temporality": 1}
    # a gauge or histogram translating to the counter's name cannot join its family
    store.accumulate(request("gauge", name="m_total"))
    store.accumulate(request("histogram", name="m.total", temporality=CUMULATIVE))
    assert store.refused["type_conflict"] == 2


def test_no_recorded_value_removes_the_series() -> None:
    store, _ = _store()
    store.accumulate(request("gauge", points=[{"as_double": 1.0}]))
    assert store.series_count == 1
    store.accumulate(request("gauge", points=[{"as_double": 1.0, "flags": 1}]))
    assert store.series_count == 0 and store.refused["no_recorded_value"] == 1


def test_labels_precedence_and_collisions() -> None:
    store, _ = _store(const_labels=(("env", "prod"),), resource_to_telemetry=True)
    store.accumulate(request("gauge", points=[{"as_double": 1.0, "attrs": {
        "a.b": "1", "a_b": "2", "host.name": "mine", "env": "attr", "n": 2.5, "t": True}}]))
    labels = _only(store, "m").labels
    assert labels == ('{a_b="1;2",env="prod",host_name="mine",instance="i-1",job="svc",n="2.5",'
                      f'{SCOPE},service_instance_id="i-1",service_name="svc",t="true"}}')


def test_without_scope_info_and_escaping() -> None:
    store, _ = _store(without_scope_info=True)
    store.accumulate(request("gauge", points=[{"as_double": 1.0,
                                               "attrs": {"q": 'say "hi"\\\n'}}]))
    assert _only(store, "m").labels == '{instance="i-1",job="svc",q="say \\"hi\\"\\\\\\n"}'


def test_target_info_per_resource() -> None:
    store, _ = _store()
    store.accumulate(request("gauge", resource={"service.name": "s", "service.namespace": "ns",
                                                "service.instance.id": "i", "k8s.pod": "p"}))
    store.accumulate(request("gauge", name="other", resource={"service.name": "alone"}))
    assert list(store.targets) == ['{instance="i",job="ns/s",k8s_pod="p"}']


def test_series_limit_and_expiration() -> None:
    store, clock = _store(max_series=2, expiration=60.0)
    points = [{"as_double": float(i), "attrs": {"i": i}} for i in range(3)]
    store.accumulate(request("gauge", points=points))
    assert store.series_count == 2 and store.refused["series_limit"] == 1
    clock.now += 30
    store.accumulate(request("gauge", points=[points[0]]))
    clock.now += 31
    (family,) = store.live()
    assert [s.labels for s in family.series.values()] == [f'{{i="0",{BASE}}}']
    assert (store.expired, store.series_count) == (1, 1)
    clock.now += 61
    assert list(store.live()) == [] and not store.targets


def test_delta_histograms() -> None:
    store, _ = _store()
    first = {"start_time_unix_nano": 1, "time_unix_nano": 2, "count": 3, "sum": 6.0,
             "explicit_bounds": [1.0, 5.0], "bucket_counts": [1, 1, 1]}
    store.accumulate(request("histogram", points=[first], temporality=DELTA))
    store.accumulate(request("histogram", temporality=DELTA, points=[
        {**first, "start_time_unix_nano": 2, "time_unix_nano": 3}]))
    s = _only(store, "m")
    assert isinstance(s, HistogramSeries)
    assert (s.counts, s.count, s.sum, s.start) == ([2, 2, 2], 6, 12.0, 1)
    store.accumulate(request("histogram", temporality=DELTA, points=[
        {**first, "start_time_unix_nano": 1, "time_unix_nano": 4}]))
    assert store.refused["misaligned_delta"] == 1


def test_delta_exponential_histograms_downscale() -> None:
    store, _ = _store()
    store.accumulate(request("exponential_histogram", temporality=DELTA, points=[
        {"start_time_unix_nano": 1, "time_unix_nano": 2, "scale": 1, "count": 2, "sum": 3.0,
         "positive": (0, [1, 1])}]))
    store.accumulate(request("exponential_histogram", temporality=DELTA, points=[
        {"start_time_unix_nano": 2, "time_unix_nano": 3, "scale": 0, "count": 1, "sum": 1.5,
         "zero_count": 1, "positive": (0, [0])}]))
    s = _only(store, "m")
    assert isinstance(s, ExpHistogramSeries)
    assert (s.scale, s.positive, s.zero_count, s.count, s.sum) == (0, (0, [2]), 1, 3, 4.5)


def test_cumulative_gauge_int_kept_as_int() -> None:
    store, _ = _store()
    store.accumulate(request("gauge", points=[{"as_int": 2**62}]))
    s = _only(store, "m")
    assert isinstance(s, NumberSeries) and s.value == 2**62
