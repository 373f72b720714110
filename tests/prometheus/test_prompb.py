"""The hand-written remote write encoder and decoder against protobuf runtime classes."""

from __future__ import annotations

import math
import struct

import pytest

from otelpy.prometheus.prompb import (
    STALE_NAN,
    BucketSpan,
    Exemplar,
    Histogram,
    MetricMetadata,
    Sample,
    TimeSeries,
    decode_write_request,
    encode_metadata,
    encode_series,
    is_stale_nan,
    request_entry,
)

from .remote_pb import PB

SERIES = TimeSeries(
    labels=[("__name__", "m_total"), ("job", "svc"), ("x", "ünï \"q\"")],
    samples=[Sample(1.5, 1_700_000_000_000), Sample(-2.0, 0), Sample(0.0, -5),
             Sample(STALE_NAN, 1_700_000_000_001)],
    exemplars=[Exemplar([("trace_id", "ab")], 3.0, 1_700_000_000_002)],
    histograms=[Histogram(count=7, sum=12.5, schema=-3, zero_threshold=1e-9, zero_count=2,
                          timestamp=1_700_000_000_003,
                          negative_spans=[BucketSpan(-2, 1)], negative_deltas=[1],
                          positive_spans=[BucketSpan(1, 2), BucketSpan(3, 1)],
                          positive_deltas=[2, -1, 2], reset_hint=2)])
META = MetricMetadata(1, "m_total", "help text", "s")


def _request() -> bytes:
    return request_entry(encode_series(SERIES)) + request_entry(encode_series(
        TimeSeries([("__name__", "g")], [Sample(4.0, 9)]))) + \
        request_entry(encode_metadata(META), metadata=True)


def test_runtime_classes_read_what_the_encoder_writes() -> None:
    req = PB["WriteRequest"].FromString(_request())
    ts = req.timeseries[0]
    assert [(lb.name, lb.value) for lb in ts.labels] == SERIES.labels
    assert [(s.value, s.timestamp) for s in ts.samples[:3]] == [
        (1.5, 1_700_000_000_000), (-2.0, 0), (0.0, -5)]
    assert struct.pack("<d", ts.samples[3].value) == struct.pack("<Q", 0x7FF0000000000002)
    ex = ts.exemplars[0]
    assert ([(lb.name, lb.value) for lb in ex.labels], ex.value, ex.timestamp) == (
        [("trace_id", "ab")], 3.0, 1_700_000_000_002)
    h = ts.histograms[0]
    assert (h.count_int, h.sum, h.schema, h.zero_threshold, h.zero_count_int, h.timestamp,
            h.reset_hint) == (7, 12.5, -3, 1e-9, 2, 1_700_000_000_003, 2)
    assert [(s.offset, s.length) for s in h.positive_spans] == [(1, 2), (3, 1)]
    assert list(h.positive_deltas) == [2, -1, 2]
    assert [(s.offset, s.length) for s in h.negative_spans] == [(-2, 1)]
    assert list(h.negative_deltas) == [1]
    assert [(lb.name, lb.value) for lb in req.timeseries[1].labels] == [("__name__", "g")]
    md = req.metadata[0]
    assert (md.type, md.metric_family_name, md.help, md.unit) == (1, "m_total", "help text", "s")


def test_decoder_reads_what_the_runtime_classes_write() -> None:
    original = PB["WriteRequest"].FromString(_request())
    decoded = decode_write_request(original.SerializeToString())
    assert decoded.timeseries[0].labels == SERIES.labels
    assert decoded.timeseries[0].samples[:3] == SERIES.samples[:3]
    assert is_stale_nan(decoded.timeseries[0].samples[3].value)
    assert decoded.timeseries[0].exemplars == SERIES.exemplars
    assert decoded.timeseries[0].histograms == SERIES.histograms
    assert decoded.metadata == [META]
    assert decode_write_request(_request()).timeseries[1].samples == [Sample(4.0, 9)]


def test_stale_marker_is_not_any_nan() -> None:
    assert math.isnan(STALE_NAN) and is_stale_nan(STALE_NAN)
    assert not is_stale_nan(float("nan")) and not is_stale_nan(1.0)


@pytest.mark.parametrize("data", [b"\x0a\x05ab", b"\x0a", b"\x0b"],
                         ids=["truncated", "no-length", "bad-wire-type"])
def test_malformed_requests_are_value_errors(data: bytes) -> None:
    with pytest.raises(ValueError):
        decode_write_request(data)
