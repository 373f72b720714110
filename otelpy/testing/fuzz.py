"""Fuzz targets shared by the hypothesis tests (tests/fuzz) and the long-running fuzzer
(benchmarks/fuzz/run.py). Each target takes raw input and raises AssertionError (or any
unexpected exception) when an invariant breaks; the refusals it expects are swallowed.

* :func:`pdata_target`: wire bytes -> :meth:`Batch.from_bytes` of each signal; only
  PermanentError may come out, and whatever is accepted counts, splits and decodes
  consistently (decoding may refuse with PermanentError, nothing else).
* :func:`otlpjson_target`: JSON bytes -> :func:`otlpjson.decode_partial`; only
  PermanentError; whatever is accepted serializes, parses again, and survives an
  encode/decode round trip unchanged.
* :func:`config_target`: YAML text -> config load + validate; only ConfigError.
* :class:`ReceiverUnderFuzz`: an otlp receiver (both transports) on its own event loop
  thread; :meth:`~ReceiverUnderFuzz.http_target` / :meth:`~ReceiverUnderFuzz.grpc_target`
  send input over real connections and require a protocol answer for bad input
  (HTTP 400/413/415, gRPC INVALID_ARGUMENT/RESOURCE_EXHAUSTED), never a 5xx or UNKNOWN.
"""

from __future__ import annotations

import asyncio
import http.client
import logging
import threading
from typing import Any

import grpc

from otelpy import config as otelconfig
from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.errors import ConfigError, PermanentError
from otelpy.pdata import SPECS, Batch, otlpjson
from otelpy.registry import Registry, default_registry
from otelpy.telemetry import Telemetry
from otelpy.testing.sink import SinkConsumer

__all__ = ["pdata_target", "otlpjson_target", "config_target", "ReceiverUnderFuzz",
           "GRPC_METHODS"]

GRPC_METHODS = {
    Signal.TRACES: "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    Signal.METRICS: "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
    Signal.LOGS: "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
}
_HTTP_PATHS = {Signal.TRACES: "/v1/traces", Signal.METRICS: "/v1/metrics",
               Signal.LOGS: "/v1/logs"}


# -- decoders --------------------------------------------------------------------------
def pdata_target(data: bytes) -> None:
    for signal in Signal:
        try:
            batch = Batch.from_bytes(signal, data)
        except PermanentError:
            continue
        count = batch.item_count
        parts = batch.split(3)
        assert sum(p.item_count for p in parts) == count
        merged = Batch.merge(signal, parts)
        assert merged.item_count == count
        try:
            message = batch.message
        except PermanentError:
            continue  # framing fine, contents not (e.g. nested past protobuf's limit)
        again = SPECS[signal].request.FromString(message.SerializeToString())
        assert again == message


def otlpjson_target(data: bytes) -> None:
    for signal in Signal:
        try:
            decoded = otlpjson.decode_partial(signal, data)
        except PermanentError:
            continue
        request = SPECS[signal].request
        wire = decoded.message.SerializeToString()
        assert Batch.from_bytes(signal, wire).item_count >= 0
        assert request.FromString(wire).SerializeToString() == wire
        once = otlpjson.decode(signal, otlpjson.encode_bytes(decoded.message))
        twice = otlpjson.decode(signal, otlpjson.encode_bytes(once))
        assert once.SerializeToString() == twice.SerializeToString()


_REGISTRY: Registry | None = None


def config_target(text: str) -> None:
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = default_registry()
    try:
        loaded = otelconfig.load([], default_yaml=text, env={"FUZZ": "x"})
        otelconfig.validate(loaded, _REGISTRY)
    except ConfigError as exc:
        assert exc.problems, "ConfigError without problems"


# -- a receiver over real connections ----------------------------------------------------
class ReceiverUnderFuzz:
    """An otlp receiver (gRPC and HTTP on 127.0.0.1, free ports) over a sink, served by
    an event loop in a thread; use as a context manager."""

    HTTP_OK = {200, 400, 413, 415}
    GRPC_OK = {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT,
               grpc.StatusCode.RESOURCE_EXHAUSTED}

    def __init__(self, max_request_body_size: int = 1 << 20) -> None:
        self.sink = SinkConsumer()
        self.telemetry = Telemetry()
        self._limit = max_request_body_size
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._receiver: Any = None
        self.http_port = self.grpc_port = 0
        self._channel: grpc.Channel | None = None

    def __enter__(self) -> ReceiverUnderFuzz:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(30)
        self._channel = grpc.insecure_channel(f"127.0.0.1:{self.grpc_port}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._channel is not None:
            self._channel.close()
        asyncio.run_coroutine_threadsafe(self._receiver.shutdown(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _start(self) -> None:
        factory = default_registry().get(Kind.RECEIVER, "otlp")
        assert factory is not None
        cfg = factory.config_type.model_validate({"protocols": {
            "grpc": {"endpoint": "127.0.0.1:0", "max_recv_msg_size_mib": 1},
            "http": {"endpoint": "127.0.0.1:0", "max_request_body_size": self._limit}}})
        settings = Settings(ComponentID("otlp"), Kind.RECEIVER,
                            logging.getLogger("otelpy.fuzz"), self.telemetry)
        self._receiver = factory.create(settings, cfg, {s: self.sink for s in Signal})
        await self._receiver.start(None)
        self.grpc_port = self._receiver.grpc.port
        self.http_port = self._receiver.http.port

    def http_target(self, signal: Signal, body: bytes, content_type: str,
                    encoding: str = "") -> int:
        """POST ``body``; asserts the status is an OTLP answer; returns it."""
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=30)
        try:
            headers = {"Content-Type": content_type}
            if encoding:
                headers["Content-Encoding"] = encoding
            conn.request("POST", _HTTP_PATHS[signal], body=body, headers=headers)
            resp = conn.getresponse()
            answer = resp.read()
        finally:
            conn.close()
        assert resp.status in self.HTTP_OK, (resp.status, answer[:300])
        return resp.status

    def grpc_target(self, signal: Signal, data: bytes) -> grpc.StatusCode:
        """Call Export with ``data`` as the raw request; asserts the status; returns it."""
        assert self._channel is not None
        call: grpc.UnaryUnaryMultiCallable[bytes, bytes] = self._channel.unary_unary(
            GRPC_METHODS[signal])
        try:
            call(data, timeout=30)
            code = grpc.StatusCode.OK
        except grpc.RpcError as err:
            code = err.code()
            assert code in self.GRPC_OK, (code, err.details())
        return code
