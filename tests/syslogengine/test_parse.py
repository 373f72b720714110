"""otelpy.syslog against the Collector's syslog parser cases (pkg/stanza/operator/parser/
syslog/syslogtest): attributes, severity, timestamps, skipped PRI, octet counting; and
malformed messages raise SyslogError."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime
from typing import Any

import pytest

from otelpy.syslog import OctetCountingSplitter, SyslogError, SyslogParser, TrailerSplitter
from otelpy.syslog.framing import FrameTooLarge

SECURE_AUTH = ('<86>1 2015-08-05T21:58:59.693Z 192.168.2.132 SecureAuth0 23108 ID52020 '
               '[SecureAuth@27389 UserHostAddress="192.168.2.132" Realm="SecureAuth0" '
               'UserID="Tester2" PEN="27389"] Found the user for retrieving user\'s profile')
SD = {"SecureAuth@27389": {"UserHostAddress": "192.168.2.132", "Realm": "SecureAuth0",
                           "UserID": "Tester2", "PEN": "27389"}}
T2015 = int(datetime(2015, 8, 5, 21, 58, 59, tzinfo=UTC).timestamp()) * 10**9 + 693_000_000
FIXED_NOW = datetime(2024, 6, 1, tzinfo=UTC)


def _parser(protocol: Any, **kw: Any) -> SyslogParser:
    return SyslogParser(protocol, now=lambda: FIXED_NOW, **kw)


def test_rfc5424_collector_case() -> None:
    got = _parser("rfc5424").parse(SECURE_AUTH)
    assert got.attributes == {
        "appname": "SecureAuth0", "facility": 10, "facility_text": "authpriv",
        "hostname": "192.168.2.132", "message": "Found the user for retrieving user's profile",
        "msg_id": "ID52020", "priority": 86, "proc_id": "23108", "structured_data": SD,
        "version": 1}
    assert (got.timestamp_ns, got.severity_number, got.severity_text) == (T2015, 9, "info")


def test_rfc5424_octet_counting_keeps_spaces() -> None:
    got = _parser("rfc5424", octet_counting=True).parse(
        "77 <86>1 2015-08-05T21:58:59.693Z 192.168.2.132 inactive - - -  partition is p2 ")
    assert got.attributes == {"appname": "inactive", "facility": 10,
                              "facility_text": "authpriv", "hostname": "192.168.2.132",
                              "message": " partition is p2 ", "priority": 86, "version": 1}


@pytest.mark.parametrize(("zone", "offset_h"), [("UTC", 0), ("America/Detroit", -4),
                                                ("Europe/Athens", 3)], ids=str)
def test_rfc3164_location(zone: str, offset_h: int) -> None:
    got = _parser("rfc3164", location=zoneinfo.ZoneInfo(zone)).parse(
        "<34>Jun  2 10:00:00 1.2.3.4 apache_server: test message")
    assert got.attributes == {"appname": "apache_server", "facility": 4, "facility_text": "auth",
                              "hostname": "1.2.3.4", "message": "test message", "priority": 34}
    want = datetime(2024, 6, 2, 10 - offset_h, tzinfo=UTC)
    assert got.timestamp_ns == int(want.timestamp()) * 10**9
    assert (got.severity_number, got.severity_text) == (18, "crit")


@pytest.mark.parametrize(("protocol", "text"), [
    ("rfc3164", "Jun  2 10:00:00 1.2.3.4 apache_server: test message"),
    ("rfc5424", SECURE_AUTH[4:]),
], ids=["rfc3164", "rfc5424"])
def test_skip_pri_header_absent(protocol: Any, text: str) -> None:
    got = _parser(protocol, allow_skip_pri_header=True).parse(text)
    assert not {"priority", "facility", "facility_text"} & set(got.attributes)
    assert (got.severity_number, got.severity_text) == (0, "")
    assert got.attributes["message"] in ("test message", SD and
                                         "Found the user for retrieving user's profile")


def test_skip_pri_header_present_still_parsed() -> None:
    got = _parser("rfc5424", allow_skip_pri_header=True).parse("<123>" + SECURE_AUTH[4:])
    assert (got.attributes["priority"], got.attributes["facility_text"]) == (123, "cron2")
    assert (got.severity_number, got.severity_text) == (17, "err")


@pytest.mark.parametrize("severity", range(8))
def test_severity_mapping(severity: int) -> None:
    got = _parser("rfc5424").parse(f"<{8 + severity}>1 - - - - - -")
    want = [(21, "emerg"), (19, "alert"), (18, "crit"), (17, "err"), (13, "warning"),
            (10, "notice"), (9, "info"), (5, "debug")][severity]
    assert (got.severity_number, got.severity_text) == want
    assert got.attributes == {"facility": 1, "facility_text": "user",
                              "priority": 8 + severity, "version": 1}
    assert got.timestamp_ns == 0


def test_rfc5424_escapes_offsets_and_fractions() -> None:
    got = _parser("rfc5424").parse(
        r'<13>1 2024-01-02T03:04:05.123456+02:00 h a p m [x@1 q="a\"b\]c\\d" e=""][y@2] msg')
    assert got.attributes["structured_data"] == {"x@1": {"q": 'a"b]c\\d', "e": ""}, "y@2": {}}
    want = datetime(2024, 1, 2, 1, 4, 5, tzinfo=UTC)
    assert got.timestamp_ns == int(want.timestamp()) * 10**9 + 123_456_000


def test_rfc3164_pid_and_rfc3339_stamp() -> None:
    got = _parser("rfc3164").parse("<13>2024-01-02T03:04:05Z web nginx[42]: GET /")
    assert got.attributes["proc_id"] == "42" and got.attributes["appname"] == "nginx"
    assert got.timestamp_ns == int(datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp()) * 10**9


@pytest.mark.parametrize(("protocol", "text"), [
    ("rfc5424", "no pri at all"),
    ("rfc5424", "<192>1 - - - - - -"),  # priority out of range
    ("rfc5424", "<13>1 2024-13-02T03:04:05Z h a p m - x"),  # month 13
    ("rfc5424", "<13>1 2024-01-02T03:04:05Z h a p m [unterminated"),
    ("rfc5424", '<13>1 - h a p m [x@1 a="1"][x@1 b="2"]'),  # duplicate SD-ID
    ("rfc5424", "<13>1 - h a p m -x"),  # no space before MSG
    ("rfc3164", "<13>Foo  2 10:00:00 host app: m"),
    ("rfc3164", "<13>"),
], ids=["no-pri", "pri-range", "month", "sd-open", "sd-dup", "msg-space", "month-name",
        "empty"])
def test_malformed(protocol: Any, text: str) -> None:
    with pytest.raises(SyslogError):
        _parser(protocol).parse(text)


def test_octet_counting_over_max_octets() -> None:
    with pytest.raises(SyslogError, match="max_octets"):
        _parser("rfc5424", octet_counting=True, max_octets=10).parse("20 <13>1 - - - - - -xx")


def test_splitters() -> None:
    octets = OctetCountingSplitter(max_size=100)
    assert octets.feed(b"5 hello3 ab") == [b"5 hello"]
    assert octets.feed(b"c1") == [b"3 abc"]
    assert octets.feed(b"0 0123456789\nnot counted\n2") == [b"10 0123456789",
                                                            b"not counted"]
    assert octets.flush() == b"2"
    with pytest.raises(FrameTooLarge):
        OctetCountingSplitter(max_size=10).feed(b"11 ")
    nul = TrailerSplitter(b"\x00", 100)
    assert nul.feed(b"a\x00b\nc\x00\x00d") == [b"a", b"b\nc"] and nul.flush() == b"d"
    lf = TrailerSplitter(b"\n", 4)
    assert lf.feed(b"ab\r\ncd\n") == [b"ab", b"cd"]
    with pytest.raises(FrameTooLarge):
        lf.feed(b"abcdef")
