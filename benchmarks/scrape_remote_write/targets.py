"""Scrape targets for the scrape_remote_write benchmark: one uvloop/aiohttp process serving
``--targets`` ports on 127.0.0.1, each /metrics with ``--series`` series in the text format
(counters, gauges and histograms, a realistic mix), counters growing on every scrape.

    python targets.py --ports P1,P2,... --series 1000
"""

from __future__ import annotations

import argparse
import asyncio

import uvloop
from aiohttp import web

_HIST_BUCKETS = ("0.005", "0.01", "0.05", "0.1", "0.5", "1", "5", "+Inf")


def body(target: int, series: int, scrape: int) -> bytes:
    """``series`` samples: 60% counters, 30% gauges, 10% in histograms (bucket lines)."""
    out: list[str] = []
    counters, gauges = series * 6 // 10, series * 3 // 10
    hist = series - counters - gauges
    out.append("# TYPE bench_requests_total counter")
    for i in range(counters):
        out.append(f'bench_requests_total{{path="/api/{i % 97}",code="{200 + i % 5}",'
                   f'shard="{i}"}} {scrape * (i % 7 + 1)}')
    out.append("# TYPE bench_queue_depth gauge")
    for i in range(gauges):
        value = (i * 31 + scrape) % 1000
        out.append(f'bench_queue_depth{{queue="q{i}",target="{target}"}} {value}')
    out.append("# TYPE bench_latency_seconds histogram")
    per = len(_HIST_BUCKETS) + 2
    for h in range(hist // per):
        for k, le in enumerate(_HIST_BUCKETS):
            out.append(f'bench_latency_seconds_bucket{{op="op{h}",le="{le}"}} {scrape * (k + 1)}')
        out.append(f'bench_latency_seconds_sum{{op="op{h}"}} {scrape * 0.25}')
        out.append(f'bench_latency_seconds_count{{op="op{h}"}} {scrape * len(_HIST_BUCKETS)}')
    for j in range(hist - (hist // per) * per):  # fill up to exactly ``series`` samples
        out.append(f'bench_extra{{n="{j}"}} 1')
    return ("\n".join(out) + "\n").encode()


def samples_per_scrape(series: int) -> int:
    return series


async def serve(ports: list[int], series: int) -> None:
    scrapes = [0] * len(ports)
    runners = []
    for t, port in enumerate(ports):
        async def metrics(request: web.Request, t: int = t) -> web.Response:
            scrapes[t] += 1
            return web.Response(body=body(t, series, scrapes[t]),
                                content_type="text/plain", charset="utf-8")
        app = web.Application()
        app.router.add_get("/metrics", metrics)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)
    print("ready", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ports", required=True, help="comma-separated ports, one per target")
    p.add_argument("--series", type=int, default=1000)
    args = p.parse_args()
    uvloop.run(serve([int(x) for x in args.ports.split(",")], args.series))


if __name__ == "__main__":
    main()
