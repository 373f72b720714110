"""prometheusremotewrite exporter against a real local HTTP server that answers as scripted:
headers and bodies (decoded), retries on 500 and 429 (Retry-After), 400 permanent, splitting
by max_batch_size_bytes with only the failed write requests re-sent, delta dropped."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import cramjam
import pytest
from aiohttp import web

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.errors import PermanentError, RetryableError
from otelpy.exporters.prometheusremotewrite import PRWConfig, PRWExporter, factory
from otelpy.pdata import Batch
from otelpy.prometheus.prompb import (
    WriteRequest,
    decode_write_request,
    encode_series,
    request_entry,
)
from otelpy.telemetry import Telemetry
from otelpy.testing.metrics import DELTA, request
from otelpy.testing.sink import FakeHost
from otelpy.testing.sockets import hanging_connects

T = 1_700_000_000_000_000_000
LABELS = {"exporter": "prometheusremotewrite/t"}


class ScriptedServer:
    """Answers POST /api/v1/write with the next scripted (status, headers), then 204."""

    def __init__(self) -> None:
        self.script: list[tuple[int, dict[str, str]]] = []
        self.received: list[tuple[float, dict[str, str], WriteRequest]] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/v1/write", self._write)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/api/v1/write"

    async def stop(self) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def _write(self, req: web.Request) -> web.Response:
        body = bytes(cramjam.snappy.decompress_raw(await req.read()))
        self.received.append((time.monotonic(), dict(req.headers), decode_write_request(body)))
        status, headers = self.script.pop(0) if self.script else (204, {})
        return web.Response(status=status, headers=headers, text="" if status < 300 else "no")

    def names(self, index: int) -> list[str]:
        return sorted(dict(ts.labels)["__name__"] for ts in self.received[index][2].timeseries)


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    s = ScriptedServer()
    await s.start()
    yield s
    await s.stop()


async def _exporter(tel: Telemetry, url: str, **overrides: Any) -> PRWExporter:
    cfg = PRWConfig.model_validate({"endpoint": url, "remote_write_queue": {"enabled": False},
                                    **overrides})
    assert cfg.validate_config() == []
    settings = Settings(ComponentID("prometheusremotewrite", "t"), Kind.EXPORTER,
                        logging.getLogger("t.prw"), tel)
    ex = factory.create(settings, cfg, {Signal.METRICS})
    await ex.start(FakeHost())
    return ex


def _gauges(n: int) -> Batch:
    points = [{"time_unix_nano": T, "as_double": float(i), "attrs": {"i": f"{i:04d}"}}
              for i in range(n)]
    return Batch.from_message(Signal.METRICS, request("gauge", name="g", points=points))


async def test_headers_body_and_labels(server: ScriptedServer) -> None:
    tel = Telemetry()
    ex = await _exporter(tel, server.url, headers={"X-Scope-OrgID": "t1",
                                                   "Content-Type": "text/plain"},
                         external_labels={"cluster": "c1"})
    await ex.consume_metrics(_gauges(2))
    await ex.shutdown()
    (_, headers, req), = server.received
    assert headers["Content-Encoding"] == "snappy"
    assert headers["Content-Type"] == "application/x-protobuf"
    assert headers["X-Prometheus-Remote-Write-Version"] == "0.1.0"
    assert headers["User-Agent"].startswith("otelpy/")
    assert headers["X-Scope-OrgID"] == "t1"
    by_i = {dict(ts.labels).get("i"): ts for ts in req.timeseries}
    assert dict(by_i["0001"].labels) == {
        "__name__": "g", "i": "0001", "cluster": "c1", "job": "svc", "instance": "i-1",
        "otel_scope_name": "scope", "otel_scope_version": "1"}
    assert [(s.value, s.timestamp) for s in by_i["0001"].samples] == [(1.0, T // 1_000_000)]
    assert dict(by_i[None].labels)["__name__"] == "target_info"
    assert tel.value("otelcol_exporter_sent_metric_points_total", LABELS) == 2


async def test_500_then_204_is_retried(server: ScriptedServer) -> None:
    tel = Telemetry()
    server.script = [(500, {})]
    ex = await _exporter(tel, server.url)
    await ex.consume_metrics(_gauges(3))
    await ex.shutdown()
    assert len(server.received) == 2
    assert server.received[0][2] == server.received[1][2]
    assert tel.value("otelcol_exporter_sent_metric_points_total", LABELS) == 3


async def test_429_waits_for_retry_after(server: ScriptedServer) -> None:
    tel = Telemetry()
    server.script = [(429, {"Retry-After": "1"})]
    ex = await _exporter(tel, server.url)  # initial_interval 50ms: only Retry-After waits 1s
    await ex.consume_metrics(_gauges(1))
    await ex.shutdown()
    (first, _, _), (second, _, _) = server.received
    assert second - first >= 0.95
    assert tel.value("otelcol_exporter_sent_metric_points_total", LABELS) == 1


async def test_400_is_permanent_and_not_retried(server: ScriptedServer) -> None:
    tel = Telemetry()
    server.script = [(400, {})]
    ex = await _exporter(tel, server.url)
    with pytest.raises(PermanentError, match="HTTP 400"):
        await ex.consume_metrics(_gauges(4))
    await ex.shutdown()
    assert len(server.received) == 1
    assert tel.value("otelcol_exporter_send_failed_metric_points_total", LABELS) == 4
    assert tel.value("otelcol_exporter_prometheusremotewrite_refused_series_total",
                     LABELS) == 5  # 4 gauges and target_info


async def test_split_by_max_batch_size_bytes_and_only_failed_parts_resent(
        server: ScriptedServer) -> None:
    tel = Telemetry()
    server.script = [(204, {}), (503, {"Retry-After": "0"})]
    ex = await _exporter(tel, server.url, max_batch_size_bytes=1500,
                         max_batch_request_parallelism=1)
    await ex.consume_metrics(_gauges(60))
    await ex.shutdown()
    requests = [r for _, _, r in server.received]
    assert len(requests) > 4
    # the second request failed and was sent again (after the others); no other was
    assert [requests.count(r) for r in requests] == [1, 2] + [1] * (len(requests) - 3) + [2]
    delivered = requests[:1] + requests[2:]
    labels = sorted(dict(ts.labels).get("i", "") for r in delivered for ts in r.timeseries)
    assert labels == ["", *(f"{i:04d}" for i in range(60))]  # target_info has no i
    for r in delivered:  # each request within the bound (before compression)
        assert sum(len(request_entry(encode_series(ts))) for ts in r.timeseries) <= 1500


async def test_delta_is_dropped_and_counted(server: ScriptedServer) -> None:
    tel = Telemetry()
    ex = await _exporter(tel, server.url)
    delta = request("sum", name="jobs", temporality=DELTA,
                    points=[{"time_unix_nano": T, "as_int": 3}])
    cumulative = request("sum", name="reqs", points=[{"time_unix_nano": T, "as_int": 7}])
    delta.resource_metrics.extend(cumulative.resource_metrics)
    await ex.consume_metrics(Batch.from_message(Signal.METRICS, delta))
    await ex.shutdown()
    assert server.names(0) == ["reqs_total", "target_info"]
    assert tel.value("otelcol_exporter_prometheusremotewrite_dropped_points_total",
                     {**LABELS, "reason": "delta_temporality"}) == 1


async def test_queue_sends_in_order(server: ScriptedServer) -> None:
    tel = Telemetry()
    ex = await _exporter(tel, server.url, remote_write_queue={"enabled": True},
                         target_info={"enabled": False})
    for i in range(5):
        points = [{"time_unix_nano": T + i * 1_000_000_000, "as_int": i}]
        await ex.consume_metrics(Batch.from_message(Signal.METRICS,
                                                    request("gauge", points=points)))
    await ex.shutdown()
    got = [r.timeseries[0].samples[0].value for _, _, r in server.received]
    assert got == [0.0, 1.0, 2.0, 3.0, 4.0]


@pytest.mark.parametrize(("overrides", "problem"), [
    ({"endpoint": ""}, "endpoint: must be set"),
    ({"external_labels": {"a": ""}}, "external_labels: contains an empty key or value"),
    ({"translation_strategy": "NoTranslation"}, "requires Prometheus Remote Write 2.0"),
], ids=["no-endpoint", "empty-label", "utf8-strategy"])
def test_config_problems(overrides: dict[str, Any], problem: str) -> None:
    cfg = PRWConfig.model_validate({"endpoint": "http://x/api/v1/write", **overrides})
    assert any(problem in p for p in cfg.validate_config())


@pytest.mark.parametrize("overrides", [{"wal": {"directory": "/tmp/w"}},
                                       {"protobuf_message": "io.prometheus.write.v2.Request"},
                                       {"compression": "gzip"}],
                         ids=["wal", "rw2", "gzip"])
def test_refused_keys(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        PRWConfig.model_validate({"endpoint": "http://x/api/v1/write", **overrides})


async def test_connection_refused_is_retryable_until_max_elapsed() -> None:
    tel = Telemetry()
    ex = await _exporter(tel, "http://127.0.0.1:9/api/v1/write",
                         retry_on_failure={"max_elapsed_time": "0.3s", "max_interval": "0.1s",
                                           "initial_interval": "0.05s"})
    with pytest.raises(Exception, match="ClientConnectorError|Connect"):
        await asyncio.wait_for(ex.consume_metrics(_gauges(1)), 60)
    await ex.shutdown()
    assert tel.value("otelcol_exporter_send_failed_metric_points_total", LABELS) == 1


@pytest.mark.parametrize(("hang", "arrived"), [(False, True), (True, False)])
async def test_a_timeout_may_have_arrived_only_once_the_request_was_written(
        hang: bool, arrived: bool) -> None:
    # hang=False: a server that reads the request and never answers; hang=True: the connect
    # itself never completes, so no byte of the request can have been written
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        await asyncio.sleep(5)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    with hanging_connects() as hanging:
        port = hanging if hang else server.sockets[0].getsockname()[1]
        ex = await _exporter(Telemetry(), f"http://127.0.0.1:{port}/api/v1/write",
                             timeout="200ms", retry_on_failure={"enabled": False})
        with pytest.raises(RetryableError, match="timed out after 0.2s") as info:
            await ex.consume_metrics(_gauges(1))
        await ex.shutdown()
    server.close()
    assert info.value.may_have_arrived is arrived
