"""OTLP metrics -> Prometheus remote write series, with the Collector's translator rules
(``pkg/translator/prometheusremotewrite``).

Stateless: each request is translated on its own (no accumulation, unlike the pull store).

* names from :class:`~otelpy.prometheus.naming.MetricNamer`; labels from
  :class:`~otelpy.prometheus.labelsets.LabelMaker` (``external_labels`` only where nothing
  else sets the name) plus ``__name__``;
* gauges and cumulative sums: one sample each (monotonic sums are counters, ``_total``);
  histograms: ``_bucket`` per bound with ``le`` (cumulative counts, ``+Inf`` = count),
  ``_sum`` (when set), ``_count``; summaries: one series per quantile (``quantile``
  label), ``_sum``, ``_count``; ``le`` and ``quantile`` as Go's ``FormatFloat('f', -1)``;
* exponential histograms: native histograms (schema = scale, downscaled to 8 when finer;
  scales below -4 are dropped); OTLP bucket ``i`` is Prometheus bucket ``i + 1``;
* **delta** (and unspecified) temporality of sums, histograms and exponential histograms
  is dropped (reason ``delta_temporality``), as the Collector's exporter does;
* a point flagged "no recorded value" becomes Prometheus' stale marker (NaN with a fixed
  payload) on every series it makes;
* ``target_info`` (value 1, at the resource's latest point time) for every resource with
  attributes besides the service ones and with ``job`` or ``instance``;
* samples of one series (same labels) across the request are merged, sorted by time;
* with ``send_metadata``, one ``MetricMetadata`` per family (type, HELP, OTLP unit).

Dropped points are counted by reason in :attr:`Translation.dropped`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.metrics.v1.metrics_pb2 import NumberDataPoint

from otelpy.native import _rwencode
from otelpy.pdata import items
from otelpy.pdata.asstring import format_float_fixed
from otelpy.prometheus.exphist import downscale
from otelpy.prometheus.labelsets import SERVICE_KEYS, LabelContext, LabelMaker
from otelpy.prometheus.naming import MetricNamer, MetricType, NameError_
from otelpy.prometheus.prompb import (
    STALE_NAN,
    BucketSpan,
    Histogram,
    MetadataType,
    MetricMetadata,
    TimeSeries,
    encode_metadata,
    encode_series,
    request_entry,
)
from otelpy.prometheus.rwseries import LabelSet, LabelSets, Translation, split_requests

__all__ = ["RemoteWriteSettings", "RemoteWriteTranslator", "Translation", "bucket_layout",
           "native_histogram", "write_requests"]

_CUMULATIVE = 2
_NO_RECORDED_VALUE = 1
_MAX_SCALE, _MIN_SCALE = 8, -4
_STALE_COUNT = 0x7FF0000000000002  # the stale marker's bits, as a native histogram's count
_TYPES = {MetricType.COUNTER: MetadataType.COUNTER, MetricType.GAUGE: MetadataType.GAUGE,
          MetricType.HISTOGRAM: MetadataType.HISTOGRAM, MetricType.SUMMARY: MetadataType.SUMMARY}
_NUMBERS = ("gauge", "sum")
_CACHE_LIMIT = 1_000_000  # remembered label sets of number points, then started afresh

# (context token, metric name) -> the point's encoded attributes -> its label set
_FastKey = tuple[int, str]


@dataclass(frozen=True)
class RemoteWriteSettings:
    """How names and labels are built and what is sent besides the samples."""

    namespace: str = ""
    add_metric_suffixes: bool = True
    external_labels: tuple[tuple[str, str], ...] = ()
    resource_to_telemetry: bool = False
    exclude_service_attributes: bool = False
    without_scope_info: bool = False
    target_info: bool = True
    send_metadata: bool = False


class RemoteWriteTranslator:
    """Translates decoded ``ExportMetricsServiceRequest`` messages; reusable.

    The label set of a gauge or sum point whose attributes are all non-empty strings is
    remembered under (resource and scope labels, metric name, attributes), so a series
    seen before costs one lookup and no sorting or encoding.
    """

    def __init__(self, settings: RemoteWriteSettings) -> None:
        self.settings = settings
        self.labels = LabelMaker(
            resource_to_telemetry=settings.resource_to_telemetry,
            exclude_service_attributes=settings.exclude_service_attributes,
            without_scope_info=settings.without_scope_info, external=settings.external_labels)
        namespace = self.labels.name(settings.namespace) if settings.namespace else ""
        self.namer = MetricNamer(namespace=namespace,
                                 with_suffixes=settings.add_metric_suffixes)
        self.target_name = f"{namespace}_target_info" if namespace else "target_info"
        self.labelsets = LabelSets(_CACHE_LIMIT)
        self._fast: dict[_FastKey, dict[bytes, LabelSet | None]] = {}
        self._fast_size = 0  # entries of every _fast table
        # per _fast table: the attribute bytes and label set of its points by position
        self._memo: dict[_FastKey, list[tuple[bytes, LabelSet | None]]] = {}
        self._contexts: dict[tuple[Any, ...], int] = {}
        self._hist: dict[tuple[Any, ...], list[LabelSet] | None] = {}

    def translate(self, request: Any) -> Translation:
        """The series of ``request`` (decoded); dropped points are counted in the result."""
        return self._translate(request, None)

    def translate_bytes(self, data: bytes) -> Translation:
        """The series of a request's bytes: only its envelopes and the points of other
        metrics than gauges and sums are decoded; number points are read from ``data``
        (see :func:`otelpy.native._rwencode.split`)."""
        try:
            skeleton, spans = _rwencode.split(data)
        except ValueError:  # malformed, or a metric of more than one data field: decoded
            return self.translate(ExportMetricsServiceRequest.FromString(data))
        return self._translate(ExportMetricsServiceRequest.FromString(skeleton),
                               (data, iter(spans)))

    def _translate(self, request: Any,
                   raw: tuple[bytes, Iterator[tuple[int, int, int]]] | None) -> Translation:
        if self.labelsets.rotate() or self._fast_size > _CACHE_LIMIT \
                or len(self._contexts) > _CACHE_LIMIT:
            self._fast.clear()
            self._fast_size = 0
            self._memo.clear()
            self._hist.clear()
            self._contexts.clear()
        out = Translation(self.labelsets)
        scope: Any = None
        ctx: LabelContext | None = None
        token = 0
        # by resource (the message held: an id is only its own while it lives)
        targets: dict[int, tuple[LabelContext, int, Any]] = {}
        for item in items.metrics(request):
            kind = item.kind
            if kind is None:
                continue
            if item.scope is not scope:
                scope, ctx = item.scope, self.labels.context(item)
                token = self._token(ctx)
            assert ctx is not None
            named = self._name(item, out)
            if kind in _NUMBERS:
                if raw is None:
                    body = getattr(item.metric, kind).SerializeToString()
                    count = len(getattr(item.metric, kind).data_points)
                else:
                    start, stop, count = next(raw[1])
                    body = raw[0][start:stop]
                if isinstance(named, str):
                    out.dropped[named] += count
                    continue
                latest = self._numbers(out, body, named[0], ctx, token)
            else:
                points = getattr(item.metric, kind).data_points
                if isinstance(named, str):
                    out.dropped[named] += len(points)
                    continue
                latest = self._others(out, points, kind, named[0], ctx, token)
            seen = targets.get(id(item.resource))
            if latest >= 0 and (seen is None or latest > seen[1]):
                targets[id(item.resource)] = (ctx, latest, item.resource)
        if self.settings.target_info:
            for target_ctx, ts, _ in targets.values():
                self._target_info(out, target_ctx, ts)
        return out

    def _token(self, ctx: LabelContext) -> int:
        """A small number per distinct (scope and resource labels) content."""
        key = (tuple(ctx.base), tuple(ctx.resource_attrs.items()))
        return self._contexts.setdefault(key, len(self._contexts))

    def _numbers(self, out: Translation, raw: bytes, name: str, ctx: LabelContext,
                 token: int) -> int:
        """Add the points of a Gauge or Sum message (its bytes ``raw``); the latest time
        of those added (-1 when none). Read in C (``otelpy.native._rwencode``): a point
        of attributes seen before and start, time and value (before or after them)
        costs a lookup; any other is decoded here (:meth:`_slow_point`)."""
        fast = self._fast.get((token, name))
        if fast is None:
            fast = self._fast[(token, name)] = {}
            self._memo[(token, name)] = []
        def slow(start: int, stop: int) -> tuple[Any, float, int]:
            body = raw[start:stop]
            return self._slow_point(out, NumberDataPoint.FromString(body), name, fast, body,
                                    ctx)

        latest, added = _rwencode.numbers(raw, fast, out.samples, out.entries, slow,
                                          out.add_to, self._memo[(token, name)])
        out.points += added
        return latest

    def _slow_point(self, out: Translation, point: Any, name: str,
                    fast: dict[bytes, LabelSet | None], body: bytes,
                    ctx: LabelContext) -> tuple[Any, float, int]:
        """(label set or None when dropped, value, time) of a decoded number point;
        remembers the label set under the point's attribute bytes when they are all the
        point holds besides its times and value (after or before them)."""
        labelset = self._labelset(out, point, name, ctx)
        if labelset is None:
            out.dropped["invalid_label"] += 1
            return None, 0.0, 0
        if point.flags & _NO_RECORDED_VALUE:
            value = STALE_NAN
        elif point.WhichOneof("value") == "as_int":
            value = float(point.as_int)
        else:
            value = point.as_double
        if not point.flags and not point.exemplars and point.WhichOneof("value"):
            attrs = NumberDataPoint(attributes=point.attributes).SerializeToString()
            if (body.endswith(attrs) or body.startswith(attrs)) and len(fast) < _CACHE_LIMIT \
                    and attrs not in fast:
                fast[attrs] = labelset
                self._fast_size += 1
        return labelset, value, point.time_unix_nano

    def _labelset(self, out: Translation, point: Any, name: str,
                  ctx: LabelContext) -> LabelSet | None:
        try:
            labels = self.labels.labels_of(point.attributes, ctx)
        except NameError_:
            return None
        labels["__name__"] = name
        return out.labelset(labels)

    def _histogram_sets(self, out: Translation, point: Any, name: str, ctx: LabelContext,
                        token: int) -> list[LabelSet] | None:
        """The label sets of a histogram point's series (see :func:`histogram_sets`),
        remembered when its attributes are all non-empty strings; None when a label is
        invalid."""
        pairs = tuple([(kv.key, kv.value.string_value) for kv in point.attributes])
        key = (token, name, pairs, tuple(point.explicit_bounds))
        sets = self._hist.get(key, _MISS)
        if sets is _MISS:
            try:
                labels = self.labels.labels_of(point.attributes, ctx)
            except NameError_:
                sets = None
            else:
                sets = histogram_sets(out, name, labels, key[3])
            if all(value for _, value in pairs) and len(self._hist) < _CACHE_LIMIT:
                self._hist[key] = sets
        return sets  # type: ignore[no-any-return]

    def _others(self, out: Translation, points: Any, kind: str, name: str,
                ctx: LabelContext, token: int) -> int:
        """Add histogram, summary or exponential histogram points; the latest time."""
        latest = -1
        for point in points:
            if kind == "histogram":
                sets = self._histogram_sets(out, point, name, ctx, token)
                if sets is None:
                    out.dropped["invalid_label"] += 1
                    continue
                _histogram(out, sets, point)
                out.points += 1
                latest = max(latest, point.time_unix_nano)
                continue
            try:
                labels = self.labels.labels_of(point.attributes, ctx)
            except NameError_:
                out.dropped["invalid_label"] += 1
                continue
            if not _add(out, point, kind, name, labels):
                continue
            out.points += 1
            latest = max(latest, point.time_unix_nano)
        return latest

    def _name(self, item: items.MetricItem, out: Translation) -> tuple[str, MetricType] | str:
        """(Prometheus name, type) of the item's metric, or why its points are dropped."""
        kind, metric = item.kind, item.metric
        if kind == "gauge":
            mtype = MetricType.GAUGE
        elif kind == "summary":
            mtype = MetricType.SUMMARY
        elif kind in ("sum", "histogram", "exponential_histogram"):
            if getattr(metric, kind).aggregation_temporality != _CUMULATIVE:
                return "delta_temporality"
            if kind != "sum":
                mtype = MetricType.HISTOGRAM
            else:
                mtype = MetricType.COUNTER if metric.sum.is_monotonic else MetricType.GAUGE
        else:
            return "unsupported"
        try:
            name = self.namer.build(metric.name, metric.unit, mtype)
        except NameError_:
            return "invalid_name"
        if self.settings.send_metadata and name not in out.metadata:
            out.metadata[name] = MetricMetadata(_TYPES[mtype], name, metric.description,
                                                metric.unit)
        return name, mtype

    def _target_info(self, out: Translation, ctx: LabelContext, time_ns: int) -> None:
        if not any(k not in SERVICE_KEYS for k in ctx.resource) or not ctx.job_instance:
            return
        try:
            labels = self.labels.resource_labels(ctx)
        except NameError_:
            out.dropped["invalid_label"] += 1
            return
        merged = {**self.labels.external, **labels, "__name__": self.target_name}
        out.add(merged, 1.0, time_ns // 1_000_000)


_MISS: Any = object()


def _add(out: Translation, point: Any, kind: str, name: str, labels: dict[str, str]) -> bool:
    stale = bool(point.flags & _NO_RECORDED_VALUE)
    ms = point.time_unix_nano // 1_000_000
    if kind == "summary":
        _summary(out, name, labels, point, ms, stale)
    else:
        histogram = native_histogram(point, ms, stale)
        if histogram is None:
            out.dropped["exponential_scale"] += 1
            return False
        out.add_histogram({**labels, "__name__": name}, histogram)
    return True


def histogram_sets(out: Translation, name: str, labels: dict[str, str],
                   bounds: tuple[float, ...]) -> list[LabelSet]:
    """The label sets of a histogram point's series: ``_bucket`` per bound (``le`` as Go's
    ``FormatFloat('f', -1)``), ``le="+Inf"``, ``_sum``, ``_count``."""
    bucket = f"{name}_bucket"
    les = [format_float_fixed(bound) for bound in bounds] + ["+Inf"]
    sets = [out.labelset({**labels, "__name__": bucket, "le": le}) for le in les]
    sets.append(out.labelset({**labels, "__name__": f"{name}_sum"}))
    sets.append(out.labelset({**labels, "__name__": f"{name}_count"}))
    return sets


def _histogram(out: Translation, sets: list[LabelSet], point: Any) -> None:
    """Cumulative bucket counts, ``+Inf`` (the count), ``_sum`` (when set), ``_count``;
    added in C (``_rwencode.samples``)."""
    ms = point.time_unix_nano // 1_000_000
    buckets = len(sets) - 3
    counts = list(point.bucket_counts[:buckets])
    counts += [0] * (buckets - len(counts))
    has_sum = point.HasField("sum")
    if point.flags & _NO_RECORDED_VALUE:
        values = [STALE_NAN] * (len(sets) - (0 if has_sum else 1))
    else:
        count = float(point.count)
        values = [*map(float, accumulate(counts)), count,
                  *((point.sum,) if has_sum else ()), count]
    labelsets = sets if has_sum else [*sets[:-2], sets[-1]]
    _rwencode.samples(out.samples, out.entries, out.add_to, labelsets, values, ms)


def _summary(out: Translation, name: str, labels: dict[str, str], point: Any, ms: int,
             stale: bool) -> None:
    for q in point.quantile_values:
        out.add({**labels, "__name__": name, "quantile": format_float_fixed(q.quantile)},
                STALE_NAN if stale else q.value, ms)
    out.add({**labels, "__name__": f"{name}_sum"}, STALE_NAN if stale else point.sum, ms)
    out.add({**labels, "__name__": f"{name}_count"},
            STALE_NAN if stale else float(point.count), ms)


def native_histogram(point: Any, ms: int, stale: bool) -> Histogram | None:
    """The native histogram of an exponential histogram point; None when its scale is
    below -4 (Prometheus' coarsest schema)."""
    scale = point.scale
    if scale < _MIN_SCALE:
        return None
    by = max(0, scale - _MAX_SCALE)
    pos_spans, pos_deltas = bucket_layout(point.positive.offset, point.positive.bucket_counts,
                                          by)
    neg_spans, neg_deltas = bucket_layout(point.negative.offset, point.negative.bucket_counts,
                                          by)
    h = Histogram(count=point.count, sum=point.sum if point.HasField("sum") else 0.0,
                  schema=scale - by, zero_threshold=point.zero_threshold,
                  zero_count=point.zero_count, timestamp=ms,
                  negative_spans=neg_spans, negative_deltas=neg_deltas,
                  positive_spans=pos_spans, positive_deltas=pos_deltas)
    if stale:
        h.sum, h.count = STALE_NAN, _STALE_COUNT
    return h


def bucket_layout(offset: int, counts: Any, by: int) -> tuple[list[BucketSpan], list[int]]:
    """Spans and count deltas of OTLP buckets (``offset``, ``counts``) downscaled by
    ``by``: Prometheus bucket ``i + 1`` for OTLP bucket ``i``; empty buckets are left out
    except within gaps of at most two, which are filled with zeros (as Prometheus'
    client does)."""
    offset, merged = downscale(offset, counts, by)
    spans: list[BucketSpan] = []
    deltas: list[int] = []
    previous, last = 0, 0
    for i, count in enumerate(merged):
        if not count:
            continue
        index = offset + i + 1
        if not spans:
            spans.append(BucketSpan(index, 0))
        else:
            gap = index - last - 1
            if gap > 2:
                spans.append(BucketSpan(gap, 0))
            else:
                for _ in range(gap):
                    deltas.append(-previous)
                    previous = 0
                spans[-1].length += gap
        deltas.append(count - previous)
        previous = count
        spans[-1].length += 1
        last = index
    return spans, deltas


def write_requests(series: list[TimeSeries], metadata: list[MetricMetadata],
                   max_bytes: int) -> list[tuple[bytes, int]]:
    """Serialized WriteRequests holding ``series`` then ``metadata``, in order, each at
    most ``max_bytes`` long unless one entry alone is longer (it then travels alone);
    with the number of series in each. (:meth:`Translation.requests` does the same
    straight from a translation, faster.)"""
    entries = [(request_entry(encode_series(s)), 1) for s in series]
    entries += [(request_entry(encode_metadata(m), metadata=True), 0) for m in metadata]
    return split_requests(entries, max_bytes)
