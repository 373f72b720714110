"""In-process harness of the scrape -> remote write path (no HTTP): the bodies of
``targets.py`` through ``ScrapeLoop.scrape_once``, ``Converter.convert``, the exporter's
translator, ``Translation.requests`` and snappy; CPU microseconds per sample.

    python benchmarks/scrape_remote_write/inprocess.py [--targets 100] [--rounds 4]
    python benchmarks/scrape_remote_write/inprocess.py --stage scrape   # stop after a stage
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import sys
import time
from pathlib import Path

import cramjam

sys.path.insert(0, str(Path(__file__).parent))
from targets import body  # noqa: E402

from otelpy.exporters.prometheusremotewrite.config import PRWConfig  # noqa: E402
from otelpy.exporters.prometheusremotewrite.exporter import translator_settings  # noqa: E402
from otelpy.prometheus.remotewrite import RemoteWriteTranslator  # noqa: E402
from otelpy.prometheus.scrape import LabelSettings, ScrapeLoop  # noqa: E402
from otelpy.prometheus.targets import Target  # noqa: E402
from otelpy.receivers.prometheus.convert import Converter  # noqa: E402
from otelpy.testing.clock import FakeClock  # noqa: E402

STAGES = ("scrape", "convert", "translate", "encode")


class _Fetcher:
    """Serves bodies made beforehand (their making is not measured)."""

    def __init__(self, t: int, series: int, rounds: int) -> None:
        self.bodies = [body(t, series, n + 1).decode() for n in range(rounds)]
        self.n = 0

    async def fetch(self, target: Target) -> tuple[str, str]:
        self.n += 1
        return self.bodies[self.n - 1], "text/plain; version=0.0.4"


async def run(args: argparse.Namespace) -> None:
    log = logging.getLogger("bench")
    clock = FakeClock()
    loops = []
    for t in range(args.targets):
        url = f"http://127.0.0.1:{9000 + t}/metrics"
        target = Target("bench", url, {"job": "bench", "instance": f"127.0.0.1:{9000 + t}"},
                        {"__scheme__": "http"}, 5.0, 5.0)
        fetcher = _Fetcher(t, args.series, args.warmup + args.rounds)
        loops.append(ScrapeLoop(target, fetcher, LabelSettings(),  # type: ignore[arg-type]
                                _noop, clock, log))
    converter = Converter(log)
    translator = RemoteWriteTranslator(translator_settings(
        PRWConfig(endpoint="http://127.0.0.1:1/api/v1/write")))
    stop = STAGES.index(args.stage)
    total_cpu = 0.0
    total = 0
    for r in range(args.warmup + args.rounds):
        await clock.advance(5.0)
        cpu0 = time.process_time()
        n = 0
        for loop in loops:
            result = await loop.scrape_once()
            n += len(result.steady.template) if result.steady else len(result.samples)
            if stop < 1:
                continue
            batch = converter.convert(result)
            if stop < 2 or batch is None:
                continue
            out = translator.translate_bytes(batch.data)
            if stop < 3:
                continue
            for data, _ in out.requests(2_000_000):
                cramjam.snappy.compress_raw(data)
        cpu = time.process_time() - cpu0
        if r >= args.warmup:
            total_cpu += cpu
            total += n
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.stage}: {total_cpu / total * 1e6:.2f} us/sample over {total:,} samples, "
          f"RSS {rss:.0f} MiB")


async def _noop(_: object) -> None:
    return None


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--targets", type=int, default=100)
    p.add_argument("--series", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--warmup", type=int, default=4)
    p.add_argument("--stage", choices=STAGES, default="encode")
    asyncio.run(run(p.parse_args()))


if __name__ == "__main__":
    main()
