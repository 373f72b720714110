"""Runtime behaviour on signals: SIGTERM drains in-flight data, SIGHUP swaps in a valid
config and keeps the old pipelines on an invalid one."""

from __future__ import annotations

import signal
import time
import uuid
from pathlib import Path
from typing import Any

import grpc
import pytest

from otelpy.testing.process import free_ports, wait_until

from . import configs
from .clients import grpc_export
from .conftest import StartOtelpy
from .otlpfile import (
    assert_same_items,
    flatten,
    items_in,
    read_requests,
    tagged_traces,
    wait_for_items,
)

pytestmark = pytest.mark.integration

ACCEPTED = "otelcol_receiver_accepted_spans_total"


# the codes an OTLP/gRPC client retries (OTLP spec, "Failures"); a reload may cause them
RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED, grpc.StatusCode.ABORTED,
             grpc.StatusCode.DEADLINE_EXCEEDED}


def export_ok(port: int, raw: bytes) -> None:
    """One gRPC export that must succeed at the first attempt."""
    code, _, details = grpc_export(port, "traces", raw, timeout=5)
    assert code == grpc.StatusCode.OK, f"export failed: {code} {details}"


def send_until_ok(port: int, raw: bytes, timeout: float = 15.0) -> None:
    """Export over gRPC, retrying OTLP-retryable failures (as an SDK would) until a deadline."""
    deadline = time.monotonic() + timeout
    while True:
        code, _, details = grpc_export(port, "traces", raw, timeout=5)
        if code == grpc.StatusCode.OK:
            return
        if code not in RETRYABLE or time.monotonic() > deadline:
            raise AssertionError(f"export failed: {code} {details}")
        time.sleep(0.1)


def test_sigterm_drains_in_flight_batch(start_otelpy: StartOtelpy, tmp_path: Path) -> None:
    b_grpc, b_http, b_metrics, a_grpc, a_http, a_metrics = free_ports(6)
    out = tmp_path / "b.jsonl"
    # B keeps the file exporter's default 1s flush interval: its own shutdown must flush too
    b_cfg = configs.receiver_to_file(out, b_grpc, b_http, b_metrics, flush_interval=None)
    b = start_otelpy(b_cfg, name="drain-b")
    a = start_otelpy({
        "receivers": {"otlp": configs.otlp_receiver(a_grpc, a_http)},
        # a batch that would only leave after a minute: only the shutdown drain can send it
        "processors": {"batch": {"timeout": "60s", "send_batch_size": 100000}},
        "exporters": {"otlp": {"endpoint": f"127.0.0.1:{b_grpc}", "tls": {"insecure": True}}},
        "service": {"telemetry": configs.telemetry(a_metrics),
                    "pipelines": configs.pipelines(["otlp"], ["otlp"], ["batch"],
                                                   signals=("traces",))},
    }, name="drain-a")
    run = f"drain-{uuid.uuid4().hex[:8]}"
    sent = []
    for i in range(3):
        req = tagged_traces(run, 50, seed=i)
        code, _, details = grpc_export(a_grpc, "traces", req.SerializeToString())
        assert code == grpc.StatusCode.OK, details
        sent += flatten("traces", req)
    wait_until(lambda: a.metric(ACCEPTED, {"receiver": "otlp"}) == 150, 5.0,
               "A to accept 150 spans")
    assert items_in(read_requests(out), "traces", {"test.run": run}) == [], \
        "data left the 60s batch before shutdown; the test cannot show draining"
    a.stop(timeout=15.0)  # exit 0 within 15 s, long before the batch timeout
    # A exited after B accepted the drained batch; B's own SIGTERM must flush it to the file
    b.stop(timeout=15.0)
    received = items_in(read_requests(out), "traces", {"test.run": run})
    assert_same_items(sent, received, "spans drained at SIGTERM (A) and flushed at SIGTERM (B)")
    a.assert_no_errors()
    b.assert_no_errors()


def _file_config(ports: list[int], files: dict[str, Path]) -> dict[str, Any]:
    grpc_port, http_port, metrics = ports
    return {
        "receivers": {"otlp": configs.otlp_receiver(grpc_port, http_port)},
        # append: a reload recreates the exporters, and without it a file starts anew
        "exporters": {f"file/{name}": configs.file_exporter(path, append=True)
                      for name, path in files.items()},
        "service": {"telemetry": configs.telemetry(metrics),
                    "pipelines": configs.pipelines(["otlp"], [f"file/{n}" for n in files],
                                                   signals=("traces",))},
    }


def test_sighup_valid_config_adds_exporter(start_otelpy: StartOtelpy, tmp_path: Path) -> None:
    ports = free_ports(3)
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    proc = start_otelpy(_file_config(ports, {"one": one}), name="sighup-valid")
    pid = proc.pid
    before = f"before-{uuid.uuid4().hex[:8]}"
    export_ok(ports[0], tagged_traces(before, 2).SerializeToString())
    wait_for_items(one, "traces", {"test.run": before}, 2)

    proc.write_config(_file_config(ports, {"one": one, "two": two}))
    proc.send_signal(signal.SIGHUP)

    def second_exporter_live() -> bool:
        probe = f"probe-{uuid.uuid4().hex[:8]}"
        send_until_ok(ports[0], tagged_traces(probe, 1).SerializeToString())
        wait_for_items(one, "traces", {"test.run": probe}, 1, timeout=5.0)  # old or new pipeline
        return bool(items_in(read_requests(two), "traces", {"test.run": probe}))

    wait_until(second_exporter_live, 20.0, "the reloaded pipeline to write to file/two")
    after = f"after-{uuid.uuid4().hex[:8]}"
    req = tagged_traces(after, 4, seed=9)
    export_ok(ports[0], req.SerializeToString())  # the reload is over: no retries now
    for path in (one, two):
        got = wait_for_items(path, "traces", {"test.run": after}, 4)
        assert_same_items(flatten("traces", req), got, f"after reload, {path.name}")
    assert proc.alive and proc.pid == pid
    assert items_in(read_requests(two), "traces", {"test.run": before}) == []
    proc.assert_no_errors()


def test_sighup_invalid_config_keeps_old_pipelines(start_otelpy: StartOtelpy,
                                                   tmp_path: Path) -> None:
    ports = free_ports(3)
    one = tmp_path / "one.jsonl"
    good = _file_config(ports, {"one": one})
    proc = start_otelpy(good, name="sighup-invalid")
    bad = _file_config(ports, {"one": one})
    bad["exporters"]["fiel/two"] = {"path": str(tmp_path / "two.jsonl")}
    bad["service"]["pipelines"]["traces"]["exporters"].append("fiel/two")
    proc.write_config(bad)
    proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "fiel" in proc.stderr(), 10.0, "stderr to report the invalid config")
    assert proc.alive
    errors = [ln for ln in proc.stderr().splitlines() if "fiel" in ln]
    assert any(str(proc.config_path) in ln or "exporters::fiel/two" in ln for ln in errors), errors
    run = f"still-served-{uuid.uuid4().hex[:8]}"
    req = tagged_traces(run, 3)
    export_ok(ports[0], req.SerializeToString())  # a refused reload must not disturb serving
    got = wait_for_items(one, "traces", {"test.run": run}, 3)
    assert_same_items(flatten("traces", req), got, "old pipeline after a rejected reload")
    assert not (tmp_path / "two.jsonl").exists()
