"""Config models of the operators (the Collector's ``operators:`` list, same names and keys).

Each model is a :class:`~otelpy.config.types.ConfigModel`; :data:`OperatorConfig` is the
union the receivers put in their ``operators`` key, told apart by ``type``. Cross-field
checks (regexes compile, expressions are in the supported subset, layouts are known) run in
:func:`otelpy.stanza.pipeline.operator_problems` so every problem is reported at once.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema

from otelpy.config.types import ConfigModel, Duration

__all__ = ["ByteSize", "OperatorConfig", "OPERATOR_TYPES", "parse_byte_size",
           "TimeConfig", "SeverityConfig"]

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "ki": 1024, "kib": 1024, "m": 1000**2,
          "mb": 1000**2, "mi": 1024**2, "mib": 1024**2, "g": 1000**3, "gb": 1000**3,
          "gi": 1024**3, "gib": 1024**3, "t": 1000**4, "tb": 1000**4, "ti": 1024**4,
          "tib": 1024**4}


def parse_byte_size(value: Any) -> int:
    """``1kb`` = 1000, ``1KiB`` = 1024, a bare number = bytes (the Collector's ByteSize)."""
    if isinstance(value, bool):
        raise ValueError("a byte size is a number or a string like 16KiB")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a byte size cannot be negative")
        return int(value)
    match = _SIZE.match(str(value))
    if match is None:
        raise ValueError(f"invalid byte size {value!r} (e.g. 1000, 1kb, 16KiB, 1MiB)")
    return int(float(match.group(1)) * _UNITS[(match.group(2) or "").lower()])


ByteSize = Annotated[int, BeforeValidator(parse_byte_size), WithJsonSchema({
    "anyOf": [{"type": "integer", "minimum": 0},
              {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*([kKmMgGtT][iI]?[bB]?|[bB])?\s*$"}],
    "description": "bytes: a number, or with a unit (1kb = 1000, 1KiB = 1024, 1MiB)"})]
OnError = Literal["send", "send_quiet", "drop", "drop_quiet"]
Output = str | list[str]


class TimeConfig(ConfigModel):
    """A ``timestamp`` block (pkg/stanza/docs/types/timestamp.md)."""

    parse_from: str = Field(description="The field holding the time.")
    layout_type: Literal["strptime", "gotime", "epoch"] = Field(
        default="strptime", description="strptime, gotime or epoch.")
    layout: str = Field(description="The layout of the time (e.g. '%Y-%m-%d', s).")
    location: str = Field(default="Local", description="Zone of times without one (IANA name, "
                          "UTC or Local).")
    time_zone_locations: dict[str, str] = Field(
        default_factory=dict, description="Zone abbreviation -> IANA location, for %Z / MST.")


class SeverityConfig(ConfigModel):
    """A ``severity`` block (pkg/stanza/docs/types/severity.md)."""

    parse_from: str = Field(description="The field holding the severity.")
    preset: str = Field(default="default", description="default, otel or none.")
    mapping: dict[str, Any] = Field(default_factory=dict, description="severity alias -> "
                                    "value, list of values, {min, max} range or 2xx..5xx.")
    overwrite_text: bool = Field(default=False, description="Set the severity text to the "
                                 "short name (ERROR, INFO3) instead of the value read.")


class _Base(ConfigModel):
    id: str = Field(default="", description="Unique id of the operator (default: its type).")
    output: Output | None = Field(default=None, description="Operator id(s) entries go to "
                                  "next (default: the next in the list).")

    def operator_id(self) -> str:
        return self.id or str(self.model_dump(include={"type"}).get("type", ""))


class _Transformer(_Base):
    on_error: OnError = Field(default="send", description="send, send_quiet, drop or "
                              "drop_quiet: what happens to an entry the operator fails on.")
    if_: str = Field(default="", alias="if", description="Expression: the operator applies "
                     "only to entries where it is true.")


class _Parser(_Transformer):
    parse_from: str = Field(default="body", description="The field parsed.")
    parse_to: str = Field(default="attributes", description="Where the result goes.")
    preserve_to: str = Field(default="", description="Keep the unparsed value here too.")
    body: str = Field(default="", description="A field of the result that becomes the body.")
    timestamp: TimeConfig | None = Field(default=None, description="Parse the timestamp.")
    severity: SeverityConfig | None = Field(default=None, description="Parse the severity.")


class JsonParser(_Parser):
    type: Literal["json_parser"] = Field(description="json_parser")


class RegexCache(ConfigModel):
    size: int = Field(default=0, ge=0, description="Accepted; otelpy caches compiled regexes "
                      "only (no result cache).")


class RegexParser(_Parser):
    type: Literal["regex_parser"] = Field(description="regex_parser")
    regex: str = Field(description="RE2 regular expression with named groups.")
    cache: RegexCache | None = Field(default=None, description="Accepted for compatibility.")


class CsvParser(_Parser):
    type: Literal["csv_parser"] = Field(description="csv_parser")
    header: str = Field(default="", description="Delimited field names.")
    header_attribute: str = Field(default="", description="Attribute holding the header.")
    header_delimiter: str = Field(default="", description="Delimiter of the header "
                                  "(default: delimiter).")
    delimiter: str = Field(default=",", description="One character between values.")
    lazy_quotes: bool = Field(default=False, description="Allow quotes inside fields.")
    ignore_quotes: bool = Field(default=False, description="Treat quotes as ordinary text.")


class KeyValueParser(_Parser):
    type: Literal["key_value_parser"] = Field(description="key_value_parser")
    delimiter: str = Field(default="=", description="Between a key and its value.")
    pair_delimiter: str = Field(default="", description="Between pairs (default: whitespace).")


class SyslogParser(_Parser):
    type: Literal["syslog_parser"] = Field(description="syslog_parser")
    protocol: Literal["rfc3164", "rfc5424"] = Field(description="rfc3164 or rfc5424.")
    location: str = Field(default="UTC", description="Zone of RFC 3164 timestamps.")
    enable_octet_counting: bool = Field(default=False, description="RFC 6587 octet counting "
                                        "prefix (rfc5424).")
    allow_skip_pri_header: bool = Field(default=False, description="Accept messages "
                                        "without <PRI>.")


class TimeParser(_Transformer):
    type: Literal["time_parser"] = Field(description="time_parser")
    parse_from: str = Field(default="", description="The field holding the time (required).")
    layout_type: Literal["strptime", "gotime", "epoch"] = Field(
        default="strptime", description="strptime, gotime or epoch.")
    layout: str = Field(default="", description="The layout (required).")
    location: str = Field(default="Local", description="Zone of times without one.")
    time_zone_locations: dict[str, str] = Field(default_factory=dict,
                                                description="Abbreviation -> IANA location.")


class SeverityParser(_Transformer):
    type: Literal["severity_parser"] = Field(description="severity_parser")
    parse_from: str = Field(default="", description="The field holding the severity "
                            "(required).")
    preserve_to: str = Field(default="", description="Keep the value here too.")
    preset: str = Field(default="default", description="default, otel or none.")
    mapping: dict[str, Any] = Field(default_factory=dict, description="See severity.md.")
    overwrite_text: bool = Field(default=False, description="Text = short name.")


class Move(_Transformer):
    type: Literal["move"] = Field(description="move")
    from_: str = Field(alias="from", description="Field moved.")
    to: str = Field(description="Destination field.")


class Copy(_Transformer):
    type: Literal["copy"] = Field(description="copy")
    from_: str = Field(alias="from", description="Field copied.")
    to: str = Field(description="Destination field.")


class Add(_Transformer):
    type: Literal["add"] = Field(description="add")
    field: str = Field(description="Field written.")
    value: Any = Field(description="A value, or EXPR(expression) evaluated per entry.")


class Remove(_Transformer):
    type: Literal["remove"] = Field(description="remove")
    field: str = Field(description="Field removed (attributes / resource: all of them).")


class Flatten(_Transformer):
    type: Literal["flatten"] = Field(description="flatten")
    field: str = Field(description="A body map whose children move up one level.")


class Retain(_Transformer):
    type: Literal["retain"] = Field(description="retain")
    fields: list[str] = Field(description="Fields kept; the rest of their group goes.")


class Noop(_Base):
    type: Literal["noop"] = Field(description="noop")


class Route(ConfigModel):
    output: Output = Field(description="Operator id(s) for entries matching expr.")
    expr: str = Field(description="Expression; the first true route wins.")
    attributes: dict[str, Any] = Field(default_factory=dict,
                                       description="Attributes added on a match.")


class Router(ConfigModel):
    id: str = Field(default="", description="Unique id (default: router).")
    type: Literal["router"] = Field(description="router")
    routes: list[Route] = Field(description="Routes, tried in order.")
    default: Output | None = Field(default=None, description="Operator id(s) for entries no "
                                   "route matched (otherwise they are dropped, counted).")

    def operator_id(self) -> str:
        return self.id or "router"


class Recombine(_Base):
    type: Literal["recombine"] = Field(description="recombine")
    on_error: OnError = Field(default="send", description="See on_error.")
    is_first_entry: str = Field(default="", description="Expression: first entry of a series.")
    is_last_entry: str = Field(default="", description="Expression: last entry of a series.")
    combine_field: str = Field(description="The field joined across entries.")
    combine_with: str = Field(default="\n", description="Put between the joined values.")
    max_batch_size: int = Field(default=1000, ge=0, description="Most entries joined.")
    max_unmatched_batch_size: int = Field(default=100, ge=0, description="Most entries joined "
                                          "before the first match (0 = no limit).")
    overwrite_with: Literal["oldest", "newest"] = Field(
        default="newest", description="Which entry's other fields the result keeps.")
    force_flush_period: Duration = Field(default=5.0, description="Flush a series this long "
                                         "after its last entry.")
    source_identifier: str = Field(default='attributes["log.file.path"]',
                                   description="Field telling sources apart.")
    max_sources: int = Field(default=1000, ge=1, description="Most sources tracked at once.")
    max_log_size: ByteSize = Field(default=0, description="Flush once the joined field is "
                                   "this large (0 = no limit).")


class Container(_Parser):
    type: Literal["container"] = Field(description="container")
    format: Literal["", "docker", "crio", "containerd"] = Field(
        default="", description="docker, crio or containerd (default: detected per line).")
    add_metadata_from_filepath: bool = Field(default=True, description="k8s resource "
                                             "attributes from log.file.path.")
    max_log_size: ByteSize = Field(default=0, description="Largest recombined partial log "
                                   "(0 = no limit).")


OperatorConfig = Annotated[
    JsonParser | RegexParser | CsvParser | KeyValueParser | SyslogParser | TimeParser
    | SeverityParser | Move | Copy | Add | Remove | Flatten | Retain | Noop | Router
    | Recombine | Container, Field(discriminator="type")]
OPERATOR_TYPES = ("json_parser", "regex_parser", "csv_parser", "key_value_parser",
                  "syslog_parser", "time_parser", "severity_parser", "move", "copy", "add",
                  "remove", "flatten", "retain", "noop", "router", "recombine", "container")
