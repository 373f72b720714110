"""The route tree: options inherited from the parent, matchers sorted as Alertmanager sorts
them, depth-first matching with ``continue``, and the route key that group keys start with."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from otelpy.alertmanager.config import RouteConfig
from otelpy.alertmanager.labels import LabelSet, Matcher, matchers_string, parse_matchers

__all__ = ["Route", "RouteOpts", "build_routes", "route_matchers"]


@dataclass(frozen=True)
class RouteOpts:
    receiver: str = ""
    group_by: frozenset[str] = frozenset()
    group_by_all: bool = False
    group_wait: float = 30.0
    group_interval: float = 300.0
    repeat_interval: float = 4 * 3600.0
    mute_time_intervals: tuple[str, ...] = ()
    active_time_intervals: tuple[str, ...] = ()


def route_matchers(cfg: RouteConfig) -> list[Matcher]:
    """``match``, ``match_re`` and ``matchers`` together, sorted (raises MatcherError)."""
    out = [Matcher.make(k, "=", v) for k, v in cfg.match.items()]
    # config.Regexp keeps the anchored text, which route keys then show
    out += [Matcher.make(k, "=~", f"^(?:{v})$") for k, v in cfg.match_re.items()]
    for text in cfg.matchers:
        out += parse_matchers(text)
    return sorted(out, key=Matcher.sort_key)


@dataclass
class Route:
    opts: RouteOpts
    matchers: list[Matcher]
    continue_: bool
    parent: Route | None = None
    routes: list[Route] = field(default_factory=list)
    index: int = 0

    def key(self) -> str:
        """``Route.Key``: the parent's key, ``/``, this route's matchers."""
        own = matchers_string(self.matchers)
        return own if self.parent is None else f"{self.parent.key()}/{own}"

    def id(self) -> str:
        """A stable name of this node (its path of child indexes), for state and the API."""
        return "root" if self.parent is None else f"{self.parent.id()}.{self.index}"

    def match(self, labels: LabelSet) -> list[Route]:
        if not all(m.matches(labels) for m in self.matchers):
            return []
        found: list[Route] = []
        for child in self.routes:
            hits = child.match(labels)
            found += hits
            if hits and not child.continue_:
                break
        return found or [self]

    def walk(self) -> Iterator[Route]:
        yield self
        for child in self.routes:
            yield from child.walk()

    def group_labels(self, labels: LabelSet) -> dict[str, str]:
        if self.opts.group_by_all:
            return dict(labels)
        return {k: v for k, v in labels.items() if k in self.opts.group_by}


def build_routes(cfg: RouteConfig, parent: Route | None = None, index: int = 0) -> Route:
    """The tree of ``cfg`` (already validated: raises MatcherError on bad matchers)."""
    opts = parent.opts if parent is not None else RouteOpts()
    changes: dict[str, object] = {"mute_time_intervals": tuple(cfg.mute_time_intervals),
                                  "active_time_intervals": tuple(cfg.active_time_intervals)}
    if cfg.receiver:
        changes["receiver"] = cfg.receiver
    if cfg.group_by is not None:
        changes["group_by_all"] = "..." in cfg.group_by
        changes["group_by"] = frozenset(g for g in cfg.group_by if g != "...")
    for key in ("group_wait", "group_interval", "repeat_interval"):
        value = getattr(cfg, key)
        if value is not None:
            changes[key] = value
    route = Route(replace(opts, **changes), route_matchers(cfg),  # type: ignore[arg-type]
                  cfg.continue_, parent, index=index)
    route.routes = [build_routes(c, route, i) for i, c in enumerate(cfg.routes)]
    return route
