"""The series the PromQL agreement test writes into both Prometheus and otelpy's SeriesStore.

Deterministic: every value is a function of the sample index (no random numbers), so both
sides hold bit-identical doubles. Counters reset, gauges go negative and hold NaN and
±Inf, classic histograms have `le` buckets with `_sum` and `_count`, and some series end with
or pause on a stale marker. Samples are every 15 s over 30 minutes from ``t0``.
"""

from __future__ import annotations

import math
import struct
import urllib.request

import cramjam

from otelpy.prometheus.prompb import Sample, TimeSeries, encode_series, request_entry
from otelpy.promql.storage import SeriesStore
from otelpy.promql.values import labels_from

STEP_MS = 15_000
POINTS = 121  # 0 .. 30 min
STALE = struct.unpack("<d", struct.pack("<Q", 0x7FF0000000000002))[0]
BUCKETS = ("0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf")

Points = list[tuple[int, float]]


def _counter(i: int, rate: float, reset_at: tuple[int, ...]) -> float:
    """A counter growing by ``rate`` (with a wobble) per step, back to 0 at ``reset_at``."""
    start = max((r for r in reset_at if r <= i), default=0)
    return sum(rate + (k % 3) * 0.25 for k in range(start, i))


def _counters() -> dict[tuple[tuple[str, str], ...], list[float | None]]:
    out: dict[tuple[tuple[str, str], ...], list[float | None]] = {}
    specs = [("api", "a", "200", 10.0, ()), ("api", "a", "500", 0.5, (40,)),
             ("api", "b", "200", 7.5, (30, 90)), ("api", "b", "500", 1.0, ()),
             ("web", "c", "200", 3.0, (60,)), ("web", "c", "404", 0.1, ())]
    for job, inst, code, rate, resets in specs:
        key = (("__name__", "http_requests_total"), ("code", code), ("instance", inst),
               ("job", job))
        out[key] = [_counter(i, rate, resets) for i in range(POINTS)]
    return out


def _gauges() -> dict[tuple[tuple[str, str], ...], list[float | None]]:
    out: dict[tuple[tuple[str, str], ...], list[float | None]] = {}
    for n, host in enumerate(("h1", "h2", "h3", "h4")):
        key = (("__name__", "node_temp_celsius"), ("dc", "east" if n < 2 else "west"),
               ("host", host))
        out[key] = [round(20 + 7 * math.sin(i / 9 + n) - n * 3.3, 3) for i in range(POINTS)]
    out[(("__name__", "node_load"), ("host", "h1"))] = [(i % 7) * 0.5 - 1 for i in range(POINTS)]
    out[(("__name__", "node_load"), ("host", "h2"))] = [float(i // 10) for i in range(POINTS)]
    special: list[float | None] = [float(i) for i in range(POINTS)]
    special[-1], special[-2], special[-3] = math.nan, math.inf, -math.inf
    out[(("__name__", "odd_values"), ("kind", "special"))] = special
    out[(("__name__", "odd_values"), ("kind", "big"))] = [1e300 * (i + 1) for i in range(POINTS)]
    out[(("__name__", "odd_values"), ("kind", "tiny"))] = [1e-7 * (i + 1) for i in range(POINTS)]
    return out


def _stale() -> dict[tuple[tuple[str, str], ...], list[float | None]]:
    """A series that ends with a stale marker at minute 20, one that pauses (stale marker,
    10 minutes missing, back), and one that stops without a marker at minute 25."""
    ends: list[float | None] = [float(i) for i in range(81)] + [STALE] + [None] * 39
    pause: list[float | None] = [100.0 + i for i in range(POINTS)]
    pause[50] = STALE
    for i in range(51, 91):
        pause[i] = None
    stops: list[float | None] = [2.0 * i for i in range(101)] + [None] * 20
    return {(("__name__", "batch_items"), ("state", "ended")): ends,
            (("__name__", "batch_items"), ("state", "paused")): pause,
            (("__name__", "batch_items"), ("state", "stopped")): stops}


def _histograms() -> dict[tuple[tuple[str, str], ...], list[float | None]]:
    out: dict[tuple[tuple[str, str], ...], list[float | None]] = {}
    for job, scale in (("api", 1.0), ("web", 2.0)):
        per_step = [scale * w for w in (3, 5, 9, 4, 2, 1, 0.5)]
        for n, le in enumerate(BUCKETS):
            total_le = sum(per_step[:n + 1])
            key = (("__name__", "request_duration_seconds_bucket"), ("job", job), ("le", le))
            out[key] = [total_le * i + (i % 4) for i in range(POINTS)]
        total = sum(per_step)
        base = (("job", job),)
        out[(("__name__", "request_duration_seconds_count"), *base)] = \
            [total * i + (i % 4) for i in range(POINTS)]
        out[(("__name__", "request_duration_seconds_sum"), *base)] = \
            [round(0.37 * scale * i * total, 4) for i in range(POINTS)]
    return out


def build(t0_ms: int) -> dict[tuple[tuple[str, str], ...], Points]:
    """Every series: sorted label pairs -> [(t_ms, value)]."""
    out: dict[tuple[tuple[str, str], ...], Points] = {}
    for part in (_counters(), _gauges(), _stale(), _histograms()):
        for key, values in part.items():
            out[key] = [(t0_ms + i * STEP_MS, v) for i, v in enumerate(values) if v is not None]
    return out


def load_store(series: dict[tuple[tuple[str, str], ...], Points]) -> SeriesStore:
    store = SeriesStore()
    for key, points in series.items():
        labels = labels_from(dict(key))
        for t, v in points:
            assert store.append(labels, t, v)
    return store


def remote_write(url: str, series: dict[tuple[tuple[str, str], ...], Points]) -> None:
    """POST every series as one snappy-compressed WriteRequest to ``url``; asserts 2xx."""
    body = b"".join(request_entry(encode_series(TimeSeries(
        labels=list(key), samples=[Sample(value=v, timestamp=t) for t, v in points])))
        for key, points in series.items())
    req = urllib.request.Request(url, data=bytes(cramjam.snappy.compress_raw(body)), headers={
        "Content-Encoding": "snappy", "Content-Type": "application/x-protobuf",
        "X-Prometheus-Remote-Write-Version": "0.1.0"}, method="POST")
    with urllib.request.urlopen(req, timeout=30) as reply:
        assert 200 <= reply.status < 300, reply.status
