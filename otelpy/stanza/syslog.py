"""syslog_parser: RFC 3164 and RFC 5424 messages into a map, the timestamp onto the entry,
and the syslog severity onto the entry's severity (the Collector's mapping: emerg -> FATAL2,
alert -> FATAL, crit -> ERROR2, err -> ERROR, warning -> WARN, notice -> INFO2, info -> INFO,
debug -> DEBUG). Nil parts (``-`` in RFC 5424) are left out of the map."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from otelpy.stanza.config import SyslogParser
from otelpy.stanza.entry import Entry
from otelpy.stanza.operator import ErrorReport, OperatorError, ParserOperator
from otelpy.stanza.parsers import as_text
from otelpy.stanza.timeparse import TimeLayout, TimeParseError

__all__ = ["SyslogParserOp", "SEVERITY", "SEVERITY_TEXT"]

SEVERITY = {0: 22, 1: 21, 2: 18, 3: 17, 4: 13, 5: 10, 6: 9, 7: 5}
SEVERITY_TEXT = {0: "emerg", 1: "alert", 2: "crit", 3: "err", 4: "warning", 5: "notice",
                 6: "info", 7: "debug"}
_PRI = re.compile(r"^<(\d{1,3})>")
_RFC3164 = re.compile(
    r"^(?P<ts>[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}) (?:(?P<host>[^ :\[]+) )?"
    r"(?:(?P<app>[^ :\[]+)(?:\[(?P<pid>[^\]]*)\])?: ?)?(?P<msg>.*)$", re.DOTALL)
_RFC5424 = re.compile(
    r"^(?P<ver>\d{1,2}) (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<pid>\S+) (?P<msgid>\S+) "
    r"(?P<sd>-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (?P<msg>.*))?$", re.DOTALL)
_SD_ELEMENT = re.compile(r"\[([^ \]]+)((?:\s+[^=\s]+=\"(?:[^\"\\]|\\.)*\")*)\s*\]")
_SD_PARAM = re.compile(r"([^=\s]+)=\"((?:[^\"\\]|\\.)*)\"")
_OCTETS = re.compile(r"^(\d+) ")


class SyslogParserOp(ParserOperator):
    def __init__(self, cfg: SyslogParser, report: ErrorReport, now: Callable[[], float]) -> None:
        super().__init__(cfg, report, now)
        self.cfg = cfg
        self.rfc3164_time = TimeLayout("Jan _2 15:04:05", "gotime", cfg.location, now=now)
        self.rfc5424_time = TimeLayout("2006-01-02T15:04:05Z07:00", "gotime", "UTC", now=now)
        self._timestamp = 0

    def transform(self, entry: Entry) -> None:
        self._timestamp = 0
        super().transform(entry)
        if self._timestamp:
            entry.timestamp = self._timestamp
        parsed, _ = self.parse_to.get(entry)
        if isinstance(parsed, dict) and isinstance(parsed.get("severity"), int):
            entry.severity = SEVERITY[parsed["severity"]]
            entry.severity_text = SEVERITY_TEXT[parsed["severity"]]

    def parse(self, value: Any) -> Any:
        text = as_text(value, "syslog")
        if self.cfg.enable_octet_counting:
            match = _OCTETS.match(text)
            if match is not None:
                text = text[match.end():match.end() + int(match.group(1))]
        out: dict[str, Any] = {}
        pri = _PRI.match(text)
        if pri is not None:
            priority = int(pri.group(1))
            if priority > 191:
                raise OperatorError(f"syslog: priority {priority} out of range")
            out.update(priority=priority, facility=priority // 8, severity=priority % 8)
            text = text[pri.end():]
        elif not self.cfg.allow_skip_pri_header:
            raise OperatorError("syslog: expecting a priority value within angle brackets")
        try:
            if self.cfg.protocol == "rfc3164":
                self._rfc3164(text, out)
            else:
                self._rfc5424(text, out)
        except TimeParseError as exc:
            raise OperatorError(f"syslog: {exc}") from exc
        return out

    def _rfc3164(self, text: str, out: dict[str, Any]) -> None:
        match = _RFC3164.match(text)
        if match is None:
            raise OperatorError("syslog: not an RFC 3164 message (expecting a timestamp "
                                "like 'Jan 12 06:30:00')")
        self._timestamp = self.rfc3164_time.parse(match.group("ts"))
        for key, group in (("hostname", "host"), ("appname", "app"), ("proc_id", "pid"),
                           ("message", "msg")):
            if match.group(group):
                out[key] = match.group(group)

    def _rfc5424(self, text: str, out: dict[str, Any]) -> None:
        match = _RFC5424.match(text)
        if match is None:
            raise OperatorError("syslog: not an RFC 5424 message")
        out["version"] = int(match.group("ver"))
        if match.group("ts") != "-":
            self._timestamp = self.rfc5424_time.parse(match.group("ts"))
        for key, group in (("hostname", "host"), ("appname", "app"), ("proc_id", "pid"),
                           ("msg_id", "msgid")):
            if match.group(group) != "-":
                out[key] = match.group(group)
        if match.group("sd") != "-":
            out["structured_data"] = {
                sd_id: {k: re.sub(r"\\(.)", r"\1", v) for k, v in _SD_PARAM.findall(params)}
                for sd_id, params in _SD_ELEMENT.findall(match.group("sd"))}
        message = match.group("msg")
        if message:
            out["message"] = message.removeprefix("\ufeff")
