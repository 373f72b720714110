"""Render /metrics for 100,000 series received over OTLP; prometheus-client is the peer.

otelpy: OTLP ``ExportMetricsServiceRequest`` bytes (counters, gauges, explicit-bucket
histograms) are decoded and accumulated into :class:`otelpy.prometheus.SeriesStore`, then the
text 0.0.4 and OpenMetrics bodies are rendered. prometheus-client: the same series (same
names, label sets, values and buckets) set on its own ``Counter`` / ``Gauge`` / ``Histogram``
in a ``CollectorRegistry`` (``_created`` series disabled, as the Collector exposes none),
rendered with ``generate_latest`` and the OpenMetrics ``generate_latest``. Both in this
process, in turn, each render repeated; the median wall and CPU time are reported, with the
ratio, and the memory per series of each (tracemalloc, in a separate pass).

    python benchmarks/prometheus_exposition/run.py [--series 100000] [--repeat 5] [--json F]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
VENV_PY = ROOT / ".venv" / "bin" / "python"
if Path(sys.executable).resolve() != VENV_PY.resolve() and VENV_PY.exists() \
        and not os.environ.get("BENCH_NO_REEXEC"):
    os.execv(str(VENV_PY), [str(VENV_PY), *sys.argv])

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (  # noqa: E402
    ExportMetricsServiceRequest,
)
from prometheus_client import (  # noqa: E402
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.openmetrics.exposition import (  # noqa: E402
    generate_latest as om_generate_latest,
)

from otelpy.prometheus import SeriesStore, StoreSettings, negotiate, render  # noqa: E402

PER_METRIC = 1000           # series per metric name
BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]
T0 = 1_700_000_000_000_000_000
MIX = (("counter", 0.45), ("gauge", 0.45), ("histogram", 0.10))


def plan(total: int) -> list[tuple[str, str, int]]:
    """(kind, metric name, series count) per metric."""
    out = []
    for kind, share in MIX:
        n = int(total * share)
        for m in range(0, n, PER_METRIC):
            out.append((kind, f"bench.{kind}.{m // PER_METRIC}", min(PER_METRIC, n - m)))
    return out


def _attrs(i: int) -> tuple[tuple[str, str], ...]:
    return (("http.method", ("GET", "POST", "PUT")[i % 3]),
            ("http.route", f"/api/v1/item/{i // 3}"), ("http.status_code", str(200 + i % 5)))


def _value(kind: str, i: int) -> float:
    return float(i * 7 + 3) if kind == "counter" else (i % 1000) / 8.0


def _hist(i: int) -> tuple[list[int], float, int]:
    counts = [(i + b) % 7 for b in range(len(BOUNDS) + 1)]
    return counts, sum(counts) * 0.3, sum(counts)


def otlp_requests(metrics: list[tuple[str, str, int]]) -> list[bytes]:
    """One request per metric (1000 points each), serialized."""
    out = []
    for kind, name, n in metrics:
        req = ExportMetricsServiceRequest()
        rm = req.resource_metrics.add()
        for key, value in (("service.name", "bench"), ("service.instance.id", "host-1")):
            kv = rm.resource.attributes.add()
            kv.key, kv.value.string_value = key, value
        sm = rm.scope_metrics.add()
        sm.scope.name, sm.scope.version = "bench", "1.0"
        metric = sm.metrics.add()
        metric.name, metric.unit = name, "s"
        if kind == "histogram":
            metric.histogram.aggregation_temporality = 2
            points = metric.histogram.data_points
        elif kind == "counter":
            metric.sum.aggregation_temporality, metric.sum.is_monotonic = 2, True
            points = metric.sum.data_points
        else:
            points = metric.gauge.data_points
        for i in range(n):
            p = points.add()
            p.start_time_unix_nano, p.time_unix_nano = T0, T0 + 10**9
            for key, value in _attrs(i):
                kv = p.attributes.add()
                kv.key, kv.value.string_value = key, value
            if kind == "histogram":
                counts, total, count = _hist(i)
                p.explicit_bounds.extend(BOUNDS)
                p.bucket_counts.extend(counts)
                p.sum, p.count = total, count
            else:
                p.as_double = _value(kind, i)
        out.append(req.SerializeToString())
    return out


def otelpy_store(requests: list[bytes]) -> SeriesStore:
    store = SeriesStore(StoreSettings(max_series=10_000_000))
    for raw in requests:
        store.accumulate(ExportMetricsServiceRequest.FromString(raw))
    return store


_LABELS = ["http_method", "http_route", "http_status_code", "instance", "job",
           "otel_scope_name", "otel_scope_schema_url", "otel_scope_version"]


def client_registry(metrics: list[tuple[str, str, int]]) -> CollectorRegistry:
    """The same series in prometheus-client's own metric objects."""
    registry = CollectorRegistry(auto_describe=False)
    for kind, name, n in metrics:
        prom = name.replace(".", "_") + "_seconds"
        if kind == "counter":
            family: Any = Counter(prom, "", _LABELS, registry=registry)
        elif kind == "gauge":
            family = Gauge(prom, "", _LABELS, registry=registry)
        else:
            family = Histogram(prom, "", _LABELS, registry=registry, buckets=BOUNDS)
        for i in range(n):
            attrs = [v for _, v in _attrs(i)]
            child = family.labels(*attrs, "host-1", "bench", "bench", "", "1.0")
            if kind == "counter":
                child.inc(_value(kind, i))
            elif kind == "gauge":
                child.set(_value(kind, i))
            else:
                _fill_histogram(child, i)
    return registry


def _fill_histogram(child: Any, i: int) -> None:
    """Bucket counts and sum as the OTLP point says (set directly: no observe loop)."""
    counts, total, _ = _hist(i)
    for bucket, count in zip(child._buckets, counts, strict=True):
        bucket.set(count)
    child._sum.set(total)


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, int]:
    """Median wall and CPU seconds of ``fn`` and the size of what it returned."""
    walls, cpus, size = [], [], 0
    for _ in range(repeat):
        gc.collect()
        w0, c0 = time.perf_counter(), time.process_time()
        body = fn()
        cpus.append(time.process_time() - c0)
        walls.append(time.perf_counter() - w0)
        size = len(body)
    return statistics.median(walls), statistics.median(cpus), size


def memory_per_series(build: Callable[[], Any], series: int) -> float:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = build()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del kept
    return (after - before) / series


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    disable_created_metrics()
    metrics = plan(args.series)
    series = sum(n for _, _, n in metrics)
    requests = otlp_requests(metrics)
    t0 = time.process_time()
    store = otelpy_store(requests)
    ingest_cpu = time.process_time() - t0
    assert store.series_count == series, (store.series_count, series)
    registry = client_registry(metrics)
    text, om = negotiate(None, True), negotiate("application/openmetrics-text", True)
    rows = {
        "otelpy text": timed(lambda: render(store, text).encode(), args.repeat),
        "prometheus-client text": timed(lambda: generate_latest(registry), args.repeat),
        "otelpy openmetrics": timed(lambda: render(store, om).encode(), args.repeat),
        "prometheus-client openmetrics": timed(lambda: om_generate_latest(registry),
                                               args.repeat),
    }
    mem = {"otelpy": memory_per_series(lambda: otelpy_store(requests), series),
           "prometheus-client": memory_per_series(lambda: client_registry(metrics), series)}
    report(series, ingest_cpu, rows, mem)
    if args.json:
        args.json.write_text(json.dumps({"series": series, "ingest_cpu_s": ingest_cpu,
                                         "rows": rows, "bytes_per_series": mem}, indent=2))
    return 0


def report(series: int, ingest_cpu: float, rows: dict[str, tuple[float, float, int]],
           mem: dict[str, float]) -> None:
    print(f"{series:,} series (45% counters, 45% gauges, 10% histograms of 10 buckets); "
          f"otelpy decoded + accumulated them in {ingest_cpu:.2f} CPU-s")
    print(f"{'render':32} {'wall s':>8} {'CPU s':>8} {'µs/series':>10} {'MB':>7}")
    for name, (wall, cpu, size) in rows.items():
        print(f"{name:32} {wall:8.3f} {cpu:8.3f} {cpu / series * 1e6:10.2f} {size / 1e6:7.1f}")
    for fmt in ("text", "openmetrics"):
        ours, peer = rows[f"otelpy {fmt}"][1], rows[f"prometheus-client {fmt}"][1]
        print(f"{fmt}: otelpy CPU = {ours / peer:.3f}x prometheus-client's")
    for name, per in mem.items():
        print(f"memory per series, {name}: {per:,.0f} bytes")


if __name__ == "__main__":
    sys.exit(main())
