"""RFC 3164 and RFC 5424 messages into log record fields, as the Collector's stanza
``syslog_parser`` (go-syslog underneath) does.

:meth:`SyslogParser.parse` returns :class:`Parsed`: the attributes the Collector sets
(``appname``, ``facility``, ``facility_text``, ``hostname``, ``message``, ``msg_id``,
``priority``, ``proc_id``, ``structured_data`` and ``version`` for RFC 5424; a field the
message leaves out or writes as ``-`` is absent), the timestamp, and the severity mapped from
the PRI header (emerg -> FATAL ... debug -> DEBUG). A message that does not follow its RFC
raises :class:`SyslogError`; the caller keeps the raw line (the Collector's
``on_error: send``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Literal

from otelpy.pdata.values import Value

__all__ = ["FACILITY_NAMES", "SEVERITY_NUMBERS", "SEVERITY_TEXTS", "Parsed", "SyslogError",
           "SyslogParser"]

# syslog severity 0..7 -> OTLP SeverityNumber and text (stanza's severityMapping)
SEVERITY_NUMBERS = (21, 19, 18, 17, 13, 10, 9, 5)  # FATAL ERROR3 ERROR2 ERROR WARN INFO2 INFO DEBUG
SEVERITY_TEXTS = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
# RFC 5427 facility keywords
FACILITY_NAMES = ("kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp",
                  "cron", "authpriv", "ftp", "ntp", "security", "console", "cron2", "local0",
                  "local1", "local2", "local3", "local4", "local5", "local6", "local7")
MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
                                      "Sep", "Oct", "Nov", "Dec"), start=1)}

_PRI_ANYWHERE = re.compile(r"<\d{1,3}>")
_PRI = re.compile(r"<(\d{1,3})>")
_OCTETS = re.compile(r"([1-9]\d{0,8}) ")
_STAMP_3164 = re.compile(r"([A-Z][a-z]{2}) ( \d|\d{1,2}) (\d\d):(\d\d):(\d\d) ")
_RFC3339 = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?"
                      r"(Z|[+-]\d\d:\d\d)")
_PRINTABLE = r"[\x21-\x7e]"
_TAG = re.compile(r"([^\x00-\x20\x7f:\[\]]{1,32})(?:\[([^\]]{1,128})\])?:(?: |$)")
_HEADER_5424 = re.compile(
    rf"([1-9]\d{{0,2}}) (-|\S+) ({_PRINTABLE}{{1,255}}) ({_PRINTABLE}{{1,48}}) "
    rf"({_PRINTABLE}{{1,128}}) ({_PRINTABLE}{{1,32}}) ")
_SD_NAME = r"[\x21\x23-\x3c\x3e-\x5c\x5e-\x7e]{1,32}"  # printable but = ] " and space
_SD_ID = re.compile(rf"\[({_SD_NAME})")
_SD_PARAM = re.compile(rf' ({_SD_NAME})="((?:[^"\\]|\\.)*)"', re.DOTALL)
_UNESCAPE = re.compile(r'\\(["\\\]])')


class SyslogError(ValueError):
    """The message does not follow the configured RFC; says where it stopped."""


@dataclass
class Parsed:
    """What a syslog message sets on a log record."""

    attributes: dict[str, Value] = field(default_factory=dict)
    timestamp_ns: int = 0          # 0: the message carries no timestamp
    severity_number: int = 0       # 0: no PRI header (allow_skip_pri_header)
    severity_text: str = ""


class SyslogParser:
    """Parses one message (one frame) of ``protocol``.

    ``location`` is the time zone of RFC 3164 timestamps (they carry none) and the current
    year comes from ``now`` (as go-syslog's ``CurrentYear``). With ``octet_counting`` the
    text starts with its RFC 6587 length (``"215 <86>1 ..."``), which must not exceed
    ``max_octets``. ``allow_skip_pri_header`` accepts messages without ``<PRI>``; they get
    no priority, facility or severity.
    """

    def __init__(self, protocol: Literal["rfc3164", "rfc5424"], location: tzinfo = UTC,
                 allow_skip_pri_header: bool = False, octet_counting: bool = False,
                 max_octets: int = 8192, now: Callable[[], datetime] | None = None) -> None:
        self.protocol = protocol
        self.location = location
        self.allow_skip_pri_header = allow_skip_pri_header
        self.octet_counting = octet_counting
        self.max_octets = max_octets
        self._now = now or (lambda: datetime.now(self.location))

    def parse(self, text: str) -> Parsed:
        """The fields of ``text``; raises SyslogError when it is not a valid message."""
        if self.octet_counting:
            text = self._strip_length(text)
        skip_pri = False
        if self.allow_skip_pri_header and not self.octet_counting:
            skip_pri = len(text) > 1 and text[0] != "<"
            if not _PRI_ANYWHERE.search(text):
                text = "<0>" + text
        out = Parsed()
        pos = self._pri(text, out, skip_pri)
        if self.protocol == "rfc3164":
            self._rfc3164(text, pos, out)
        else:
            self._rfc5424(text, pos, out)
        out.attributes = dict(sorted(out.attributes.items()))
        return out

    def _strip_length(self, text: str) -> str:
        m = _OCTETS.match(text)
        if m is None:
            raise SyslogError("expecting a message length (octet counting) at position 0")
        length = int(m.group(1))
        if length > self.max_octets:
            raise SyslogError(f"message length {length} exceeds max_octets "
                              f"{self.max_octets}")
        return text[m.end():]

    @staticmethod
    def _pri(text: str, out: Parsed, skip: bool) -> int:
        m = _PRI.match(text)
        if m is None:
            raise SyslogError("expecting a priority value within angle brackets at "
                              "position 0")
        pri = int(m.group(1))
        if pri > 191:
            raise SyslogError(f"priority value {pri} out of range (0..191)")
        if not skip:
            facility, severity = divmod(pri, 8)
            out.attributes.update(priority=pri, facility=facility,
                                  facility_text=FACILITY_NAMES[facility])
            out.severity_number = SEVERITY_NUMBERS[severity]
            out.severity_text = SEVERITY_TEXTS[severity]
        return m.end()

    def _rfc3164(self, text: str, pos: int, out: Parsed) -> None:
        pos = self._stamp_3164(text, pos, out)
        space = text.find(" ", pos)
        hostname = text[pos:] if space < 0 else text[pos:space]
        if not hostname or len(hostname) > 255 or not hostname.isprintable():
            raise SyslogError(f"expecting a hostname at position {pos}")
        out.attributes["hostname"] = hostname
        if space < 0:
            return
        rest = text[space + 1:]
        tag = _TAG.match(rest)
        if tag is not None:
            out.attributes["appname"] = tag.group(1)
            if tag.group(2) is not None:
                out.attributes["proc_id"] = tag.group(2)
            rest = rest[tag.end():]
        if rest:
            out.attributes["message"] = rest

    def _stamp_3164(self, text: str, pos: int, out: Parsed) -> int:
        m = _STAMP_3164.match(text, pos)
        if m is not None and m.group(1) in MONTHS:
            try:
                when = datetime(self._now().year, MONTHS[m.group(1)], int(m.group(2)),
                                int(m.group(3)), int(m.group(4)), int(m.group(5)),
                                tzinfo=self.location)
            except ValueError as exc:
                raise SyslogError(f"invalid timestamp at position {pos}: {exc}") from None
            out.timestamp_ns = _ns(when)
            return m.end()
        r = _RFC3339.match(text, pos)
        if r is None or text[r.end():r.end() + 1] != " ":
            raise SyslogError(f"expecting a timestamp (Mmm dd hh:mm:ss) at position {pos}")
        out.timestamp_ns = _rfc3339_ns(r, pos)
        return r.end() + 1

    def _rfc5424(self, text: str, pos: int, out: Parsed) -> None:
        m = _HEADER_5424.match(text, pos)
        if m is None:
            raise SyslogError(f"expecting VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID "
                              f"after the priority at position {pos}")
        attrs = out.attributes
        attrs["version"] = int(m.group(1))
        if m.group(2) != "-":
            stamp = _RFC3339.fullmatch(m.group(2))
            if stamp is None or stamp.group(7) and len(stamp.group(7)) > 6:
                raise SyslogError(f"invalid timestamp {m.group(2)!r} at position "
                                  f"{m.start(2)}")
            out.timestamp_ns = _rfc3339_ns(stamp, m.start(2))
        for key, group in (("hostname", 3), ("appname", 4), ("proc_id", 5), ("msg_id", 6)):
            if m.group(group) != "-":
                attrs[key] = m.group(group)
        pos = _structured_data(text, m.end(), attrs)
        if pos < len(text):
            if text[pos] != " ":
                raise SyslogError(f"expecting a space before the message at position {pos}")
            message = text[pos + 1:].removeprefix("\ufeff")
            if message:
                attrs["message"] = message


def _structured_data(text: str, pos: int, attrs: dict[str, Value]) -> int:
    """Parse STRUCTURED-DATA at ``pos`` into ``attrs['structured_data']``; the end."""
    if text.startswith("-", pos):
        return pos + 1
    elements: dict[str, Value] = {}
    while text.startswith("[", pos):
        m = _SD_ID.match(text, pos)
        if m is None:
            raise SyslogError(f"expecting a structured data element id at position {pos}")
        sd_id, pos = m.group(1), m.end()
        if sd_id in elements:
            raise SyslogError(f"duplicate structured data element id {sd_id!r}")
        params: dict[str, Value] = {}
        while (p := _SD_PARAM.match(text, pos)) is not None:
            params[p.group(1)] = _UNESCAPE.sub(r"\1", p.group(2))
            pos = p.end()
        if not text.startswith("]", pos):
            raise SyslogError(f"expecting ']' closing structured data element {sd_id!r} at "
                              f"position {pos}")
        elements[sd_id] = params
        pos += 1
    if not elements:
        raise SyslogError(f"expecting structured data ('-' or '[') at position {pos}")
    attrs["structured_data"] = elements
    return pos


def _rfc3339_ns(m: re.Match[str], pos: int) -> int:
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    zone = m.group(8)
    if zone == "Z":
        tz: tzinfo = UTC
    else:
        sign = -1 if zone[0] == "-" else 1
        tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    try:
        when = datetime(year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError as exc:
        raise SyslogError(f"invalid timestamp at position {pos}: {exc}") from None
    frac = m.group(7) or ""
    return _ns(when) + int(frac.ljust(9, "0")) if frac else _ns(when)


def _ns(when: datetime) -> int:
    return int(when.timestamp()) * 1_000_000_000
