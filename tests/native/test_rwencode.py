"""otelpy.native._rwencode against the Python paths it replaces: split against the
protobuf runtime, the C number reader (a translator that knows the attributes) against
the decoded path (a fresh translator), requests against prompb's encoder; arbitrary and
truncated bytes never crash."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.metrics.v1.metrics_pb2 import Gauge, Metric, Sum

from otelpy.native import _rwencode
from otelpy.pdata.values import Attributes
from otelpy.prometheus.prompb import decode_write_request, encode_series
from otelpy.prometheus.remotewrite import (
    RemoteWriteSettings,
    RemoteWriteTranslator,
    Translation,
    write_requests,
)
from otelpy.receivers.prometheus import wire
from tests.fuzz.conftest import budget

T = 1_700_000_000_123_000_000

_POINT = st.fixed_dictionaries({
    "attrs": st.dictionaries(st.sampled_from(["a", "b", "c.d", "1x", "le"]),
                             st.sampled_from(["", "v", "w", "ä"]), max_size=3),
    "value": st.one_of(st.floats(allow_nan=True), st.integers(-2**63, 2**63 - 1)),
    "dt": st.integers(0, 3),
    "start": st.booleans(),
    "flags": st.sampled_from([0, 0, 0, 1]),
    "written": st.sampled_from(["runtime", "runtime", "receiver"]),
})
_METRIC = st.tuples(st.sampled_from(["gauge", "sum", "histogram", "delta"]),
                    st.sampled_from(["m", "n_total", "o"]), st.lists(_POINT, max_size=6))
_REQUEST = st.lists(st.lists(_METRIC, max_size=4), min_size=1, max_size=3)


def _number_point(data: Any, p: dict[str, Any]) -> bytes | None:
    point = data.data_points.add()
    Attributes(point.attributes).update(p["attrs"])
    point.time_unix_nano = T + p["dt"] * 1_000_000
    if p["start"]:
        point.start_time_unix_nano = T - 5
    if isinstance(p["value"], int):
        point.as_int = p["value"]
    else:
        point.as_double = p["value"]
    point.flags = p["flags"]
    if p["written"] != "receiver" or isinstance(p["value"], int) or p["flags"]:
        return None
    attrs = wire.attributes(sorted((k, v) for k, v in p["attrs"].items() if v))
    return wire.number_point(attrs, T - 5 if p["start"] else 0, point.time_unix_nano,
                             p["value"], False)


def _request(spec: list[list[tuple[str, str, list[dict[str, Any]]]]]) -> bytes:
    """A request's bytes; number points written by the runtime or as the receiver does."""
    parts = []
    for n, metrics in enumerate(spec):
        encoded = []
        for kind, name, points in metrics:
            m = Metric(name=name)
            if kind == "histogram":
                m.histogram.aggregation_temporality = 2
                for p in points:
                    h = m.histogram.data_points.add(time_unix_nano=T, count=3, sum=1.5,
                                                    bucket_counts=[1, 2], explicit_bounds=[1.0])
                    Attributes(h.attributes).update(p["attrs"])
                encoded.append(m.SerializeToString())
                continue
            data: Any = Gauge() if kind == "gauge" else Sum(
                aggregation_temporality=1 if kind == "delta" else 2, is_monotonic=True)
            own = [_number_point(data, p) for p in points]
            body = b"".join(own[i] if own[i] is not None else
                            Gauge(data_points=[data.data_points[i]]).SerializeToString()
                            for i in range(len(own)))
            if kind != "gauge":
                body += Sum(aggregation_temporality=data.aggregation_temporality,
                            is_monotonic=True).SerializeToString()
            encoded.append(wire.ld(b"\x0a", name.encode()) +
                           wire.ld(wire.GAUGE if kind == "gauge" else wire.SUM, body))
        parts.append(wire.resource_metrics({"service.name": "svc", "service.instance.id":
                                            f"i-{n}", "env": "e"}, "scope", "1", encoded))
    return b"".join(parts)


def _series(out: Translation) -> dict[Any, bytes]:
    """Each series encoded (NaN payloads compared by their bits)."""
    return {k: encode_series(v) for k, v in out.series.items()}


@budget(150)
@given(spec=_REQUEST)
def test_split_keeps_everything_but_number_points(spec: Any) -> None:
    data = _request(spec)
    skeleton, spans = _rwencode.split(data)
    whole = ExportMetricsServiceRequest.FromString(data)
    bare = ExportMetricsServiceRequest.FromString(skeleton)
    numbers = []
    for rm in whole.resource_metrics:
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                kind = m.WhichOneof("data")
                if kind in ("gauge", "sum"):
                    numbers.append(getattr(m, kind))
                    del getattr(m, kind).data_points[:]
    assert bare == whole
    assert len(spans) == len(numbers)
    for (start, stop, count), data_msg in zip(spans, numbers, strict=True):
        got = type(data_msg).FromString(data[start:stop])
        assert len(got.data_points) == count


@budget(150)
@given(spec=_REQUEST, resource_to_telemetry=st.booleans())
def test_the_c_reader_translates_as_the_decoded_path(spec: Any,
                                                     resource_to_telemetry: bool) -> None:
    data = _request(spec)
    settings = RemoteWriteSettings(resource_to_telemetry=resource_to_telemetry)
    warm = RemoteWriteTranslator(settings)
    warm.translate_bytes(data)  # remembers the attribute bytes of the points it decoded
    fast = warm.translate_bytes(data)
    slow = RemoteWriteTranslator(settings).translate(ExportMetricsServiceRequest.FromString(data))
    assert _series(fast) == _series(slow)
    assert (fast.points, fast.dropped) == (slow.points, slow.dropped)


@budget(150)
@given(spec=_REQUEST, max_bytes=st.sampled_from([1, 60, 300, 10_000]))
def test_requests_are_prompb_s_encoding(spec: Any, max_bytes: int) -> None:
    data = _request(spec)
    translator = RemoteWriteTranslator(RemoteWriteSettings(send_metadata=True))
    out = translator.translate_bytes(data + data)  # every series twice: list entries
    out2 = translator.translate_bytes(data)
    for t in (out, out2):
        got = t.requests(max_bytes)
        assert got == write_requests(t.ordered(), list(t.metadata.values()), max_bytes)
        for body, _ in got:
            decode_write_request(body)


@budget(400)
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    try:
        skeleton, spans = _rwencode.split(data)
    except ValueError:
        return
    for start, stop, _ in spans:
        assert 0 <= start <= stop <= len(data)
    entries: dict[Any, Any] = {}
    samples = _rwencode.Samples()
    try:
        _rwencode.numbers(data, {}, samples, entries, lambda a, b: (None, 0.0, 0),
                          lambda *a: None, [])
    except ValueError:
        return
    assert not entries and not len(samples)


def test_every_truncation_is_refused_or_read() -> None:
    data = _request([[("gauge", "m", [{"attrs": {"a": "v"}, "value": 1.5, "dt": 0,
                                      "start": False, "flags": 0, "written": w}
                                     for w in ("runtime", "receiver")])]])
    for n in range(len(data)):
        try:
            _rwencode.split(data[:n])
        except ValueError:
            continue
    fast = {wire.attributes([("a", "v")]): "labelset"}
    entries: dict[Any, Any] = {}
    raw = Gauge(data_points=[]).SerializeToString()
    assert _rwencode.numbers(raw, fast, _rwencode.Samples(), entries,
                             lambda a, b: (None, 0.0, 0), lambda *a: None, []) == (-1, 0)


def test_a_metric_of_two_data_fields_is_translated_as_the_runtime_reads_it() -> None:
    gauge = Gauge(data_points=[]).SerializeToString()
    point = wire.number_point(wire.attributes([("a", "v")]), 0, T, 2.5, False)
    histogram = Metric(name="x")
    histogram.histogram.aggregation_temporality = 2
    histogram.histogram.data_points.add(time_unix_nano=T, count=1, bucket_counts=[1])
    for body in (wire.ld(wire.GAUGE, point) + histogram.SerializeToString()[3:],  # last wins
                 wire.ld(wire.GAUGE, point) + wire.ld(wire.GAUGE, point),          # merged
                 wire.ld(wire.GAUGE, gauge) + wire.ld(wire.SUM, point)):
        data = wire.resource_metrics({"service.name": "s"}, "scope", "1",
                                     [wire.ld(b"\x0a", b"x") + body])
        try:
            _rwencode.split(data)
        except ValueError:
            pass
        else:
            raise AssertionError("split must refuse a metric of two data fields")
        translator = RemoteWriteTranslator(RemoteWriteSettings())
        got = translator.translate_bytes(data)
        want = RemoteWriteTranslator(RemoteWriteSettings()).translate(
            ExportMetricsServiceRequest.FromString(data))
        assert _series(got) == _series(want) and got.points == want.points


def test_samples_hold_one_record_per_series_and_give_it_back() -> None:
    a, b = _rwencode.Series(), _rwencode.Series()
    a.block, b.block = b"\x0a\x01a", b"\x0a\x01b"
    samples = _rwencode.Samples()
    samples.add(a, 1.5, 10)
    samples.add(b, 2.5, 20)
    with pytest.raises(ValueError, match="already holds"):
        samples.add(a, 9.0, 30)
    assert len(samples) == 2
    assert samples.records() == [(a, 1.5, 10), (b, 2.5, 20)]
    assert samples.take(a) == (1.5, 10)
    assert samples.take(a) is None  # taken once
    assert (len(samples), samples.records()) == (1, [(b, 2.5, 20)])
    later = _rwencode.Samples()  # another translation: b gets a record of its own there
    later.add(b, 7.0, 70)
    assert later.records() == [(b, 7.0, 70)] and samples.records() == [(b, 2.5, 20)]


def test_a_second_sample_goes_through_add_to_and_entries_come_after_records() -> None:
    out = Translation()
    sets = [out.labelset({"__name__": "m", "i": str(i)}) for i in range(3)]
    _rwencode.samples(out.samples, out.entries, out.add_to, sets, [0.0, 1.0, 2.0], 5)
    _rwencode.samples(out.samples, out.entries, out.add_to, [sets[1]], [3.0], 6)
    _rwencode.samples(out.samples, out.entries, out.add_to, [sets[1]], [4.0], 7)
    assert [r[0] for r in out.samples.records()] == [sets[0], sets[2]]
    assert out.entries == {sets[1]: [(1.0, 5), (3.0, 6), (4.0, 7)]}
    assert len(out) == 3
    (body, count), = out.requests(1 << 20)
    assert count == 3
    got = [(dict(ts.labels)["i"], [(s.value, s.timestamp) for s in ts.samples])
           for ts in decode_write_request(body).timeseries]
    assert got == [("0", [(0.0, 5)]), ("2", [(2.0, 5)]), ("1", [(1.0, 5), (3.0, 6), (4.0, 7)])]


@pytest.mark.parametrize("labelset", ["labelset", None, 1.0])
def test_a_label_set_that_is_not_a_series_is_refused(labelset: Any) -> None:
    with pytest.raises(TypeError, match="must be a Series"):
        _rwencode.samples(_rwencode.Samples(), {}, lambda *a: None, [labelset], [1.0], 5)
    series = _rwencode.Series()  # no block set
    samples = _rwencode.Samples()
    samples.add(series, 1.0, 5)
    with pytest.raises(TypeError, match="block is bytes"):
        _rwencode.requests(samples, {}, 1 << 20, lambda *a: b"", [])
