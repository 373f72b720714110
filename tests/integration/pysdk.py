"""Known telemetry sent with the OpenTelemetry Python SDK, recording exactly what was exported.

Each ``send_*`` builds its own provider (never the global one), wraps the SDK's OTLP
exporter so every export call is also encoded with the SDK's own OTLP encoder and
kept, flushes, shuts down, requires every export to have succeeded, and returns
the flattened items it exported. ``check_*`` assert the known content of such
items, whether they were sent or received.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from typing import Any

import grpc
from opentelemetry import trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.proto.logs.v1.logs_pb2 import SeverityNumber as PbSeverity
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, StatusCode, TraceFlags
from opentelemetry.trace.span import TraceState

from .otlpfile import Item, assert_attrs, attrs, flatten, from_any_value, typed

PY_SPAN_ATTRS: dict[str, Any] = {
    "str": 'héllo ünïcode ✓ "quoted" \\ slash',
    "str.empty": "",
    "int": 42,
    "int.negative": -7,
    "int.max": 2**63 - 1,
    "int.min": -(2**63),
    "double": 3.25,
    "double.negative": -0.5,
    "double.inf": float("inf"),
    "bool.true": True,
    "bool.false": False,
    "array.str": ["a", "b", ""],
    "array.int": [1, 2, 3],
    "array.double": [1.5, 2.5],
    "array.bool": [True, False],
}
REMOTE_TRACE_ID = "5b8efff798038103d269b633813fc60c"
REMOTE_PARENT_ID = "eee19b7ec3c1b174"
REMOTE_TRACE_STATE = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"
LOG_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
LOG_SPAN_ID = "00f067aa0ba902b7"
LOG_ATTRS: dict[str, Any] = {
    "str": "v", "int": 42, "double": 3.25, "bool": False, "bytes": b"\x00\x01\xfe\xff",
    "array.mixed": ["a", 1, 2.5, True], "map": {"k": "v", "n": 1, "inner": {"deep": True}},
}
POINT_ATTRS: dict[str, Any] = {
    "route": "/a", "attr.int": 1, "attr.double": 0.5, "attr.bool": True, "attr.array": ["x", "y"],
}
T0 = 1_700_000_010_000_000_000


class Recorder:
    """The requests an exporter sent (as protobuf messages) and the results it got."""

    def __init__(self) -> None:
        self.requests: list[Any] = []
        self.results: list[Any] = []

    def wrap(self, exporter_cls: type, encode: Callable[[Any], Any], **kwargs: Any) -> Any:
        recorder = self

        class Recording(exporter_cls):  # type: ignore[misc,valid-type]
            def export(self, batch: Any, *args: Any, **kw: Any) -> Any:
                recorder.requests.append(encode(batch))
                result = super().export(batch, *args, **kw)
                recorder.results.append(result)
                return result

        return Recording(**kwargs)

    def items(self, signal: str) -> list[Item]:
        bad = [r for r in self.results if getattr(r, "name", str(r)) != "SUCCESS"]
        assert self.requests, f"the Python SDK exported no {signal}"
        assert not bad, f"Python SDK {signal} exports failed: {bad}"
        assert len(self.results) == len(self.requests)
        return [i for req in self.requests for i in flatten(signal, req)]


def _exporter_kwargs(transport: str, endpoint: str, signal: str, compression: str | None) -> dict:
    """Constructor arguments of the SDK exporter; ``compression`` is None or "gzip"."""
    if transport == "grpc":
        kwargs: dict[str, Any] = {"endpoint": f"http://{endpoint}", "insecure": True}
        if compression:
            kwargs["compression"] = grpc.Compression.Gzip
        return kwargs
    from opentelemetry.exporter.otlp.proto.http import Compression

    kwargs = {"endpoint": f"http://{endpoint}/v1/{signal}"}
    if compression:
        kwargs["compression"] = Compression(compression)
    return kwargs


def _exporter_class(transport: str, signal: str) -> type:
    mod = "grpc" if transport == "grpc" else "http"
    name = {"traces": ("trace_exporter", "OTLPSpanExporter"),
            "metrics": ("metric_exporter", "OTLPMetricExporter"),
            "logs": ("_log_exporter", "OTLPLogExporter")}[signal]
    module = importlib.import_module(f"opentelemetry.exporter.otlp.proto.{mod}.{name[0]}")
    return getattr(module, name[1])  # type: ignore[no-any-return]


def resource(run: str, transport: str) -> Resource:
    return Resource({"service.name": "otelpy-it-python", "test.run": run,
                     "test.transport": transport})


def send_traces(transport: str, endpoint: str, run: str, compression: str | None = None,
                ) -> list[Item]:
    """Five spans with every feature the SDK has; returns the exported items."""
    rec = Recorder()
    exporter = rec.wrap(_exporter_class(transport, "traces"), encode_spans,
                        **_exporter_kwargs(transport, endpoint, "traces", compression))
    provider = TracerProvider(resource=resource(run, transport))
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=100))
    tracer = provider.get_tracer("otelpy-it-py-tracer", "4.5.6")
    remote = trace.set_span_in_context(NonRecordingSpan(SpanContext(
        int(REMOTE_TRACE_ID, 16), int(REMOTE_PARENT_ID, 16), is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
        trace_state=TraceState.from_header([REMOTE_TRACE_STATE]))))

    linked = tracer.start_span("py-linked", context=Context(), kind=SpanKind.INTERNAL,
                               start_time=T0 + 100)
    linked.end(end_time=T0 + 200)
    root = tracer.start_span("py-root", context=remote, kind=SpanKind.SERVER,
                             attributes=PY_SPAN_ATTRS, start_time=T0 + 5)
    root.add_event("evt.one", {"evt.str": "x", "evt.int": 1, "evt.double": 0.25,
                               "evt.bool": True, "evt.array": ["p", "q"]}, timestamp=T0 + 500)
    root.add_event("evt.two", timestamp=T0 + 600)
    root.set_status(StatusCode.OK)
    root_ctx = trace.set_span_in_context(root)
    child = tracer.start_span(
        "py-child", context=root_ctx, kind=SpanKind.CLIENT, start_time=T0 + 10,
        links=[trace.Link(linked.get_span_context(), {"link.str": "l", "link.int": 7})])
    child.record_exception(ValueError("boom happened"), timestamp=T0 + 20)
    child.set_status(trace.Status(StatusCode.ERROR, "boom"))
    child.end(end_time=T0 + 30)
    producer = tracer.start_span("py-producer", context=root_ctx, kind=SpanKind.PRODUCER,
                                 start_time=T0 + 40, attributes={"messaging.system": "kafka"})
    producer.end(end_time=T0 + 50)
    consumer = tracer.start_span("py-consumer", context=trace.set_span_in_context(producer),
                                 kind=SpanKind.CONSUMER, start_time=T0 + 60)
    consumer.end(end_time=T0 + 70)
    root.end(end_time=T0 + 1_000_000_007)
    assert provider.force_flush(30_000), "TracerProvider.force_flush failed"
    provider.shutdown()
    return rec.items("traces")


def send_metrics(transport: str, endpoint: str, run: str) -> list[Item]:
    """Counter, up-down counter, histogram (bounds 1/5/10), gauge, observable gauge."""
    rec = Recorder()
    exporter = rec.wrap(_exporter_class(transport, "metrics"), encode_metrics,
                        **_exporter_kwargs(transport, endpoint, "metrics", None))
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
    provider = MeterProvider(metric_readers=[reader], resource=resource(run, transport))
    meter = provider.get_meter("otelpy-it-py-meter", "2.0.0")
    counter = meter.create_counter("py.requests", unit="{request}", description="requests")
    counter.add(5, POINT_ATTRS)
    counter.add(2, {"route": "/b"})
    updown = meter.create_up_down_counter("py.queue", unit="{item}")
    updown.add(10, {"queue": "q1"})
    updown.add(-3, {"queue": "q1"})
    hist = meter.create_histogram("py.latency", unit="ms",
                                  explicit_bucket_boundaries_advisory=[1.0, 5.0, 10.0])
    for v in (0.5, 3.0, 7.0, 12.0):
        hist.record(v, {"route": "/a"})
    meter.create_gauge("py.temperature", unit="Cel").set(21.5, {"room": "lab"})

    def observe(options: CallbackOptions) -> list[Observation]:
        return [Observation(3, {"obs": "yes"})]

    meter.create_observable_gauge("py.observed", callbacks=[observe])
    assert provider.force_flush(30_000), "MeterProvider.force_flush failed"
    provider.shutdown()
    return rec.items("metrics")


def send_logs(transport: str, endpoint: str, run: str) -> list[Item]:
    """Three log records: string / map / array bodies, severities, trace context."""
    rec = Recorder()
    exporter = rec.wrap(_exporter_class(transport, "logs"), encode_logs,
                        **_exporter_kwargs(transport, endpoint, "logs", None))
    provider = LoggerProvider(resource=resource(run, transport))
    provider.add_log_record_processor(BatchLogRecordProcessor(exporter, schedule_delay_millis=100))
    logger = provider.get_logger("otelpy-it-py-logger", "3.0.0")
    span_ctx = trace.set_span_in_context(NonRecordingSpan(SpanContext(
        int(LOG_TRACE_ID, 16), int(LOG_SPAN_ID, 16), is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED))))
    logger.emit(timestamp=T0 + 1, severity_number=SeverityNumber.WARN, severity_text="WARN",
                body="plain message ✓", attributes=LOG_ATTRS, context=span_ctx)
    logger.emit(timestamp=T0 + 2, severity_number=SeverityNumber.ERROR, severity_text="ERROR",
                event_name="otelpy.test.event", context=Context(),
                body={"msg": "structured", "count": 3, "nested": {"list": [1, "two", 3.5]}})
    logger.emit(timestamp=T0 + 3, body=["a", 1], context=Context())
    assert provider.force_flush(30_000), "LoggerProvider.force_flush failed"
    provider.shutdown()
    return rec.items("logs")


SENDERS = {"traces": send_traces, "metrics": send_metrics, "logs": send_logs}


# -- checks on the known content ------------------------------------------------------------
def _common(items: list[Item], run: str, transport: str, scope: tuple[str, str]) -> None:
    for it in items:
        assert attrs(it.resource.attributes) == {"service.name": "otelpy-it-python",
                                                 "test.run": run, "test.transport": transport}
        assert (it.scope.name, it.scope.version) == scope


def check_traces(items: list[Item], run: str, transport: str) -> None:
    assert len(items) == 5, [i.item.name for i in items]
    _common(items, run, transport, ("otelpy-it-py-tracer", "4.5.6"))
    s = {i.item.name: i.item for i in items}
    assert sorted(s) == ["py-child", "py-consumer", "py-linked", "py-producer", "py-root"]
    root, child, linked = s["py-root"], s["py-child"], s["py-linked"]
    assert (root.trace_id.hex(), root.parent_span_id.hex()) == (REMOTE_TRACE_ID, REMOTE_PARENT_ID)
    assert root.trace_state == REMOTE_TRACE_STATE
    assert root.kind == Span.SPAN_KIND_SERVER and root.status.code == Status.STATUS_CODE_OK
    assert (root.start_time_unix_nano, root.end_time_unix_nano) == (T0 + 5, T0 + 1_000_000_007)
    assert_attrs(root.attributes, PY_SPAN_ATTRS, "py-root")
    assert [(e.name, e.time_unix_nano) for e in root.events] == [
        ("evt.one", T0 + 500), ("evt.two", T0 + 600)]
    assert_attrs(root.events[0].attributes, {"evt.str": "x", "evt.int": 1, "evt.double": 0.25,
                                             "evt.bool": True, "evt.array": ["p", "q"]}, "evt.one")
    assert child.trace_id == root.trace_id and child.parent_span_id == root.span_id
    assert child.kind == Span.SPAN_KIND_CLIENT
    assert (child.status.code, child.status.message) == (Status.STATUS_CODE_ERROR, "boom")
    assert [(e.name, e.time_unix_nano) for e in child.events] == [("exception", T0 + 20)]
    exc = attrs(child.events[0].attributes)
    assert (exc["exception.type"], exc["exception.message"]) == ("ValueError", "boom happened")
    assert [(lk.trace_id, lk.span_id) for lk in child.links] == [(linked.trace_id, linked.span_id)]
    assert_attrs(child.links[0].attributes, {"link.str": "l", "link.int": 7}, "link")
    assert linked.trace_id != root.trace_id and linked.parent_span_id == b""
    producer, consumer = s["py-producer"], s["py-consumer"]
    assert producer.kind == Span.SPAN_KIND_PRODUCER and producer.parent_span_id == root.span_id
    assert consumer.kind == Span.SPAN_KIND_CONSUMER and consumer.parent_span_id == producer.span_id


def check_metrics(items: list[Item], run: str, transport: str) -> None:
    _common(items, run, transport, ("otelpy-it-py-meter", "2.0.0"))
    groups: dict[tuple[str, str], list[tuple[Any, str, Any]]] = {}
    for it in items:
        m = it.item
        kind = m.WhichOneof("data")
        dp = getattr(m, kind).data_points[0]
        key = (m.name, json.dumps(typed(attrs(dp.attributes)), sort_keys=True))
        groups.setdefault(key, []).append((m, kind, dp))
    assert len(groups) == 6, sorted(groups)
    exports = {len(v) for v in groups.values()}
    assert len(exports) == 1, f"points exported unequally often: {groups.keys()}"
    one = {k: v[0] for k, v in groups.items()}
    by_name: dict[str, list[tuple[Any, str, Any]]] = {}
    for (name, _), got in one.items():
        by_name.setdefault(name, []).append(got)
    assert sorted(by_name) == ["py.latency", "py.observed", "py.queue", "py.requests",
                               "py.temperature"]
    reqs = {attrs(dp.attributes)["route"]: (m, k, dp) for m, k, dp in by_name["py.requests"]}
    m, kind, dp = reqs["/a"]
    assert kind == "sum" and m.sum.is_monotonic and m.sum.aggregation_temporality == 2
    assert (m.unit, m.description) == ("{request}", "requests")
    assert dp.WhichOneof("value") == "as_int" and dp.as_int == 5
    assert_attrs(dp.attributes, POINT_ATTRS, "py.requests /a")
    assert reqs["/b"][2].as_int == 2
    m, kind, dp = by_name["py.queue"][0]
    assert kind == "sum" and not m.sum.is_monotonic and dp.as_int == 7
    m, kind, dp = by_name["py.latency"][0]
    assert kind == "histogram" and m.unit == "ms"
    assert list(dp.explicit_bounds) == [1.0, 5.0, 10.0] and list(dp.bucket_counts) == [1, 1, 1, 1]
    assert (dp.count, dp.sum, dp.min, dp.max) == (4, 22.5, 0.5, 12.0)
    m, kind, dp = by_name["py.temperature"][0]
    assert kind == "gauge" and dp.as_double == 21.5 and attrs(dp.attributes) == {"room": "lab"}
    m, kind, dp = by_name["py.observed"][0]
    assert kind == "gauge" and dp.as_int == 3 and attrs(dp.attributes) == {"obs": "yes"}


def check_logs(items: list[Item], run: str, transport: str) -> None:
    assert len(items) == 3
    _common(items, run, transport, ("otelpy-it-py-logger", "3.0.0"))
    first, second, third = sorted((i.item for i in items), key=lambda r: r.time_unix_nano)
    assert first.time_unix_nano == T0 + 1 and first.observed_time_unix_nano > 0
    assert (first.severity_number, first.severity_text) == (PbSeverity.SEVERITY_NUMBER_WARN, "WARN")
    assert from_any_value(first.body) == "plain message ✓"
    assert_attrs(first.attributes, LOG_ATTRS, "log 1")
    assert (first.trace_id.hex(), first.span_id.hex(), first.flags) == (
        LOG_TRACE_ID, LOG_SPAN_ID, 1)
    assert (second.severity_number, second.severity_text) == (
        PbSeverity.SEVERITY_NUMBER_ERROR, "ERROR")
    assert second.event_name == "otelpy.test.event" and second.trace_id == b""
    assert typed(from_any_value(second.body)) == typed(
        {"msg": "structured", "count": 3, "nested": {"list": [1, "two", 3.5]}})
    assert typed(from_any_value(third.body)) == typed(["a", 1]) and third.severity_number == 0


CHECKS = {"traces": check_traces, "metrics": check_metrics, "logs": check_logs}
