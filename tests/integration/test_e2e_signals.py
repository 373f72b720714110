"""Runtime behaviour on signals: SIGTERM drains in-flight data, SIGHUP swaps in a valid
config and keeps the old pipelines on an invalid one."""

from __future__ import annotations

import signal
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import grpc
import pytest

from otelpy.testing.process import free_ports, wait_until

from . import configs
from .clients import EXPORT_METHODS, grpc_export
from .conftest import StartOtelpy
from .otlpfile import (
    Item,
    assert_same_items,
    flatten,
    items_in,
    read_requests,
    tagged_traces,
    wait_for_items,
)

pytestmark = pytest.mark.integration

ACCEPTED = "otelcol_receiver_accepted_spans_total"


def export_ok(port: int, raw: bytes) -> None:
    """One gRPC export that must succeed at the first attempt."""
    code, _, details = grpc_export(port, "traces", raw, timeout=5)
    assert code == grpc.StatusCode.OK, f"export failed: {code} {details}"


class SteadySender(threading.Thread):
    """Exports back to back, never retrying: on one long-lived channel and on a new
    connection in turn, every request tagged ``run``; records each status code."""

    def __init__(self, port: int, run: str) -> None:
        super().__init__(daemon=True)
        self.port, self.run_tag = port, run
        self.codes: list[grpc.StatusCode] = []
        self.sent: list[Item] = []
        self.stop = threading.Event()

    def run(self) -> None:
        with grpc.insecure_channel(f"127.0.0.1:{self.port}") as channel:
            export = channel.unary_unary(EXPORT_METHODS["traces"])
            while not self.stop.is_set():
                req = tagged_traces(self.run_tag, 2, seed=len(self.codes))
                raw = req.SerializeToString()
                if len(self.codes) % 2:
                    code = grpc_export(self.port, "traces", raw, timeout=5)[0]
                else:
                    try:
                        export(raw, timeout=5)
                        code = grpc.StatusCode.OK
                    except grpc.RpcError as exc:
                        code = exc.code()
                self.codes.append(code)
                if code == grpc.StatusCode.OK:
                    self.sent += flatten("traces", req)


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


def test_sigterm_drain_out_of_time_counts_and_logs_once(start_otelpy: StartOtelpy,
                                                        tmp_path: Path) -> None:
    """A backend that never answers: SIGTERM still exits 0, after the drain has waited
    service::shutdown_timeout, with one log line naming exactly what was dropped."""
    grpc_port, metrics_port = free_ports(2)
    backend = socket.socket()  # takes connections, never answers: every send hangs
    backend.bind(("127.0.0.1", 0))
    backend.listen(64)
    try:
        proc = start_otelpy({
            "receivers": {"otlp": configs.otlp_receiver(grpc_port, None)},
            "exporters": {"otlphttp": {
                "endpoint": f"http://127.0.0.1:{backend.getsockname()[1]}", "timeout": "30s"}},
            "service": {"shutdown_timeout": "1s", "telemetry": configs.telemetry(metrics_port),
                        "pipelines": configs.pipelines(["otlp"], ["otlphttp"],
                                                       signals=("traces",))},
        }, name="drain-out-of-time")
        for n in (4, 6):
            export_ok(grpc_port, tagged_traces("out-of-time", n, seed=n).SerializeToString())
        wait_until(lambda: proc.metric(ACCEPTED, {"receiver": "otlp"}) == 10, 10.0,
                   "10 accepted spans")
        began = time.monotonic()
        assert proc.stop(timeout=30.0) == 0
        took = time.monotonic() - began
    finally:
        backend.close()
    assert took >= 1.0, f"exited after {took:.2f}s: the drain did not wait shutdown_timeout"
    dropped = [ln for ln in proc.stderr().splitlines() if "shutdown dropped" in ln]
    assert len(dropped) == 1, dropped
    assert "shutdown dropped 10 spans (not delivered while draining; drain_timeout 1s)" \
        in dropped[0], dropped


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
    """Requests sent back to back and never retried, across a SIGHUP that adds an
    exporter: every one succeeds and is delivered exactly once; the new pipeline gets
    what arrives after the swap."""
    ports = free_ports(3)
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    proc = start_otelpy(_file_config(ports, {"one": one}), name="sighup-valid")
    pid = proc.pid
    before = f"before-{uuid.uuid4().hex[:8]}"
    export_ok(ports[0], tagged_traces(before, 2).SerializeToString())
    wait_for_items(one, "traces", {"test.run": before}, 2)

    steady = SteadySender(ports[0], f"steady-{uuid.uuid4().hex[:8]}")
    steady.start()
    try:
        wait_until(lambda: len(steady.codes) >= 10, 20.0, "10 requests before the reload")
        proc.write_config(_file_config(ports, {"one": one, "two": two}))
        proc.send_signal(signal.SIGHUP)
        wait_until(lambda: items_in(read_requests(two), "traces", {"test.run": steady.run_tag}),
                   20.0, "the reloaded pipeline to write to file/two")
        after_swap = len(steady.codes)
        wait_until(lambda: len(steady.codes) >= after_swap + 10, 20.0,
                   "10 requests after the reload")
    finally:
        steady.stop.set()
        steady.join(20)
    refused = [c for c in steady.codes if c != grpc.StatusCode.OK]
    assert not refused, f"{len(refused)} of {len(steady.codes)} requests failed: {refused[:5]}"
    got = wait_for_items(one, "traces", {"test.run": steady.run_tag}, len(steady.sent))
    assert_same_items(steady.sent, got, "file/one across the reload")
    assert "config reloaded" in proc.stderr()

    after = f"after-{uuid.uuid4().hex[:8]}"
    req = tagged_traces(after, 4, seed=9)
    export_ok(ports[0], req.SerializeToString())
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


def test_sighup_alias_bomb_is_refused_and_old_pipelines_keep_serving(
        start_otelpy: StartOtelpy, tmp_path: Path) -> None:
    """A reload reads the config with the same limits as a start: an alias bomb written
    over the config is refused quickly (no memory growth, the process lives) and the old
    pipelines keep serving."""
    ports = free_ports(3)
    one = tmp_path / "one.jsonl"
    proc = start_otelpy(_file_config(ports, {"one": one}), name="sighup-bomb")
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    proc.write_config("\n".join(lines) + "\nreceivers: *a9\n")
    proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "excessive aliasing" in proc.stderr(), 20.0,
               "stderr to report the refused alias bomb")
    assert proc.alive
    assert str(proc.config_path) in proc.stderr()
    run = f"after-bomb-{uuid.uuid4().hex[:8]}"
    req = tagged_traces(run, 3)
    export_ok(ports[0], req.SerializeToString())
    got = wait_for_items(one, "traces", {"test.run": run}, 3)
    assert_same_items(flatten("traces", req), got, "old pipeline after a refused alias bomb")
