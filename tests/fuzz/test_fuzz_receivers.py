"""Fuzzing the otlp receiver over real connections: mutated and random request bodies
over HTTP (protobuf, JSON, compressed) and gRPC. Every answer must be an OTLP answer
(never a 5xx or UNKNOWN), and the receiver keeps serving."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator

import grpc
import pytest
import zstandard
from hypothesis import given
from hypothesis import strategies as st

from otelpy.component import Signal
from otelpy.testing.fuzz import ReceiverUnderFuzz
from otelpy.testing.samples import traces_request

from .conftest import budget
from .strategies import json_documents, mutated_bytes

GOOD = traces_request(2).SerializeToString()
signals = st.sampled_from(list(Signal))


@pytest.fixture(scope="module")
def server() -> Iterator[ReceiverUnderFuzz]:
    with ReceiverUnderFuzz(max_request_body_size=64 * 1024) as srv:
        yield srv
        # still serving after everything the fuzzers sent
        before = srv.sink.items[Signal.TRACES]
        assert srv.http_target(Signal.TRACES, GOOD, "application/x-protobuf") == 200
        assert srv.grpc_target(Signal.TRACES, GOOD) == grpc.StatusCode.OK
        assert srv.sink.items[Signal.TRACES] == before + 4


@budget(200)
@given(signal=signals, body=mutated_bytes())
def test_http_protobuf(server: ReceiverUnderFuzz, signal: Signal, body: bytes) -> None:
    server.http_target(signal, body, "application/x-protobuf")


@budget(150)
@given(signal=signals, body=json_documents())
def test_http_json(server: ReceiverUnderFuzz, signal: Signal, body: bytes) -> None:
    server.http_target(signal, body, "application/json")


_COMPRESS = {"gzip": gzip.compress, "deflate": zlib.compress,
             "zstd": zstandard.ZstdCompressor().compress}


@budget(100)
@given(signal=signals, body=mutated_bytes(), encoding=st.sampled_from(sorted(_COMPRESS)),
       damage=mutated_bytes([b"x"]) | st.just(b""))
def test_http_compressed(server: ReceiverUnderFuzz, signal: Signal, body: bytes,
                         encoding: str, damage: bytes) -> None:
    """Compressed mutated bodies, sometimes with the compressed stream itself damaged."""
    data = _COMPRESS[encoding](body)
    if damage:
        data = data[: len(data) // 2] + damage + data[len(data) // 2:]
    server.http_target(signal, data, "application/x-protobuf", encoding)


@budget(250)
@given(signal=signals, body=mutated_bytes())
def test_grpc(server: ReceiverUnderFuzz, signal: Signal, body: bytes) -> None:
    server.grpc_target(signal, body)
