"""Rules about how components are wired: the ``service`` section checked against the
component sections and the registry.

Errors: a pipeline naming an undefined component or one that does not support the
pipeline's signal, an ID listed twice in a list, a pipeline without receivers or
exporters, a connector used on one side only or between unsupported signals, a cycle
through connectors, an ID defined as both a connector and a receiver/exporter,
``service::extensions`` naming an undefined extension, no pipelines at all.
Warnings: components configured but never used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from otelpy.component import ComponentID, Kind, PipelineID
from otelpy.config.messages import Finding
from otelpy.config.problems import Path, did_you_mean
from otelpy.config.service import PipelineConfig
from otelpy.registry import Registry

_ROLES: dict[str, tuple[Kind, ...]] = {
    "receivers": (Kind.RECEIVER, Kind.CONNECTOR),
    "processors": (Kind.PROCESSOR,),
    "exporters": (Kind.EXPORTER, Kind.CONNECTOR),
}
_PIPELINES: Path = ("service", "pipelines")


@dataclass
class ServiceCheck:
    """What the service section resolves to, and what is wrong with it."""

    pipelines: dict[PipelineID, PipelineConfig] = field(default_factory=dict)
    extensions: tuple[ComponentID, ...] = ()
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)


def defined_ids(doc: Mapping[str, Any]) -> dict[Kind, dict[ComponentID, str]]:
    """Parsed component IDs per kind, mapped to the key as written."""
    out: dict[Kind, dict[ComponentID, str]] = {}
    for kind in Kind:
        section = doc.get(kind.section)
        ids: dict[ComponentID, str] = {}
        if isinstance(section, dict):
            for key in section:
                try:
                    ids[ComponentID.parse(key)] = key
                except ValueError:
                    continue  # reported by the schema check
        out[kind] = ids
    return out


class _Checker:
    def __init__(self, doc: Mapping[str, Any], registry: Registry) -> None:
        self.registry = registry
        self.defined = defined_ids(doc)
        self.out = ServiceCheck()
        self.used: set[tuple[Kind, ComponentID]] = set()
        # connector -> [(pipeline, path of the reference)]
        self.conn_out: dict[ComponentID, list[tuple[PipelineID, Path]]] = {}
        self.conn_in: dict[ComponentID, list[tuple[PipelineID, Path]]] = {}

    def error(self, path: Path, message: str) -> None:
        self.out.errors.append((path, message))

    def run(self, doc: Mapping[str, Any]) -> ServiceCheck:
        self._ambiguous_ids()
        service = doc.get("service")
        service = service if isinstance(service, dict) else {}
        pipelines = service.get("pipelines")
        if not pipelines:
            where = _PIPELINES if "pipelines" in service else ("service",)
            self.error(where, "no pipelines defined: at least one traces, metrics or logs "
                              "pipeline is required")
        elif isinstance(pipelines, dict):
            for key, body in pipelines.items():
                self._pipeline(key, body)
            self._connectors(doc)
            self._cycles()
        self._extensions(service.get("extensions"))
        self._unused()
        return self.out

    def _ambiguous_ids(self) -> None:
        for cid, key in self.defined[Kind.CONNECTOR].items():
            for kind in (Kind.RECEIVER, Kind.EXPORTER):
                if cid in self.defined[kind]:
                    self.error((Kind.CONNECTOR.section, key),
                               f'ambiguous ID: "{cid}" is both a {kind.value} and a connector; '
                               "rename one of them")

    def _pipeline(self, key: str, body: Any) -> None:
        try:
            pid = PipelineID.parse(key)
        except ValueError:
            return  # reported by the schema check
        if not isinstance(body, dict):
            body = {}
        lists: dict[str, tuple[ComponentID, ...]] = {}
        for role in _ROLES:
            lists[role] = self._role(pid, (*_PIPELINES, key, role), role, body.get(role))
        for role, word in (("receivers", "receiver"), ("exporters", "exporter")):
            if not lists[role]:
                self.error((*_PIPELINES, key), f"pipeline must have at least one {word}")
        self.out.pipelines[pid] = PipelineConfig(**lists)

    def _role(self, pid: PipelineID, path: Path, role: str, items: Any) -> tuple[ComponentID, ...]:
        if not isinstance(items, list):
            return ()
        ids: list[ComponentID] = []
        for i, text in enumerate(items):
            if not isinstance(text, str):
                continue  # reported by the schema check
            try:
                cid = ComponentID.parse(text)
            except ValueError as exc:
                self.error(path + (i,), str(exc))
                continue
            if cid in ids:
                self.error(path + (i,), f'"{cid}" is listed more than once in {role}')
                continue
            ids.append(cid)
            self._reference(pid, path + (i,), role, cid)
        return tuple(ids)

    def _reference(self, pid: PipelineID, path: Path, role: str, cid: ComponentID) -> None:
        kind = next((k for k in _ROLES[role] if cid in self.defined[k]), None)
        if kind is None:
            self.error(path, self._undefined(role, cid))
            return
        self.used.add((kind, cid))
        if kind is Kind.CONNECTOR:
            side = self.conn_out if role == "exporters" else self.conn_in
            side.setdefault(cid, []).append((pid, path))
            return
        factory = self.registry.get(kind, cid.type)
        if factory is not None and not factory.supports(pid.signal):
            supported = ", ".join(sorted(str(s) for s in factory.signals())) or "none"
            self.error(path, f'{kind.value} "{cid}" does not support {pid.signal} '
                             f"(supports: {supported})")

    def _undefined(self, role: str, cid: ComponentID) -> str:
        kinds = _ROLES[role]
        words = " or ".join(k.value for k in kinds)
        candidates = [str(c) for k in kinds for c in self.defined[k]]
        message = f'references {words} "{cid}" which is not configured'
        hint = did_you_mean(str(cid), candidates)
        if not hint:
            elsewhere = [k for k in Kind if k not in kinds and cid in self.defined[k]]
            if elsewhere:
                hint = f' ("{cid}" is configured as a {elsewhere[0].value}, not usable in {role})'
        return message + hint

    def _connectors(self, doc: Mapping[str, Any]) -> None:
        for cid in sorted(set(self.conn_out) | set(self.conn_in)):
            factory = self.registry.get(Kind.CONNECTOR, cid.type)
            outs, ins = self.conn_out.get(cid, []), self.conn_in.get(cid, [])
            for pid, path in outs:
                self._connector_side(factory, cid, pid, path, ins, as_exporter=True)
            for pid, path in ins:
                self._connector_side(factory, cid, pid, path, outs, as_exporter=False)
            if factory is not None and factory.pipeline_refs is not None:
                self._routes(factory, cid, doc, {p for p, _ in ins})

    def _routes(self, factory: Any, cid: ComponentID, doc: Mapping[str, Any],
                targets: set[PipelineID]) -> None:
        """Every pipeline a routing connector's config names must take it as a receiver."""
        key = self.defined[Kind.CONNECTOR][cid]
        raw = (doc.get("connectors") or {}).get(key)
        names = sorted(str(t) for t in targets)
        for rel, name in factory.pipeline_refs(raw if isinstance(raw, dict) else {}):
            path = ("connectors", key, *rel)
            try:
                pid = PipelineID.parse(name)
            except ValueError as exc:
                self.error(path, str(exc))
                continue
            if pid not in targets:
                self.error(path, f'pipeline "{name}" does not list connector "{cid}" as a '
                                 f"receiver{did_you_mean(name, names)} (it routes to: "
                                 f"{', '.join(names) or 'none'})")

    def _connector_side(self, factory: Any, cid: ComponentID, pid: PipelineID, path: Path,
                        others: list[tuple[PipelineID, Path]], as_exporter: bool) -> None:
        role, other = ("an exporter", "receiver") if as_exporter else ("a receiver", "exporter")
        if not others:
            self.error(path, f'connector "{cid}" is used as {role} but not as {other} in any '
                             "pipeline; a connector must be both")
            return
        if factory is None:
            return  # unknown type: reported by the schema check
        pairs = [(pid.signal, o.signal) if as_exporter else (o.signal, pid.signal)
                 for o, _ in others]
        if not any(factory.supports_pair(src, dst) for src, dst in pairs):
            supported = ", ".join(k for k in factory.stability if "->" in k) or "none"
            tried = ", ".join(sorted({f"{s}->{d}" for s, d in pairs}))
            self.error(path, f'connector "{cid}" does not support {tried} '
                             f"(supports: {supported})")

    def _cycles(self) -> None:
        edges: dict[PipelineID, list[tuple[ComponentID, PipelineID]]] = {}
        for cid, outs in self.conn_out.items():
            factory = self.registry.get(Kind.CONNECTOR, cid.type)
            for src, _ in outs:
                for dst, _ in self.conn_in.get(cid, []):
                    if factory is not None and factory.supports_pair(src.signal, dst.signal):
                        edges.setdefault(src, []).append((cid, dst))
        for cycle in _find_cycles(edges):
            self.error(_PIPELINES, f"cycle through connectors: {cycle}")

    def _extensions(self, items: Any) -> None:
        ids: list[ComponentID] = []
        for i, text in enumerate(items if isinstance(items, list) else []):
            path = ("service", "extensions", i)
            if not isinstance(text, str):
                continue
            try:
                cid = ComponentID.parse(text)
            except ValueError as exc:
                self.error(path, str(exc))
                continue
            if cid in ids:
                self.error(path, f'"{cid}" is listed more than once')
            elif cid not in self.defined[Kind.EXTENSION]:
                names = [str(c) for c in self.defined[Kind.EXTENSION]]
                self.error(path, f'references extension "{cid}" which is not configured'
                                 + did_you_mean(str(cid), names))
            else:
                ids.append(cid)
                self.used.add((Kind.EXTENSION, cid))
        self.out.extensions = tuple(ids)

    def _unused(self) -> None:
        for kind, ids in self.defined.items():
            for cid, key in ids.items():
                if (kind, cid) in self.used:
                    continue
                where = ("not enabled in service::extensions" if kind is Kind.EXTENSION
                         else "not used in any pipeline")
                self.out.warnings.append(((kind.section, key),
                                          f'{kind.value} "{cid}" is configured but {where}'))


def _find_cycles(edges: dict[PipelineID, list[tuple[ComponentID, PipelineID]]]) -> list[str]:
    """Each cycle once, as ``traces/a -> [forward] -> traces/b -> [forward] -> traces/a``."""
    found: list[str] = []
    seen: set[frozenset[PipelineID]] = set()
    done: set[PipelineID] = set()

    def visit(node: PipelineID, stack: list[tuple[PipelineID, ComponentID | None]]) -> None:
        stack.append((node, None))
        for cid, nxt in edges.get(node, []):
            stack[-1] = (node, cid)
            members = [n for n, _ in stack]
            if nxt in members:
                loop = stack[members.index(nxt):]
                key = frozenset(n for n, _ in loop)
                if key not in seen:
                    seen.add(key)
                    text = " -> ".join(f"{n} -> [{c}]" for n, c in loop)
                    found.append(f"{text} -> {nxt}")
            elif nxt not in done:
                visit(nxt, stack)
        stack.pop()
        done.add(node)

    for start in sorted(edges, key=str):
        if start not in done:
            visit(start, [])
    return found


def check_service(doc: Mapping[str, Any], registry: Registry) -> ServiceCheck:
    """Resolve and check the service section of an (already schema-checked) document."""
    return _Checker(doc, registry).run(doc)

