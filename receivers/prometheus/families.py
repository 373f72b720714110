"""Samples of one scrape grouped into metric families, as the Collector's transaction does.

A family's name and type come from the scrape's metadata (``# TYPE``), looked up by the
sample name, then by the name without a ``_bucket``/``_count``/``_sum``/``_total``/
``_info``/``_created`` suffix (an OpenMetrics counter ``foo`` keeps its samples' name
``foo_total``). Counters become monotonic sums, ``info`` and ``stateset`` non-monotonic
sums, histograms and summaries stay themselves, gauges, ``unknown``/untyped and
``gaugehistogram`` become gauges. Within a family, samples with the same labels (``le`` and
``quantile`` aside) form one point; ``_created`` gives its start time.
"""

from __future__ import annotations

import math
import struct
from typing import Any

from otelpy.prometheus.labels import labels_key
from otelpy.prometheus.textparse import Exemplar, FamilyMeta

__all__ = ["Family", "Group", "KeyMemo", "STALE_NAN", "is_stale", "normalize_name",
           "INTERNAL_META"]

STALE_NAN: float = struct.unpack("<d", struct.pack("<Q", 0x7FF0000000000002))[0]
_STALE_BITS = struct.pack("<d", STALE_NAN)

KeyMemo = dict[str, dict[int, tuple[dict[str, str], str]]]

SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_info", "_created")

INTERNAL_META = {
    "up": FamilyMeta("gauge", "The scraping was successful", ""),
    "scrape_duration_seconds": FamilyMeta("gauge", "Duration of the scrape", "seconds"),
    "scrape_samples_scraped": FamilyMeta("gauge", "The number of samples the target exposed",
                                         ""),
    "scrape_series_added": FamilyMeta("gauge", "The approximate number of new series in "
                                      "this scrape", ""),
    "scrape_samples_post_metric_relabeling": FamilyMeta(
        "gauge", "The number of samples remaining after metric relabeling was applied", ""),
}

# Prometheus type -> (OTLP kind, monotonic)
_KINDS = {"counter": ("sum", True), "gauge": ("gauge", False), "unknown": ("gauge", False),
          "histogram": ("histogram", True), "summary": ("summary", True),
          "info": ("sum", False), "stateset": ("sum", False)}

# labels that never become point attributes, per kind
DROPPED = {"histogram": frozenset({"__name__", "instance", "__scheme__", "__metrics_path__",
                                   "job", "le"}),
           "summary": frozenset({"__name__", "instance", "__scheme__", "__metrics_path__",
                                 "job", "quantile"})}
DROPPED_OTHER = frozenset({"__name__", "instance", "__scheme__", "__metrics_path__", "job"})


def is_stale(value: float) -> bool:
    """Whether ``value`` is Prometheus's staleness marker."""
    return value != value and struct.pack("<d", value) == _STALE_BITS


def normalize_name(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix) and name != suffix:
            return name[:-len(suffix)]
    return name


def family_meta(name: str, metadata: dict[str, FamilyMeta]) -> tuple[FamilyMeta, str]:
    """The metadata of sample ``name`` and the name of its family."""
    meta = INTERNAL_META.get(name) or metadata.get(name)
    if meta is not None:
        return meta, name
    base = normalize_name(name)
    meta = metadata.get(base)
    if meta is None:
        return FamilyMeta("unknown"), name
    if meta.type == "counter":
        return meta, (base + "_total" if name.endswith("_created") else name)
    return meta, base


# what an empty ``points`` or ``exemplars`` holds until its first element (never appended to)
_NONE: list[Any] = ()  # type: ignore[assignment]


class Group:
    """One point of a family: a series' samples (``le``/``quantile`` apart).

    A plain class with slots (one is made per series and scrape: a dataclass with list
    factories costs twice as much to create); ``points`` and ``exemplars`` start as the
    shared empty tuple and become lists on the first append (most groups are gauge or sum
    points with neither: two allocations fewer per sample)."""

    __slots__ = ("ts", "labels", "value", "count", "has_count", "sum", "has_sum", "created",
                 "points", "exemplars")

    def __init__(self, ts: int, labels: dict[str, str], value: float = 0.0) -> None:
        self.ts, self.labels, self.value = ts, labels, value
        self.count = self.sum = self.created = 0.0
        self.has_count = self.has_sum = False
        self.points: list[tuple[float, float]] = _NONE
        self.exemplars: list[Exemplar] = _NONE


class Family:
    """A metric family of one resource in one scrape."""

    __slots__ = ("name", "meta", "kind", "monotonic", "groups", "keys")

    def __init__(self, sample_name: str, metadata: dict[str, FamilyMeta],
                 keys: KeyMemo | None = None) -> None:
        self.meta, self.name = family_meta(sample_name, metadata)
        self.kind, self.monotonic = _KINDS.get(self.meta.type, ("gauge", False))
        self.groups: dict[str, Group] = {}  # by labels_key of the labels
        # kind -> id(labels) -> (labels, group key): label sets that recur between scrapes
        # (the same objects) are keyed once; holding the labels keeps their id theirs
        self.keys: KeyMemo = keys if keys is not None else {}

    def includes(self, sample_name: str) -> bool:
        if self.kind != "gauge":  # foo_total and foo_created are one OpenMetrics counter
            return normalize_name(sample_name) == normalize_name(self.name)
        return sample_name == self.name

    def _group(self, labels: dict[str, str], ts: int) -> Group:
        memo = self.keys.get(self.kind)
        if memo is None:
            memo = self.keys[self.kind] = {}
        found = memo.get(id(labels))
        if found is not None:
            key = found[1]
        else:
            if self.kind == "histogram":
                key = labels_key(i for i in labels.items() if i[0] != "le")
            elif self.kind == "summary":
                key = labels_key(i for i in labels.items() if i[0] != "quantile")
            else:
                key = labels_key(labels.items())
            memo[id(labels)] = (labels, key)
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = Group(ts, labels)
        return group

    def add(self, name: str, labels: dict[str, str], ts: int, value: float,
            exemplar: Exemplar | None) -> str:
        """Add one sample; returns a problem ("" when none)."""
        group = self._group(labels, ts)
        if exemplar is not None:
            if group.exemplars:
                group.exemplars.append(exemplar)
            else:
                group.exemplars = [exemplar]
        if group.ts != ts:
            return f"inconsistent timestamps on metric points for metric {name}"
        if self.kind in ("histogram", "summary"):
            return self._add_complex(group, name, labels, ts, value)
        if self.kind == "sum" and name.endswith("_created"):
            group.created = value
        else:
            group.value = value
        return ""

    def _add_complex(self, group: Group, name: str, labels: dict[str, str], ts: int,
                     value: float) -> str:
        if name.endswith("_sum"):
            group.sum, group.has_sum = value, True
        elif name.endswith("_count"):
            group.ts, group.count, group.has_count = ts, value, True
        elif name.endswith("_created"):
            group.created = value
        else:
            bound_label = "le" if self.kind == "histogram" else "quantile"
            text = labels.get(bound_label, "")
            if not text:
                return f"{bound_label!r} label on {self.kind} metric is missing or empty"
            try:
                point = (float(text), value)
            except ValueError:
                return f"invalid {bound_label!r} value {text!r}"
            if group.points:
                group.points.append(point)
            else:
                group.points = [point]
        return ""


def created_ns(seconds: float) -> int:
    """The Collector's timestampFromFloat64."""
    if not math.isfinite(seconds):
        return 0
    whole = int(seconds)
    return whole * 1_000_000_000 + int((seconds - whole) * 1e9)
