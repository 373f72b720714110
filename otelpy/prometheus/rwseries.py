"""The series of one remote-write translation, kept compact and encoded fast.

A :class:`LabelSet` is one label set (sorted ``(name, value)`` pairs) with its encoded
protobuf ``Label`` entries; :class:`LabelSets` interns them across requests (two
generations, so it holds at most about twice ``limit`` label sets) so that a series seen
again costs neither the sorting nor the encoding. A :class:`Translation` maps label sets to
their samples (``(value, ms)`` pairs) and native histograms, in first-seen order;
:meth:`Translation.requests` writes ``WriteRequest`` bytes straight from them (a sample is
one ``struct`` pack between cached bytes). :attr:`Translation.series` gives the same data
as :class:`~otelpy.prometheus.prompb.TimeSeries` objects, for tests and slow consumers.
"""

from __future__ import annotations

import struct
from collections import Counter
from dataclasses import dataclass, field

from otelpy.native import _rwencode
from otelpy.prometheus.labels import labels_key
from otelpy.prometheus.prompb import (
    Histogram,
    MetricMetadata,
    Sample,
    TimeSeries,
    encode_metadata,
    encode_series,
    label_entries,
    label_pairs,
    request_entry,
    varint,
)

__all__ = ["LabelKey", "LabelSet", "LabelSets", "Translation", "split_requests"]

LabelKey = tuple[tuple[str, str], ...]
#: a series' one sample (value, ms) or, as the C translator writes it, the same packed in
#: 16 bytes (``pack_sample``: not an object the garbage collector tracks); or a list of
#: samples and histograms
Entry = tuple[float, int] | bytes | list[tuple[float, int] | Histogram]
_PACKED = struct.Struct("=dq")


def pack_sample(value: float, ms: int) -> bytes:
    """A one-sample entry as the C translator packs it."""
    return _PACKED.pack(value, ms)


def _sample(entry: tuple[float, int] | bytes) -> tuple[float, int]:
    return _PACKED.unpack(entry) if isinstance(entry, bytes) else entry


class LabelSet:
    """One interned label set; compared by identity. Holds only its encoded ``Label``
    entries (one bytes object: the pairs are decoded back for :attr:`key`, a slow path);
    the C writer of requests reads ``block``."""

    __slots__ = ("block",)

    def __init__(self, key: LabelKey) -> None:
        self.block = label_entries(key)

    @property
    def key(self) -> LabelKey:
        """The sorted ``(name, value)`` pairs."""
        return label_pairs(self.block)


class LabelSets:
    """Interns label sets (by :func:`~otelpy.prometheus.labels.labels_key`); bounded to
    two generations of ``limit`` entries."""

    def __init__(self, limit: int = 1_000_000) -> None:
        self.limit = limit
        self._new: dict[str, LabelSet] = {}
        self._old: dict[str, LabelSet] = {}

    def __len__(self) -> int:
        return len(self._new) + len(self._old)

    def get(self, key: LabelKey) -> LabelSet:
        """The label set of the sorted pairs ``key``."""
        token = labels_key(key)
        found = self._new.get(token)
        if found is None:
            found = self._old.get(token) or LabelSet(key)
            self._new[token] = found
        return found

    def rotate(self) -> bool:
        """Start a new generation when the current one is full (between requests only:
        a label set must stay the same object during one translation)."""
        if len(self._new) < self.limit:
            return False
        self._old, self._new = self._new, {}
        return True




@dataclass
class Translation:
    """The series of one request, its metadata, and the points dropped by reason."""

    labelsets: LabelSets = field(default_factory=LabelSets)
    # label set -> its one sample (value, ms), or a list of samples and histograms
    entries: dict[LabelSet, Entry] = field(default_factory=dict)
    metadata: dict[str, MetricMetadata] = field(default_factory=dict)
    dropped: Counter[str] = field(default_factory=Counter)
    points: int = 0  # data points translated

    def labelset(self, labels: dict[str, str]) -> LabelSet:
        """The interned label set of ``labels`` (empty values left out)."""
        return self.labelsets.get(tuple(sorted((k, v) for k, v in labels.items() if v)))

    def add(self, labels: dict[str, str], value: float, ts: int) -> None:
        self.add_to(self.labelset(labels), value, ts)

    def add_to(self, labelset: LabelSet, value: float, ts: int) -> None:
        self._append(labelset, (value, ts))

    def _append(self, labelset: LabelSet, item: tuple[float, int] | Histogram) -> None:
        found = self.entries.get(labelset)
        if found is None:
            self.entries[labelset] = [item] if isinstance(item, Histogram) else item
        elif isinstance(found, list):
            found.append(item)
        else:
            self.entries[labelset] = [_sample(found), item]

    def add_histogram(self, labels: dict[str, str], histogram: Histogram) -> None:
        self._append(self.labelset(labels), histogram)

    @property
    def series(self) -> dict[LabelKey, TimeSeries]:
        """The series as TimeSeries objects, by label key (samples in arrival order)."""
        out: dict[LabelKey, TimeSeries] = {}
        for labelset, found in self.entries.items():
            series = out[labelset.key] = TimeSeries(list(labelset.key))
            for entry in found if isinstance(found, list) else [found]:
                if isinstance(entry, Histogram):
                    series.histograms.append(entry)
                else:
                    value, ms = _sample(entry)
                    series.samples.append(Sample(value, ms))
        return out

    def ordered(self) -> list[TimeSeries]:
        """The series with their samples sorted by time (Prometheus requires it)."""
        out = list(self.series.values())
        for series in out:
            series.samples.sort(key=lambda s: s.timestamp)
            series.histograms.sort(key=lambda h: h.timestamp)
        return out

    def requests(self, max_bytes: int) -> list[tuple[bytes, int]]:
        """Serialized WriteRequests of every series then the metadata, each at most
        ``max_bytes`` long unless one entry alone is longer (it then travels alone); with
        the number of series in each. Written in C (``otelpy.native._rwencode``): a
        series of one sample from its label set's cached bytes, others through
        :func:`_series_entry`."""
        tail = [request_entry(encode_metadata(md), metadata=True)
                for md in self.metadata.values()]
        return _rwencode.requests(self.entries, max_bytes, _series_entry, tail)


def _series_entry(labelset: LabelSet, entry: Entry) -> bytes:
    body = _series_body(labelset, entry)
    return b"\x0a" + varint(len(body)) + body


def _series_body(labelset: LabelSet, entry: Entry) -> bytes:
    found = entry if isinstance(entry, list) else [_sample(entry)]
    samples = sorted((e for e in found if isinstance(e, tuple)), key=lambda s: s[1])
    histograms = sorted((e for e in found if isinstance(e, Histogram)),
                        key=lambda h: h.timestamp)
    series = TimeSeries([], [Sample(v, t) for v, t in samples], [], histograms)
    return labelset.block + encode_series(series)


def split_requests(entries: list[tuple[bytes, int]], max_bytes: int) -> list[tuple[bytes, int]]:
    """WriteRequest bytes from ``entries`` (an encoded request entry and how many series
    it holds), in order, each at most ``max_bytes`` long unless one entry alone is longer
    (it then travels alone); with the number of series in each."""
    out: list[tuple[bytes, int]] = []
    current: list[bytes] = []
    size = count = 0
    for entry, n in entries:
        if current and size + len(entry) > max_bytes:
            out.append((b"".join(current), count))
            current, size, count = [], 0, 0
        current.append(entry)
        size += len(entry)
        count += n
    if current:
        out.append((b"".join(current), count))
    return out
