"""OTLP log records into Loki push requests, as the Collector's ``pkg/translator/loki``.

Per record: the ``level`` attribute from the severity (when enabled), labels from the
default labels (``exporter="OTLP"``, ``job`` = ``service.namespace/service.name``,
``instance`` = ``service.instance.id``) and the hints ``loki.resource.labels`` (resource or
record attribute naming resource attributes) and ``loki.attribute.labels`` (naming record
attributes); promoted attributes and every hint leave the line. The line is JSON
(default), logfmt or the raw body as ``loki.format`` says. Records are grouped by tenant
(``loki.tenant`` names the attribute holding it) and, per tenant, into streams by label set,
keeping their order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from otelpy.pdata import items
from otelpy.pdata.asstring import as_string
from otelpy.pdata.ids import hex_id
from otelpy.pdata.values import Value, to_value

HINT_ATTRIBUTES = "loki.attribute.labels"
HINT_RESOURCES = "loki.resource.labels"
HINT_TENANT = "loki.tenant"
HINT_FORMAT = "loki.format"
HINTS = frozenset((HINT_ATTRIBUTES, HINT_RESOURCES, HINT_TENANT, HINT_FORMAT))
LEVELS = ("UNSPECIFIED", "TRACE", "TRACE2", "TRACE3", "TRACE4", "DEBUG", "DEBUG2", "DEBUG3",
          "DEBUG4", "INFO", "INFO2", "INFO3", "INFO4", "WARN", "WARN2", "WARN3", "WARN4",
          "ERROR", "ERROR2", "ERROR3", "ERROR4", "FATAL", "FATAL2", "FATAL3", "FATAL4")
_LABEL_INVALID = re.compile(r"[^a-zA-Z0-9_]")
_LOGFMT_PAIR = re.compile(r'\s*([^\s="]+)=("(?:[^"\\]|\\.)*"|[^\s"]*)')


@dataclass
class Entry:
    timestamp_ns: int
    line: str
    metadata: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class TenantRequest:
    """The streams of one tenant: label string -> entries, in first-seen order."""

    streams: dict[str, list[Entry]] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)


def normalize_label(name: str) -> str:
    """The Collector's prometheus ``NormalizeLabel``: invalid runes to ``_``, ``key_``
    before a leading digit, ``key`` before a single leading underscore."""
    name = _LABEL_INVALID.sub("_", name)
    if name[:1].isdigit():
        return "key_" + name
    if name.startswith("_") and not name.startswith("__"):
        return "key" + name
    return name


def label_string(labels: Mapping[str, str]) -> str:
    """Prometheus ``LabelSet.String()``: ``{a="x", b="y"}``, names sorted."""
    parts = (f"{k}={_go_quote(labels[k])}" for k in sorted(labels))
    return "{" + ", ".join(parts) + "}"


def _go_quote(text: str) -> str:
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") \
        .replace("\t", "\\t").replace("\r", "\\r")
    return f'"{out}"'


def _names(value: Value) -> list[str]:
    if isinstance(value, list):
        return [as_string(v).strip() for v in value]
    return [n.strip() for n in as_string(value).split(",")]


def _lookup(attrs: Mapping[str, Value], name: str) -> tuple[bool, Value]:
    """An attribute by name, or a nested one (``a.b`` inside map ``a``), as the Collector."""
    if name in attrs:
        return True, attrs[name]
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        inner = attrs.get(".".join(parts[:cut]))
        if isinstance(inner, dict):
            found, value = _lookup(inner, ".".join(parts[cut:]))
            if found:
                return True, value
    return False, None


def _select(attrs: Mapping[str, Value], hint: Value) -> dict[str, str]:
    out = {}
    for name in _names(hint):
        found, value = _lookup(attrs, name)
        if found:
            out[name] = as_string(value)
    return out


def _default_labels(res: Mapping[str, Value], enabled: Mapping[str, bool]) -> dict[str, str]:
    out: dict[str, str] = {}
    if enabled.get("exporter", True):
        out["exporter"] = "OTLP"
    name = res.get("service.name")
    if enabled.get("job", True) and name is not None:
        ns = res.get("service.namespace")
        out["job"] = as_string(name) if ns is None else f"{as_string(ns)}/{as_string(name)}"
    instance = res.get("service.instance.id")
    if enabled.get("instance", True) and instance is not None:
        out["instance"] = as_string(instance)
    return out


def tenant_of(attrs: Mapping[str, Value], res: Mapping[str, Value]) -> str | None:
    """The tenant named by the ``loki.tenant`` hint (resource first), or None."""
    hint = res.get(HINT_TENANT, attrs.get(HINT_TENANT))
    if hint is None:
        return None
    name = as_string(hint)
    value = res.get(name, attrs.get(name))
    return None if value is None else as_string(value)


def _go_json(value: Value) -> str:
    return as_string([value])[1:-1]  # Go's encoding/json text of one value


def _json_line(record: Any, attrs: dict[str, Value], res: dict[str, Value], scope: Any) -> str:
    parts = []
    if record.HasField("body"):
        parts.append(f'"body":{_go_json(to_value(record.body))}')
    if any(record.trace_id):
        parts.append(f'"traceid":"{hex_id(record.trace_id)}"')
    if any(record.span_id):
        parts.append(f'"spanid":"{hex_id(record.span_id)}"')
    if record.severity_text:
        parts.append(f'"severity":{_go_json(record.severity_text)}')
    if record.flags:
        parts.append(f'"flags":{record.flags}')
    if attrs:
        parts.append(f'"attributes":{_go_json(attrs)}')
    if res:
        parts.append(f'"resources":{_go_json(res)}')
    if scope.name:
        inner = {"name": scope.name, **({"version": scope.version} if scope.version else {})}
        parts.append(f'"instrumentation_scope":{_go_json(inner)}')
    return "{" + ",".join(parts) + "}"


def _logfmt_value(value: Value) -> str:
    text = as_string(value)
    if text and not any(c <= " " or c in '="\\' for c in text):
        return text
    return _go_quote(text)


def _flatten(prefix: str, value: Value) -> Iterable[tuple[str, Value]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _flatten(f"{prefix}_{k}" if prefix else k, v)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _flatten(f"{prefix}_{i}" if prefix else str(i), v)
    elif value is not None:
        yield prefix, value


def _logfmt_line(record: Any, attrs: dict[str, Value], res: dict[str, Value],
                 scope: Any) -> str:
    body = to_value(record.body) if record.HasField("body") else None
    pairs: dict[str, Value] = {}
    if isinstance(body, str):
        found = _LOGFMT_PAIR.findall(body)
        if found and "".join(f"{k}={v}" for k, v in found) == re.sub(r"\s+", "", body):
            pairs.update((k, v[1:-1] if v.startswith('"') else v) for k, v in found)
        else:
            pairs["msg"] = body
    elif isinstance(body, dict):
        pairs.update(_flatten("", body))
    elif body is not None:
        pairs.update(_flatten("body", body) if isinstance(body, list) else [("msg", body)])
    if any(record.trace_id):
        pairs["traceID"] = hex_id(record.trace_id)
    if any(record.span_id):
        pairs["spanID"] = hex_id(record.span_id)
    if record.severity_text:
        pairs["severity"] = record.severity_text
    if record.flags:
        pairs["flags"] = record.flags
    out = list(pairs.items())
    out += [(k, v) for a, val in attrs.items() for k, v in _flatten(f"attribute_{a}", val)]
    out += [(k, v) for a, val in res.items() for k, v in _flatten(f"resource_{a}", val)]
    if scope.name:
        out.append(("instrumentation_scope_name", scope.name))
        if scope.version:
            out.append(("instrumentation_scope_version", scope.version))
    return " ".join(f"{k}={_logfmt_value(v)}" for k, v in out)


def _line(fmt: str, record: Any, attrs: dict[str, Value], res: dict[str, Value],
          scope: Any) -> str:
    if fmt == "json":
        return _json_line(record, attrs, res, scope)
    if fmt == "logfmt":
        return _logfmt_line(record, attrs, res, scope)
    if fmt == "raw":
        return as_string(to_value(record.body)) if record.HasField("body") else ""
    raise ValueError(f"invalid format {fmt}. Expected one of: json, logfmt, raw")


def _labels(attrs: dict[str, Value], res: dict[str, Value],
            enabled: Mapping[str, bool]) -> dict[str, str]:
    labels = _default_labels(res, enabled)
    if HINT_RESOURCES in res:
        labels.update(_select(res, res[HINT_RESOURCES]))
    if HINT_RESOURCES in attrs:
        labels.update(_select(res, attrs[HINT_RESOURCES]))
    if HINT_ATTRIBUTES in attrs:
        labels.update(_select(attrs, attrs[HINT_ATTRIBUTES]))
    return labels


def _add_level(attrs: dict[str, Value], severity: int) -> None:
    if severity == 0:
        return
    hint = attrs.get(HINT_ATTRIBUTES)
    if isinstance(hint, list):
        attrs[HINT_ATTRIBUTES] = [*hint, "level"]
    elif isinstance(hint, str):
        attrs[HINT_ATTRIBUTES] = f"{hint},level"
    elif hint is None:
        attrs[HINT_ATTRIBUTES] = "level"
    attrs.setdefault("level", LEVELS[severity] if severity < len(LEVELS) else "UNSPECIFIED")


def to_requests(request: Any, enabled: Mapping[str, bool], metadata_keys: Iterable[str] = (),
                default_tenant: str | None = None,
                tenant_attribute: str | None = None) -> dict[str | None, TenantRequest]:
    """The push requests of one OTLP logs request, by tenant: the ``loki.tenant`` hint's,
    else the ``tenant_attribute`` (resource, then record), else ``default_tenant`` (None:
    no tenant). Records that cannot be converted are listed in ``dropped``."""
    out: dict[str | None, TenantRequest] = {}
    keys = tuple(metadata_keys)
    for item in items.log_records(request):
        res = item.resource_attributes.as_dict()
        attrs = item.attributes.as_dict()
        tenant = tenant_of(attrs, res)
        if tenant is None and tenant_attribute is not None:
            value = res.get(tenant_attribute, attrs.get(tenant_attribute))
            tenant = None if value is None else as_string(value)
        tenant = tenant if tenant is not None else default_tenant
        group = out.setdefault(tenant, TenantRequest())
        if enabled.get("level", True):
            _add_level(attrs, item.record.severity_number)
        fmt = as_string(res.get(HINT_FORMAT, attrs.get(HINT_FORMAT, "json")))
        labels = _labels(attrs, res, enabled)
        for mapping in (attrs, res):
            for key in [k for k in mapping if k in HINTS or k in labels]:
                del mapping[key]
        metadata = [(k, as_string(attrs.pop(k))) for k in keys if k in attrs]
        try:
            line = _line(fmt, item.record, attrs, res, item.scope.scope)
        except ValueError as exc:
            group.dropped.append(str(exc))
            continue
        record = item.record
        when = record.time_unix_nano or record.observed_time_unix_nano
        normalized = {normalize_label(k): v for k, v in labels.items()}
        if not normalized:
            group.dropped.append("no labels: every default label is off and no hint applies")
            continue
        key = label_string(normalized)
        group.labels.setdefault(key, normalized)
        group.streams.setdefault(key, []).append(Entry(when, line, metadata))
    return out
