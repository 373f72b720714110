"""What every scraper shares: the host's paths under ``root_path``, the result of one scrape,
include/exclude name filters, and the enabled-metric map of a scraper config."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Protocol

from opentelemetry.proto.metrics.v1.metrics_pb2 import Metric

from otelpy.filtermatch.stringset import StringSet
from otelpy.pdata.values import Value
from otelpy.receivers.hostmetrics.config import MatchSet, enabled_flags

__all__ = ["HostPaths", "NameFilter", "Output", "Scrape", "Scraper", "enabled_flags"]


@dataclass
class Output:
    """Metrics of one resource (empty for host-wide scrapers; one per process)."""

    resource: dict[str, Value]
    metrics: list[Metric]


@dataclass
class Scrape:
    """What one scraper produced, and the errors it met without failing (partial errors)."""

    outputs: list[Output] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Scraper(Protocol):
    name: str

    def scrape(self, now_ns: int) -> Scrape:
        """Read the host once (blocking: run it in a thread); raises OSError and psutil
        errors when nothing could be read."""
        ...


@dataclass(frozen=True)
class HostPaths:
    """Paths of the host's /proc and filesystems under ``root`` ("" is the real root)."""

    root: str = ""

    def proc(self, *parts: str) -> str:
        return os.path.join(self.root or "/", "proc", *parts)

    def under_root(self, path: str) -> str:
        return os.path.join(self.root, path.lstrip("/")) if self.root else path

    def read(self, *parts: str) -> str:
        """A small /proc file's text; raises OSError."""
        with open(self.proc(*parts), encoding="utf-8", errors="replace") as f:
            return f.read()


class NameFilter:
    """The Collector's include/exclude pair: a name passes when include (if given) matches
    it and exclude (if given) does not."""

    def __init__(self, include: MatchSet | None, exclude: MatchSet | None) -> None:
        self._include = _set(include)
        self._exclude = _set(exclude)

    def passes(self, name: str) -> bool:
        if self._include is not None and not self._include.matches(name):
            return False
        return self._exclude is None or not self._exclude.matches(name)


def _set(match: MatchSet | None) -> StringSet | None:
    if match is None or not match.names():
        return None
    return StringSet(match.names(), match.match_type, match.regexp)

