"""The samples rules read: OTLP metrics in, Prometheus series samples out, bounded.

Points go through :class:`otelpy.prometheus.SeriesStore` (the prometheus exporter's names,
labels, delta accumulation and histogram buckets); each point a rule may read becomes samples
in a :class:`otelpy.promql.storage.SeriesStore` at the point's timestamp: a number, or a
histogram's ``_bucket`` (with ``le``), ``_sum`` and ``_count``, or a summary's quantiles,
``_sum`` and ``_count``. At most ``max_series`` series are kept: a new one beyond evicts the
one updated longest ago (counted); samples older than the retention are trimmed.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from otelpy.alerting.analysis import SAMPLE_SUFFIXES
from otelpy.pdata import items
from otelpy.prometheus import SeriesStore as Accumulator
from otelpy.prometheus import StoreSettings
from otelpy.prometheus.exphist import classic_buckets
from otelpy.prometheus.exposition import explicit_buckets, go_float
from otelpy.prometheus.series import (
    ExpHistogramSeries,
    HistogramSeries,
    NumberSeries,
    Series,
    SummarySeries,
)
from otelpy.prometheus.store import Family
from otelpy.promql.storage import SeriesStore
from otelpy.promql.values import Labels

_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
_ESCAPE = re.compile(r"\\(.)")


@dataclass
class WindowCounters:
    """What the window did, for the connector's own metrics."""

    samples: int = 0
    out_of_order: int = 0
    evicted: int = 0
    trimmed: int = 0


class SampleWindow:
    """Feeds ``store`` with the samples of wanted metrics.

    ``names`` are the Prometheus names rules select (None: every name); ``otlp_names`` are
    OTLP metric names inline rules read, whose Prometheus names are learned in
    :attr:`aliases`.
    """

    def __init__(self, store: SeriesStore, settings: StoreSettings, names: set[str] | None,
                 otlp_names: set[str], max_series: int) -> None:
        self.store = store
        self.max_series = max_series
        self.accumulator = Accumulator(replace(settings, max_series=2 * max_series))
        self.names = names
        self.otlp_names = otlp_names
        self.aliases: dict[str, set[str]] = {}
        self.counters = WindowCounters()
        # window series -> the accumulator's (family, rendered labels), least recent first
        self._recent: OrderedDict[Labels, tuple[str, str]] = OrderedDict()
        self._parsed: dict[str, tuple[tuple[str, str], ...]] = {}
        self._source = ("", "")  # the accumulator series of the point being appended
        self._select: Callable[[str, Any], bool] | None = None if names is None else self._wants

    def _wants(self, name: str, metric: Any) -> bool:
        assert self.names is not None
        return metric.name in self.otlp_names or name in self.names or \
            any(name + s in self.names for s in SAMPLE_SUFFIXES)

    def ingest(self, request: Any) -> int:
        """Keep the points of a decoded ExportMetricsServiceRequest; returns how many."""
        return self.accumulator.accumulate(request, self._point, self._select)

    def _point(self, family: Family, series: Series, item: items.PointItem) -> None:
        if item.metric.name in self.otlp_names:
            self.aliases.setdefault(item.metric.name, set()).add(family.name)
        base = self._labels(series.labels)
        t = series.ts // 1_000_000
        name = family.name
        self._source = (name, series.labels)
        if isinstance(series, NumberSeries):
            self._append(name, base, t, float(series.value))
            return
        if isinstance(series, HistogramSeries | ExpHistogramSeries):
            buckets = explicit_buckets(series) if isinstance(series, HistogramSeries) else \
                classic_buckets(series.scale, series.zero_count, series.zero_threshold,
                                series.positive, series.negative)
            for le, total in buckets:
                self._append(name + "_bucket", base, t, float(total), ("le", go_float(le)))
            self._append(name + "_bucket", base, t, float(series.count), ("le", "+Inf"))
        elif isinstance(series, SummarySeries):
            for q, v in series.quantiles:
                self._append(name, base, t, float(v), ("quantile", go_float(q)))
        else:
            return
        self._append(name + "_sum", base, t, float(series.sum))
        self._append(name + "_count", base, t, float(series.count))

    def _labels(self, rendered: str) -> tuple[tuple[str, str], ...]:
        parsed = self._parsed.get(rendered)
        if parsed is None:
            if len(self._parsed) > 2 * self.max_series:
                self._parsed.clear()
            parsed = tuple((k, _ESCAPE.sub(_unescape, v)) for k, v in _LABEL.findall(rendered))
            self._parsed[rendered] = parsed
        return parsed

    def _append(self, name: str, base: tuple[tuple[str, str], ...], t: int, v: float,
                extra: tuple[str, str] | None = None) -> None:
        pairs = [("__name__", name), *base]
        if extra is not None:
            pairs.append(extra)
        metric = tuple(sorted(pairs))
        recent = self._recent
        if metric in recent:
            recent.move_to_end(metric)
        else:
            if len(recent) >= self.max_series:
                evicted, source = recent.popitem(last=False)
                self.store.remove(evicted)
                self.accumulator.remove(*source)
                self.counters.evicted += 1
            recent[metric] = self._source
        if self.store.append(metric, t, v):
            self.counters.samples += 1
        else:
            self.counters.out_of_order += 1

    def trim(self, before_ms: int) -> None:
        """Forget samples older than ``before_ms`` and series left without samples."""
        for _ in self.accumulator.live():
            pass
        gone = self.store.trim(before_ms)
        self.counters.trimmed += gone
        if gone:
            live = self.store.last_series()
            for metric in [m for m in self._recent if m not in live]:
                del self._recent[metric]

    def __len__(self) -> int:
        return len(self._recent)


def _unescape(m: re.Match[str]) -> str:
    return "\n" if m.group(1) == "n" else m.group(1)
