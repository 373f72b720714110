"""Prometheus remote write 1.0 messages (``prometheus.WriteRequest``) in protobuf wire format.

Written by hand (the messages are small and fixed) from ``prompb/remote.proto`` and
``prompb/types.proto``; a test checks every message against classes built from the same
field numbers by the protobuf runtime. Field numbers:

* ``WriteRequest``: ``timeseries = 1`` (TimeSeries), ``metadata = 3`` (MetricMetadata);
* ``TimeSeries``: ``labels = 1`` (Label), ``samples = 2`` (Sample), ``exemplars = 3``,
  ``histograms = 4``;
* ``Label``: ``name = 1``, ``value = 2``; ``Sample``: ``double value = 1``,
  ``int64 timestamp = 2`` (ms); ``Exemplar``: ``labels = 1``, ``value = 2``,
  ``timestamp = 3``;
* ``MetricMetadata``: ``type = 1`` (enum), ``metric_family_name = 2``, ``help = 4``,
  ``unit = 5``;
* ``Histogram`` (native): ``count_int = 1``, ``count_float = 2``, ``sum = 3``,
  ``sint32 schema = 4``, ``zero_threshold = 5``, ``zero_count_int = 6``,
  ``zero_count_float = 7``, ``negative_spans = 8``, ``sint64 negative_deltas = 9``
  (packed), ``negative_counts = 10``, ``positive_spans = 11``, ``positive_deltas = 12``,
  ``positive_counts = 13``, ``reset_hint = 14``, ``timestamp = 15``;
  ``BucketSpan``: ``sint32 offset = 1``, ``uint32 length = 2``.

:func:`decode_write_request` reads what the encoders write (and any other sender's
request), for tests and receivers.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

__all__ = ["BucketSpan", "Exemplar", "Histogram", "MetadataType", "MetricMetadata", "Sample",
           "STALE_NAN", "TimeSeries", "WriteRequest", "decode_write_request",
           "encode_metadata", "encode_series", "is_stale_nan", "label_entries", "label_pairs",
           "request_entry", "varint"]

_STALE_BITS = 0x7FF0000000000002
#: Prometheus' staleness marker: a NaN with a fixed payload.
STALE_NAN: float = struct.unpack("<d", struct.pack("<Q", _STALE_BITS))[0]
_DOUBLE = struct.Struct("<d")
_U64 = (1 << 64) - 1


class MetadataType:
    """``MetricMetadata.MetricType`` values."""

    UNKNOWN, COUNTER, GAUGE, HISTOGRAM, GAUGEHISTOGRAM, SUMMARY, INFO, STATESET = range(8)


def is_stale_nan(value: float) -> bool:
    """True for Prometheus' staleness marker (a NaN with its payload)."""
    return bool(struct.unpack("<Q", _DOUBLE.pack(value))[0] == _STALE_BITS)


@dataclass
class Sample:
    value: float
    timestamp: int  # ms


@dataclass
class Exemplar:
    labels: list[tuple[str, str]]
    value: float
    timestamp: int  # ms


@dataclass
class BucketSpan:
    offset: int
    length: int


@dataclass
class Histogram:
    """A native histogram sample with integer counts."""

    count: int
    sum: float
    schema: int
    zero_threshold: float
    zero_count: int
    timestamp: int  # ms
    negative_spans: list[BucketSpan] = field(default_factory=list)
    negative_deltas: list[int] = field(default_factory=list)
    positive_spans: list[BucketSpan] = field(default_factory=list)
    positive_deltas: list[int] = field(default_factory=list)
    reset_hint: int = 0


@dataclass
class TimeSeries:
    labels: list[tuple[str, str]]
    samples: list[Sample] = field(default_factory=list)
    exemplars: list[Exemplar] = field(default_factory=list)
    histograms: list[Histogram] = field(default_factory=list)


@dataclass
class MetricMetadata:
    type: int
    metric_family_name: str
    help: str = ""
    unit: str = ""


@dataclass
class WriteRequest:
    timeseries: list[TimeSeries] = field(default_factory=list)
    metadata: list[MetricMetadata] = field(default_factory=list)


# -- encoding --------------------------------------------------------------------------------
_SMALL = [bytes((i,)) for i in range(128)]


def varint(value: int) -> bytes:
    """``value`` as a protobuf varint (negative values as their 64-bit two's complement)."""
    if 0 <= value < 128:
        return _SMALL[value]
    value &= _U64
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _zigzag(value: int) -> int:
    return (value << 1) ^ (value >> 63)


def _ld(tag: int, payload: bytes) -> bytes:
    """A length-delimited field (``tag`` = field number << 3 | 2, below 128)."""
    return _SMALL[tag] + varint(len(payload)) + payload


def _text(tag: int, value: str) -> bytes:
    return _ld(tag, value.encode()) if value else b""


def label_entries(pairs: Iterable[tuple[str, str]]) -> bytes:
    """The ``labels`` entries of a TimeSeries (or Exemplar) for ``pairs``, in order."""
    return b"".join(_ld(0x0A, _ld(0x0A, n.encode()) + _ld(0x12, v.encode())) for n, v in pairs)




def _spans(tag: int, spans: list[BucketSpan]) -> bytes:
    return b"".join(_ld(tag, b"\x08" + varint(_zigzag(s.offset) & 0xFFFFFFFF)
                        + b"\x10" + varint(s.length)) for s in spans)


def _deltas(tag: int, deltas: list[int]) -> bytes:
    if not deltas:
        return b""
    return _ld(tag, b"".join(varint(_zigzag(d)) for d in deltas))


def _histogram(h: Histogram) -> bytes:
    parts = [b"\x08" + varint(h.count), b"\x19" + _DOUBLE.pack(h.sum),
             b"\x20" + varint(_zigzag(h.schema) & 0xFFFFFFFF),
             b"\x29" + _DOUBLE.pack(h.zero_threshold), b"\x30" + varint(h.zero_count),
             _spans(0x42, h.negative_spans), _deltas(0x4A, h.negative_deltas),
             _spans(0x5A, h.positive_spans), _deltas(0x62, h.positive_deltas)]
    if h.reset_hint:
        parts.append(b"\x70" + varint(h.reset_hint))
    parts.append(b"\x78" + varint(h.timestamp))
    return _ld(0x22, b"".join(parts))


def encode_series(ts: TimeSeries) -> bytes:
    """One ``TimeSeries`` message."""
    parts = [label_entries(ts.labels)]
    parts += [_ld(0x12, b"\x09" + _DOUBLE.pack(s.value) + b"\x10" + varint(s.timestamp))
              for s in ts.samples]
    parts += [_ld(0x1A, label_entries(e.labels) + b"\x11" + _DOUBLE.pack(e.value)
                  + b"\x18" + varint(e.timestamp)) for e in ts.exemplars]
    parts += [_histogram(h) for h in ts.histograms]
    return b"".join(parts)


def encode_metadata(md: MetricMetadata) -> bytes:
    """One ``MetricMetadata`` message."""
    head = b"\x08" + varint(md.type) if md.type else b""
    return head + _text(0x12, md.metric_family_name) + _text(0x22, md.help) + \
        _text(0x2A, md.unit)


def request_entry(message: bytes, metadata: bool = False) -> bytes:
    """``message`` as one entry of a WriteRequest (``timeseries``, or ``metadata``);
    WriteRequest bytes are the concatenation of their entries."""
    return _ld(0x1A if metadata else 0x0A, message)


# -- decoding --------------------------------------------------------------------------------
def _read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _fields(buf: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) pairs: ints for varint and fixed64 as raw bits, bytes else."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(buf, pos)
            yield number, value
        elif wire == 1:
            yield number, int.from_bytes(buf[pos:pos + 8], "little")
            pos += 8
        elif wire == 2:
            size, pos = _read_varint(buf, pos)
            if pos + size > end:
                raise ValueError("truncated field")
            yield number, buf[pos:pos + size]
            pos += size
        elif wire == 5:
            yield number, int.from_bytes(buf[pos:pos + 4], "little")
            pos += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
    if pos != end:
        raise ValueError("truncated message")


def _signed(value: int, bits: int = 64) -> int:
    return value - (1 << bits) if value >> (bits - 1) else value


def _unzigzag(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


def _double(bits: int | bytes) -> float:
    assert isinstance(bits, int)
    return float(_DOUBLE.unpack(bits.to_bytes(8, "little"))[0])


def _str(value: int | bytes) -> str:
    assert isinstance(value, bytes)
    return value.decode()


def _int(value: int | bytes) -> int:
    assert isinstance(value, int)
    return value


def _b(value: int | bytes) -> bytes:
    assert isinstance(value, bytes)
    return value


def _decode_labels(buf: bytes) -> tuple[str, str]:
    got = {n: _str(v) for n, v in _fields(buf)}
    return got.get(1, ""), got.get(2, "")


def label_pairs(block: bytes) -> tuple[tuple[str, str], ...]:
    """The ``(name, value)`` pairs of encoded ``labels`` entries (:func:`label_entries`)."""
    return tuple(_decode_labels(_b(v)) for n, v in _fields(block) if n == 1)


def _decode_span(buf: bytes) -> BucketSpan:
    got = {n: _int(v) for n, v in _fields(buf)}
    return BucketSpan(_unzigzag(got.get(1, 0)), got.get(2, 0))


def _decode_histogram(buf: bytes) -> Histogram:
    h = Histogram(0, 0.0, 0, 0.0, 0, 0)
    for n, v in _fields(buf):
        if n in (1, 6, 4, 14, 15):
            attr = {1: "count", 6: "zero_count", 4: "schema", 14: "reset_hint",
                    15: "timestamp"}[n]
            raw = _int(v)
            setattr(h, attr, _unzigzag(raw) if n == 4 else _signed(raw) if n == 15 else raw)
        elif n in (3, 5):
            setattr(h, "sum" if n == 3 else "zero_threshold", _double(v))
        elif n in (8, 11):
            (h.negative_spans if n == 8 else h.positive_spans).append(_decode_span(_b(v)))
        elif n in (9, 12):
            target = h.negative_deltas if n == 9 else h.positive_deltas
            data, pos = _b(v), 0
            while pos < len(data):
                raw, pos = _read_varint(data, pos)
                target.append(_unzigzag(raw))
    return h


def _decode_series(buf: bytes) -> TimeSeries:
    ts = TimeSeries([])
    for n, v in _fields(buf):
        if n == 1:
            ts.labels.append(_decode_labels(_b(v)))
        elif n == 2:
            got = dict(_fields(_b(v)))
            ts.samples.append(Sample(_double(got.get(1, 0)), _signed(_int(got.get(2, 0)))))
        elif n == 3:
            ex = Exemplar([], 0.0, 0)
            for en, ev in _fields(_b(v)):
                if en == 1:
                    ex.labels.append(_decode_labels(_b(ev)))
                elif en == 2:
                    ex.value = _double(ev)
                elif en == 3:
                    ex.timestamp = _signed(_int(ev))
            ts.exemplars.append(ex)
        elif n == 4:
            ts.histograms.append(_decode_histogram(_b(v)))
    return ts


def decode_write_request(buf: bytes) -> WriteRequest:
    """A WriteRequest from its (uncompressed) bytes; ValueError when malformed."""
    req = WriteRequest()
    try:
        for n, v in _fields(buf):
            if n == 1:
                req.timeseries.append(_decode_series(_b(v)))
            elif n == 3:
                got = dict(_fields(_b(v)))
                req.metadata.append(MetricMetadata(
                    _int(got.get(1, 0)), _str(got.get(2, b"")), _str(got.get(4, b"")),
                    _str(got.get(5, b""))))
    except (IndexError, AssertionError, UnicodeDecodeError) as exc:
        raise ValueError(f"malformed WriteRequest: {exc!r}") from None
    return req
