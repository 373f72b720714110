"""Node.js: a traced HTTP client -> server call inside one Node process -> otelpy -> file.

``node/send_http_traces.js`` propagates the context by hand with the SDK's global W3C
propagator (no instrumentation package is in the pinned set): a root span, a CLIENT
span whose context travels in the ``traceparent`` header of a real HTTP request, the
SERVER span that continues it, and an INTERNAL child on the server side. Over the OTLP
gRPC and HTTP/protobuf exporters, what otelpy wrote is exactly what the SDK exported,
and the tree is whole: one trace ID, every parent link in place.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from .conftest import StartOtelpy
from .otlpfile import Item, assert_same_items, attrs, wait_for_items
from .test_e2e_node_sdk import Target, run_sender, start_target

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def http_target(start_module_otelpy: StartOtelpy,
                tmp_path_factory: pytest.TempPathFactory) -> Target:
    return start_target(start_module_otelpy, tmp_path_factory.mktemp("node-http") / "out.jsonl")


def check_http_tree(items: list[Item], transport: str, run: str) -> None:
    assert len(items) == 4, [i.item.name for i in items]
    for it in items:
        assert attrs(it.resource.attributes) == {"service.name": "otelpy-it-node-http",
                                                 "test.run": run, "test.transport": transport}
        assert (it.scope.name, it.scope.version) == ("otelpy-it-node-http", "0.1.0")
    s = {i.item.name: i.item for i in items}
    root, client, server, work = s["checkout"], s["GET"], s["GET /work"], s["server-work"]
    assert len({sp.trace_id for sp in s.values()}) == 1 and root.trace_id != bytes(16)
    assert root.parent_span_id == b""
    assert client.parent_span_id == root.span_id and client.kind == Span.SPAN_KIND_CLIENT
    assert server.parent_span_id == client.span_id and server.kind == Span.SPAN_KIND_SERVER
    assert work.parent_span_id == server.span_id and work.kind == Span.SPAN_KIND_INTERNAL
    assert attrs(server.attributes)["test.traceparent"] == (
        f"00-{client.trace_id.hex()}-{client.span_id.hex()}-01")
    assert attrs(server.attributes)["http.response.status_code"] == 201
    assert attrs(client.attributes)["http.response.status_code"] == 201
    assert client.status.code == Status.STATUS_CODE_OK
    assert [e.name for e in work.events] == ["work.done"]
    assert attrs(work.events[0].attributes) == {"work.ok": True}
    assert client.start_time_unix_nano <= server.start_time_unix_nano
    assert server.end_time_unix_nano <= client.end_time_unix_nano


@pytest.mark.parametrize("transport", ("grpc", "proto"))
def test_node_http_call_tree_arrives_whole(http_target: Target, node_sender_dir: Path,
                                           tmp_path: Path, transport: str) -> None:
    run = f"node-http-{transport}-{uuid.uuid4().hex[:8]}"
    sent = run_sender(node_sender_dir, "traces", transport,
                      http_target.url(transport, "traces"), run, tmp_path / "record.json",
                      script="send_http_traces.js")
    check_http_tree(sent, transport, run)
    received = wait_for_items(http_target.out, "traces", {"test.run": run}, len(sent))
    assert_same_items(sent, received, f"node http call via {transport}")
    check_http_tree(received, transport, run)
