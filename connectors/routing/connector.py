"""The routing connector: each item to the pipelines of the first route that matches it.

Routes are tried in table order. Conditions of the ``request`` context are read once per
batch from its client metadata; OTTL conditions are evaluated on the finest level any
route needs (a ``resource`` condition is evaluated once per resource even when spans are
routed one by one). The request is split with :func:`otelpy.pdata.partition.partition`;
when everything goes one way the batch is forwarded as it is, without a copy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from otelpy.component import ComponentBase, PipelineID, Settings, Signal
from otelpy.connectors.routing.config import CONTEXT_SIGNALS, RoutingConfig, request_condition
from otelpy.consumer import Capabilities, Consumer, PipelineRouter
from otelpy.errors import PermanentError, RetryableError
from otelpy.ottl import ConditionSet, StatementFailed
from otelpy.ottl.report import FailureLog
from otelpy.pdata import Batch, ClientMetadata
from otelpy.pdata.items import MetricItem, ResourceItem
from otelpy.pdata.partition import partition

_DEFAULT = -1  # the key of what goes to default_pipelines
_LEVEL = {Signal.TRACES: "span", Signal.LOGS: "log"}


@dataclass(frozen=True)
class _Route:
    context: str
    pipelines: tuple[PipelineID, ...]
    conditions: ConditionSet | None  # None: request context, or route() with no where
    request: tuple[str, bool, str] | None

    def matches_request(self, metadata: ClientMetadata | None) -> bool:
        assert self.request is not None
        key, equal, value = self.request
        values = metadata.get(key, ()) if metadata is not None else ()
        return any((v == value) == equal for v in values)


def _routes(cfg: RoutingConfig, signal: Signal, router: PipelineRouter) -> list[_Route]:
    out = []
    for i, route in enumerate(cfg.table):
        if signal not in CONTEXT_SIGNALS[route.context]:
            raise ValueError(f"table::{i}: context {route.context} cannot route {signal}")
        ids = tuple(PipelineID.parse(p) for p in route.pipelines)
        _check_fed(ids, router, f"table::{i}::pipelines")
        text = route.routing_condition()
        conditions = (ConditionSet.compile([text], signal, route.context)
                      if text is not None and route.context != "request" else None)
        request = request_condition(text or "") if route.context == "request" else None
        out.append(_Route(route.context, ids, conditions, request))
    return out


def _check_fed(ids: tuple[PipelineID, ...], router: PipelineRouter, where: str) -> None:
    for pid in ids:
        if pid not in router.pipelines:
            raise ValueError(f"{where}: pipeline {pid} does not take this connector as a "
                             "receiver")


class RoutingConnector(Consumer, ComponentBase):
    """One routing connector instance for one signal."""

    capabilities = Capabilities(mutates_data=False)

    def __init__(self, settings: Settings, cfg: RoutingConfig, signal: Signal,
                 router: PipelineRouter) -> None:
        self._signal = signal
        self._router = router
        self._routes = _routes(cfg, signal, router)
        self._default = tuple(PipelineID.parse(p) for p in cfg.default_pipelines)
        _check_fed(self._default, router, "default_pipelines")
        self._mode = cfg.error_mode
        contexts = {r.context for r in self._routes}
        self._level = ("datapoint" if "datapoint" in contexts else
                       "metric" if "metric" in contexts else
                       _LEVEL.get(signal, "resource") if contexts & {"span", "log"} else
                       "resource")
        labels = {"connector": str(settings.id)}
        self._unrouted = settings.telemetry.items(
            "otelpy_connector_routing_unrouted", signal,
            "Items no route matched, with no default_pipelines to take them (dropped)",
            ["connector"]).labels(**labels)
        self._failures = settings.telemetry.counter(
            "otelpy_connector_routing_condition_errors",
            "Route conditions that failed to evaluate", ["connector"]).labels(**labels)
        self._report = FailureLog(settings.logger)

    # -- deciding ------------------------------------------------------------------------
    def _key_function(self, metadata: ClientMetadata | None) -> Callable[[Any], int]:
        """element -> index of its first matching route, or _DEFAULT."""
        request_ok = {i: r.matches_request(metadata) for i, r in enumerate(self._routes)
                      if r.request is not None}
        memo: dict[tuple[int, int], bool] = {}

        def holds(i: int, route: _Route, element: Any) -> bool:
            if route.conditions is None:
                return request_ok.get(i, True)
            if route.context == "resource" and self._level != "resource":
                return self._memo(memo, i, id(element.resource), route.conditions,
                                  ResourceItem(element.resource))
            if route.context == "metric" and self._level == "datapoint":
                return self._memo(memo, i, id(element.metric), route.conditions,
                                  MetricItem(element.resource, element.scope, element.metric))
            return route.conditions.holds(element)

        def key_of(element: Any) -> int:
            for i, route in enumerate(self._routes):
                try:
                    if holds(i, route, element):
                        return i
                except StatementFailed as exc:
                    if self._mode == "propagate":
                        raise
                    self._failures.inc()
                    if self._mode == "ignore":
                        self._report(str(exc), exc)
                    return _DEFAULT
            return _DEFAULT

        return key_of

    @staticmethod
    def _memo(memo: dict[tuple[int, int], bool], i: int, key: int, conditions: ConditionSet,
              item: Any) -> bool:
        found = memo.get((i, key))
        if found is None:
            found = memo[(i, key)] = conditions.holds(item)
        return found

    # -- sending -------------------------------------------------------------------------
    async def consume(self, batch: Batch) -> None:
        try:
            groups = partition(batch.message, self._level, self._key_function(batch.metadata))
        except StatementFailed as exc:
            raise PermanentError(str(exc)) from exc
        calls = []
        for key, request in groups.items():
            part = batch if request is None else Batch.from_message(self._signal, request)
            part.metadata = batch.metadata
            pipelines = self._default if key == _DEFAULT else self._routes[key].pipelines
            if not pipelines:
                self._unrouted.inc(part.item_count)
                continue
            calls.append(self._router.select(pipelines).consume(part))
        results = await asyncio.gather(*calls, return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            retryable = [e for e in errors if isinstance(e, RetryableError)]
            raise (retryable or errors)[0]

    async def consume_traces(self, batch: Batch) -> None:
        await self.consume(batch)

    async def consume_metrics(self, batch: Batch) -> None:
        await self.consume(batch)

    async def consume_logs(self, batch: Batch) -> None:
        await self.consume(batch)
