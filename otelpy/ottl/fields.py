"""The paths of the span, span event, log, metric and data point contexts, and the enums
each context knows (the Collector's ``pkg/ottl/contexts/*`` READMEs list them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from otelpy.ottl import syntax as s
from otelpy.ottl.errors import EvalError, ParseError
from otelpy.ottl.paths import (
    MESSAGE,
    Accessor,
    Builder,
    attributes,
    no_keys,
    no_subfields,
    resource_fields,
    scalar,
    scope_fields,
    store,
    time_of,
)
from otelpy.pdata.values import to_value

SPAN_KINDS = ("Unspecified", "Internal", "Server", "Client", "Producer", "Consumer")
_SPAN_KIND_ENUMS = {f"SPAN_KIND_{n.upper()}": i for i, n in enumerate(SPAN_KINDS)}
_STATUS_ENUMS = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}
_SEVERITY_ENUMS = {"SEVERITY_NUMBER_UNSPECIFIED": 0} | {
    f"SEVERITY_NUMBER_{level}{suffix}": 1 + 4 * i + n
    for i, level in enumerate(("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"))
    for n, suffix in enumerate(("", "2", "3", "4"))}
METRIC_TYPES = ("none", "gauge", "sum", "histogram", "exponential_histogram", "summary")
_METRIC_ENUMS = {f"METRIC_DATA_TYPE_{t.upper()}": i for i, t in enumerate(METRIC_TYPES)} | {
    "AGGREGATION_TEMPORALITY_UNSPECIFIED": 0, "AGGREGATION_TEMPORALITY_DELTA": 1,
    "AGGREGATION_TEMPORALITY_CUMULATIVE": 2, "FLAG_NONE": 0, "FLAG_NO_RECORDED_VALUE": 1}
#: the enum symbols each context accepts
ENUMS: dict[str, dict[str, int]] = {
    "resource": {}, "scope": {},
    "span": _SPAN_KIND_ENUMS | _STATUS_ENUMS, "spanevent": _SPAN_KIND_ENUMS | _STATUS_ENUMS,
    "log": _SEVERITY_ENUMS, "metric": _METRIC_ENUMS, "datapoint": _METRIC_ENUMS,
}


def _unsupported(name: str) -> Builder:
    def refuse(fields: tuple[s.PathField, ...]) -> Accessor:
        raise ParseError(f'path "{name}" is not implemented by otelpy', fields[0].column)
    return refuse


def _identifier(select: Callable[[Any], Any], attr: str, size: int, context: str,
                fields: tuple[s.PathField, ...]) -> Accessor:
    """``trace_id`` (bytes) or ``trace_id.string`` (lower-case hex); empty reads as zeros."""
    no_keys(fields[0])
    zero = bytes(size)
    as_string = len(fields) > 1 and fields[1].name == "string"
    if len(fields) > 1 and not as_string or len(fields) > 2:
        no_subfields(fields[1:] if as_string else fields)

    def get(item: Any, cache: dict[str, Any]) -> Any:
        raw = getattr(select(item), attr) or zero
        return raw.hex() if as_string else raw

    def set_(item: Any, cache: dict[str, Any], value: Any) -> None:
        if as_string and isinstance(value, str):
            try:
                value = bytes.fromhex(value)
            except ValueError:
                raise EvalError(f"{value!r} is not a hex {attr}") from None
        if isinstance(value, bytes) and len(value) == size:
            setattr(select(item), attr, value)
    return Accessor(get, set_, context)


def _span_kind(fields: tuple[s.PathField, ...]) -> Accessor:
    span = MESSAGE["span"]
    if len(fields) == 1:
        return scalar(span, "kind", int, "span", fields)
    sub = fields[1].name
    if sub not in ("string", "deprecated_string") or len(fields) > 2:
        no_subfields(fields)
    names = SPAN_KINDS if sub == "string" else tuple(f"SPAN_KIND_{n.upper()}" for n in SPAN_KINDS)

    def get(item: Any, cache: dict[str, Any]) -> Any:
        kind = span(item).kind
        return names[kind] if 0 <= kind < len(names) else ""

    def set_(item: Any, cache: dict[str, Any], value: Any) -> None:
        if value in names:
            span(item).kind = names.index(value)
    return Accessor(get, set_, "span")


def _status(fields: tuple[s.PathField, ...]) -> Accessor:
    status = lambda item: item.span.status  # noqa: E731
    if len(fields) < 2 or fields[1].name not in ("code", "message"):
        raise ParseError('use "status.code" or "status.message"', fields[0].column)
    kind = int if fields[1].name == "code" else str
    return scalar(status, fields[1].name, kind, "span", fields[1:])


def span_fields() -> dict[str, Builder]:
    msg = MESSAGE["span"]
    out: dict[str, Builder] = {
        "trace_id": lambda f: _identifier(msg, "trace_id", 16, "span", f),
        "span_id": lambda f: _identifier(msg, "span_id", 8, "span", f),
        "parent_span_id": lambda f: _identifier(msg, "parent_span_id", 8, "span", f),
        "trace_state": lambda f: scalar(msg, "trace_state", str, "span", f),
        "name": lambda f: scalar(msg, "name", str, "span", f),
        "kind": _span_kind,
        "start_time_unix_nano": lambda f: scalar(msg, "start_time_unix_nano", int, "span", f),
        "end_time_unix_nano": lambda f: scalar(msg, "end_time_unix_nano", int, "span", f),
        "start_time": lambda f: time_of(msg, "start_time_unix_nano", "span", f),
        "end_time": lambda f: time_of(msg, "end_time_unix_nano", "span", f),
        "attributes": lambda f: attributes(msg, "span", f),
        "status": _status,
        "flags": lambda f: scalar(msg, "flags", int, "span", f),
    }
    for name in ("dropped_attributes_count", "dropped_events_count", "dropped_links_count"):
        out[name] = lambda f, n=name: scalar(msg, n, int, "span", f)  # type: ignore[misc]
    for name in ("events", "links"):
        out[name] = _unsupported(f"span.{name}")
    return out


def spanevent_fields() -> dict[str, Builder]:
    msg = MESSAGE["spanevent"]
    return {
        "name": lambda f: scalar(msg, "name", str, "spanevent", f),
        "time_unix_nano": lambda f: scalar(msg, "time_unix_nano", int, "spanevent", f),
        "time": lambda f: time_of(msg, "time_unix_nano", "spanevent", f),
        "attributes": lambda f: attributes(msg, "spanevent", f),
        "dropped_attributes_count": lambda f: scalar(msg, "dropped_attributes_count", int,
                                                     "spanevent", f),
    }


def _body(fields: tuple[s.PathField, ...]) -> Accessor:
    from otelpy.ottl.converters import to_string  # the String() rules; no import cycle

    record = MESSAGE["log"]
    if len(fields) > 1:
        if fields[1].name != "string" or len(fields) > 2:
            no_subfields(fields)

        def set_string(item: Any, cache: dict[str, Any], value: Any) -> None:
            if isinstance(value, str):
                record(item).body.string_value = value
        return Accessor(lambda item, cache: to_string(to_value(record(item).body)),
                        set_string, "log")
    keys = fields[0].keys
    from otelpy.ottl.paths import assign, index, plain

    def get(item: Any, cache: dict[str, Any]) -> Any:
        value = to_value(record(item).body)
        return index(value, keys) if keys else value

    def set_(item: Any, cache: dict[str, Any], value: Any) -> None:
        if not keys:
            store(record(item).body, value)
            return
        tree = to_value(record(item).body)
        assign(tree, keys, plain(value))
        store(record(item).body, tree)
    return Accessor(get, set_, "log")


def log_fields() -> dict[str, Builder]:
    msg = MESSAGE["log"]
    out: dict[str, Builder] = {
        "body": _body,
        "attributes": lambda f: attributes(msg, "log", f),
        "time": lambda f: time_of(msg, "time_unix_nano", "log", f),
        "observed_time": lambda f: time_of(msg, "observed_time_unix_nano", "log", f),
        "severity_text": lambda f: scalar(msg, "severity_text", str, "log", f),
        "event_name": lambda f: scalar(msg, "event_name", str, "log", f),
        "trace_id": lambda f: _identifier(msg, "trace_id", 16, "log", f),
        "span_id": lambda f: _identifier(msg, "span_id", 8, "log", f),
    }
    for name in ("time_unix_nano", "observed_time_unix_nano", "severity_number", "flags",
                 "dropped_attributes_count"):
        out[name] = lambda f, n=name: scalar(msg, n, int, "log", f)  # type: ignore[misc]
    return out


def _metric_type(fields: tuple[s.PathField, ...]) -> Accessor:
    no_subfields(fields)
    no_keys(fields[0])

    def get(item: Any, cache: dict[str, Any]) -> Any:
        return METRIC_TYPES.index(item.metric.WhichOneof("data") or "none")
    return Accessor(get, None, "metric")


def _metric_data_field(attr: str, kinds: tuple[str, ...], kind: type) -> Builder:
    """``aggregation_temporality`` / ``is_monotonic``: a field of the metric's data."""
    def build(fields: tuple[s.PathField, ...]) -> Accessor:
        no_subfields(fields)
        no_keys(fields[0])

        def get(item: Any, cache: dict[str, Any]) -> Any:
            data = item.metric.WhichOneof("data")
            return getattr(getattr(item.metric, data), attr) if data in kinds else kind()

        def set_(item: Any, cache: dict[str, Any], value: Any) -> None:
            data = item.metric.WhichOneof("data")
            if data in kinds and type(value) is kind:
                setattr(getattr(item.metric, data), attr, value)
        return Accessor(get, set_, "metric")
    return build


def metric_fields() -> dict[str, Builder]:
    msg = MESSAGE["metric"]
    return {
        "name": lambda f: scalar(msg, "name", str, "metric", f),
        "description": lambda f: scalar(msg, "description", str, "metric", f),
        "unit": lambda f: scalar(msg, "unit", str, "metric", f),
        "type": _metric_type,
        "aggregation_temporality": _metric_data_field(
            "aggregation_temporality", ("sum", "histogram", "exponential_histogram"), int),
        "is_monotonic": _metric_data_field("is_monotonic", ("sum",), bool),
        "data_points": _unsupported("metric.data_points"),
        "metadata": _unsupported("metric.metadata"),
    }


def _point_field(attr: str, kind: type) -> Builder:
    """A field some data point kinds have; reads nil and ignores writes on the others."""
    def build(fields: tuple[s.PathField, ...]) -> Accessor:
        no_subfields(fields)
        no_keys(fields[0])

        def get(item: Any, cache: dict[str, Any]) -> Any:
            point = item.point
            if attr not in point.DESCRIPTOR.fields_by_name:
                return None
            value = getattr(point, attr)
            return list(value) if kind is list else value

        def set_(item: Any, cache: dict[str, Any], value: Any) -> None:
            point = item.point
            if attr not in point.DESCRIPTOR.fields_by_name:
                return
            if kind is list and isinstance(value, list):
                del getattr(point, attr)[:]
                getattr(point, attr).extend(value)
            elif type(value) is kind:
                setattr(point, attr, value)
        return Accessor(get, set_, "datapoint")
    return build


def datapoint_fields() -> dict[str, Builder]:
    msg = MESSAGE["datapoint"]
    out: dict[str, Builder] = {
        "attributes": lambda f: attributes(msg, "datapoint", f),
        "start_time": lambda f: time_of(msg, "start_time_unix_nano", "datapoint", f),
        "time": lambda f: time_of(msg, "time_unix_nano", "datapoint", f),
        "value_double": _point_field("as_double", float),
        "value_int": _point_field("as_int", int),
        "bucket_counts": _point_field("bucket_counts", list),
        "explicit_bounds": _point_field("explicit_bounds", list),
        "sum": _point_field("sum", float),
    }
    for name in ("start_time_unix_nano", "time_unix_nano", "flags", "count", "zero_count",
                 "scale"):
        out[name] = _point_field(name, int)
    for name in ("exemplars", "positive", "negative", "quantile_values"):
        out[name] = _unsupported(f"datapoint.{name}")
    return out


#: path tables per context
TABLES: dict[str, dict[str, Builder]] = {
    "resource": resource_fields(), "scope": scope_fields(), "span": span_fields(),
    "spanevent": spanevent_fields(), "log": log_fields(), "metric": metric_fields(),
    "datapoint": datapoint_fields(),
}
