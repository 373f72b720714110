"""Syslog: RFC 3164 and RFC 5424 parsing and RFC 6587 TCP framing, as the Collector's
stanza syslog parser and syslog input do. Used by the ``syslog`` receiver; written so the
filelog ``syslog_parser`` operator can reuse :class:`SyslogParser` unchanged."""

from otelpy.syslog.framing import FrameTooLarge, OctetCountingSplitter, TrailerSplitter
from otelpy.syslog.parse import (
    FACILITY_NAMES,
    SEVERITY_NUMBERS,
    SEVERITY_TEXTS,
    Parsed,
    SyslogError,
    SyslogParser,
)

__all__ = ["FACILITY_NAMES", "SEVERITY_NUMBERS", "SEVERITY_TEXTS", "FrameTooLarge",
           "OctetCountingSplitter", "Parsed", "SyslogError", "SyslogParser",
           "TrailerSplitter"]
