"""Where health check results meet their readers: one board per status API route table.

Each ``healthcheck`` receiver joins the board of its host's route table with a function
giving its current report (:func:`otelpy.probes.overall.report`). While at least one has
joined, the board serves ``GET /health`` on that table: the status extension answers it at
``/api/health``, and the health_check extension at its ``checks_path`` (``/health/checks``)
with 503 when ``overall_status`` is ``critical`` (a Kubernetes readiness probe).

One receiver: its report as is. Several: checks merged (a name two receivers share is shown
as ``<receiver id>:<check>``), the worst overall status, summed counts, and ``sources``
giving each receiver's own overall status.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from otelpy.statusapi import ApiRequest, ApiRoutes

__all__ = ["HEALTH_PATH", "HealthBoard", "board_of"]

HEALTH_PATH = "/health"
Report = Callable[[], dict[str, Any]]
_ORDER = ("healthy", "warning", "critical")
_BOARDS: weakref.WeakKeyDictionary[ApiRoutes, HealthBoard] = weakref.WeakKeyDictionary()


class HealthBoard:
    """The receivers reporting on one route table."""

    def __init__(self, routes: ApiRoutes) -> None:
        self._routes = routes
        self._sources: dict[str, Report] = {}
        self._remove_route: Callable[[], None] | None = None

    def join(self, source: str, report: Report) -> Callable[[], None]:
        """Add ``source``'s reports; returns the call that takes them away again."""
        self._sources[source] = report
        if self._remove_route is None:
            self._remove_route = self._routes.add("GET", HEALTH_PATH, self._answer,
                                                  owner="healthcheck")

        def leave() -> None:
            if self._sources.get(source) is report:
                del self._sources[source]
            if not self._sources and self._remove_route is not None:
                self._remove_route()
                self._remove_route = None

        return leave

    async def _answer(self, request: ApiRequest) -> dict[str, Any]:
        return self.report()

    def report(self) -> dict[str, Any]:
        reports = {source: make() for source, make in sorted(self._sources.items())}
        if len(reports) == 1:
            return next(iter(reports.values()))
        return _merge(reports)


def _merge(reports: dict[str, dict[str, Any]]) -> dict[str, Any]:
    counts: dict[str, int] = {}
    checks: dict[str, Any] = {}
    seen = [name for r in reports.values() for name in r["checks"]]
    for source, r in reports.items():
        for name, view in r["checks"].items():
            checks[f"{source}:{name}" if seen.count(name) > 1 else name] = view
        for key, value in r["summary"].items():
            if not key.endswith("_threshold"):
                counts[key] = counts.get(key, 0) + value
    worst = max((r["overall_status"] for r in reports.values()), key=_ORDER.index,
                default="healthy")
    return {"overall_status": worst,
            "timestamp": max((r["timestamp"] for r in reports.values()), default=""),
            "checks": checks, "summary": counts,
            "sources": {s: r["overall_status"] for s, r in reports.items()}}


def board_of(routes: ApiRoutes) -> HealthBoard:
    """The board of ``routes`` (made on first use, gone with the table)."""
    board = _BOARDS.get(routes)
    if board is None:
        board = _BOARDS[routes] = HealthBoard(routes)
    return board
