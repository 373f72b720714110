"""One target's scrape loop: fetch, parse, label, relabel, staleness and the report series.

Every ``interval`` (first at a fixed offset derived from the target, as Prometheus spreads
targets), the loop fetches the target's URL within ``timeout``, parses the body (text format
or OpenMetrics by Content-Type), gives each sample the target's labels (``honor_labels``
decides conflicts; otherwise a scraped label is kept as ``exported_<name>``), applies
``metric_relabel_configs`` and ``sample_limit``, and hands a :class:`ScrapeResult` to its
``deliver`` callable. Series present in the previous scrape and missing now are listed in
``stale`` (Prometheus's staleness markers); a failed scrape (connection refused, timeout,
HTTP error, unparsable body, too large, over the sample limit) makes every series of the
previous scrape stale and reports ``up`` 0. The report series are ``up``,
``scrape_duration_seconds``, ``scrape_samples_scraped``,
``scrape_samples_post_metric_relabeling`` and ``scrape_series_added``.

Once a scrape's series were all known (seen in an earlier scrape), the body's layout (its lines
without their values) is kept in C (``otelpy.native._promtext.Layout``): a body with the
same lines but for their values is then read without a Python object per sample, as a
:class:`Steady` result (the values, the labelled samples they belong to); any difference
takes the Python path again.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import zlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from otelpy.clock import Clock
from otelpy.native._promtext import Layout
from otelpy.prometheus.fetch import Fetcher, ScrapeFailed
from otelpy.prometheus.labels import labels_key
from otelpy.prometheus.relabel import RelabelRule, relabel
from otelpy.prometheus.targets import Target
from otelpy.prometheus.textparse import (
    FamilyMeta,
    Known,
    Parsed,
    ParseError,
    Sample,
    is_openmetrics,
    parse,
)

__all__ = ["LabelSettings", "ScrapeLoop", "ScrapeResult", "REPORT_METRICS"]

REPORT_METRICS = ("up", "scrape_duration_seconds", "scrape_samples_scraped",
                  "scrape_samples_post_metric_relabeling", "scrape_series_added")

SeriesKey = str  # labels_key of the labels, prefixed by the metric name


class _Known:
    """A series text seen before: its final name, labels and identity, or ``keep`` False
    when metric relabelling drops it. Its labels are shared by every later sample."""

    __slots__ = ("name", "labels", "key", "keep")

    def __init__(self, name: str, labels: dict[str, str], keep: bool) -> None:
        # interned: the samples of one family share one name object (cheap to compare)
        self.name, self.labels, self.keep = sys.intern(name), labels, keep
        self.key: SeriesKey = labels_key(labels.items(), name) if keep else ""


@dataclass(frozen=True)
class LabelSettings:
    """How scraped samples are labelled (from the scrape config)."""

    honor_labels: bool = False
    honor_timestamps: bool = True
    sample_limit: int = 0
    metric_relabel: Sequence[RelabelRule] = ()
    external_labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Steady:
    """A scrape whose lines were those of the layout ``layout`` but for their values:
    ``values`` (packed native doubles) of ``template``'s samples, in order (their names
    and labels; their values and timestamps are an older scrape's)."""

    layout: Layout
    template: list[Sample]
    values: bytes

    def samples(self, ts_ms: int) -> list[Sample]:
        """The samples themselves (for consumers without a plan of this layout)."""
        values = memoryview(self.values).cast("d")
        return [Sample(t.name, t.labels, v, ts_ms) for t, v in zip(self.template, values,
                                                                   strict=True)]


@dataclass
class ScrapeResult:
    """What one scrape produced, ready for conversion. With ``steady``, ``samples`` is
    empty and ``steady`` holds them."""

    target: Target
    timestamp_ms: int
    samples: list[Sample]
    families: dict[str, FamilyMeta]
    stale: list[Sample]
    report: list[Sample]
    error: str = ""
    steady: Steady | None = None

    def kept(self) -> list[Sample]:
        """The kept samples, made from ``steady`` when the scrape was read that way."""
        if self.steady is not None:
            return self.steady.samples(self.timestamp_ms)
        return self.samples


@dataclass
class _Layout:
    """The layout of the last scrapes and what a scrape matching it gives."""

    layout: Layout
    openmetrics: bool
    template: list[Sample]
    families: dict[str, FamilyMeta]
    count: int  # sample lines, skipped ones included
    matched: int = 0  # bodies read with it


def _conflict_name(name: str, taken: Mapping[str, str], target: Mapping[str, str]) -> str:
    new = "exported_" + name
    while new in taken or new in target:
        new = "exported_" + new
    return new


def label_sample(sample: Sample, target: Mapping[str, str], cfg: LabelSettings) -> bool:
    """Give ``sample`` its final labels in place; False when relabelling drops it."""
    labels = sample.labels
    if cfg.honor_labels:
        for name, value in target.items():
            if not labels.get(name):
                labels[name] = value
    else:
        for name in [n for n in target if labels.get(n)]:
            labels[_conflict_name(name, labels, target)] = labels.pop(name)
        labels.update(target)
    if cfg.metric_relabel:
        out = relabel({**labels, "__name__": sample.name}, cfg.metric_relabel)
        if out is None:
            return False
        sample.name = out.pop("__name__", "")
        if not sample.name:
            return False
        labels = sample.labels = out
    for name, value in cfg.external_labels.items():
        labels.setdefault(name, value)
    if "" in labels.values():
        sample.labels = {k: v for k, v in labels.items() if v}
    return True


class ScrapeLoop:
    """Scrapes one target until stopped; never raises out of its task."""

    def __init__(self, target: Target, fetcher: Fetcher, labels: LabelSettings,
                 deliver: Callable[[ScrapeResult], Awaitable[None]], clock: Clock,
                 logger: logging.Logger) -> None:
        self.target, self.fetcher, self.cfg = target, fetcher, labels
        self.deliver, self.clock, self.logger = deliver, clock, logger
        self._previous: dict[SeriesKey, Sample] = {}
        # series text -> its labelled form; labels depend only on the text, the target and
        # the config, so each series is parsed and relabelled once (cleared when it grows
        # past twice the series of a scrape, so it never holds more than that)
        self._known: dict[str, _Known] = {}
        # the refs of the last scrape when every sample was of a known series: a scrape
        # with the same refs has the same series, so _previous serves as its own
        self._last_refs: list[Known | None] | None = None
        self._layout: _Layout | None = None
        self._report_labels: dict[str, str] | None = None
        self._no_layout_until = 0  # no layout is made before this scrape
        self._task: asyncio.Task[None] | None = None
        self.scrapes = 0
        self.failures = 0
        self.last_error = ""

    def offset(self) -> float:
        """Seconds after start of the first scrape: a stable spread over the interval."""
        digest = zlib.crc32(repr(self.target.key).encode())
        return (digest % 1000) / 1000 * self.target.interval

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name=f"scrape {self.target.url}")

    async def stop(self) -> None:
        """Stop scraping; the series of the last scrape are delivered as stale."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        if self._previous:
            stale = list(self._previous.values())
            self._previous, self._last_refs, self._layout = {}, None, None
            await self._deliver(ScrapeResult(self.target, self._now_ms(), [], {}, stale, []))

    def _now_ms(self) -> int:
        return self.clock.time_ns() // 1_000_000

    async def _run(self) -> None:
        interval = self.target.interval
        start = self.clock.monotonic() + self.offset()
        await self.clock.sleep(start - self.clock.monotonic())
        tick = 0
        while True:
            await self._deliver(await self.scrape_once())
            now = self.clock.monotonic()
            tick = max(tick + 1, int((now - start) / interval) + 1)
            await self.clock.sleep(start + tick * interval - now)

    async def _deliver(self, result: ScrapeResult) -> None:
        try:
            await self.deliver(result)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a consumer's failure must not end the loop
            self.logger.exception("scrape of %s: delivering the result failed", self.target.url)

    async def scrape_once(self) -> ScrapeResult:
        """One scrape of the target (also used by tests)."""
        began, ts_ms = self.clock.monotonic(), self._now_ms()
        self.scrapes += 1
        scraped = 0
        try:
            body, content_type = await self.fetcher.fetch(self.target)
            openmetrics = is_openmetrics(content_type)
            layout = self._match(body, openmetrics)
            if layout is not None:
                scraped = layout[0].count
                return self._steady(layout[0], layout[1], ts_ms, began)
            parsed = parse(body, openmetrics, self._known, ts_ms)
            scraped = parsed.count
            samples, current = self._label(parsed.samples, parsed.refs, ts_ms)
        except ScrapeFailed as exc:
            return self._failed(str(exc), ts_ms, began, scraped, exc.post_relabel)
        except ParseError as exc:
            return self._failed(str(exc), ts_ms, began, scraped, 0)
        if len(self._known) > 2 * scraped + 100:
            self._known = {}
        previous = self._previous
        if self._layout is None and self._last_refs is not None \
                and self.scrapes >= self._no_layout_until:  # every series known
            self._layout = self._new_layout(body, openmetrics, samples, parsed)
        if current is previous:
            added, stale = 0, []
        else:
            added = sum(1 for key in current if key not in previous)
            stale = [s for key, s in previous.items() if key not in current]
        self._previous = current
        report = self._report(ts_ms, 1.0, self.clock.monotonic() - began, scraped,
                              len(samples), added)
        return ScrapeResult(self.target, ts_ms, samples, parsed.families, stale, report)

    def _match(self, body: str, openmetrics: bool) -> tuple[_Layout, bytes] | None:
        """The layout and values of a body matching the layout (None when there is none
        or the body does not match: the layout is then forgotten)."""
        layout = self._layout
        if layout is None:
            return None
        values = layout.layout.match(body) if layout.openmetrics == openmetrics else None
        if values is None:
            self._layout = None
            if not layout.matched:  # Python reads a value C refuses: wait before a new one
                self._no_layout_until = self.scrapes + 16
            return None
        layout.matched += 1
        return layout, values

    def _steady(self, layout: _Layout, values: bytes, ts_ms: int,
                began: float) -> ScrapeResult:
        """The result of a body matching the layout; raises ScrapeFailed over the limit."""
        kept = len(layout.template)
        limit = self.cfg.sample_limit
        if limit and kept > limit:
            raise ScrapeFailed(f"sample limit exceeded ({kept} > {limit})", post_relabel=kept)
        report = self._report(ts_ms, 1.0, self.clock.monotonic() - began, layout.count,
                              kept, 0)
        return ScrapeResult(self.target, ts_ms, [], layout.families, [], report,
                            steady=Steady(layout.layout, layout.template, values))

    def _new_layout(self, body: str, openmetrics: bool, samples: list[Sample],
                    parsed: Parsed) -> _Layout | None:
        """The layout of ``body``, whose sample lines are all known series (else None)."""
        lines = body.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        entries: list[tuple[bytes, int]] = []
        known = self._known
        for line in lines:
            if line and line[0] != "#":
                head = line.rpartition(" ")[0]
                ref = known.get(head)
                if ref is None:
                    return None
                entries.append(((head + " ").encode(), 1 if ref.keep else 2))
            else:
                entries.append((line.encode(), 0))
        layout = Layout(entries)
        if layout.kept != len(samples):
            return None
        return _Layout(layout, openmetrics, samples, parsed.families, parsed.count)

    def _label(self, samples: list[Sample], refs: list[Known | None],
               ts_ms: int) -> tuple[list[Sample], dict[SeriesKey, Sample]]:
        """The kept samples, labelled and timestamped, and them by series identity."""
        target, cfg, known = self.target.labels, self.cfg, self._known
        limit = cfg.sample_limit
        if refs == self._last_refs:  # known series only (timestamped by parse), as before
            if limit and len(samples) > limit:
                raise ScrapeFailed(f"sample limit exceeded ({len(samples)} > {limit})",
                                   post_relabel=len(samples))
            return samples, self._previous
        self._last_refs = None if None in refs else refs
        honor = cfg.honor_timestamps
        out: list[Sample] = []
        current: dict[SeriesKey, Sample] = {}
        for sample, ref in zip(samples, refs, strict=True):
            if ref is None:
                keep = label_sample(sample, target, cfg)
                if sample.series:
                    known[sample.series] = ref = _Known(sample.name, sample.labels, keep)
                if not keep:
                    continue
                key = ref.key if isinstance(ref, _Known) else \
                    labels_key(sample.labels.items(), sample.name)
            else:
                key = ref.key  # type: ignore[attr-defined]
            if sample.timestamp_ms is None or not honor:
                sample.timestamp_ms = ts_ms
            out.append(sample)
            current[key] = sample
        if limit and len(out) > limit:
            raise ScrapeFailed(f"sample limit exceeded ({len(out)} > {limit})",
                               post_relabel=len(out))
        return out, current

    def _failed(self, error: str, ts_ms: int, began: float, scraped: int,
                post: int) -> ScrapeResult:
        self.failures += 1
        if error != self.last_error:
            self.logger.warning("scrape of %s failed: %s", self.target.url, error)
        self.last_error = error
        stale = list(self._previous.values())
        self._previous, self._last_refs, self._layout = {}, None, None
        report = self._report(ts_ms, 0.0, self.clock.monotonic() - began, scraped, post, 0)
        return ScrapeResult(self.target, ts_ms, [], {}, stale, report, error)

    def _report(self, ts_ms: int, up: float, duration: float, scraped: int, post: int,
                added: int) -> list[Sample]:
        values = (up, duration, float(scraped), float(post), float(added))
        labels = self._report_labels
        if labels is None:  # one dict for every report sample (consumers never change it)
            labels = self._report_labels = dict(self.target.labels)
            for key, val in self.cfg.external_labels.items():
                labels.setdefault(key, val)
        return [Sample(name, labels, value, ts_ms)
                for name, value in zip(REPORT_METRICS, values, strict=True)]
