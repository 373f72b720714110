"""The fluentforward receiver with the ``fluent-logger`` client (Message mode, integer and
EventTime timestamps) and crafted frames for Forward, PackedForward and
CompressedPackedForward with acks, the UDP heartbeat, and garbage (counted, connection
closed, the receiver keeps serving)."""

from __future__ import annotations

import asyncio
import gzip
import socket
import struct
import time
from pathlib import Path
from typing import Any

import msgpack
import pytest
from fluent import sender

from otelpy.component import Kind, Signal
from otelpy.errors import RetryableError
from otelpy.pdata import items
from otelpy.telemetry import Telemetry
from otelpy.testing.authhost import create_component
from otelpy.testing.polling import until
from otelpy.testing.sink import SinkConsumer

MALFORMED = "otelpy_receiver_malformed_requests_total"
T0 = 1_700_000_000


async def _receiver(doc: dict[str, Any] | None = None) -> tuple[Any, SinkConsumer, Telemetry]:
    sink, telemetry = SinkConsumer(), Telemetry()
    receiver = create_component(Kind.RECEIVER, "fluentforward",
                                doc or {"endpoint": "127.0.0.1:0"}, telemetry,
                                {Signal.LOGS: sink})
    await receiver.start(None)
    return receiver, sink, telemetry


def _records(sink: SinkConsumer) -> list[Any]:
    return [i for b in sink.batches for i in items.log_records(b.message)]


def _event_time(seconds: int, nanos: int) -> msgpack.ExtType:
    return msgpack.ExtType(0, struct.pack(">II", seconds, nanos))


def _fluent_logger(port: int) -> None:
    plain = sender.FluentSender("app", host="127.0.0.1", port=port)
    assert plain.emit_with_time("web", T0, {"message": "GET /", "status": 200, "ok": True,
                                            "ratio": 0.5, "tags": ["a", "b"],
                                            "req": {"path": "/", "ms": 12}, "none": None})
    plain.close()
    precise = sender.FluentSender("app", host="127.0.0.1", port=port,
                                  nanosecond_precision=True)
    assert precise.emit_with_time("db", T0 + 0.25, {"log": "slow query", "big": 2**64 - 1})
    precise.close()


async def test_fluent_logger_message_mode() -> None:
    receiver, sink, _ = await _receiver()
    try:
        await asyncio.to_thread(_fluent_logger, receiver.port)
        await until(lambda: len(_records(sink)) == 2, what="two records")
    finally:
        await receiver.shutdown()
    db, web = sorted(_records(sink), key=lambda i: i.attributes["fluent.tag"])
    assert web.attributes["fluent.tag"] == "app.web" and web.record.body.string_value == "GET /"
    assert web.record.time_unix_nano == T0 * 10**9
    assert dict(web.attributes) == {"fluent.tag": "app.web", "status": 200, "ok": True,
                                    "ratio": 0.5, "tags": ["a", "b"],
                                    "req": {"path": "/", "ms": 12}, "none": None}
    assert list(web.attributes)[0] == "fluent.tag"  # message mode puts the tag first
    assert db.record.body.string_value == "slow query"
    assert db.record.time_unix_nano == T0 * 10**9 + 250_000_000
    assert db.attributes["big"] == str(2**64 - 1)  # past int64: its decimal text


async def _exchange(port: int, frames: bytes, acks: int) -> list[Any]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(frames)
    await writer.drain()
    got = []
    unpacker = msgpack.Unpacker(raw=False)
    while len(got) < acks:
        data = await asyncio.wait_for(reader.read(4096), 30)
        assert data, "connection closed before every ack arrived"
        unpacker.feed(data)
        got.extend(unpacker)
    writer.close()
    await writer.wait_closed()
    return got


def _entries(n: int, start: int) -> list[Any]:
    return [[_event_time(T0 + i, 7), {"log": f"line {start + i}", "i": start + i}]
            for i in range(n)]


async def test_forward_packed_and_compressed_modes_with_acks() -> None:
    receiver, sink, _ = await _receiver()
    packed = b"".join(msgpack.packb(e) for e in _entries(3, 3))
    compressed = gzip.compress(b"".join(msgpack.packb(e) for e in _entries(2, 6))[:20]) + \
        gzip.compress(b"".join(msgpack.packb(e) for e in _entries(2, 6))[20:])
    frames = b"".join(msgpack.packb(f) for f in (
        ["fwd", _entries(3, 0), {"chunk": "c1"}],
        ["packed", packed, {"chunk": "c2", "size": 3}],
        ["gz", compressed, {"chunk": "c3", "compressed": "gzip"}],
        ["msg", T0, {"message": "m"}, {"chunk": "c4"}],
    ))
    try:
        acks = await _exchange(receiver.port, frames, 4)
        await until(lambda: len(_records(sink)) == 9, what="nine records")
    finally:
        await receiver.shutdown()
    assert acks == [{"ack": "c1"}, {"ack": "c2"}, {"ack": "c3"}, {"ack": "c4"}]
    got = [(i.attributes["fluent.tag"], i.record.body.string_value, i.record.time_unix_nano)
           for i in _records(sink)]
    assert got[:8] == [(tag, f"line {n}", (T0 + n - start) * 10**9 + 7)
                       for tag, n, start in [("fwd", 0, 0), ("fwd", 1, 0), ("fwd", 2, 0),
                                             ("packed", 3, 3), ("packed", 4, 3),
                                             ("packed", 5, 3), ("gz", 6, 6), ("gz", 7, 6)]]
    assert got[8] == ("msg", "m", T0 * 10**9)
    assert list(_records(sink)[0].attributes) == ["i", "fluent.tag"]  # forward: tag last


async def test_refused_event_is_not_acked() -> None:
    receiver, sink, _ = await _receiver()
    sink.fail_next(1, RetryableError("pipeline full"))
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
        writer.write(msgpack.packb(["t", _entries(1, 0), {"chunk": "x"}]))
        await writer.drain()
        assert await asyncio.wait_for(reader.read(100), 30) == b""  # closed, no ack
        writer.close()
        acks = await _exchange(receiver.port, msgpack.packb(["t", _entries(1, 0),
                                                             {"chunk": "x"}]), 1)
    finally:
        await receiver.shutdown()
    assert acks == [{"ack": "x"}] and len(_records(sink)) == 1


@pytest.mark.parametrize("garbage", [
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    msgpack.packb({"not": "an array"}),
    msgpack.packb(["tag", "packed but not msgpack \xc1"]),
    msgpack.packb(["tag", b"\x1f\x8b garbage", {"compressed": "gzip"}]),
    msgpack.packb(["tag", 1.5, "record is not a map"]),
    msgpack.packb(["tag", [[1, {"a": 1}, "extra"]]]),
    b"\xc1\xc1\xc1",
], ids=["http", "map", "packed", "gzip", "record", "entry", "reserved-bytes"])
async def test_garbage_is_counted_and_connection_closed(garbage: bytes) -> None:
    receiver, sink, telemetry = await _receiver()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", receiver.port)
        writer.write(garbage)
        await writer.drain()
        assert await asyncio.wait_for(reader.read(100), 30) == b""
        writer.close()
        await _exchange(receiver.port, msgpack.packb(["ok", T0, {"message": "after"},
                                                      {"chunk": "k"}]), 1)
    finally:
        await receiver.shutdown()
    assert [i.record.body.string_value for i in _records(sink)] == ["after"]
    malformed = sum(telemetry.value(MALFORMED, {"receiver": "fluentforward",
                                                "transport": "tcp", "reason": r}) or 0
                    for r in ("malformed_msgpack", "malformed_event"))
    assert malformed == 1


async def test_udp_heartbeat() -> None:
    receiver, _, _ = await _receiver()
    try:
        def ping() -> bytes:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(30)
                s.sendto(b"\x00", ("127.0.0.1", receiver.port))
                return s.recv(16)
        assert await asyncio.to_thread(ping) == b"\x00"
    finally:
        await receiver.shutdown()


async def test_unix_socket(tmp_path: Path) -> None:
    path = tmp_path / "fluent.sock"
    receiver, sink, _ = await _receiver({"endpoint": f"unix://{path}"})
    try:
        reader, writer = await asyncio.open_unix_connection(str(path))
        writer.write(msgpack.packb(["unix", int(time.time()), {"log": "hi"}]))
        await writer.drain()
        await until(lambda: len(_records(sink)) == 1, what="a record over the unix socket")
        writer.close()
    finally:
        await receiver.shutdown()
    assert _records(sink)[0].attributes["fluent.tag"] == "unix"
