"""The per-series table the ``anomaly`` processor and connector share: which number points are
scored, one detector per series (bounded, least recently seen evicted), and the whole table as
bytes for the storage extension.

A series is a metric name plus its resource and data point attributes. Gauges and
non-monotonic sums are scored on their values; monotonic cumulative sums (counters, such as the
``logpattern`` connector's per-pattern record counts) on their increase since the previous
point of the series (the first point of a series, and a reset, only set the baseline).
"""

from __future__ import annotations

import json
import re
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from otelpy.anomaly import Detector, create_detector, dump_detector, load_detector
from otelpy.anomaly.config import SeriesMatch, SeriesScoring
from otelpy.pdata import items
from otelpy.pdata.asstring import as_string
from otelpy.pdata.values import Attributes

Matcher = Callable[[str, Attributes, Attributes], bool]
SeriesKey = tuple[str, tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]
CUMULATIVE = 2  # AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
STATE_VERSION = 1
_MAX_STATE = 1 << 30


class StateError(ValueError):
    """Saved series state that cannot be read."""


def compile_match(block: SeriesMatch) -> Matcher:
    names = [re.compile(p) for p in block.metric_names]
    attrs = [(k, re.compile(p)) for k, p in block.attributes.items()]

    def match(name: str, point: Attributes, resource: Attributes) -> bool:
        if names and not any(p.fullmatch(name) for p in names):
            return False
        for key, pattern in attrs:
            value = point.get(key, resource.get(key))
            if value is None or not pattern.fullmatch(as_string(value)):
                return False
        return True

    return match


def series_key(name: str, point: Attributes, resource: Attributes) -> SeriesKey:
    return (name, tuple(sorted((k, as_string(v)) for k, v in resource.items())),
            tuple(sorted((k, as_string(v)) for k, v in point.items())))


@dataclass
class Series:
    """One scored series: its detector and, for counters, the previous cumulative value."""

    detector: Detector
    previous: float | None = None


@dataclass(frozen=True)
class Scored:
    """One scored data point."""

    item: Any  # the otelpy.pdata.items metric item
    point: Any  # the NumberDataPoint
    key: SeriesKey
    value: float  # what was scored: the value, or a counter's increase
    score: float
    detector: Detector


class SeriesTable:
    """Selection plus one detector per series; ``on_evict`` is called once per eviction."""

    def __init__(self, cfg: SeriesScoring, skip_suffix: str = "",
                 on_evict: Callable[[], None] = lambda: None) -> None:
        self._cfg = cfg
        self._skip = skip_suffix
        self._on_evict = on_evict
        self._include = compile_match(cfg.include) if cfg.include else None
        self._exclude = compile_match(cfg.exclude) if cfg.exclude else None
        self._groups = [(compile_match(g.match), g.method,
                         {"season": g.season} if g.method == "robust" else {})
                        for g in cfg.groups]
        self.series: OrderedDict[SeriesKey, Series] = OrderedDict()

    def __len__(self) -> int:
        return len(self.series)

    def selected(self, name: str, point: Attributes, resource: Attributes) -> bool:
        if self._skip and name.endswith(self._skip):
            return False  # never score the scores
        if self._include is not None and not self._include(name, point, resource):
            return False
        return self._exclude is None or not self._exclude(name, point, resource)

    def _series(self, key: SeriesKey, point: Attributes, resource: Attributes) -> Series:
        found = self.series.get(key)
        if found is not None:
            self.series.move_to_end(key)
            return found
        method, params = self._cfg.method, {}
        for match, group_method, group_params in self._groups:
            if match(key[0], point, resource):
                method, params = group_method, group_params
                break
        found = self.series[key] = Series(create_detector(method, **params))
        if len(self.series) > self._cfg.max_series:
            self.series.popitem(last=False)
            self._on_evict()
        return found

    def score_request(self, request: Any) -> Iterator[Scored]:
        """Score every selected gauge / sum number point of a decoded metrics request."""
        for item in items.metrics(request):
            kind = item.kind
            if kind not in ("gauge", "sum"):
                continue
            data = getattr(item.metric, kind)
            counter = kind == "sum" and data.is_monotonic and \
                data.aggregation_temporality == CUMULATIVE
            name = item.metric.name
            resource = Attributes(item.resource.resource.attributes)
            for point in data.data_points:
                which = point.WhichOneof("value")
                attrs = Attributes(point.attributes)
                if which is None or not self.selected(name, attrs, resource):
                    continue
                key = series_key(name, attrs, resource)
                series = self._series(key, attrs, resource)
                value = float(getattr(point, which))
                if counter:
                    previous, series.previous = series.previous, value
                    if previous is None or value < previous:
                        continue  # first point or a reset: only a baseline
                    value -= previous
                score = series.detector.score(value, point.time_unix_nano / 1e9)
                yield Scored(item, point, key, value, score, series.detector)

    def dump(self) -> bytes:
        """Every series' state (zlib-compressed JSON), least recently seen first."""
        body = {"version": STATE_VERSION, "series": [
            [[key[0], [list(kv) for kv in key[1]], [list(kv) for kv in key[2]]],
             series.previous, dump_detector(series.detector).decode()]
            for key, series in self.series.items()]}
        return zlib.compress(json.dumps(body, separators=(",", ":")).encode(), 6)

    def load(self, data: bytes) -> int:
        """Replace the table with saved state; returns the series restored. Raises StateError."""
        try:
            body = json.loads(zlib.decompressobj().decompress(data, _MAX_STATE))
            if body.get("version") != STATE_VERSION:
                raise StateError(f"state version {body.get('version')!r}, expected "
                                 f"{STATE_VERSION}")
            restored: OrderedDict[SeriesKey, Series] = OrderedDict()
            for (name, resource, point), previous, blob in body["series"]:
                key = (str(name), tuple((str(k), str(v)) for k, v in resource),
                       tuple((str(k), str(v)) for k, v in point))
                restored[key] = Series(load_detector(blob.encode()), previous)
        except (zlib.error, ValueError, KeyError, TypeError, AttributeError) as err:
            raise StateError(f"anomaly state is not readable: {err}") from err
        while len(restored) > self._cfg.max_series:
            restored.popitem(last=False)
        self.series = restored
        return len(restored)
