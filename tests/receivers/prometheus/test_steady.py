"""The C path of steady scrapes (``_promtext`` layout and plan) against the Python path:
the same bodies through two scrape loops and converters, one kept off the C path, must
give the same OTLP bytes, scrape after scrape (values changing, counters resetting,
series coming and going, lines the C path refuses)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

from otelpy.prometheus.relabel import compile_rule
from otelpy.prometheus.scrape import LabelSettings, ScrapeLoop
from otelpy.prometheus.targets import Target
from otelpy.receivers.prometheus.convert import Converter
from otelpy.testing.clock import FakeClock
from tests.fuzz.conftest import budget

LOG = logging.getLogger("tests.receivers.prometheus.steady")  # its own: other tests read "test"
LOG.setLevel(logging.ERROR)
TARGET = Target("job", "http://127.0.0.1:9/metrics", {"job": "job", "instance": "127.0.0.1:9"},
                {"__scheme__": "http"}, 5.0, 5.0)
VALUES = ["0", "1", "2.5", "-3", "1e3", ".5", "7.", "+Inf", "-Inf", "NaN", "nan", "1e-7",
          "123456789012345678901234567890", "-0", "1E+2", "infinity", "4", "5", "6", "7"]
ODD = ["0x10", "1_0", "  ", "1e", "--1", "1.5\r", "0x1p3", "١"]  # refused by the C reader


class _Fetcher:
    def __init__(self) -> None:
        self.body = ""
        self.content_type = "text/plain; version=0.0.4"

    async def fetch(self, target: Target) -> tuple[str, str]:
        return self.body, self.content_type


def _family(kind: str, name: str, series: int, values: list[str], start: int) -> list[str]:
    out = [f"# TYPE {name} {kind}", f"# HELP {name} about {name}"]
    v = iter(values[start:] + values[:start])
    for i in range(series):
        labels = f'a="{i}",b="x{i % 3}"' if i % 4 else f'a="{i}",b=""'
        if kind == "histogram":
            for le in ("0.5", "1", "+Inf")[: 3 if i % 5 else 2]:
                out.append(f'{name}_bucket{{{labels},le="{le}"}} {next(v, "1")}')
            if i % 3:
                out.append(f"{name}_sum{{{labels}}} {next(v, '2')}")
            out.append(f"{name}_count{{{labels}}} {next(v, '3')}")
        elif kind == "summary":
            out.append(f'{name}{{{labels},quantile="0.5"}} {next(v, "1")}')
            out.append(f"{name}_count{{{labels}}} {next(v, '4')}")
        else:
            out.append(f"{name}{{{labels}}} {next(v, '5')}")
    return out


_KINDS = st.sampled_from(["counter", "gauge", "histogram", "untyped", "summary"])
_VALUE = st.sampled_from(VALUES * 10 + ODD)
_SCRAPE = st.tuples(st.lists(_VALUE, min_size=1, max_size=12),
                    st.sampled_from([9, 9, 9, 9, 0, 1]), st.sampled_from([False] * 5 + [True]))


plans: list[Any] = []  # the last plan of each run's first converter


async def _run(families: list[tuple[str, int]], scrapes: list[tuple[list[str], int, bool]],
               cfg: LabelSettings, info: bool, trim: bool = False) -> int:
    """Runs both paths over the scrapes; how many results of the first were steady."""
    clock = FakeClock()
    fetchers = [_Fetcher(), _Fetcher()]
    loops = [ScrapeLoop(TARGET, f, cfg, _noop, clock, LOG)  # type: ignore[arg-type]
             for f in fetchers]
    loops[1]._new_layout = lambda *a: None  # type: ignore[method-assign]
    converters = [Converter(LOG, trim), Converter(LOG, trim)]
    steady = 0
    for values, drop, extra in scrapes:
        lines = [] if not info else ['target_info{env="prod"} 1']
        for n, (kind, series) in enumerate(families):
            if n == drop and len(families) > 1:
                continue
            lines += _family(kind, f"m{n}_{kind}", series, values, n)
        if extra:
            lines.append("extra_line 1")
        for f in fetchers:
            f.body = "\n".join(lines) + "\n"
        await clock.advance(5.0)
        got = []
        for loop, conv in zip(loops, converters, strict=True):
            result = await loop.scrape_once()
            steady += loop is loops[0] and result.steady is not None
            batch = conv.convert(result)  # bad values are left out and counted, never raise
            got.append(batch and (batch.item_count, batch.data))
        assert got[0] == got[1]
        assert converters[0].problems == converters[1].problems
        assert _started(converters[0]) == _started(converters[1])
        assert loops[1]._layout is None
    plans.append(converters[0]._memos[TARGET.url].plan)
    for conv in converters:
        conv.start_times.sweep()
    return steady


def _started(conv: Converter) -> dict[Any, Any]:
    """The start-time entries a point has reached (a plan makes its entries ahead, with
    previous values None until their first point)."""
    return {(res, key): info[0] for res, table in conv.start_times._tables.items()
            for key, info in table.items() if info[1] is not None}


async def _noop(_: object) -> None:
    return None


@budget(80)
@given(families=st.lists(st.tuples(_KINDS, st.integers(0, 6)), min_size=1, max_size=4),
       scrapes=st.lists(_SCRAPE, min_size=5, max_size=9), info=st.booleans(),
       honor=st.booleans(), drop_b=st.booleans(), trim=st.booleans())
def test_steady_path_writes_what_the_python_path_writes(
        families: list[tuple[str, int]], scrapes: list[tuple[list[str], int, bool]],
        info: bool, honor: bool, drop_b: bool, trim: bool) -> None:
    rules = [compile_rule("drop", ["b"], regex="x1")] \
        if drop_b else []
    cfg = LabelSettings(honor_labels=honor, metric_relabel=rules)
    asyncio.run(_run(families, scrapes, cfg, info, trim))


def test_a_steady_run_takes_the_c_path_and_counter_resets_restart() -> None:
    families = [("counter", 3), ("gauge", 2), ("histogram", 2)]
    ups = [(["5", "6", "7", "8", "9", "10", "11", "12"], 9, False)] * 4
    down = [(["1", "1", "1", "1", "1", "1", "1", "1"], 9, False)] * 2
    assert asyncio.run(_run(families, ups + down + ups, LabelSettings(), False)) == 8
    assert plans[-1][1] is not None and len(plans[-1][1].families) == 3
    # and the C path is taken once every series was known (from the third scrape)
    clock = FakeClock()
    fetcher = _Fetcher()
    fetcher.body = "\n".join(_family("counter", "c", 2, ["1"], 0)) + "\n"
    loop = ScrapeLoop(TARGET, fetcher, LabelSettings(), _noop, clock, LOG)  # type: ignore
    results: list[Any] = [asyncio.run(loop.scrape_once()) for _ in range(5)]
    assert [r.steady is not None for r in results] == [False, False, True, True, True]
    steady = results[-1].steady
    assert list(memoryview(steady.values).cast("d")) == [1.0, 5.0]


@pytest.mark.parametrize("bad", [
    ['h_bucket{le="1"} 5', 'h_bucket{le="+Inf"} 3', "h_count 3"],      # a bucket falls
    ['h_bucket{le="1"} 1', 'h_bucket{le="+Inf"} +Inf', "h_count +Inf"],  # infinite counts
    ['h_bucket{le="1"} 1', 'h_bucket{le="+Inf"} 2', "h_count -1"],       # negative count
])
def test_a_bad_histogram_is_left_out_and_counted_the_rest_delivered(bad: list[str]) -> None:
    async def run() -> tuple[Any, int]:
        fetcher = _Fetcher()
        fetcher.body = "\n".join(["# TYPE c counter", "c_total 4", "# TYPE h histogram", *bad,
                                  "# TYPE s summary", 's{quantile="0.5"} 1', "s_count NaN",
                                  "s_sum 1"]) + "\n"
        loop = ScrapeLoop(TARGET, fetcher, LabelSettings(), _noop, FakeClock(),  # type: ignore
                          LOG)
        conv = Converter(LOG)
        batch = conv.convert(await loop.scrape_once())
        assert batch is not None
        return ExportMetricsServiceRequest.FromString(batch.data), conv.problems

    request, problems = asyncio.run(run())
    names = [m.name for rm in request.resource_metrics for sm in rm.scope_metrics
             for m in sm.metrics]
    assert "c_total" in names and "up" in names
    assert "h" not in names and "s" not in names  # their one point each was left out
    assert problems == 2
