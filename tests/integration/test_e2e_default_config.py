"""``otelpy`` with no --config runs the built-in config: OTLP on localhost:4317 (gRPC) and
localhost:4318 (HTTP), batched, written by the debug exporter to stderr, own metrics on
127.0.0.1:8888. The test runs in a private network namespace (``otelpy.testing.netns``),
where those fixed ports are free whatever else runs on the machine; without the privilege
for one, they must be free here: a busy port fails the test (never skips)."""

from __future__ import annotations

import re
import uuid

import grpc
import pytest

from otelpy.testing.netns import run_on_fixed_ports
from otelpy.testing.process import port_is_free, wait_until

from .clients import curl_post, grpc_export
from .conftest import StartOtelpy
from .otlpfile import key_values, tagged_traces

pytestmark = pytest.mark.integration

DEFAULT_PORTS = (4317, 4318, 8888)


def _debug_lines(stderr: str, spans: int) -> list[str]:
    """Lines of the debug exporter's basic output reporting a batch of ``spans`` spans."""
    return [ln for ln in stderr.splitlines() if re.search(rf"Traces\b.*\b{spans} spans\b", ln)]


def test_default_config_receives_on_4317_and_4318_and_prints(start_otelpy: StartOtelpy) -> None:
    run_on_fixed_ports(lambda: _receive_and_print(start_otelpy), DEFAULT_PORTS)


def _receive_and_print(start_otelpy: StartOtelpy) -> None:
    proc = start_otelpy(None, name="default-config", extra_ports=DEFAULT_PORTS,
                        metrics_address="127.0.0.1:8888")

    run = f"default-{uuid.uuid4().hex[:8]}"
    code, _, details = grpc_export(4317, "traces", tagged_traces(run, 3).SerializeToString())
    assert code == grpc.StatusCode.OK, details
    wait_until(lambda: _debug_lines(proc.stderr(), 3), 10.0,
               "the debug exporter to print the 3 spans sent to :4317")

    req = tagged_traces(run, 4, seed=1)
    req.resource_spans[0].resource.attributes.extend(key_values({"via": "http"}))
    reply = curl_post("http://127.0.0.1:4318/v1/traces", req.SerializeToString(),
                      {"Content-Type": "application/x-protobuf"})
    assert reply.status == 200, (reply.status, reply.body[:300])
    wait_until(lambda: _debug_lines(proc.stderr(), 4), 10.0,
               "the debug exporter to print the 4 spans sent to :4318")
    wait_until(lambda: proc.metric("otelcol_receiver_accepted_spans_total",
                                   {"receiver": "otlp"}) == 7, 5.0, "7 accepted spans on :8888")
    for port in (4317, 4318):
        assert not port_is_free(port)
    proc.stop()
