"""Targets of a scrape config: target groups (static or from files) -> relabelled targets.

:func:`populate` turns one discovered target into a :class:`Target` the way Prometheus's
``scrape.PopulateLabels`` does: the group's labels and ``__address__``, the config's
``job``, ``__scheme__``, ``__metrics_path__``, ``__scrape_interval__``,
``__scrape_timeout__`` and ``__param_<name>`` (unless the group set them), then
``relabel_configs``; a dropped or address-less target is skipped; the default port of the
scheme is added when the address has none; ``instance`` defaults to the address; labels
starting with ``__`` are removed from the target's labels (kept as discovered labels).

:class:`FileDiscovery` reads ``file_sd_configs`` files (JSON or YAML lists of
``{targets: [...], labels: {...}}``) and tells whether they changed since the last read.
"""

from __future__ import annotations

import glob
import json
import os
import re
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from otelpy.prometheus.relabel import RelabelRule, relabel
from otelpy.prometheus.scrapeconfig import PromConfig, ScrapeConfig, parse_prom_duration

__all__ = ["FileDiscovery", "Target", "TargetGroup", "populate", "targets_of"]

_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


@dataclass(frozen=True)
class TargetGroup:
    targets: tuple[str, ...]
    labels: Mapping[str, str]
    source: str = ""


@dataclass(frozen=True)
class Target:
    """One scrape target: where to scrape and the labels its samples get."""

    job: str
    url: str
    labels: Mapping[str, str]
    discovered: Mapping[str, str] = field(hash=False, compare=False)
    interval: float = 60.0
    timeout: float = 10.0

    @property
    def instance(self) -> str:
        return self.labels.get("instance", "")

    @property
    def scheme(self) -> str:
        return self.discovered.get("__scheme__", "http")

    @property
    def key(self) -> tuple[str, str, tuple[tuple[str, str], ...]]:
        return (self.job, self.url, tuple(sorted(self.labels.items())))


def _defaults(cfg: PromConfig, job: ScrapeConfig) -> dict[str, str]:
    out = {"job": job.job_name, "__scheme__": job.scheme, "__metrics_path__": job.metrics_path,
           "__scrape_interval__": _go_duration(cfg.interval(job)),
           "__scrape_timeout__": _go_duration(cfg.timeout(job))}
    for name, values in job.params.items():
        if values:
            out[f"__param_{name}"] = values[0]
    return out


def _go_duration(seconds: float) -> str:
    """Prometheus's model.Duration String() of whole seconds / milliseconds."""
    ms = round(seconds * 1000)
    if ms == 0:
        return "0s"
    out = []
    for unit, size in (("y", 31536000000), ("w", 604800000), ("d", 86400000),
                       ("h", 3600000), ("m", 60000), ("s", 1000), ("ms", 1)):
        if ms >= size:
            out.append(f"{ms // size}{unit}")
            ms %= size
    return "".join(out)


def _has_port(address: str) -> bool:
    """Whether Go's net.SplitHostPort finds a port in ``address``."""
    if address.startswith("["):
        close = address.find("]")
        return close > 0 and address[close + 1:close + 2] == ":"
    return address.count(":") == 1


def _with_port(address: str, scheme: str) -> str:
    """Prometheus 2's default port (80 or 443) when ``address`` has none."""
    if _has_port(address) or not _has_port(address + ":1234"):
        return address
    return f"{address}:{443 if scheme == 'https' else 80}"


def populate(cfg: PromConfig, job: ScrapeConfig, group_labels: Mapping[str, str],
             address: str, rules: Sequence[RelabelRule]) -> Target | None:
    """The target at ``address`` after relabelling; None when it is dropped.

    Raises ValueError for a target Prometheus would reject (no address, bad labels).
    """
    labels = {**group_labels, "__address__": address}
    for name, value in _defaults(cfg, job).items():
        labels.setdefault(name, value)
    out = relabel(labels, rules)
    if out is None:
        return None
    addr = out.get("__address__", "")
    if not addr:
        raise ValueError("no address")
    scheme = out.get("__scheme__", "http")
    addr = _with_port(addr, scheme)
    if "/" in addr:
        raise ValueError(f"invalid address {addr!r}: must be host:port")
    out["__address__"] = addr
    interval = parse_prom_duration(out.get("__scrape_interval__", "1m"))
    timeout = parse_prom_duration(out.get("__scrape_timeout__", "10s"))
    if not 0 < interval or not 0 < timeout or timeout > interval:
        raise ValueError("scrape timeout must be positive and not above the interval")
    final = {k: v for k, v in out.items() if not k.startswith("__") and v}
    final.setdefault("instance", addr)
    for name in final:
        if not _LABEL_NAME.fullmatch(name):
            raise ValueError(f"invalid label name {name!r}")
    return Target(job.job_name, _url(job, out, scheme, addr), final, out, interval, timeout)


def _url(job: ScrapeConfig, labels: Mapping[str, str], scheme: str, addr: str) -> str:
    params = {k: list(v) for k, v in job.params.items()}
    for name, value in labels.items():
        if name.startswith("__param_"):
            key = name[len("__param_"):]
            params[key] = [value] + params.get(key, [])[1:]
    path = labels.get("__metrics_path__", job.metrics_path)
    query = urllib.parse.urlencode([(k, v) for k, vs in params.items() for v in vs])
    return f"{scheme}://{addr}{path}" + (f"?{query}" if query else "")


def targets_of(cfg: PromConfig, job: ScrapeConfig, groups: Iterable[TargetGroup],
               rules: Sequence[RelabelRule]) -> tuple[list[Target], list[str]]:
    """Every target of ``groups`` (deduplicated) and the errors of those refused."""
    seen: dict[Any, Target] = {}
    errors = []
    for group in groups:
        for address in group.targets:
            labels = dict(group.labels)
            if group.source:
                labels["__meta_filepath"] = group.source
            try:
                target = populate(cfg, job, labels, address, rules)
            except ValueError as exc:
                errors.append(f"target {address!r}: {exc}")
                continue
            if target is not None:
                seen.setdefault(target.key, target)
    return list(seen.values()), errors


def _groups_of(path: str, data: Any) -> list[TargetGroup]:
    if not isinstance(data, list):
        raise ValueError("expected a list of target groups")
    out = []
    for entry in data:
        if not isinstance(entry, dict) or not isinstance(entry.get("targets", []), list):
            raise ValueError("a target group is a mapping with a 'targets' list")
        labels = entry.get("labels") or {}
        if not isinstance(labels, dict):
            raise ValueError("'labels' must be a mapping")
        out.append(TargetGroup(tuple(str(t) for t in entry.get("targets") or []),
                               {str(k): str(v) for k, v in labels.items()}, path))
    return out


class FileDiscovery:
    """The target groups of ``file_sd_configs`` file patterns. Blocking: run in a thread."""

    MAX_BYTES = 16 << 20

    def __init__(self, patterns: Sequence[str]) -> None:
        self.patterns = list(patterns)
        self._stamps: dict[str, tuple[float, int]] = {}
        self._groups: dict[str, list[TargetGroup]] = {}

    def _paths(self) -> list[str]:
        return sorted({p for pattern in self.patterns for p in glob.glob(pattern)})

    def changed(self) -> bool:
        """Whether a matching file appeared, vanished or changed since :meth:`read`."""
        stamps = {}
        for path in self._paths():
            try:
                st = os.stat(path)
            except OSError:
                continue
            stamps[path] = (st.st_mtime, st.st_size)
        return stamps != self._stamps

    def read(self) -> tuple[list[TargetGroup], list[str]]:
        """All groups and the errors of files that could not be read (their previous groups
        are kept, as Prometheus does)."""
        errors, stamps, groups = [], {}, {}
        for path in self._paths():
            try:
                st = os.stat(path)
                stamps[path] = (st.st_mtime, st.st_size)
                if st.st_size > self.MAX_BYTES:
                    raise ValueError(f"larger than {self.MAX_BYTES} bytes")
                with open(path, "rb") as fh:
                    text = fh.read().decode("utf-8")
                data = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
                groups[path] = _groups_of(path, data or [])
            except (OSError, ValueError, yaml.YAMLError) as exc:
                errors.append(f"file_sd {path}: {exc}")
                groups[path] = self._groups.get(path, [])
        self._stamps, self._groups = stamps, groups
        return [g for gs in groups.values() for g in gs], errors
