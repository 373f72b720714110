"""Prometheus text 0.0.4 and OpenMetrics 1.0 from a :class:`~otelpy.prometheus.store.SeriesStore`.

Output matches what the Collector's exporter (Go's ``expfmt``) writes, family by family in
name order with ``target_info`` first: ``# HELP`` (when there is a description) and
``# TYPE`` lines, then the samples. Numbers are written as Go writes float64 (shortest form,
``1.5e+06``, ``+Inf``, ``NaN``); OpenMetrics adds ``.0`` to integral floats, names counter
families without ``_total`` (samples keep it), writes timestamps in seconds, exemplars
(`` # {trace_id="..",span_id=".."} value timestamp``) on counters and histogram buckets, and
ends with ``# EOF``. Exponential histograms are written as classic histograms
(:func:`~otelpy.prometheus.exphist.classic_buckets`).

:func:`render_chunks` yields the body in pieces of about ``chunk`` series so a server can let
its event loop run between them; :func:`render` joins them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate

from otelpy.prometheus.exphist import classic_buckets
from otelpy.prometheus.labels import escape_help
from otelpy.prometheus.series import (
    Exemplar,
    ExpHistogramSeries,
    HistogramSeries,
    NumberSeries,
    Series,
    SummarySeries,
)
from otelpy.prometheus.store import Family, SeriesStore

__all__ = ["OPENMETRICS", "TEXT", "Format", "explicit_buckets", "go_float", "negotiate",
           "render", "render_chunks"]

TEXT = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"
TARGET_INFO = "target_info"


@dataclass(frozen=True)
class Format:
    """An exposition format: its content type and whether it is OpenMetrics."""

    content_type: str
    openmetrics: bool


TEXT_FORMAT = Format(TEXT, False)
OPENMETRICS_FORMAT = Format(OPENMETRICS, True)


def negotiate(accept: str | None, openmetrics_enabled: bool) -> Format:
    """The format for an ``Accept`` header: OpenMetrics when enabled and preferred (by ``q``,
    then order) over text, text otherwise."""
    if not openmetrics_enabled or not accept:
        return TEXT_FORMAT
    ranked = []
    for position, part in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            ranked.append((-q, position, media.lower()))
    for _, _, media in sorted(ranked):
        if media == "application/openmetrics-text":
            return OPENMETRICS_FORMAT
        if media in ("text/plain", "*/*", "text/*"):
            return TEXT_FORMAT
    return TEXT_FORMAT


def go_float(value: float) -> str:
    """``value`` as Go's ``strconv.FormatFloat(v, 'g', -1, 64)``: shortest digits, exponent
    form from 1e+06 and below 1e-04: ``1``, ``0.5``, ``1.5e+06``, ``1e-05``, ``+Inf``."""
    if value.__class__ is int:
        if -1_000_000 < value < 1_000_000:
            return str(value)
        value = float(value)
    text = repr(value)
    if -1e6 < value < 1e6:  # repr and Go agree here, but for repr's ".0" (NaN fails the test)
        return text[:-2] if text[-2:] == ".0" else text
    return _go_float_large(text)


def _go_float_large(text: str) -> str:
    if text == "inf":
        return "+Inf"
    if text == "-inf":
        return "-Inf"
    if text == "nan":
        return "NaN"
    if "e" in text:  # repr from 1e16: already Go's form (shortest mantissa, 2-digit exponent)
        return text
    sign, body = ("-", text[1:]) if text[0] == "-" else ("", text)
    whole, _, frac = body.partition(".")
    digits = (whole + ("" if frac == "0" else frac)).rstrip("0")
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{sign}{mantissa}e+{len(whole) - 1:02d}"


def om_float(value: float) -> str:
    """``value`` as Go's OpenMetrics writer: integral values get ``.0``."""
    text = go_float(value)
    if "." in text or "e" in text or "Inf" in text or text == "NaN":
        return text
    return text + ".0"


def render(store: SeriesStore, fmt: Format, send_timestamps: bool = False) -> str:
    """The whole exposition body."""
    return "".join(render_chunks(store, fmt, send_timestamps))


def render_chunks(store: SeriesStore, fmt: Format, send_timestamps: bool = False,
                  chunk: int = 20_000) -> Iterator[str]:
    """The exposition body in pieces (each a whole number of lines)."""
    families = sorted(store.live(), key=lambda f: f.name)
    writer = _Writer(fmt.openmetrics, send_timestamps)
    out = writer.target_info(store)
    for family in families:
        out.append(writer.header(family))
        series = list(family.series.values())
        for start in range(0, len(series), chunk):
            writer.samples(out, family, series[start:start + chunk])
            if start + chunk < len(series):
                yield "".join(out)
                out = []
        if len(out) > 1000:
            yield "".join(out)
            out = []
    if fmt.openmetrics:
        out.append("# EOF\n")
    yield "".join(out)


class _Writer:
    """Sample lines of one format."""

    def __init__(self, openmetrics: bool, send_timestamps: bool) -> None:
        self.om = openmetrics
        self.num = om_float if openmetrics else go_float
        self.timestamps = send_timestamps
        self._layouts: dict[tuple[float, ...], tuple[tuple[int, ...] | None, list[str]]] = {}

    def target_info(self, store: SeriesStore) -> list[str]:
        name = f"{store.metric_namer.namespace}_{TARGET_INFO}" \
            if store.metric_namer.namespace else TARGET_INFO
        if not store.targets:
            return []
        one = " 1.0\n" if self.om else " 1\n"
        out = [f"# HELP {name} Target metadata\n# TYPE {name} gauge\n"]
        out += [f"{name}{t.labels}{one}" for t in store.targets.values()]
        return out

    def header(self, family: Family) -> str:
        name = family.name
        if self.om and family.type == "counter":
            name = name.removesuffix("_total")
        text = f"# HELP {name} {escape_help(family.help, self.om)}\n" if family.help else ""
        return f"{text}# TYPE {name} {family.type}\n"

    def _ts(self, series: Series) -> str:
        if not self.timestamps:
            return ""
        ms = series.ts // 1_000_000
        return f" {om_float(ms / 1000)}" if self.om else f" {ms}"

    def samples(self, out: list[str], family: Family, series: list[Series]) -> None:
        name, num = family.name, self.num
        if family.type in ("counter", "gauge"):
            if self.om and family.type == "counter":
                self._counters_om(out, name, series)
            elif self.timestamps:
                out += [f"{name}{s.labels} {num(s.value)}{self._ts(s)}\n"  # type: ignore
                        for s in series]
            else:
                out += [f"{name}{s.labels} {num(s.value)}\n" for s in series]  # type: ignore
            return
        for s in series:
            if isinstance(s, HistogramSeries):
                self._explicit(out, name, s)
            elif isinstance(s, ExpHistogramSeries):
                self._histogram(out, name, s, classic_buckets(
                    s.scale, s.zero_count, s.zero_threshold, s.positive, s.negative))
            elif isinstance(s, SummarySeries):
                self._summary(out, name, s)

    def _layout(self, bounds: tuple[float, ...]) -> tuple[tuple[int, ...] | None, list[str]]:
        """For a bounds tuple: the bucket indices in increasing ``le`` order with duplicate
        bounds counted once, as the Collector does (None when that is simply 0..n-1), and
        the ``le="..."} `` text of each."""
        layout = self._layouts.get(bounds)
        if layout is None:
            seen: dict[float, int] = {}
            for bound, index in sorted((b, i) for i, b in enumerate(bounds))[::-1]:
                seen[bound] = index  # iterating backwards: the first index of a bound wins
            ordered = sorted(seen.items())
            indices = tuple(i for _, i in ordered)
            les = [f'le="{self.num(b)}"}} ' for b, _ in ordered]
            layout = (None if indices == tuple(range(len(bounds))) else indices, les)
            if len(self._layouts) < 10_000:
                self._layouts[bounds] = layout
        return layout

    def _explicit(self, out: list[str], name: str, s: HistogramSeries) -> None:
        if self.om and s.exemplars:
            self._histogram(out, name, s, explicit_buckets(s))
            return
        indices, les = self._layout(s.bounds)
        counts = s.counts
        if indices is None and len(counts) > len(les):
            totals = accumulate(counts[:len(les)])
        else:
            picked = range(len(les)) if indices is None else indices
            totals = accumulate(counts[i] if i < len(counts) else 0 for i in picked)
        prefix = f"{name}_bucket{s.labels[:-1]}," if s.labels else f"{name}_bucket{{"
        ts = self._ts(s)
        out += [f"{prefix}{le}{total}{ts}\n" for le, total in zip(les, totals, strict=False)]
        out.append(f'{prefix}le="+Inf"}} {s.count}{ts}\n')
        out.append(f"{name}_sum{s.labels} {self.num(s.sum)}{ts}\n")
        out.append(f"{name}_count{s.labels} {s.count}{ts}\n")

    def _counters_om(self, out: list[str], name: str, series: list[Series]) -> None:
        if not name.endswith("_total"):
            name += "_total"
        for s in series:
            assert isinstance(s, NumberSeries)
            ex = self._exemplar(s.exemplars[-1]) if s.exemplars else ""
            out.append(f"{name}{s.labels} {om_float(s.value)}{self._ts(s)}{ex}\n")

    def _exemplar(self, exemplar: Exemplar) -> str:
        value, ts, labels = exemplar
        stamp = f" {om_float(ts / 1e9)}" if ts else ""
        return f" # {labels} {om_float(value)}{stamp}"

    def _histogram(self, out: list[str], name: str, s: HistogramSeries | ExpHistogramSeries,
                   buckets: list[tuple[float, int]]) -> None:
        prefix = f"{name}_bucket{s.labels[:-1]}," if s.labels else f"{name}_bucket{{"
        ts, num = self._ts(s), self.num
        marks = self._bucket_exemplars(s.exemplars, buckets) if self.om and s.exemplars else {}
        for i, (le, total) in enumerate(buckets):
            out.append(f'{prefix}le="{num(le)}"}} {total}{ts}{marks.get(i, "")}\n')
        out.append(f'{prefix}le="+Inf"}} {s.count}{ts}{marks.get(len(buckets), "")}\n')
        out.append(f"{name}_sum{s.labels} {num(s.sum)}{ts}\n")
        out.append(f"{name}_count{s.labels} {s.count}{ts}\n")

    def _bucket_exemplars(self, exemplars: tuple[Exemplar, ...],
                          buckets: list[tuple[float, int]]) -> dict[int, str]:
        marks = {}
        for exemplar in exemplars:  # each goes to the first bucket whose le >= its value
            index = next((i for i, (le, _) in enumerate(buckets) if exemplar[0] <= le),
                         len(buckets))
            marks[index] = self._exemplar(exemplar)
        return marks

    def _summary(self, out: list[str], name: str, s: SummarySeries) -> None:
        prefix = f"{name}{s.labels[:-1]}," if s.labels else f"{name}{{"
        ts, num = self._ts(s), self.num
        out += [f'{prefix}quantile="{num(q)}"}} {num(v)}{ts}\n' for q, v in s.quantiles]
        out.append(f"{name}_sum{s.labels} {num(s.sum)}{ts}\n")
        out.append(f"{name}_count{s.labels} {s.count}{ts}\n")


def explicit_buckets(s: HistogramSeries) -> list[tuple[float, int]]:
    """Cumulative (le, count) of an explicit-bucket histogram; duplicate bounds count once,
    as the Collector does."""
    out: list[tuple[float, int]] = []
    seen: set[float] = set()
    total = 0
    counts = s.counts
    pairs = sorted((b, i) for i, b in enumerate(s.bounds))
    for bound, index in pairs:
        if bound in seen:
            continue
        seen.add(bound)
        total += counts[index] if index < len(counts) else 0
        out.append((bound, total))
    return out
