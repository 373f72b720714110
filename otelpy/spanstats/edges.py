"""Pairing client and server spans into edges between services (the Collector's
servicegraph store).

A CLIENT (or PRODUCER) span and the SERVER (or CONSUMER) span whose parent it is share the
key ``(trace ID, client span ID)``. :class:`EdgeTracker` reads the spans of a serialized
request as ``otelpy.native._spanscan.edge_spans`` gives them (only the fields pairing
needs, read in C: kind, IDs, duration, failed and the wanted attributes still serialized),
keeps the first side of each key waiting, and returns an :class:`Edge` once both sides are
known. A client span carrying a database name attribute is an edge by itself
(``connection_type`` ``database``).

Waiting sides are plain tuples in one ordered table (no object per span); an edge that
waited ``ttl`` expires (:meth:`EdgeTracker.expire`) and becomes *virtual node* edges when
``peer_attributes`` is not empty: a server span without a parent is called by ``user``; a
client span nobody answered calls the value of its first peer attribute (``peer.service``,
``db.name``, ``db.system`` by default), or ``unknown``.

The table holds at most ``max_items`` waiting edges; a span that would open one more is
refused and counted (``dropped_spans``), as the Collector does.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Sequence
from typing import NamedTuple

from google.protobuf.message import DecodeError

from otelpy.errors import PermanentError
from otelpy.native._spanscan import edge_spans
from otelpy.pdata.asstring import as_string
from otelpy.pdata.spanframes import light_value
from otelpy.spanstats.spans import KIND_CLIENT, KIND_CONSUMER, KIND_PRODUCER

__all__ = ["Edge", "EdgeTracker", "DEFAULT_PEER_ATTRIBUTES"]

DEFAULT_PEER_ATTRIBUTES = ("peer.service", "db.name", "db.system")
DEFAULT_DATABASE_NAME_ATTRIBUTES = ("db.name",)
_EMPTY_SPAN_ID = b"\x00" * 8
Dims = tuple[tuple[str, str], ...]
# a span as edge_spans gives it: kind, trace ID, span ID, parent span ID, seconds, failed,
# the wanted attributes (serialized AnyValues)
EdgeSpan = tuple[int, bytes, bytes, bytes, float, bool, dict[str, bytes]]


class Edge(NamedTuple):
    """One call from a client to a server. ``edge[:6]`` identifies its metric series."""

    client: str
    server: str
    connection_type: str  # "", "messaging_system", "database", "virtual_node"
    failed: bool
    virtual_node: str  # "client" or "server" when a virtual node was made up (and labelled)
    dimensions: Dims  # ("client_<dim>" / "server_<dim>", value), sorted
    client_seconds: float
    server_seconds: float


# A waiting edge: what one or both sides said so far.
# (expires, client, client_seconds, server, server_seconds, failed, connection_type,
#  dimensions (unsorted), peer: the client span's first peer attribute, still serialized)
_Waiting = tuple[float, str, float, str, float, bool, str, Dims, "bytes | None"]


def _edge(w: _Waiting, virtual_node: str = "") -> Edge:
    dims = tuple(sorted(w[7])) if w[7] else ()
    return Edge(w[1], w[3], w[6], w[5], virtual_node, dims, w[2], w[4])


def _merge(old: _Waiting, new: _Waiting, client_side: bool) -> _Waiting:
    """``old`` updated with what the span of ``new`` says (its side wins)."""
    dims = dict(old[7])
    dims.update(new[7])
    ctype = new[6] or old[6]
    failed = old[5] or new[5]
    if client_side:
        server, server_s = (new[3], new[4]) if new[3] else (old[3], old[4])
        return (old[0], new[1], new[2], server, server_s, failed, ctype, tuple(dims.items()),
                new[8] if new[8] is not None else old[8])
    return (old[0], old[1], old[2], new[3], new[4], failed, ctype, tuple(dims.items()), old[8])


def _text(raw: bytes) -> str | None:
    """A serialized AnyValue as the Collector's AsString; None when it does not parse.
    Short values (database names, peers: few and repeated) are remembered."""
    return _short_text(raw) if len(raw) <= _SHORT else _parse_text(raw)


_SHORT = 256  # bytes: what _short_text caches holds at most 4096 x this


@functools.lru_cache(maxsize=4096)
def _short_text(raw: bytes) -> str | None:
    return _parse_text(raw)


def _parse_text(raw: bytes) -> str | None:
    try:
        return as_string(light_value(raw))
    except DecodeError:
        return None


def _first(names: Sequence[str], *maps: dict[str, bytes]) -> str | None:
    for name in names:
        for m in maps:
            if name in m:
                return _text(m[name])
    return None


class EdgeTracker:
    """Turns spans into edges; see the module docstring for the rules."""

    def __init__(self, max_items: int, ttl: float, dimensions: Sequence[str] = (),
                 peer_attributes: Sequence[str] = DEFAULT_PEER_ATTRIBUTES,
                 database_name_attributes: Sequence[str] = DEFAULT_DATABASE_NAME_ATTRIBUTES,
                 virtual_node_label: bool = False) -> None:
        self.max_items = max_items
        self.ttl = ttl
        self.dimensions = tuple(dimensions)
        self.peer_attributes = tuple(peer_attributes)
        self.database_name_attributes = tuple(database_name_attributes)
        self.virtual_node_label = virtual_node_label
        # the only span attributes read (converting them all per span cost the most)
        self._span_keys = tuple(dict.fromkeys(
            (*self.dimensions, *self.peer_attributes, *self.database_name_attributes)))
        self._resource_keys = (*self._span_keys, "service.name")
        self._waiting: OrderedDict[tuple[bytes, bytes], _Waiting] = OrderedDict()
        self.total = 0  # edges opened
        self.dropped_spans = 0  # spans refused: the table was full
        self.expired = 0  # edges that waited ttl
        # new client sides without dimensions opened by _new_client (tests compare with off)
        self.inline_clients = True

    def __len__(self) -> int:
        return len(self._waiting)

    def consume(self, data: bytes, now: float) -> list[Edge]:
        """The edges the spans of a serialized trace request complete, in order; resources
        without ``service.name`` are skipped. Raises PermanentError on a malformed request."""
        try:
            resources = edge_spans(data, self._resource_keys, self._span_keys)
        except ValueError as exc:
            raise PermanentError(f"malformed ExportTraceServiceRequest: {exc}") from None
        done: list[Edge] = []
        expires = now + self.ttl
        for res_attrs, spans in resources:
            raw = res_attrs.pop("service.name", None)
            if raw is None:
                continue
            try:
                value = light_value(raw)
            except DecodeError:
                value = None
            service = value if isinstance(value, str) else ""  # pcommon.Value.Str()
            self._spans(service, res_attrs, spans, expires, done)
        return done

    def _spans(self, service: str, res_attrs: dict[str, bytes], spans: list[EdgeSpan],
               expires: float, done: list[Edge]) -> None:
        """The hot loop: a server side answering a waiting client side (no dimensions) is
        paired inline; every other case goes through :meth:`_client` / :meth:`_put`."""
        waiting = self._waiting
        plain = not self.dimensions
        inline = plain and self.inline_clients
        for span in spans:
            kind, trace_id, _, parent, seconds, failed, attrs = span
            if kind == KIND_CLIENT or kind == KIND_PRODUCER:
                if not inline or not self._new_client(service, res_attrs, span, expires, done):
                    self._client(service, res_attrs, span, expires, done)
                continue
            key = (trace_id, parent or _EMPTY_SPAN_ID)  # SERVER or CONSUMER
            old = waiting.get(key) if plain else None
            if old is not None and old[1] and not old[3] and not old[7]:
                del waiting[key]
                done.append(Edge(old[1], service, "messaging_system" if kind == KIND_CONSUMER
                                 else old[6], old[5] or failed, "", (), old[2], seconds))
                continue
            dims = self._dims("server_", res_attrs, attrs) if not plain else ()
            self._put(key, (expires, "", 0.0, service, seconds, failed,
                            "messaging_system" if kind == KIND_CONSUMER else "", dims, None),
                      False, done)

    def _new_client(self, service: str, res_attrs: dict[str, bytes], span: EdgeSpan,
                    expires: float, done: list[Edge]) -> bool:
        """:meth:`_client` for a client side whose key nobody waits under yet, without
        dimensions (the common case: no tuple merging); False when it does not apply."""
        waiting = self._waiting
        kind, trace_id, span_id, _, seconds, failed, attrs = span
        key = (trace_id, span_id)
        if key in waiting:
            return False
        if len(waiting) >= self.max_items:
            self.dropped_spans += 1
            return True
        self.total += 1
        db = _first(self.database_name_attributes, res_attrs, attrs)
        if db is not None:
            done.append(Edge(service, db, "database", failed, "", (), seconds, seconds))
            return True
        peer = None
        for name in self.peer_attributes:
            if name in attrs:
                peer = attrs[name]
                break
        waiting[key] = (expires, service, seconds, "", 0.0, failed,
                        "messaging_system" if kind == KIND_PRODUCER else "", (), peer)
        return True

    def _client(self, service: str, res_attrs: dict[str, bytes], span: EdgeSpan,
                expires: float, done: list[Edge]) -> None:
        kind, trace_id, span_id, _, seconds, failed, attrs = span
        dims = self._dims("client_", res_attrs, attrs) if self.dimensions else ()
        peer = next((attrs[n] for n in self.peer_attributes if n in attrs), None)
        db = _first(self.database_name_attributes, res_attrs, attrs)
        if db is not None:
            half: _Waiting = (expires, service, seconds, db, seconds, failed, "database",
                              dims, peer)
        else:
            half = (expires, service, seconds, "", 0.0, failed,
                    "messaging_system" if kind == KIND_PRODUCER else "", dims, peer)
        self._put((trace_id, span_id), half, True, done)

    def _put(self, key: tuple[bytes, bytes], half: _Waiting, client_side: bool,
             done: list[Edge]) -> None:
        waiting = self._waiting
        old = waiting.get(key)
        if old is None:
            if len(waiting) >= self.max_items:
                self.dropped_spans += 1
                return
            self.total += 1
            if half[1] and half[3]:
                done.append(_edge(half))
            else:
                waiting[key] = half
            return
        merged = _merge(old, half, client_side)
        if merged[1] and merged[3]:
            del waiting[key]
            done.append(_edge(merged))
        else:
            waiting[key] = merged  # keeps its place (and its expiry)

    def _dims(self, side: str, res_attrs: dict[str, bytes],
              span_attrs: dict[str, bytes]) -> Dims:
        out = []
        for dim in self.dimensions:
            value = _first((dim,), res_attrs, span_attrs)
            if value is not None:
                out.append((side + dim, value))
        return tuple(out)

    def expire(self, now: float) -> list[Edge]:
        """Take out every edge whose wait ended at ``now`` (counted in ``expired``); returns
        the virtual node edges they become."""
        out: list[Edge] = []
        waiting = self._waiting
        while waiting:
            key, w = next(iter(waiting.items()))
            if w[0] > now:
                break
            del waiting[key]
            self.expired += 1
            if self.peer_attributes:
                out.extend(self._virtual(key[1], w))
        return out

    def _virtual(self, span_id: bytes, w: _Waiting) -> list[Edge]:
        label = self.virtual_node_label
        client, server, failed = w[1], w[3], w[5]
        dims = tuple(sorted(w[7])) if w[7] else ()
        out = []
        if not client and span_id == _EMPTY_SPAN_ID:
            client = "user"
            out.append(Edge(client, server, "virtual_node", failed, "client" if label else "",
                            dims, w[2], w[4]))
        if not server:
            peer = _text(w[8]) if w[8] is not None else None
            server = peer if peer is not None else "unknown"
            out.append(Edge(client, server, "virtual_node", failed, "server" if label else "",
                            dims, w[2], w[4]))
        return out
