"""Python SDK -> otelpy A (otlp -> batch -> otlp / otlphttp exporter) -> otelpy B -> file.

A has two receivers: ``otlp`` feeds pipelines exporting to B over gRPC (``otlp``
exporter), ``otlp/viahttp`` feeds pipelines exporting to B over HTTP (``otlphttp``).
B writes everything it receives as OTLP/JSON lines. Every combination of signal,
SDK transport (gRPC, HTTP/protobuf) and A->B route must deliver exactly the items
the SDK exported, unchanged, exactly once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from otelpy.testing.process import OtelpyProcess, free_ports, wait_until

from . import configs, pysdk
from .conftest import StartOtelpy
from .otlpfile import Item, assert_same_items, items_in, read_requests, wait_for_items

pytestmark = pytest.mark.integration


@dataclass
class Relay:
    a: OtelpyProcess
    b: OtelpyProcess
    out: Path
    a_ports: dict[str, dict[str, int]]  # route -> {"grpc": port, "http": port}

    def endpoint(self, route: str, transport: str) -> str:
        return f"127.0.0.1:{self.a_ports[route][transport]}"


def relay_configs(out: Path, ports: list[int]) -> tuple[dict, dict]:
    b_grpc, b_http, b_metrics, a1g, a1h, a2g, a2h, a_metrics = ports
    b_cfg = configs.receiver_to_file(out, b_grpc, b_http, b_metrics)
    a_cfg = {
        "receivers": {"otlp": configs.otlp_receiver(a1g, a1h),
                      "otlp/viahttp": configs.otlp_receiver(a2g, a2h)},
        "processors": {"batch": {"timeout": "200ms", "send_batch_size": 8192}},
        "exporters": {
            "otlp": {"endpoint": f"127.0.0.1:{b_grpc}", "tls": {"insecure": True}},
            "otlphttp": {"endpoint": f"http://127.0.0.1:{b_http}"},
        },
        "service": {
            "telemetry": configs.telemetry(a_metrics),
            "pipelines": {
                **configs.pipelines(["otlp"], ["otlp"], ["batch"]),
                **configs.pipelines(["otlp/viahttp"], ["otlphttp"], ["batch"], suffix="/viahttp"),
            },
        },
    }
    return a_cfg, b_cfg


def start_relay(start: StartOtelpy, out: Path) -> Relay:
    """B (writing ``out``), then A in front of it."""
    ports = free_ports(8)
    a_cfg, b_cfg = relay_configs(out, ports)
    b = start(b_cfg, name="relay-b")
    a = start(a_cfg, name="relay-a")
    a_ports = {"otlp": {"grpc": ports[3], "http": ports[4]},
               "otlphttp": {"grpc": ports[5], "http": ports[6]}}
    return Relay(a, b, out, a_ports)


@pytest.fixture(scope="module")
def relay(start_module_otelpy: StartOtelpy, tmp_path_factory: pytest.TempPathFactory) -> Relay:
    return start_relay(start_module_otelpy, tmp_path_factory.mktemp("relay-out") / "b.jsonl")


Counters = dict[str, tuple[OtelpyProcess, str, dict[str, str]]]


def _counters(relay: Relay, signal: str, route: str) -> Counters:
    """A's receiver accepted, A's exporter sent, B's receiver accepted (per signal)."""
    item = configs.ITEM_NAME[signal]
    receiver = "otlp" if route == "otlp" else "otlp/viahttp"
    return {
        "a_accepted": (relay.a, f"otelcol_receiver_accepted_{item}_total", {"receiver": receiver}),
        "a_sent": (relay.a, f"otelcol_exporter_sent_{item}_total", {"exporter": route}),
        "b_accepted": (relay.b, f"otelcol_receiver_accepted_{item}_total", {"receiver": "otlp"}),
    }


def _read(counters: Counters) -> dict[str, float]:
    return {k: proc.metric(name, labels) for k, (proc, name, labels) in counters.items()}


def _assert_counted(counters: Counters, before: dict[str, float], n: int) -> None:
    """Each counter grew by exactly ``n`` (polled: counting may trail the data a little)."""
    def deltas() -> dict[str, float]:
        return {k: v - before[k] for k, v in _read(counters).items()}

    wait_until(lambda: all(v >= n for v in deltas().values()), 5.0,
               f"own metrics to count {n} items: {list(counters.values())}")
    assert deltas() == {k: float(n) for k in counters}, deltas()


@pytest.mark.parametrize("route", ("otlp", "otlphttp"), ids=("A-to-B-grpc", "A-to-B-http"))
@pytest.mark.parametrize("transport", ("grpc", "http"), ids=("sdk-grpc", "sdk-http"))
@pytest.mark.parametrize("signal", ("traces", "metrics", "logs"))
def test_python_sdk_through_two_otelpys(relay: Relay, signal: str, transport: str,
                                        route: str) -> None:
    run = f"py-{signal}-{transport}-{route}-{uuid.uuid4().hex[:8]}"
    counters = _counters(relay, signal, route)
    before = _read(counters)
    sent = pysdk.SENDERS[signal](transport, relay.endpoint(route, transport), run)
    pysdk.CHECKS[signal](sent, run, transport)
    received = wait_for_items(relay.out, signal, {"test.run": run}, len(sent))
    assert_same_items(sent, received, f"python {signal} via {transport} then {route}")
    pysdk.CHECKS[signal](received, run, transport)
    _assert_counted(counters, before, len(sent))


@pytest.mark.parametrize("transport", ("grpc", "http"), ids=("sdk-grpc", "sdk-http"))
def test_python_sdk_gzip_compressed(relay: Relay, transport: str) -> None:
    """The SDK's gzip compression (gRPC message compression / HTTP Content-Encoding)."""
    run = f"py-gzip-{transport}-{uuid.uuid4().hex[:8]}"
    sent = pysdk.send_traces(transport, relay.endpoint("otlp", transport), run,
                             compression="gzip")
    received = wait_for_items(relay.out, "traces", {"test.run": run}, len(sent))
    assert_same_items(sent, received, f"gzip traces via {transport}")


def test_python_everything_exactly_once_after_shutdown(start_otelpy: StartOtelpy,
                                                       tmp_path: Path) -> None:
    """A relay of its own: each signal through each SDK transport and route, then A and
    B stopped with SIGTERM (exit 0 each); each run's items are in B's file once."""
    relay = start_relay(start_otelpy, tmp_path / "b.jsonl")
    sent: dict[str, tuple[str, list[Item]]] = {}
    for signal, transport, route in (("traces", "grpc", "otlphttp"),
                                     ("metrics", "http", "otlp"),
                                     ("logs", "grpc", "otlp"),
                                     ("traces", "http", "otlphttp")):
        run = f"py-once-{signal}-{transport}-{route}-{uuid.uuid4().hex[:8]}"
        sent[run] = (signal, pysdk.SENDERS[signal](transport, relay.endpoint(route, transport),
                                                    run))
    relay.a.stop()
    relay.b.stop()
    relay.a.assert_no_errors()
    relay.b.assert_no_errors()
    requests = read_requests(relay.out)
    for run, (signal, items) in sent.items():
        assert items, run
        assert_same_items(items, items_in(requests, signal, {"test.run": run}), run)
