"""The syslog receiver with util-linux ``logger`` (TCP with and without octet counting, UDP,
RFC 3164 and 5424), TLS from Python's ssl client, and raw sockets for malformed input: it is
counted, kept raw, and the receiver keeps serving."""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from pathlib import Path
from typing import Any

import pytest

from otelpy.component import Kind, Signal
from otelpy.pdata import items
from otelpy.telemetry import Telemetry
from otelpy.testing.authhost import create_component
from otelpy.testing.certs import write_tls_files
from otelpy.testing.polling import until
from otelpy.testing.sink import SinkConsumer

MALFORMED = "otelpy_receiver_malformed_requests_total"


async def _receiver(doc: dict[str, Any]) -> tuple[Any, SinkConsumer, Telemetry]:
    sink, telemetry = SinkConsumer(), Telemetry()
    receiver = create_component(Kind.RECEIVER, "syslog", doc, telemetry, {Signal.LOGS: sink})
    await receiver.start(None)
    return receiver, sink, telemetry


def _records(sink: SinkConsumer) -> list[Any]:
    return [i for b in sink.batches for i in items.log_records(b.message)]


async def _logger(*args: str) -> None:
    proc = await asyncio.create_subprocess_exec("logger", *args, stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()


def _malformed(telemetry: Telemetry, transport: str, reason: str) -> float:
    return telemetry.value(MALFORMED, {"receiver": "syslog", "transport": transport,
                                       "reason": reason}) or 0.0


async def test_logger_tcp_rfc5424_octet_counting() -> None:
    receiver, sink, _ = await _receiver({
        "tcp": {"listen_address": "127.0.0.1:0", "add_attributes": True},
        "protocol": "rfc5424", "enable_octet_counting": True})
    before = time.time_ns()
    try:
        await _logger("--tcp", "--rfc5424", "--octet-count", "-n", "127.0.0.1", "-P",
                      str(receiver.tcp.port), "-t", "checkout", "-i", "-p", "local3.err",
                      "--msgid", "ORD1", "--sd-id", "order@32473", "--sd-param", 'id="7"',
                      "payment declined")
        await until(lambda: len(_records(sink)) == 1, what="one record")
    finally:
        await receiver.shutdown()
    (item,) = _records(sink)
    body = item.record.body.string_value
    length, _, message = body.partition(" ")
    assert int(length) == len(message.encode()) and message.startswith("<155>1 ")
    attrs = dict(item.attributes)
    assert attrs["appname"] == "checkout" and attrs["msg_id"] == "ORD1"
    assert (attrs["priority"], attrs["facility"], attrs["facility_text"]) == (155, 19, "local3")
    assert attrs["message"] == "payment declined" and attrs["version"] == 1
    assert attrs["hostname"] == socket.gethostname() and int(attrs["proc_id"]) > 0
    assert attrs["structured_data"]["order@32473"] == {"id": "7"}
    assert (item.record.severity_number, item.record.severity_text) == (17, "err")
    assert before - 10**9 <= item.record.time_unix_nano <= time.time_ns()
    assert attrs["net.transport"] == "IP.TCP" and attrs["net.peer.ip"] == "127.0.0.1"
    assert attrs["net.host.port"] == str(receiver.tcp.port)
    assert attrs["net.peer.name"] and attrs["net.host.name"]


async def test_logger_udp_rfc3164() -> None:
    receiver, sink, _ = await _receiver({"udp": {"listen_address": "127.0.0.1:0"},
                                         "protocol": "rfc3164"})
    try:
        for i in range(3):
            await _logger("--udp", "--rfc3164", "-n", "127.0.0.1", "-P", str(receiver.udp.port),
                          "-t", "cron", "-i", "-p", "user.warning", f"job {i} done")
        await until(lambda: len(_records(sink)) == 3, what="three records")
    finally:
        await receiver.shutdown()
    got = sorted(_records(sink), key=lambda i: i.attributes["message"])
    assert [i.attributes["message"] for i in got] == ["job 0 done", "job 1 done", "job 2 done"]
    for item in got:
        attrs = dict(item.attributes)
        assert attrs["appname"] == "cron" and int(attrs["proc_id"]) > 0
        assert attrs["hostname"] == socket.gethostname()
        assert (attrs["priority"], attrs["facility_text"]) == (12, "user")
        assert (item.record.severity_number, item.record.severity_text) == (13, "warning")
        # RFC 3164 stamps have whole seconds and no zone: read in location (UTC)
        assert abs(item.record.time_unix_nano - time.time_ns()) < 120 * 10**9
        assert item.record.time_unix_nano % 10**9 == 0
        assert "net.transport" not in attrs


async def test_logger_tcp_non_transparent_framing() -> None:
    receiver, sink, _ = await _receiver({"tcp": {"listen_address": "127.0.0.1:0"},
                                         "protocol": "rfc5424"})
    try:
        await _logger("--tcp", "--rfc5424", "-n", "127.0.0.1", "-P", str(receiver.tcp.port),
                      "-t", "app", "first")
        await _logger("--tcp", "--rfc5424", "-n", "127.0.0.1", "-P", str(receiver.tcp.port),
                      "-t", "app", "second")
        await until(lambda: len(_records(sink)) == 2, what="two records")
    finally:
        await receiver.shutdown()
    assert [i.attributes["message"] for i in _records(sink)] == ["first", "second"]
    assert all(i.record.body.string_value.startswith("<13>1 ") for i in _records(sink))


async def _send_tcp(port: int, data: bytes) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def test_malformed_input_is_counted_and_kept_raw() -> None:
    receiver, sink, telemetry = await _receiver({
        "tcp": {"listen_address": "127.0.0.1:0", "max_log_size": "1KiB"},
        "udp": {"listen_address": "127.0.0.1:0"}, "protocol": "rfc5424"})
    try:
        port = receiver.tcp.port
        await _send_tcp(port, b"garbage line\n\xff\xfe<13>1 - - - - - -\n<999>1 x\n")
        await _send_tcp(port, b"x" * 5000)  # no trailer within max_log_size: dropped
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(b"\x00\x01\x02 binary", ("127.0.0.1", receiver.udp.port))
        await _send_tcp(port, b"<14>1 - host app - - - still serving\n")
        await until(lambda: len(_records(sink)) == 5, what="five records")
        await until(lambda: _malformed(telemetry, "tcp", "frame_too_large") == 1)
    finally:
        await receiver.shutdown()
    by_body = {i.record.body.string_value: i for i in _records(sink)}
    assert set(by_body) == {"garbage line", "\ufffd\ufffd<13>1 - - - - - -", "<999>1 x",
                            "\x00\x01\x02 binary", "<14>1 - host app - - - still serving"}
    assert by_body["<14>1 - host app - - - still serving"].attributes["message"] == \
        "still serving"
    for body in ("garbage line", "<999>1 x", "\x00\x01\x02 binary"):
        assert len(by_body[body].attributes) == 0 and by_body[body].record.severity_number == 0
    assert _malformed(telemetry, "tcp", "unparsed") == 3
    assert _malformed(telemetry, "udp", "unparsed") == 1


async def test_tls(tmp_path: Path) -> None:
    files = write_tls_files(tmp_path)
    receiver, sink, _ = await _receiver({
        "tcp": {"listen_address": "127.0.0.1:0",
                "tls": {"cert_file": str(files.server_cert), "key_file": str(files.server_key)}},
        "protocol": "rfc5424", "enable_octet_counting": True})
    context = ssl.create_default_context(cafile=str(files.ca))
    try:
        message = b"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 - hi"
        reader, writer = await asyncio.open_connection("127.0.0.1", receiver.tcp.port,
                                                       ssl=context, server_hostname="localhost")
        writer.write(b"%d %s" % (len(message), message) * 2)
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        await until(lambda: len(_records(sink)) == 2, what="two records over TLS")
    finally:
        await receiver.shutdown()
    item = _records(sink)[0]
    assert item.attributes["hostname"] == "mymachine.example.com"
    assert item.record.severity_text == "notice" and item.record.severity_number == 10


@pytest.mark.parametrize(("doc", "problem"), [
    ({"protocol": "rfc5424"}, "need tcp config or udp config"),
    ({"tcp": {"listen_address": ":1"}}, "protocol: missing required field"),
    ({"udp": {"listen_address": ":1"}, "protocol": "rfc5424", "enable_octet_counting": True},
     "not compatible with UDP"),
    ({"tcp": {"listen_address": ":1"}, "protocol": "rfc3164",
      "non_transparent_framing_trailer": "NUL"}, "only compatible with protocol rfc5424"),
    ({"tcp": {"listen_address": ":1"}, "protocol": "rfc5424", "operators": [{"type": "x"}]},
     "operators: not supported"),
], ids=["no-listener", "no-protocol", "udp-framing", "3164-framing", "operators"])
def test_config_problems(doc: dict[str, Any], problem: str) -> None:
    from otelpy.receivers.syslog import SyslogReceiverConfig
    problems = SyslogReceiverConfig.model_validate(doc).validate_config()
    assert any(problem in p for p in problems), problems


def test_bad_location_and_size_rejected() -> None:
    from pydantic import ValidationError

    from otelpy.receivers.syslog import SyslogReceiverConfig
    with pytest.raises(ValidationError, match="unknown time zone"):
        SyslogReceiverConfig.model_validate({"location": "Mars/Olympus"})
    cfg = SyslogReceiverConfig.model_validate({"tcp": {"listen_address": ":1",
                                                       "max_log_size": "2MiB"}})
    assert cfg.tcp is not None and cfg.tcp.max_log_size == 2 * 1024 * 1024
