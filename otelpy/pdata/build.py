"""Building new requests: items grouped under their resource and scope.

Receivers that make telemetry (log tailing, scraping, health checks) and connectors that
derive it (span metrics, alerts) add items with the resource and scope they belong to; the
builder keeps one ``Resource*`` per distinct resource and one ``Scope*`` per distinct scope
in it, in first-seen order, and hands out the :class:`~otelpy.pdata.Batch`::

    builder = RequestBuilder(Signal.LOGS)
    scope = builder.scope({"service.name": "nginx"}, "otelpy/filelog")
    record = scope.log_records.add(body=value_of("GET / 200"))
    batch = builder.batch()
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from otelpy.component import Signal
from otelpy.pdata import SPECS, Batch
from otelpy.pdata.values import Value, set_value

__all__ = ["RequestBuilder", "resource_of", "scope_of"]


def resource_of(attributes: Mapping[str, Value]) -> Resource:
    """A Resource message with ``attributes`` (in their mapping order)."""
    resource = Resource()
    for key, value in attributes.items():
        set_value(resource.attributes.add(key=key).value, value)
    return resource


def scope_of(name: str = "", version: str = "",
             attributes: Mapping[str, Value] | None = None) -> InstrumentationScope:
    scope = InstrumentationScope(name=name, version=version)
    for key, value in (attributes or {}).items():
        set_value(scope.attributes.add(key=key).value, value)
    return scope


class RequestBuilder:
    """Collects items of one signal into a new request, grouped by resource and scope."""

    def __init__(self, signal: Signal) -> None:
        spec = SPECS[signal]
        self.signal = signal
        self._spec = spec
        self._request: Any = spec.request()
        self._resources: dict[bytes, Any] = {}
        self._scopes: dict[tuple[bytes, bytes, str], Any] = {}

    def resource(self, resource: Resource | Mapping[str, Value],
                 schema_url: str = "") -> Any:
        """The ``Resource*`` envelope for ``resource`` (a message or its attributes)."""
        if not isinstance(resource, Resource):
            resource = resource_of(resource)
        key = resource.SerializeToString(deterministic=True) + schema_url.encode()
        envelope = self._resources.get(key)
        if envelope is None:
            envelope = getattr(self._request, self._spec.resources).add(schema_url=schema_url)
            envelope.resource.CopyFrom(resource)
            self._resources[key] = envelope
        return envelope

    def scope(self, resource: Resource | Mapping[str, Value],
              scope: InstrumentationScope | str = "", version: str = "",
              schema_url: str = "", resource_schema_url: str = "") -> Any:
        """The ``Scope*`` envelope (``ScopeSpans``, ``ScopeMetrics``, ``ScopeLogs``) for
        ``scope`` (a message, or a name with ``version``) under ``resource`` (whose envelope
        carries ``resource_schema_url``); add items to its ``spans``, ``metrics`` or
        ``log_records``."""
        if not isinstance(scope, InstrumentationScope):
            scope = scope_of(scope, version)
        if not isinstance(resource, Resource):
            resource = resource_of(resource)
        res_key = resource.SerializeToString(deterministic=True)
        key = (res_key + resource_schema_url.encode(),
               scope.SerializeToString(deterministic=True), schema_url)
        envelope = self._scopes.get(key)
        if envelope is None:
            parent = self.resource(resource, resource_schema_url)
            envelope = getattr(parent, self._spec.scopes).add(schema_url=schema_url)
            envelope.scope.CopyFrom(scope)
            self._scopes[key] = envelope
        return envelope

    @property
    def request(self) -> Any:
        """The request built so far (live)."""
        return self._request

    def __bool__(self) -> bool:
        return bool(self._scopes)

    def batch(self) -> Batch:
        """The request as a Batch; the builder starts over empty."""
        batch = Batch.from_message(self.signal, self._request)
        self._request = self._spec.request()
        self._resources.clear()
        self._scopes.clear()
        return batch
