"""Reading the file exporter's OTLP/JSON lines independently of otelpy's own codec.

Each line must be one ``Export*ServiceRequest`` in OTLP/JSON: lowerCamelCase keys,
trace/span IDs as lowercase hex. Lines are checked for that, the IDs are turned
into base64 and the result is parsed with ``google.protobuf.json_format`` without
ignoring unknown fields, so a wrong key name or a wrong ID fails loudly.

Items are compared "flattened": one entry per span / log record / metric data point,
carrying its resource and scope, so batching and regrouping do not matter while
every field still does.
"""

from __future__ import annotations

import base64
import collections
import json
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf import json_format, text_format
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from otelpy.testing.samples import traces_request

TOP_KEYS: dict[str, tuple[str, type[Message]]] = {
    "resourceSpans": ("traces", ExportTraceServiceRequest),
    "resourceMetrics": ("metrics", ExportMetricsServiceRequest),
    "resourceLogs": ("logs", ExportLogsServiceRequest),
}
ID_LENGTHS = {"traceId": 16, "spanId": 8, "parentSpanId": 8}
_HEX = re.compile(r"^[0-9a-f]*$")
_POINTS = ("gauge", "sum", "histogram", "exponential_histogram", "summary")


def _check_keys_and_ids(node: Any, where: str) -> Any:
    """Return ``node`` with hex IDs turned into base64; assert OTLP/JSON key style."""
    if isinstance(node, list):
        return [_check_keys_and_ids(v, f"{where}[{i}]") for i, v in enumerate(node)]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        assert "_" not in key, f"{where}: key {key!r} is not lowerCamelCase (OTLP/JSON)"
        if key in ID_LENGTHS and isinstance(value, str):
            assert _HEX.match(value), f"{where}.{key}: {value!r} is not lowercase hex"
            assert len(value) in (0, 2 * ID_LENGTHS[key]), f"{where}.{key}: bad length {value!r}"
            out[key] = base64.b64encode(bytes.fromhex(value)).decode()
        else:
            out[key] = _check_keys_and_ids(value, f"{where}.{key}")
    return out


def parse_line(line: str, where: str = "line") -> tuple[str, Message]:
    """One OTLP/JSON line -> (signal, request message). AssertionError when not OTLP/JSON."""
    doc = json.loads(line)
    assert isinstance(doc, dict), f"{where}: not a JSON object"
    keys = [k for k in doc if k in TOP_KEYS]
    assert len(keys) == 1 and len(doc) == 1, (
        f"{where}: expected one of {list(TOP_KEYS)}, got {list(doc)}")
    signal, cls = TOP_KEYS[keys[0]]
    msg = json_format.ParseDict(_check_keys_and_ids(doc, where), cls(), ignore_unknown_fields=False)
    return signal, msg


def read_requests(path: Path) -> list[tuple[str, Message]]:
    """Every complete line of ``path`` parsed (a trailing partial line is left for later)."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return []
    lines = text.split("\n")[:-1]  # the part after the last newline is not complete yet
    return [parse_line(ln, f"{path}:{n}") for n, ln in enumerate(lines, 1) if ln.strip()]


# -- flattening ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Item:
    """One span, log record or metric data point with everything it belongs to."""

    signal: str
    resource: Any
    resource_schema_url: str
    scope: Any
    scope_schema_url: str
    item: Any  # Span, LogRecord, or a Metric holding exactly one data point

    def key(self) -> tuple[bytes, str, bytes, str, bytes]:
        ser = lambda m: m.SerializeToString(deterministic=True)  # noqa: E731
        return (ser(self.resource), self.resource_schema_url, ser(self.scope),
                self.scope_schema_url, ser(self.item))

    def resource_attrs(self) -> dict[str, Any]:
        return attrs(self.resource.attributes)

    def describe(self) -> str:
        return (f"resource={attrs(self.resource.attributes)} scope={self.scope.name!r}\n"
                + text_format.MessageToString(self.item, as_one_line=True)[:1500])


def _metric_items(res: Any, sm: Any) -> Iterable[Any]:
    for metric in sm.metrics:
        kind = metric.WhichOneof("data")
        for dp in getattr(metric, kind).data_points:
            single = type(metric)()
            single.CopyFrom(metric)
            points = getattr(single, kind).data_points
            del points[:]
            points.add().CopyFrom(dp)
            yield single


def flatten(signal: str, request: Any) -> list[Item]:
    out: list[Item] = []
    if signal == "traces":
        groups = ((r, s, s.spans) for r in request.resource_spans for s in r.scope_spans)
    elif signal == "logs":
        groups = ((r, s, s.log_records) for r in request.resource_logs for s in r.scope_logs)
    else:
        groups = ((r, s, list(_metric_items(r, s)))
                  for r in request.resource_metrics for s in r.scope_metrics)
    for res, scope, items in groups:
        for it in items:
            out.append(Item(signal, res.resource, res.schema_url, scope.scope,
                            scope.schema_url, it))
    return out


def items_in(requests: Iterable[tuple[str, Message]], signal: str,
             resource_match: Mapping[str, Any] | None = None) -> list[Item]:
    """Flattened items of ``signal`` whose resource attributes include ``resource_match``."""
    out: list[Item] = []
    for sig, req in requests:
        if sig != signal:
            continue
        for item in flatten(sig, req):
            ra = item.resource_attrs()
            if all(ra.get(k) == v for k, v in (resource_match or {}).items()):
                out.append(item)
    return out


def assert_same_items(sent: Sequence[Item], received: Sequence[Item], what: str) -> None:
    """``received`` holds exactly the items of ``sent``, each exactly as often (any order)."""
    want = collections.Counter(i.key() for i in sent)
    got = collections.Counter(i.key() for i in received)
    if want == got:
        return
    by_key = {i.key(): i for i in list(sent) + list(received)}
    missing = want - got
    extra = got - want
    lines = [f"{what}: sent {len(sent)} items, received {len(received)}; "
             f"{sum(missing.values())} missing/different, {sum(extra.values())} unexpected"]
    for label, diff in (("MISSING (sent, not received exactly so)", missing),
                        ("UNEXPECTED (received, not sent so)", extra)):
        for key, n in list(diff.items())[:4]:
            lines.append(f"{label} x{n}: {by_key[key].describe()}")
    raise AssertionError("\n".join(lines))


# -- attribute values ---------------------------------------------------------------------
def any_value(value: Any) -> AnyValue:
    """A typed Python value -> AnyValue (bool, int, float, str, bytes, list, dict)."""
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, str):
        return AnyValue(string_value=value)
    if isinstance(value, bytes):
        return AnyValue(bytes_value=value)
    if isinstance(value, (list, tuple)):
        out = AnyValue()
        out.array_value.SetInParent()
        out.array_value.values.extend(any_value(v) for v in value)
        return out
    if isinstance(value, dict):
        out = AnyValue()
        out.kvlist_value.SetInParent()
        out.kvlist_value.values.extend(key_values(value))
        return out
    raise TypeError(f"no AnyValue for {value!r}")


def key_values(mapping: Mapping[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=k, value=any_value(v)) for k, v in mapping.items()]


def from_any_value(value: AnyValue) -> Any:
    """AnyValue -> Python value; ints and floats stay distinct types."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [from_any_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: from_any_value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind)


def attrs(kvs: Iterable[KeyValue]) -> dict[str, Any]:
    return {kv.key: from_any_value(kv.value) for kv in kvs}


def typed(value: Any) -> Any:
    """A comparable form that keeps int/float/bool apart (1 == 1.0 == True otherwise)."""
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    return (type(value).__name__, value)


def assert_attrs(kvs: Iterable[KeyValue], expected: Mapping[str, Any], what: str) -> None:
    """The attributes are exactly ``expected`` (same keys, same value types and values)."""
    got = attrs(kvs)
    assert typed(got) == typed(dict(expected)), (
        f"{what}: attributes differ\n got: {got}\nwant: {dict(expected)}")


def wait_for_items(path: Path, signal: str, match: Mapping[str, Any], count: int,
                   timeout: float = 20.0) -> list[Item]:
    """Poll ``path`` until at least ``count`` items of ``signal`` matching ``match`` are there."""
    deadline = time.monotonic() + timeout
    while True:
        items = items_in(read_requests(path), signal, match)
        if len(items) >= count:
            return items
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout:.0f}s: {len(items)} of {count} {signal} items with "
                f"resource {dict(match)} in {path} "
                f"(file {'exists' if Path(path).exists() else 'missing'})"
            )
        time.sleep(0.05)


def tagged_traces(run: str, spans: int, seed: int = 0) -> Any:
    """A sample traces request whose resources carry ``test.run = run``."""
    req = traces_request(spans=spans, seed=seed)
    for rs in req.resource_spans:
        rs.resource.attributes.extend(key_values({"test.run": run}))
    return req
