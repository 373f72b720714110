"""Configuration of the routing connector (the Collector's routingconnector keys)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field

from otelpy.component import Signal
from otelpy.config.types import ConfigModel

RouteContext = Literal["resource", "span", "metric", "datapoint", "log", "request"]

#: The signals each route context can be used with.
CONTEXT_SIGNALS: dict[str, tuple[Signal, ...]] = {
    "resource": tuple(Signal), "request": tuple(Signal), "span": (Signal.TRACES,),
    "metric": (Signal.METRICS,), "datapoint": (Signal.METRICS,), "log": (Signal.LOGS,)}

_ROUTE_STATEMENT = re.compile(r"\s*route\s*\(\s*\)\s*(?:where\s+(?P<cond>.+?))?\s*\Z", re.S)
_REQUEST = re.compile(r'\s*request\s*\[\s*"(?P<key>[^"]*)"\s*\]\s*(?P<op>==|!=)\s*'
                      r'"(?P<value>[^"]*)"\s*\Z')


class Route(ConfigModel):
    """One row of the routing table."""

    context: RouteContext = Field(
        default="resource",
        description="Where the condition is evaluated: resource, span, metric, datapoint, log "
                    "(OTTL contexts) or request (the client metadata of receivers with "
                    "include_metadata).")
    condition: str | None = Field(
        default=None, description="The OTTL condition; required for the request context, "
                                  'where it must read request["<key>"] == "<value>" (or !=).')
    statement: str | None = Field(
        default=None, description="The older form: route() where <condition> (route() alone "
                                  "always matches). Not for the request context.")
    pipelines: list[str] = Field(
        min_length=1, description="Pipelines that get what this route matches.")

    def routing_condition(self) -> str | None:
        """The condition text (from either form); None for an unconditional route()."""
        if self.condition is not None:
            return self.condition
        m = _ROUTE_STATEMENT.match(self.statement or "")
        return m.group("cond") if m else None

    def problems(self, index: int) -> list[str]:
        at = f"table::{index}"
        if (self.condition is None) == (self.statement is None):
            return [f"{at}: exactly one of condition and statement is required"]
        if self.context == "request":
            if self.statement is not None:
                return [f"{at}::statement: the request context takes a condition, not a "
                        "statement"]
            if request_condition(self.condition or "") is None:
                return [f'{at}::condition: must have the form request["<key>"] == "<value>" '
                        '(or !=)']
            return []
        if self.statement is not None and not _ROUTE_STATEMENT.match(self.statement):
            return [f"{at}::statement: must be route() where <condition>"]
        return self._compile_problems(at)

    def _compile_problems(self, at: str) -> list[str]:
        from otelpy.ottl import CompileError, ConditionSet

        text = self.routing_condition()
        if text is None:
            return []
        key = "condition" if self.condition is not None else "statement"
        for signal in CONTEXT_SIGNALS[self.context]:
            try:
                ConditionSet.compile([text], signal, self.context)
            except CompileError as exc:
                return [f"{at}::{key}: {exc}"]
        return []


def request_condition(text: str) -> tuple[str, bool, str] | None:
    """(metadata key, equal?, value) of a request condition, or None when malformed."""
    m = _REQUEST.match(text)
    return (m.group("key"), m.group("op") == "==", m.group("value")) if m else None


class RoutingConfig(ConfigModel):
    """``connectors: routing:`` settings."""

    table: list[Route] = Field(
        min_length=1, description="Routes, tried in order: each item goes to the pipelines "
                                  "of the first route that matches it.")
    default_pipelines: list[str] = Field(
        default_factory=list, description="Pipelines for what no route matches (and, with "
                                          "error_mode ignore or silent, what a condition "
                                          "failed on); empty = dropped, counted.")
    error_mode: Literal["propagate", "ignore", "silent"] = Field(
        default="propagate", description="A failing condition: propagate refuses the data; "
                                         "ignore (logged) and silent send it to "
                                         "default_pipelines.")
    match_once: bool | None = Field(
        default=None, description="Removed from the Collector in v0.120 (every item now goes "
                                  "to its first matching route): true is accepted with no "
                                  "effect, false is refused.")

    def validate_config(self) -> list[str]:
        problems = [p for i, route in enumerate(self.table) for p in route.problems(i)]
        if self.match_once is False:
            problems.append("match_once: false is no longer supported (removed in the "
                            "Collector v0.120): an item goes to its first matching route only; "
                            "split the table across several routing connectors instead")
        return problems


def pipeline_refs(raw: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """Pipeline IDs named in a raw routing config, with their paths in it."""
    refs: list[tuple[tuple[str | int, ...], str]] = []
    table = raw.get("table") if isinstance(raw, dict) else None
    for i, route in enumerate(table if isinstance(table, list) else []):
        names = route.get("pipelines") if isinstance(route, dict) else None
        for j, name in enumerate(names if isinstance(names, list) else []):
            if isinstance(name, str):
                refs.append((("table", i, "pipelines", j), name))
    default = raw.get("default_pipelines") if isinstance(raw, dict) else None
    for j, name in enumerate(default if isinstance(default, list) else []):
        if isinstance(name, str):
            refs.append((("default_pipelines", j), name))
    return refs
