"""OTLP/gRPC against oversized, over-compressed and abusive input: message size limit and
grpc's own ceiling, compression bombs, connection and metadata limits, HTTP/2 ping floods
and idle connections (a raw HTTP/2 client, the ``h2`` package). Every refusal has its
status, the server keeps serving, and refusals are counted."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
from h2.errors import ErrorCodes
from hyperframe.frame import Frame, GoAwayFrame
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from otelpy.component import Signal
from otelpy.receivers.otlp import OTLPReceiver
from otelpy.receivers.otlp.grpc_limits import POLL_INTERVAL
from otelpy.testing.polling import until
from otelpy.testing.samples import traces_request
from otelpy.testing.sink import SinkConsumer

StartReceiver = Callable[..., Awaitable[OTLPReceiver]]
Malformed = Callable[[str, str], float]
TRACE_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
MIB = 1024 * 1024


def _grpc(**settings: Any) -> dict[str, Any]:
    return {"grpc": {"endpoint": "127.0.0.1:0", **settings}}


def _channel(rcv: OTLPReceiver) -> grpc.aio.Channel:
    assert rcv.grpc is not None
    return grpc.aio.insecure_channel(
        f"127.0.0.1:{rcv.grpc.port}",
        options=[("grpc.max_send_message_length", -1), ("grpc.use_local_subchannel_pool", 1)])


async def _call(rcv: OTLPReceiver, data: bytes, **kwargs: Any) -> grpc.StatusCode:
    async with _channel(rcv) as ch:
        try:
            await ch.unary_unary(TRACE_METHOD)(data, timeout=20, **kwargs)
        except grpc.aio.AioRpcError as err:
            return err.code()
    return grpc.StatusCode.OK


async def _good_call(rcv: OTLPReceiver, sink: SinkConsumer) -> None:
    before = sink.items[Signal.TRACES]
    assert await _call(rcv, traces_request(3).SerializeToString()) == grpc.StatusCode.OK
    assert sink.items[Signal.TRACES] == before + 3


async def _eventually(check: Callable[[], bool]) -> None:
    await until(check, 10 * POLL_INTERVAL, "the channelz poll to count it", interval=0.05)


def _padded(size: int) -> bytes:
    """A valid request of about ``size`` bytes (one span with a big attribute)."""
    req = traces_request(1)
    span = req.resource_spans[0].scope_spans[0].spans[0]
    span.attributes.append(KeyValue(key="big", value=AnyValue(string_value="x" * size)))
    return req.SerializeToString()


async def test_over_the_limit_below_the_ceiling_is_counted_too_large(
        start_receiver: StartReceiver, sink: SinkConsumer, malformed: Malformed) -> None:
    rcv = await start_receiver(_grpc(max_recv_msg_size_mib=1))
    assert await _call(rcv, _padded(2 * MIB)) == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert malformed("grpc", "too_large") == 1
    await _good_call(rcv, sink)
    assert sink.items[Signal.TRACES] == 3


async def test_above_the_ceiling_grpc_refuses_and_it_is_still_counted(
        start_receiver: StartReceiver, sink: SinkConsumer, malformed: Malformed) -> None:
    rcv = await start_receiver(_grpc(max_recv_msg_size_mib=1))  # ceiling: 5 MiB
    assert await _call(rcv, _padded(6 * MIB)) == grpc.StatusCode.RESOURCE_EXHAUSTED
    await _eventually(lambda: malformed("grpc", "refused_by_grpc") == 1)
    assert malformed("grpc", "too_large") == 0
    await _good_call(rcv, sink)
    await asyncio.sleep(POLL_INTERVAL * 1.5)  # good calls and handler aborts are not counted
    assert malformed("grpc", "refused_by_grpc") == 1


async def test_unknown_method_is_counted_as_refused_by_grpc(
        start_receiver: StartReceiver, malformed: Malformed) -> None:
    rcv = await start_receiver(_grpc())
    async with _channel(rcv) as ch:
        try:
            await ch.unary_unary("/nope.Service/Export")(b"", timeout=5)
        except grpc.aio.AioRpcError as err:
            assert err.code() == grpc.StatusCode.UNIMPLEMENTED
        else:
            raise AssertionError("an unknown method was answered OK")
    await _eventually(lambda: malformed("grpc", "refused_by_grpc") == 1)


async def test_a_10_mb_attribute_under_the_limit_passes(start_receiver: StartReceiver,
                                                       sink: SinkConsumer) -> None:
    rcv = await start_receiver(_grpc(max_recv_msg_size_mib=16))
    data = _padded(10 * 1000 * 1000)
    assert await _call(rcv, data) == grpc.StatusCode.OK
    assert sink.batches[-1].data == data
    assert len(sink.batches[-1].message.resource_spans[0].scope_spans[0].spans[0]
               .attributes[-1].value.string_value) == 10 * 1000 * 1000


async def test_gzip_bomb_is_bounded_by_the_ceiling(start_receiver: StartReceiver,
                                                  sink: SinkConsumer,
                                                  malformed: Malformed) -> None:
    """grpc decompresses per-message compression itself, and stops at its ceiling."""
    rcv = await start_receiver(_grpc(max_recv_msg_size_mib=1))
    # inflates to 3 MiB: over the limit, under the ceiling -> the handler counts it
    code = await _call(rcv, _padded(3 * MIB), compression=grpc.Compression.Gzip)
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert malformed("grpc", "too_large") == 1
    # inflates to 100 MiB (about 100 KiB on the wire): grpc refuses it past 5 MiB
    code = await _call(rcv, _padded(100 * MIB), compression=grpc.Compression.Gzip)
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
    await _eventually(lambda: malformed("grpc", "refused_by_grpc") == 1)
    await _good_call(rcv, sink)


async def test_max_connections(start_receiver: StartReceiver, sink: SinkConsumer) -> None:
    rcv = await start_receiver(_grpc(max_connections=2))
    data = traces_request(1).SerializeToString()
    channels = [_channel(rcv) for _ in range(3)]
    try:
        codes = []
        for ch in channels:
            try:
                await ch.unary_unary(TRACE_METHOD)(data, timeout=5)
                codes.append(grpc.StatusCode.OK)
            except grpc.aio.AioRpcError as err:
                codes.append(err.code())
        assert codes == [grpc.StatusCode.OK, grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE]
        await channels[0].unary_unary(TRACE_METHOD)(data, timeout=5)  # held ones still work
    finally:
        for ch in channels:
            await ch.close()
    assert sink.items[Signal.TRACES] == 3

    async def room_again() -> bool:  # once grpc has seen the connections closed
        return await _call(rcv, data) == grpc.StatusCode.OK

    await until(room_again, what="a new connection to be accepted")
    assert sink.items[Signal.TRACES] == 4


async def test_max_metadata_size(start_receiver: StartReceiver, sink: SinkConsumer) -> None:
    rcv = await start_receiver(_grpc(max_metadata_size=4096))
    data = traces_request(1).SerializeToString()
    assert await _call(rcv, data, metadata=(("x-small", "a" * 2000),)) == grpc.StatusCode.OK
    code = await _call(rcv, data, metadata=(("x-big", "a" * 5000),))
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert sink.items[Signal.TRACES] == 1
    await _good_call(rcv, sink)


# -- raw HTTP/2 ----------------------------------------------------------------------------
def _goaway_frames(data: bytes) -> list[GoAwayFrame]:
    """The GOAWAY frames in ``data`` (a server's bytes from the start of the connection)."""
    out, pos = [], 0
    while pos + 9 <= len(data):
        frame, length = Frame.parse_frame_header(memoryview(data[pos:pos + 9]))
        if isinstance(frame, GoAwayFrame):
            frame.parse_body(memoryview(data[pos + 9:pos + 9 + length]))
            out.append(frame)
        pos += 9 + length
    return out


class RawH2:
    """A bare HTTP/2 client connection: send pings, collect what the server sends."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.events: list[Any] = []
        self.received = bytearray()  # every byte from the server, frame-aligned from its start

    @classmethod
    async def open(cls, rcv: OTLPReceiver) -> RawH2:
        assert rcv.grpc is not None
        raw = cls(*await asyncio.open_connection("127.0.0.1", rcv.grpc.port))
        raw.conn.initiate_connection()
        await raw.flush()
        return raw

    async def flush(self) -> None:
        self.writer.write(self.conn.data_to_send())
        await self.writer.drain()

    async def ping(self, n: int) -> None:
        self.conn.ping(n.to_bytes(8, "big"))
        await self.flush()

    async def read_for(self, seconds: float) -> bool:
        """Process what arrives for ``seconds``; False once the server closed."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                data = await asyncio.wait_for(self.reader.read(65536), left)
            except TimeoutError:
                return True
            except ConnectionError:
                return False
            if not data:
                return False
            self.received += data
            try:
                self.events.extend(self.conn.receive_data(data))
            except h2.exceptions.ProtocolError:  # h2 refuses frames after a GOAWAY
                self.events.extend(_goaway_frames(bytes(self.received)))
                return False
            try:
                await self.flush()
            except ConnectionError:
                return False
        return True

    def goaway(self) -> Any:
        """The first GOAWAY (h2's event, or the raw frame), with error_code, additional_data."""
        return next((e for e in self.events
                     if isinstance(e, h2.events.ConnectionTerminated | GoAwayFrame)), None)

    def close(self) -> None:
        self.writer.close()


async def test_ping_flood_gets_goaway_too_many_pings(start_receiver: StartReceiver,
                                                    sink: SinkConsumer) -> None:
    rcv = await start_receiver(_grpc(keepalive={"enforcement_policy": {
        "min_time": "200ms", "permit_without_stream": True}}))
    # pings slower than min_time are fine
    polite = await RawH2.open(rcv)
    for i in range(3):
        await polite.ping(i)
        assert await polite.read_for(0.3)
    assert polite.goaway() is None
    acks = [e for e in polite.events if isinstance(e, h2.events.PingAckReceived)]
    assert len(acks) == 3
    polite.close()
    # a flood is cut off with GOAWAY ENHANCE_YOUR_CALM "too_many_pings"
    flood = await RawH2.open(rcv)
    # pings far faster than min_time, reading between them, so the server's GOAWAY is
    # read before it closes the socket (a burst left unread makes the close a reset)
    for i in range(50):
        try:
            await flood.ping(i)
        except ConnectionError:
            break
        await flood.read_for(0.02)
        if flood.goaway() is not None:
            break
    await flood.read_for(0.5)
    flood.close()
    goaway = flood.goaway()
    assert goaway is not None, flood.events
    assert goaway.error_code == ErrorCodes.ENHANCE_YOUR_CALM
    assert goaway.additional_data == b"too_many_pings"
    await _good_call(rcv, sink)


async def test_settings_advertise_max_concurrent_streams(start_receiver: StartReceiver) -> None:
    rcv = await start_receiver(_grpc(max_concurrent_streams=7, max_metadata_size=8192))
    raw = await RawH2.open(rcv)
    await raw.read_for(0.3)
    raw.close()
    changed = [e for e in raw.events if isinstance(e, h2.events.RemoteSettingsChanged)]
    assert changed, raw.events
    settings = {k: v.new_value for e in changed for k, v in e.changed_settings.items()}
    assert settings[h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS] == 7
    assert settings[h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE] == 8192


async def test_idle_connection_gets_goaway(start_receiver: StartReceiver,
                                           sink: SinkConsumer) -> None:
    rcv = await start_receiver(_grpc(keepalive={"server_parameters": {
        "max_connection_idle": "300ms"}}))
    raw = await RawH2.open(rcv)
    start = time.monotonic()
    while raw.goaway() is None and time.monotonic() - start < 5:
        if not await raw.read_for(0.1):
            break
    raw.close()
    goaway = raw.goaway()
    assert goaway is not None, raw.events  # grpc says INTERNAL_ERROR, "connection idle"
    assert goaway.additional_data == b"connection idle", goaway
    assert time.monotonic() - start < 3
    await _good_call(rcv, sink)


async def test_old_connection_gets_goaway(start_receiver: StartReceiver,
                                          sink: SinkConsumer) -> None:
    rcv = await start_receiver(_grpc(keepalive={"server_parameters": {
        "max_connection_age": "300ms", "max_connection_age_grace": "200ms"}}))
    raw = await RawH2.open(rcv)
    start = time.monotonic()
    while raw.goaway() is None and time.monotonic() - start < 5:
        if not await raw.read_for(0.1):
            break
    raw.close()
    goaway = raw.goaway()
    assert goaway is not None, raw.events
    assert goaway.additional_data == b"max_age", goaway
    assert time.monotonic() - start < 3
    await _good_call(rcv, sink)
