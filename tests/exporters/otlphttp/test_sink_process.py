"""Both exporters against the sinks run as a process (how benchmarks and e2e tests use them)."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.exporters.otlp import OTLPConfig, OTLPExporter
from otelpy.exporters.otlphttp import OTLPHTTPConfig, OTLPHTTPExporter
from otelpy.pdata import Batch
from otelpy.telemetry import Telemetry
from otelpy.testing.samples import traces_request
from otelpy.testing.sink import FakeHost


async def test_sink_process_counts_what_both_exporters_send() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "otelpy.testing.servers", "--grpc", "0", "--http", "0",
        stdout=asyncio.subprocess.PIPE)
    assert proc.stdout is not None
    try:
        ready = json.loads(await asyncio.wait_for(proc.stdout.readline(), 20))
        grpc_endpoint, http_endpoint = ready["ready"]
        tel = Telemetry()
        settings = Settings(ComponentID("otlp"), Kind.EXPORTER, logging.getLogger("t"), tel)
        exporters = [
            OTLPExporter(settings, OTLPConfig.model_validate(
                {"endpoint": f"http://{grpc_endpoint}"}), [Signal.TRACES]),
            OTLPHTTPExporter(settings, OTLPHTTPConfig(endpoint=http_endpoint), [Signal.TRACES]),
        ]
        batch = Batch.from_bytes(Signal.TRACES, traces_request(512).SerializeToString())
        for ex in exporters:
            await ex.start(FakeHost())
            for _ in range(10):
                await ex.consume_traces(batch)
            await ex.shutdown()
        assert tel.value("otelcol_exporter_sent_spans_total", {"exporter": "otlp"}) == 10240
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = await asyncio.wait_for(proc.communicate(), 20)
    final = json.loads(out.decode().strip().splitlines()[-1])
    assert final == {"traces": 10240, "metrics": 0, "logs": 0, "requests": 20}
    assert proc.returncode == 0
