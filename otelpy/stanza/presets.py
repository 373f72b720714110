"""Ready-made operator lists (otelpy's ``preset`` key; the Collector has no such key, so each
preset is also written out as plain ``operators`` in config-examples/ to copy from).

* ``nginx_combined`` / ``apache_combined``: the combined access log format
  (``$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
  "$http_referer" "$http_user_agent"``, nginx's default and Apache's ``combined``) into
  semantic-convention attributes (``client.address``, ``user.name``, ``http.request.method``,
  ``url.path``, ``network.protocol.version``, ``http.response.status_code``,
  ``http.response.body.size``, ``http.request.header.referer``, ``user_agent.original``),
  the timestamp from ``$time_local``, the severity from the status (2xx/3xx INFO, 4xx WARN,
  5xx ERROR). A line that does not match keeps its body and is counted.
* ``json``: a JSON object per line into attributes; ``msg`` or ``message`` becomes the body,
  ``level`` / ``severity`` the severity, ``time`` / ``timestamp`` (RFC 3339) the timestamp,
  each when present.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from otelpy.stanza.config import OperatorConfig

__all__ = ["PRESETS", "preset_operators", "COMBINED_REGEX"]

COMBINED_REGEX = (
    r'^(?P<client_address>\S+) \S+ (?P<user_name>\S+) \[(?P<time_local>[^\]]+)\] '
    r'"(?P<method>[A-Z]+) (?P<url_path>[^ "]*)(?: HTTP/(?P<protocol_version>[^"]*))?" '
    r'(?P<status>\d{3}) (?P<body_size>\d+|-)(?: "(?P<referer>[^"]*)" "(?P<user_agent>[^"]*)")?')
_COMBINED_NAMES = {"client_address": "client.address", "user_name": "user.name",
                   "method": "http.request.method", "url_path": "url.path",
                   "protocol_version": "network.protocol.version",
                   "status": "http.response.status_code",
                   "body_size": "http.response.body.size",
                   "referer": "http.request.header.referer",
                   "user_agent": "user_agent.original"}


def _combined() -> list[dict[str, Any]]:
    ops: list[dict[str, Any]] = [{
        "type": "regex_parser", "id": "combined_access_log", "regex": COMBINED_REGEX,
        "timestamp": {"parse_from": "attributes.time_local",
                      "layout": "%d/%b/%Y:%H:%M:%S %z"},
        "severity": {"parse_from": "attributes.status", "preset": "none",
                     "mapping": {"info": ["2xx", "3xx"], "warn": "4xx", "error": "5xx"}}}]
    ops.append({"type": "remove", "id": "combined_drop_time", "field": "attributes.time_local",
                "if": "attributes.time_local != nil", "on_error": "send_quiet"})
    for group, name in _COMBINED_NAMES.items():
        ops.append({"type": "move", "id": f"combined_{group}", "from": f"attributes.{group}",
                    "to": f'attributes["{name}"]', "if": f"attributes.{group} != nil",
                    "on_error": "send_quiet"})
    return ops


def _json() -> list[dict[str, Any]]:
    ops: list[dict[str, Any]] = [{"type": "json_parser", "id": "json_log"}]
    for key in ("msg", "message"):
        ops.append({"type": "move", "id": f"json_{key}", "from": f"attributes.{key}",
                    "to": "body", "if": f"attributes.{key} != nil and body matches '^[{{]'"})
    for key in ("level", "severity"):
        ops.append({"type": "severity_parser", "id": f"json_{key}",
                    "parse_from": f"attributes.{key}", "if": f"attributes.{key} != nil",
                    "on_error": "send_quiet"})
    for key in ("time", "timestamp"):
        ops.append({"type": "time_parser", "id": f"json_{key}", "parse_from": f"attributes.{key}",
                    "layout_type": "gotime", "layout": "2006-01-02T15:04:05Z07:00",
                    "if": f"attributes.{key} != nil", "on_error": "send_quiet"})
    return ops


PRESETS = {"nginx_combined": _combined, "apache_combined": _combined, "json": _json}
_ADAPTER: TypeAdapter[list[Any]] = TypeAdapter(list[OperatorConfig])


def preset_operators(name: str) -> list[Any]:
    """The operator configs of preset ``name`` ("" = none); KeyError when unknown."""
    if not name:
        return []
    return list(_ADAPTER.validate_python(PRESETS[name]()))
