"""The series of one remote-write translation, kept compact and encoded fast.

A :class:`LabelSet` is one label set (sorted ``(name, value)`` pairs) with its encoded
protobuf ``Label`` entries; :class:`LabelSets` interns them across requests (two
generations, so it holds at most about twice ``limit`` label sets) so that a series seen
again costs neither the sorting nor the encoding. A :class:`Translation` holds the series
of one sample in a C array (``_rwencode.Samples``: label set, value, ms; no Python object
per sample) and the others (several samples, native histograms) as lists by label set, in
first-seen order; :meth:`Translation.requests` writes ``WriteRequest`` bytes straight from
them. :attr:`Translation.series` gives the same data as
:class:`~otelpy.prometheus.prompb.TimeSeries` objects, for tests and slow consumers. A
translation is built in one go (a label set marks which translation holds its one sample:
the last one that took it).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from otelpy.native import _rwencode
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
#: a series' samples ``(value, ms)`` and native histograms, when it has more than one
Entry = list[tuple[float, int] | Histogram]


class LabelSet(_rwencode.Series):
    """One interned label set; compared by identity. Holds only its encoded ``Label``
    entries (``block``, one bytes object: the pairs are decoded back for :attr:`key`, a
    slow path) and, in C, which translation holds its one sample."""

    __slots__ = ()

    def __init__(self, block: bytes) -> None:
        self.block = block

    @property
    def key(self) -> LabelKey:
        """The sorted ``(name, value)`` pairs."""
        return label_pairs(self.block)


class LabelSets:
    """Interns label sets (by their encoded labels, which are also their ``block``: one
    bytes object per label set); bounded to two generations of ``limit`` entries."""

    def __init__(self, limit: int = 1_000_000) -> None:
        self.limit = limit
        self._new: dict[bytes, LabelSet] = {}
        self._old: dict[bytes, LabelSet] = {}

    def __len__(self) -> int:
        return len(self._new) + len(self._old)

    def get(self, key: LabelKey) -> LabelSet:
        """The label set of the sorted pairs ``key``."""
        block = label_entries(key)
        found = self._new.get(block)
        if found is None:
            found = self._old.get(block) or LabelSet(block)
            self._new[found.block] = found
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
    # the series of one sample, in order (label set, value, ms)
    samples: _rwencode.Samples = field(default_factory=_rwencode.Samples)
    # label set -> its samples and histograms, when more than one or a histogram
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
        if found is not None:
            found.append(item)
            return
        first = self.samples.take(labelset)
        if first is not None:
            self.entries[labelset] = [first, item]
        elif isinstance(item, Histogram):
            self.entries[labelset] = [item]
        else:
            self.samples.add(labelset, *item)

    def __len__(self) -> int:
        """How many series."""
        return len(self.samples) + len(self.entries)

    def add_histogram(self, labels: dict[str, str], histogram: Histogram) -> None:
        self._append(self.labelset(labels), histogram)

    @property
    def series(self) -> dict[LabelKey, TimeSeries]:
        """The series as TimeSeries objects, by label key (samples in arrival order)."""
        out: dict[LabelKey, TimeSeries] = {}
        for labelset, value, ms in self.samples.records():
            out[labelset.key] = TimeSeries(list(labelset.key), [Sample(value, ms)])
        for labelset, found in self.entries.items():
            series = out[labelset.key] = TimeSeries(list(labelset.key))
            for entry in found:
                if isinstance(entry, Histogram):
                    series.histograms.append(entry)
                else:
                    series.samples.append(Sample(*entry))
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
        the number of series in each. Written in C (``otelpy.native._rwencode``): the
        series of one sample from their label sets' cached bytes, others through
        :func:`_series_entry`."""
        tail = [request_entry(encode_metadata(md), metadata=True)
                for md in self.metadata.values()]
        return _rwencode.requests(self.samples, self.entries, max_bytes, _series_entry, tail)


def _series_entry(labelset: LabelSet, entry: Entry) -> bytes:
    body = _series_body(labelset, entry)
    return b"\x0a" + varint(len(body)) + body


def _series_body(labelset: LabelSet, entry: Entry) -> bytes:
    samples = sorted((e for e in entry if isinstance(e, tuple)), key=lambda s: s[1])
    histograms = sorted((e for e in entry if isinstance(e, Histogram)),
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
