"""One series per label set, and how an OTLP data point updates it (the Collector's
``prometheusexporter`` accumulator rules).

* gauges and cumulative sums keep the point with the latest timestamp (older ones are dropped);
* a monotonic **delta** sum is added to the series when its start time equals the series'
  last timestamp (the start time then stays the series' first start); otherwise it replaces
  it (a restart);
* delta non-monotonic sums and sums or histograms of unspecified temporality are refused;
* delta histograms (explicit or exponential) whose start equals the last timestamp are added
  (explicit buckets only when the bounds match, otherwise the newer point wins; exponential
  buckets are downscaled to the smaller scale first); a start before the last timestamp is a
  misaligned point and is refused; a later start is a reset;
* a point flagged "no recorded value" removes its series (handled by the store).

Values are kept small: a series is a ``__slots__`` object holding its rendered label set
(``{a="b"}``), numbers and bucket lists; no protobuf message is retained.
"""

from __future__ import annotations

from typing import Any

from otelpy.prometheus.exphist import add_buckets, downscale

__all__ = ["DELTA", "CUMULATIVE", "ExpHistogramSeries", "HistogramSeries", "NumberSeries",
           "Refused", "Series", "SummarySeries", "exemplars_of"]

DELTA, CUMULATIVE = 1, 2  # AggregationTemporality values


class Refused(Exception):
    """A point the accumulator does not keep; ``reason`` names why (for the drop counter)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


#: An exemplar ready to render: (value, timestamp in ns or 0, rendered labels ``{...}``)
Exemplar = tuple[float, int, str]


def exemplars_of(point: Any) -> tuple[Exemplar, ...]:
    """The point's exemplars with ``trace_id``/``span_id`` labels (hex), as the Collector."""
    out = []
    for ex in point.exemplars:
        pairs = []
        if ex.trace_id and any(ex.trace_id):
            pairs.append(f'trace_id="{ex.trace_id.hex()}"')
        if ex.span_id and any(ex.span_id):
            pairs.append(f'span_id="{ex.span_id.hex()}"')
        value = ex.as_int if ex.WhichOneof("value") == "as_int" else ex.as_double
        out.append((float(value), ex.time_unix_nano, "{" + ",".join(pairs) + "}"))
    return tuple(out)


class Series:
    """What every series has: labels, start and last timestamps (ns), last update (clock)."""

    __slots__ = ("labels", "start", "ts", "updated", "exemplars")

    def __init__(self, labels: str, point: Any, now: float) -> None:
        self.labels = labels
        self.start: int = point.start_time_unix_nano
        self.ts: int = point.time_unix_nano
        self.updated = now
        self.exemplars: tuple[Exemplar, ...] = ()

    def _check_order(self, point: Any) -> None:
        if point.time_unix_nano < self.ts:
            raise Refused("out_of_order")


class NumberSeries(Series):
    """A gauge or sum: the latest value, or the running total of monotonic deltas."""

    __slots__ = ("value",)

    def __init__(self, labels: str, point: Any, now: float, counter: bool) -> None:
        super().__init__(labels, point, now)
        self.value: int | float = _number(point)
        if counter:
            self.exemplars = exemplars_of(point)[-1:]

    def update(self, point: Any, now: float, delta: bool, counter: bool) -> None:
        """Raises :class:`Refused` for an older point."""
        self._check_order(point)
        value = _number(point)
        if delta and point.start_time_unix_nano == self.ts:
            self.value += value
        else:
            self.value, self.start = value, point.start_time_unix_nano
        self.ts, self.updated = point.time_unix_nano, now
        if counter:
            self.exemplars = exemplars_of(point)[-1:] or self.exemplars


def _number(point: Any) -> int | float:
    if point.WhichOneof("value") == "as_int":
        return int(point.as_int)
    return float(point.as_double)


class HistogramSeries(Series):
    """An explicit-bucket histogram: bounds, per-bucket counts, sum and count."""

    __slots__ = ("bounds", "counts", "sum", "count")

    def __init__(self, labels: str, point: Any, now: float, bounds: tuple[float, ...]) -> None:
        super().__init__(labels, point, now)
        self._take(point, bounds)

    def _take(self, point: Any, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts: list[int] = list(point.bucket_counts)
        self.sum: float = point.sum
        self.count: int = point.count
        self.exemplars = exemplars_of(point)

    def update(self, point: Any, now: float, delta: bool, bounds: tuple[float, ...]) -> None:
        """Raises :class:`Refused` for an older or misaligned point."""
        start = point.start_time_unix_nano
        if not delta:
            self._check_order(point)
            self._take(point, bounds)
            self.start = start
        elif start == self.ts:
            if bounds == self.bounds and len(point.bucket_counts) == len(self.counts):
                self.counts = [a + b for a, b in zip(self.counts, point.bucket_counts,
                                                      strict=True)]
                self.sum += point.sum
                self.count += point.count
                self.exemplars = exemplars_of(point) or self.exemplars
            else:  # new bucket layout: the newer point wins
                self._take(point, bounds)
        elif start < self.ts:
            raise Refused("misaligned_delta")
        else:
            self._take(point, bounds)
            self.start = start
        self.ts, self.updated = point.time_unix_nano, now


class ExpHistogramSeries(Series):
    """An exponential histogram, kept as buckets (converted to ``le`` buckets when rendered)."""

    __slots__ = ("scale", "zero_count", "zero_threshold", "positive", "negative", "sum",
                 "count")

    def __init__(self, labels: str, point: Any, now: float) -> None:
        super().__init__(labels, point, now)
        self._take(point)

    def _take(self, point: Any) -> None:
        self.scale: int = point.scale
        self.zero_count: int = point.zero_count
        self.zero_threshold: float = point.zero_threshold
        self.positive = (point.positive.offset, list(point.positive.bucket_counts))
        self.negative = (point.negative.offset, list(point.negative.bucket_counts))
        self.sum: float = point.sum
        self.count: int = point.count
        self.exemplars = exemplars_of(point)

    def update(self, point: Any, now: float, delta: bool) -> None:
        """Raises :class:`Refused` for an older or misaligned point."""
        start = point.start_time_unix_nano
        if not delta:
            self._check_order(point)
            self._take(point)
            self.start = start
        elif start == self.ts:
            self._add(point)
        elif start < self.ts:
            raise Refused("misaligned_delta")
        else:
            self._take(point)
            self.start = start
        self.ts, self.updated = point.time_unix_nano, now

    def _add(self, point: Any) -> None:
        scale = min(self.scale, point.scale)
        mine, theirs = self.scale - scale, point.scale - scale
        merged = []
        for own, other in ((self.positive, point.positive), (self.negative, point.negative)):
            a = downscale(own[0], own[1], mine)
            b = downscale(other.offset, other.bucket_counts, theirs)
            merged.append(add_buckets(a[0], a[1], b[0], b[1]))
        self.positive, self.negative = merged
        self.scale = scale
        self.zero_count += point.zero_count
        self.zero_threshold = max(self.zero_threshold, point.zero_threshold)
        self.sum += point.sum
        self.count += point.count
        self.exemplars = exemplars_of(point) or self.exemplars


class SummarySeries(Series):
    """A summary: quantiles, sum and count of the latest point."""

    __slots__ = ("quantiles", "sum", "count")

    def __init__(self, labels: str, point: Any, now: float) -> None:
        super().__init__(labels, point, now)
        self._take(point)

    def _take(self, point: Any) -> None:
        self.quantiles = tuple((q.quantile, q.value) for q in point.quantile_values)
        self.sum: float = point.sum
        self.count: int = point.count

    def update(self, point: Any, now: float) -> None:
        self._check_order(point)
        self._take(point)
        self.start, self.ts, self.updated = (point.start_time_unix_nano, point.time_unix_nano,
                                             now)
