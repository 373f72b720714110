"""The groupbyattrs processor: moves chosen item attributes up to the resource and regroups.

For each span, log record or data point, the attributes named by ``keys`` (in key order)
are taken off the item; the item then belongs under a resource with the original
resource's attributes plus those (the item's value wins). Resources with the same
attributes (in any order) and scopes with the same name and version are merged, so
``keys: []`` compacts a request. As in the Collector, the new envelopes carry
attributes only (no schema URL, no dropped-attribute counts), and a data point lands in
the metric of the same name and type under its new scope.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from otelpy.component import ComponentBase, Settings, Signal
from otelpy.consumer import Capabilities, Consumer
from otelpy.pdata import SPECS, Batch, items
from otelpy.pdata.values import Attributes
from otelpy.processors.groupbyattrs.config import GroupByAttrsConfig

_ITEM = {Signal.TRACES: "spans", Signal.METRICS: "metric points", Signal.LOGS: "logs"}
_METRIC_NAMES = {Signal.TRACES: "spans", Signal.METRICS: "metrics", Signal.LOGS: "logs"}


def _attrs_key(kvs: Any) -> tuple[tuple[str, bytes], ...]:
    return tuple(sorted((kv.key, kv.value.SerializeToString(deterministic=True)) for kv in kvs))


class _Regrouped:
    """The output request: resources by attribute set, scopes by name and version."""

    def __init__(self, signal: Signal) -> None:
        self.spec = SPECS[signal]
        self.request: Any = self.spec.request()
        self._resources: dict[tuple[tuple[str, bytes], ...], Any] = {}
        self._scopes: dict[tuple[int, str, str], Any] = {}
        self._metrics: dict[tuple[int, str, str | None], Any] = {}

    def resource(self, origin: Any, moved: list[Any]) -> Any:
        """The envelope of ``origin``'s attributes overwritten or extended by ``moved``."""
        reference = Resource()
        reference.attributes.extend(origin.attributes)
        ref_attrs = Attributes(reference.attributes)
        for kv in moved:
            slot = ref_attrs.any_value(kv.key)
            if slot is None:
                reference.attributes.add(key=kv.key).value.CopyFrom(kv.value)
            else:
                slot.CopyFrom(kv.value)
        key = _attrs_key(reference.attributes)
        envelope = self._resources.get(key)
        if envelope is None:
            envelope = getattr(self.request, self.spec.resources).add()
            envelope.resource.attributes.extend(reference.attributes)
            self._resources[key] = envelope
        return envelope

    def scope(self, resource: Any, origin: Any) -> Any:
        key = (id(resource), origin.scope.name, origin.scope.version)
        envelope = self._scopes.get(key)
        if envelope is None:
            envelope = getattr(resource, self.spec.scopes).add()
            envelope.scope.CopyFrom(origin.scope)
            self._scopes[key] = envelope
        return envelope

    def metric(self, scope: Any, origin: Any, kind: str | None) -> Any:
        key = (id(scope), origin.name, kind)
        metric = self._metrics.get(key)
        if metric is None:
            metric = scope.metrics.add(name=origin.name, description=origin.description,
                                       unit=origin.unit)
            metric.metadata.extend(origin.metadata)
            if kind is not None:
                getattr(metric, kind).CopyFrom(getattr(origin, kind))
                getattr(metric, kind).ClearField("data_points")
            self._metrics[key] = metric
        return metric


def _take(attributes: Any, keys: Sequence[str]) -> list[Any]:
    """Remove the ``keys`` present from ``attributes``; the removed entries in key order."""
    found = {kv.key: kv for kv in attributes if kv.key in keys}
    moved = [found[k] for k in keys if k in found]
    if moved:
        kept = [kv for kv in attributes if kv.key not in found]
        moved = [type(kv)(key=kv.key, value=kv.value) for kv in moved]
        del attributes[:]
        attributes.extend(kept)
    return moved


class GroupByAttrsProcessor(Consumer, ComponentBase):
    """One instance per pipeline it appears in."""

    capabilities = Capabilities(mutates_data=True)

    def __init__(self, settings: Settings, cfg: GroupByAttrsConfig, signal: Signal,
                 next_consumer: Consumer) -> None:
        self._signal = signal
        self._keys = tuple(cfg.keys)
        self._forward: Callable[[Batch], Awaitable[None]] = getattr(
            next_consumer, f"consume_{signal.value}")
        tel, name = settings.telemetry, _METRIC_NAMES[signal]
        labels = {"processor": str(settings.id)}
        self._grouped = tel.counter(
            f"otelcol_processor_groupbyattrs_num_grouped_{name}",
            f"Number of {_ITEM[signal]} that had attributes grouped", ["processor"],
        ).labels(**labels)
        self._not_grouped = tel.counter(
            f"otelcol_processor_groupbyattrs_num_non_grouped_{name}",
            f"Number of {_ITEM[signal]} that did not have attributes grouped", ["processor"],
        ).labels(**labels)
        self._groups = tel.histogram(
            f"otelcol_processor_groupbyattrs_{name.rstrip('s')}_groups",
            "Distribution of groups extracted", ["processor"],
            (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)).labels(**labels)

    def regroup(self, request: Any) -> Any:
        """The regrouped request (a new message; ``request``'s items lose the keys)."""
        out = _Regrouped(self._signal)
        grouped = not_grouped = 0
        if self._signal is Signal.METRICS:
            for point in items.data_points(request):
                moved = _take(point.point.attributes, self._keys)
                grouped, not_grouped = grouped + bool(moved), not_grouped + (not moved)
                resource = out.resource(point.resource.resource, moved)
                scope = out.scope(resource, point.scope)
                metric = out.metric(scope, point.metric, point.kind)
                if point.kind is not None:
                    getattr(metric, point.kind).data_points.add().CopyFrom(point.point)
        else:
            walk = items.spans if self._signal is Signal.TRACES else items.log_records
            for item in walk(request):
                record = item[2]
                moved = _take(record.attributes, self._keys)
                grouped, not_grouped = grouped + bool(moved), not_grouped + (not moved)
                resource = out.resource(item.resource.resource, moved)
                scope = out.scope(resource, item.scope)
                getattr(scope, out.spec.items).add().CopyFrom(record)
        self._grouped.inc(grouped)
        self._not_grouped.inc(not_grouped)
        self._groups.observe(len(getattr(out.request, out.spec.resources)))
        return out.request

    async def consume(self, batch: Batch) -> None:
        regrouped = Batch.from_message(self._signal, self.regroup(batch.mutable_message()))
        regrouped.metadata = batch.metadata
        await self._forward(regrouped)

    async def consume_traces(self, batch: Batch) -> None:
        await self.consume(batch)

    async def consume_metrics(self, batch: Batch) -> None:
        await self.consume(batch)

    async def consume_logs(self, batch: Batch) -> None:
        await self.consume(batch)
