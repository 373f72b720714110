"""otelpy's PromQL engine against a real Prometheus 2.42: the same series (counters with resets,
gauges with NaN and ±Inf, classic histograms, stale markers) are remote-written into Prometheus
and loaded into a SeriesStore; every expression of promql_exprs is asked of both at the same
instants. Label sets must be identical and values identical as Prometheus writes them
(``strconv.FormatFloat(v, 'f', -1, 64)``), except for the expressions listed in LAST_BIT,
where Go's math library and glibc may round the last bit differently: there the two doubles
may be at most one ulp apart."""

from __future__ import annotations

import math
import time
import urllib.error
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from otelpy.promql.engine import Engine
from otelpy.promql.errors import PromQLError
from otelpy.promql.parser import parse
from otelpy.promql.values import Scalar, Vector, format_json
from otelpy.testing.process import free_port
from tests.integration import promql_series
from tests.integration.promql_exprs import EXPRESSIONS, ORDERED
from tests.integration.promserver import PrometheusServer

# Milliseconds after t0 at which every expression is evaluated: the last sample, just after a
# stale marker, off the sample grid, and mid-span.
OFFSETS_MS = (1_800_000, 1_222_500, 1_481_123, 720_000)
AT_OFFSET_MS = 900_000

# Go computes these with its own (pure Go or assembly) math routines; glibc may differ in
# the last bit. Values are then compared within one ulp instead of as strings.
LAST_BIT = {
    'node_temp_celsius ^ 0.5': "math.Pow with a fractional exponent (Exp/Log inside)",
    '2 ^ 0.5': "math.Pow with a fractional exponent",
    'ln(node_temp_celsius)': "math.Log (amd64 assembly in Go)",
    'log10(node_temp_celsius)': "math.Log10 = Log(x) * (1/Ln10)",
    'tan(node_load)': "Go's Cephes-based Tan",
    'asin(node_load / 10)': "Go's Asin (Atan of x/sqrt(1-x*x))",
    'acos(node_load / 10)': "Go's Acos (Pi/2 - Asin)",
    'atan(node_load)': "Go's Cephes-based Atan",
    'node_load atan2 2': "Go's Atan2 (through its Atan)",
}

Result = tuple[str, list[tuple[dict[str, str], str]]]


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PrometheusServer, Engine,
                                                                       int]]:
    # Recent enough for the TSDB head to take the samples (it refuses those more than an hour
    # older than its newest), aligned to a minute so the grid does not depend on the second.
    t0 = (int(time.time()) // 60) * 60_000 - 40 * 60_000
    series = promql_series.build(t0)
    prom = PrometheusServer(tmp_path_factory.mktemp("prom"), free_port(), {},
                            remote_write_receiver=True,
                            config="global: {evaluation_interval: 1m}\n")
    try:
        promql_series.remote_write(f"{prom.url}/api/v1/write", series)
        engine = Engine(promql_series.load_store(series), subquery_step_ms=60_000)
        yield prom, engine, t0
    finally:
        prom.stop()


def _prom_result(prom: PrometheusServer, expr: str, t_ms: int) -> Result:
    try:
        data: Any = prom.api("query", query=expr, time=f"{t_ms // 1000}.{t_ms % 1000:03d}")
    except urllib.error.HTTPError as err:
        return "error", [({}, err.read().decode())]
    if data["resultType"] == "scalar":
        return "scalar", [({}, data["result"][1])]
    return "vector", [(r["metric"], r["value"][1]) for r in data["result"]]


def _otelpy_result(engine: Engine, expr: str, t_ms: int) -> Result:
    try:
        value = engine.instant(parse(expr), t_ms)
    except PromQLError as err:
        return "error", [({}, str(err))]
    if isinstance(value, Scalar):
        return "scalar", [({}, format_json(value.v))]
    assert isinstance(value, Vector), type(value)
    return "vector", [(dict(s.metric), format_json(s.v)) for s in value]


def _key(row: tuple[dict[str, str], str]) -> list[tuple[str, str]]:
    return sorted(row[0].items())


def _within_ulp(a: str, b: str) -> bool:
    x, y = float(a), float(b)
    if math.isnan(x) or math.isnan(y) or math.isinf(x) or math.isinf(y):
        return a == b
    return abs(x - y) <= math.ulp(max(abs(x), abs(y)))


def _compare(expr: str, want: Result, got: Result) -> None:
    assert want[0] == got[0], (want, got)
    if want[0] == "error":
        return
    rows_w, rows_g = want[1], got[1]
    if expr not in ORDERED:
        rows_w, rows_g = sorted(rows_w, key=_key), sorted(rows_g, key=_key)
    assert [r[0] for r in rows_g] == [r[0] for r in rows_w]
    if expr in LAST_BIT:
        bad = [(w, g) for (_, w), (_, g) in zip(rows_w, rows_g, strict=True)
               if not _within_ulp(w, g)]
        assert not bad, bad
    else:
        assert [r[1] for r in rows_g] == [r[1] for r in rows_w]


@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_expression_agrees(both: tuple[PrometheusServer, Engine, int], expr: str) -> None:
    prom, engine, t0 = both
    at = t0 + AT_OFFSET_MS
    query = expr.replace("{at}", f"{at // 1000}.{at % 1000:03d}")
    nonempty = 0
    for offset in OFFSETS_MS:
        t = t0 + offset
        want = _prom_result(prom, query, t)
        got = _otelpy_result(engine, query, t)
        _compare(query, want, got)
        nonempty += bool(want[1])
    assert nonempty, f"{query} returned nothing at every instant: the test compares nothing"


def test_table_is_wide() -> None:
    assert len(EXPRESSIONS) >= 80
    assert len(set(EXPRESSIONS)) == len(EXPRESSIONS)


def test_series_reach_prometheus(both: tuple[PrometheusServer, Engine, int],
                                 tmp_path: Path) -> None:
    prom, engine, t0 = both
    count = prom.api("query", query="count({__name__=~\".+\"})",
                     time=f"{(t0 + 600_000) // 1000}")
    assert count["result"][0]["value"][1] == str(len(engine.store))
