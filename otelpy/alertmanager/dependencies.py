"""Which service calls which, learned from the service graph, to name an incident's probable
first cause.

The servicegraph connector's ``traces_service_graph_request_total`` points (attributes
``client`` and ``server``), sent to the notify exporter in a metrics pipeline, are the edges:
``client`` calls ``server``. An edge not seen for ``ttl`` seconds is forgotten; at most
``max_edges`` are kept (the least recently seen goes first).

In an incident whose members belong to several services, the probable first cause is the
service the others depend on: a member service that is called, directly or through other
services, by another member's service and itself calls none of the members' services (the
deepest dependency; a failing database makes its callers fail, not the other way round). When
no single service is that, or the graph knows none of them, the earliest alert stays the
first cause.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

__all__ = ["DependencyGraph", "EDGE_METRIC"]

EDGE_METRIC = "traces_service_graph_request_total"


class DependencyGraph:
    def __init__(self, ttl: float = 3600.0, max_edges: int = 10_000) -> None:
        self.ttl = ttl
        self.max_edges = max_edges
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    def add(self, client: str, server: str, now: float) -> None:
        """``client`` called ``server`` (seen at ``now``)."""
        if not client or not server or client == server:
            return
        key = (client, server)
        self._seen[key] = now
        self._seen.move_to_end(key)
        while len(self._seen) > self.max_edges:
            self._seen.popitem(last=False)

    def _callees(self, now: float) -> dict[str, set[str]]:
        for key in [k for k, t in self._seen.items() if t < now - self.ttl]:
            del self._seen[key]
        out: dict[str, set[str]] = {}
        for client, server in self._seen:
            out.setdefault(client, set()).add(server)
        return out

    def edges(self, now: float) -> list[tuple[str, str]]:
        self._callees(now)
        return sorted(self._seen)

    def root_service(self, services: Iterable[str], now: float) -> str | None:
        """The one service among ``services`` the others depend on (see the module), or
        None."""
        members = set(services)
        if len(members) < 2:
            return None
        callees = self._callees(now)
        reach = {s: _reachable(s, callees) for s in members}
        candidates = [s for s in members
                      if any(s in reach[o] for o in members if o != s)
                      and not (reach[s] & (members - {s}))]
        return candidates[0] if len(candidates) == 1 else None


def _reachable(start: str, callees: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(callees.get(start, ()))
    while todo:
        s = todo.pop()
        if s not in seen:
            seen.add(s)
            todo.extend(callees.get(s, ()))
    return seen
