"""Pairing client and server spans into edges between services (the Collector's
servicegraph store).

A CLIENT (or PRODUCER) span and the SERVER (or CONSUMER) span whose parent it is share the
key ``(trace ID, client span ID)``. :class:`EdgeTracker` reads spans, fills one :class:`Edge`
per key in a bounded :class:`EdgeStore`, and hands each edge on once both sides are known
(``on_complete``) or when it waited ``ttl`` (``on_expire``). A client span carrying a
database name attribute is an edge by itself (``connection_type`` ``database``).

Expired edges become *virtual node* edges when ``peer_attributes`` is not empty: a server
span without a parent is called by ``user``; a client span nobody answered calls the value
of its first peer attribute (``peer.service``, ``db.name``, ``db.system`` by default), or
``unknown``.

The store holds at most ``max_items`` edges waiting for their other side; a span that would
open one more is refused and counted (``dropped_spans``), as the Collector does.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from otelpy.pdata.asstring import as_string
from otelpy.pdata.values import to_value
from otelpy.spanstats.spans import (
    KIND_CLIENT,
    KIND_CONSUMER,
    KIND_PRODUCER,
    KIND_SERVER,
    STATUS_ERROR,
    attributes_of,
    duration_ns,
    service_name,
)

__all__ = ["Edge", "EdgeStore", "EdgeTracker", "DEFAULT_PEER_ATTRIBUTES"]

DEFAULT_PEER_ATTRIBUTES = ("peer.service", "db.name", "db.system")
DEFAULT_DATABASE_NAME_ATTRIBUTES = ("db.name",)
_EMPTY_SPAN_ID = b"\x00" * 8


@dataclass(slots=True)
class Edge:
    """One call from a client to a server, as far as its spans have been seen."""

    trace_id: bytes
    span_id: bytes  # the client span's ID (the server span's parent)
    expires: float = 0.0
    connection_type: str = ""  # "", "messaging_system", "database", "virtual_node"
    client: str = ""
    server: str = ""
    client_seconds: float = 0.0
    server_seconds: float = 0.0
    failed: bool = False
    dimensions: dict[str, str] = field(default_factory=dict)
    peer: dict[str, str] = field(default_factory=dict)
    virtual_node: str = ""  # "client" or "server" when a virtual node was made up

    @property
    def complete(self) -> bool:
        return bool(self.client) and bool(self.server)


class EdgeStore:
    """Edges waiting for their other side, oldest first; bounded by ``max_items``."""

    def __init__(self, max_items: int, ttl: float,
                 on_complete: Callable[[Edge], None],
                 on_expire: Callable[[Edge], None]) -> None:
        self.max_items = max_items
        self.ttl = ttl
        self._edges: OrderedDict[tuple[bytes, bytes], Edge] = OrderedDict()
        self._on_complete = on_complete
        self._on_expire = on_expire
        self.dropped_spans = 0
        self.expired = 0
        self.total = 0

    def __len__(self) -> int:
        return len(self._edges)

    def upsert(self, trace_id: bytes, span_id: bytes, now: float,
               update: Callable[[Edge], None]) -> bool:
        """Apply ``update`` to the edge of this key (made when new); False when the store is
        full and the span was refused (counted in ``dropped_spans``)."""
        key = (trace_id, span_id)
        edge = self._edges.get(key)
        if edge is not None:
            update(edge)
            if edge.complete:
                del self._edges[key]
                self._on_complete(edge)
            return True
        if len(self._edges) >= self.max_items:
            self.dropped_spans += 1
            return False
        edge = Edge(trace_id, span_id, expires=now + self.ttl)
        update(edge)
        self.total += 1
        if edge.complete:
            self._on_complete(edge)
        else:
            self._edges[key] = edge
        return True

    def expire(self, now: float) -> int:
        """Hand on every edge whose wait ended at ``now``; returns how many."""
        n = 0
        while self._edges:
            key, edge = next(iter(self._edges.items()))
            if edge.expires > now:
                break
            del self._edges[key]
            n += 1
            self.expired += 1
            self._on_expire(edge)
        return n


def _first(names: Sequence[str], *maps: dict[str, Any]) -> str | None:
    for name in names:
        for m in maps:
            if name in m:
                return as_string(m[name])
    return None


def _attrs(key_values: Iterable[Any]) -> dict[str, Any]:
    return {kv.key: to_value(kv.value) for kv in key_values}


class EdgeTracker:
    """Turns spans into edges of ``store``; see the module docstring for the rules."""

    def __init__(self, store: EdgeStore, dimensions: Sequence[str] = (),
                 peer_attributes: Sequence[str] = DEFAULT_PEER_ATTRIBUTES,
                 database_name_attributes: Sequence[str] = DEFAULT_DATABASE_NAME_ATTRIBUTES
                 ) -> None:
        self.store = store
        self.dimensions = tuple(dimensions)
        self.peer_attributes = tuple(peer_attributes)
        self.database_name_attributes = tuple(database_name_attributes)
        # the only span attributes read (converting them all per span cost the most)
        self._span_keys = frozenset(
            (*self.dimensions, *self.peer_attributes, *self.database_name_attributes))

    def consume(self, resource_spans: Iterable[tuple[Any, Iterable[Any]]], now: float) -> None:
        """Read ``(resource, spans)`` pairs; resources without ``service.name`` are skipped."""
        for resource, spans in resource_spans:
            service = service_name(resource)
            if service is None:
                continue
            res_attrs: dict[str, Any] | None = None
            for span in spans:
                kind = span.kind
                if kind not in (KIND_CLIENT, KIND_SERVER, KIND_PRODUCER, KIND_CONSUMER):
                    continue
                if res_attrs is None:
                    res_attrs = _attrs(resource.attributes)
                self._span(service, res_attrs, span, kind, now)

    def _span(self, service: str, res_attrs: dict[str, Any], span: Any, kind: int,
              now: float) -> None:
        messaging = kind in (KIND_PRODUCER, KIND_CONSUMER)
        seconds = duration_ns(span) / 1e9
        failed = span.status.code == STATUS_ERROR
        span_attrs = attributes_of(span.attributes, self._span_keys)
        if kind in (KIND_CLIENT, KIND_PRODUCER):
            def update(e: Edge) -> None:
                e.connection_type = "messaging_system" if messaging else e.connection_type
                e.client = service
                e.client_seconds = seconds
                e.failed = e.failed or failed
                self._dimensions("client", e, res_attrs, span_attrs)
                peer = _first(self.peer_attributes, span_attrs)
                if peer is not None:
                    name = next(n for n in self.peer_attributes if n in span_attrs)
                    e.peer[name] = peer
                db = _first(self.database_name_attributes, res_attrs, span_attrs)
                if db is not None:
                    e.connection_type = "database"
                    e.server = db
                    e.server_seconds = seconds
            self.store.upsert(span.trace_id, span.span_id, now, update)
        else:
            def update(e: Edge) -> None:
                e.connection_type = "messaging_system" if messaging else e.connection_type
                e.server = service
                e.server_seconds = seconds
                e.failed = e.failed or failed
                self._dimensions("server", e, res_attrs, span_attrs)
            parent = span.parent_span_id or _EMPTY_SPAN_ID
            self.store.upsert(span.trace_id, parent, now, update)

    def _dimensions(self, side: str, e: Edge, res_attrs: dict[str, Any],
                    span_attrs: dict[str, Any]) -> None:
        for dim in self.dimensions:
            value = _first((dim,), res_attrs, span_attrs)
            if value is not None:
                e.dimensions[f"{side}_{dim}"] = value

    def virtual_edges(self, e: Edge, virtual_label: bool) -> list[Edge]:
        """The virtual-node edges an expired edge becomes (none without peer attributes)."""
        if not self.peer_attributes:
            return []
        out = []
        e.connection_type = "virtual_node"
        if not e.client and e.span_id == _EMPTY_SPAN_ID:
            e.client = "user"
            e.virtual_node = "client" if virtual_label else ""
            out.append(_copy(e))
        if not e.server:
            e.server = next((e.peer[a] for a in self.peer_attributes if a in e.peer),
                            "unknown")
            e.virtual_node = "server" if virtual_label else ""
            out.append(_copy(e))
        return out


def _copy(e: Edge) -> Edge:
    return Edge(e.trace_id, e.span_id, e.expires, e.connection_type, e.client, e.server,
                e.client_seconds, e.server_seconds, e.failed, dict(e.dimensions),
                dict(e.peer), e.virtual_node)
