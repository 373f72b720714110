"""Checking a loaded document: structure (JSON Schema), typed component configs
(pydantic and each model's ``validate_config``) and wiring (:mod:`pipelines`).

Every problem is collected and reported at once, each as
``file:line:column: yaml::path: what was expected (got ...)``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from pydantic import BaseModel, ValidationError

from otelpy.component import ComponentID, Kind, PipelineID
from otelpy.config.load import LoadedConfig
from otelpy.config.messages import Finding, from_jsonschema, from_pydantic
from otelpy.config.pipelines import check_service
from otelpy.config.problems import SET_SOURCE, Path, Problem, did_you_mean, sort_problems
from otelpy.config.schema import (
    SchemaWalker,
    accepted_types,
    accepts,
    document_schema,
)
from otelpy.config.service import PipelineConfig, TelemetryConfig
from otelpy.config.types import parse_duration
from otelpy.errors import ConfigError
from otelpy.registry import Registry

_SECTIONS = {kind.section: kind for kind in Kind}
_TELEMETRY: Path = ("service", "telemetry")


@dataclass(frozen=True)
class ValidatedConfig:
    """A config that passed every check, with typed settings per component ID."""

    receivers: dict[ComponentID, BaseModel]
    processors: dict[ComponentID, BaseModel]
    exporters: dict[ComponentID, BaseModel]
    connectors: dict[ComponentID, BaseModel]
    extensions: dict[ComponentID, BaseModel]
    pipelines: dict[PipelineID, PipelineConfig]
    service_extensions: tuple[ComponentID, ...]
    telemetry: TelemetryConfig
    warnings: tuple[str, ...]
    document: dict[str, Any]
    shutdown_timeout: float = 5.0  # seconds; service::shutdown_timeout

    def components(self, kind: Kind) -> dict[ComponentID, BaseModel]:
        """The typed configs of one kind."""
        return dict(getattr(self, kind.section))


def validate(loaded: LoadedConfig, registry: Registry) -> ValidatedConfig:
    """Check ``loaded`` against the registry's components.

    Raises ConfigError listing every problem found; warnings (unused components) do
    not fail validation and are returned in ``warnings``.
    """
    walker = registry.derived.get("schema_walker")
    if walker is None:  # building the schema takes a while: once per registry
        walker = registry.derived["schema_walker"] = SchemaWalker(document_schema(registry))
    doc = _coerce_originals(copy.deepcopy(loaded.document), loaded.originals, walker)
    run = _Run(loaded, registry, walker, doc)
    run.check_structure()
    typed = {kind: run.check_components(kind) for kind in Kind}
    telemetry = run.check_model(TelemetryConfig, _TELEMETRY, _at(doc, _TELEMETRY))
    if isinstance(telemetry, TelemetryConfig):
        run.warnings += [loaded_problem(loaded, _TELEMETRY + _path(rel), m)
                         for rel, m in telemetry.config_warnings()]
    service = check_service(doc, registry)
    run.add(service.errors)
    if run.problems:
        raise ConfigError(sort_problems(run.problems, [*loaded.sources, SET_SOURCE]))
    warnings = run.warnings + [loaded_problem(loaded, p, m) for p, m in service.warnings]
    return ValidatedConfig(
        receivers=typed[Kind.RECEIVER],
        processors=typed[Kind.PROCESSOR],
        exporters=typed[Kind.EXPORTER],
        connectors=typed[Kind.CONNECTOR],
        extensions=typed[Kind.EXTENSION],
        pipelines=service.pipelines,
        service_extensions=service.extensions,
        telemetry=telemetry if isinstance(telemetry, TelemetryConfig) else TelemetryConfig(),
        warnings=tuple(sort_problems(warnings, [*loaded.sources, SET_SOURCE])),
        document=doc,
        shutdown_timeout=_shutdown_timeout(doc),
    )


def _shutdown_timeout(doc: dict[str, Any]) -> float:
    """``service::shutdown_timeout`` in seconds (the schema already checked its form)."""
    value = _at(doc, ("service", "shutdown_timeout"))
    return 5.0 if value is None else parse_duration(value)


def loaded_problem(loaded: LoadedConfig, path: Path, message: str) -> Problem:
    return Problem(loaded.position(path), path, message)


def _path(rel: tuple[str, ...]) -> Path:
    return tuple(int(k) if k.isdigit() else k for k in rel)


def _at(doc: Any, path: Path) -> Any:
    for key in path:
        if isinstance(doc, list) and isinstance(key, int):
            doc = doc[key] if 0 <= key < len(doc) else None
        elif isinstance(doc, dict):
            doc = doc.get(key)
        else:
            return None
    return doc


class _Run:
    """One validation pass. Schema findings about a typed component are held until its
    model has been validated: where both find something at the same place, the model's
    message (sharper) is kept; the schema's findings elsewhere are kept too."""

    def __init__(self, loaded: LoadedConfig, registry: Registry, walker: SchemaWalker,
                 doc: dict[str, Any]) -> None:
        self.loaded = loaded
        self.registry = registry
        self.walker = walker
        self.doc = doc
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.held: dict[Path, list[Finding]] = {}  # schema findings per component path

    def add(self, findings: list[Finding]) -> None:
        self.problems += [loaded_problem(self.loaded, p, m) for p, m in findings]

    def check_structure(self) -> None:
        validator = Draft202012Validator(self.walker.root)
        for err in validator.iter_errors(self.doc):
            for path, message in from_jsonschema(err, self._unknown_key):
                owner = self._owner(path)
                if owner is None:
                    self.add([(path, message)])
                else:
                    self.held.setdefault(owner, []).append((path, message))

    def _owner(self, path: Path) -> Path | None:
        """The component (or telemetry) path a finding belongs to, if it is typed."""
        if path[:2] == _TELEMETRY:
            return _TELEMETRY
        if len(path) >= 2 and path[0] in _SECTIONS and isinstance(path[1], str):
            try:
                cid = ComponentID.parse(path[1])
            except ValueError:
                return None
            if self.registry.get(_SECTIONS[str(path[0])], cid.type) is not None:
                return path[:2]
        return None

    def check_components(self, kind: Kind) -> dict[ComponentID, BaseModel]:
        section = self.doc.get(kind.section)
        typed: dict[ComponentID, BaseModel] = {}
        for key, value in (section.items() if isinstance(section, dict) else ()):
            try:
                cid = ComponentID.parse(key)
            except ValueError:
                continue
            config_type = self.registry.config_type(kind, cid.type)
            if config_type is None:
                continue
            self._deprecation(kind, cid, (kind.section, key))
            model = self.check_model(config_type, (kind.section, key), value)
            if model is not None:
                typed[cid] = model
        return typed

    def _deprecation(self, kind: Kind, cid: ComponentID, path: Path) -> None:
        """A warning when ``cid`` uses a deprecated type or a deprecated alias."""
        alias = self.registry.alias(kind, cid.type)
        factory = self.registry.get(kind, cid.type)
        message = alias.deprecated if alias is not None else factory.deprecated if factory else ""
        if message:
            self.warnings.append(loaded_problem(self.loaded, path, message))

    def check_model(self, model_type: type[BaseModel], path: Path, value: Any) -> BaseModel | None:
        """Validate one typed config; None (and problems recorded) when it is invalid."""
        held = self.held.pop(path, [])
        try:
            model = model_type.model_validate({} if value is None else value)
        except ValidationError as exc:
            typed = from_pydantic(exc.errors(include_url=False), path, value, self.walker)
            self.add(typed + _not_covered(held, typed))
            return None
        if held:  # the schema is stricter than the model (e.g. "yes" for a boolean)
            self.add(held)
            return None
        rules = getattr(model, "validate_config", None)
        messages = rules() if callable(rules) else []
        self.add([self._rule_finding(path, value, m) for m in messages])
        return None if messages else model

    def _rule_finding(self, root: Path, value: Any, message: str) -> Finding:
        """A ``validate_config`` message; ``key: text`` or ``a::b: text`` is placed at that key."""
        head, sep, rest = message.partition(": ")
        if sep and head and " " not in head:
            rel = _list_indexes(value, tuple(head.replace(".", "::").split("::")))
            if _at(value, rel) is not None or (isinstance(value, dict) and rel[0] in value):
                return (root + rel, rest)
        return (root, message)

    def _unknown_key(self, path: Path, key: str, known: list[str]) -> str:
        if path == ():
            return f'unknown top-level section "{key}"' + did_you_mean(key, known)
        if len(path) == 1 and path[0] in _SECTIONS:
            return self._unknown_component(_SECTIONS[str(path[0])], key)
        if path == ("service", "pipelines"):
            signal = key.partition("/")[0]
            return (f'invalid pipeline ID "{key}": must be traces, metrics or logs, optionally '
                    "followed by /name" + did_you_mean(signal, ["traces", "metrics", "logs"]))
        return f'unknown key "{key}"' + did_you_mean(key, known)

    def _unknown_component(self, kind: Kind, key: str) -> str:
        type_ = key.partition("/")[0]
        if self.registry.get(kind, type_) is not None:  # type known, name malformed
            return f'invalid component ID "{key}": expected "{type_}" or "{type_}/<name>"'
        try:
            cid = ComponentID.parse(key)
        except ValueError as exc:
            return str(exc)
        names = self.registry.type_names(kind)
        message = f'unknown {kind.value} type "{cid.type}"' + did_you_mean(cid.type, names)
        other = [k.value for k in Kind if k is not kind and self.registry.get(k, cid.type)]
        if other:
            message += f' ("{cid.type}" is a {other[0]}; it belongs under {other[0]}s)'
        return message


def _list_indexes(doc: Any, rel: tuple[str, ...]) -> Path:
    """``("statements", "2")`` -> ``("statements", 2)`` where the value there is a list,
    so a message about a list element is placed at the element's line."""
    out: list[str | int] = []
    for part in rel:
        if isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            out.append(int(part))
            doc = doc[int(part)]
        else:
            out.append(part)
            doc = doc.get(part) if isinstance(doc, dict) else None
    return tuple(out)


def _not_covered(schema_findings: list[Finding], typed: list[Finding]) -> list[Finding]:
    """Schema findings about paths the model's findings do not already cover."""
    def related(a: Path, b: Path) -> bool:
        n = min(len(a), len(b))
        return a[:n] == b[:n]

    return [(p, m) for p, m in schema_findings if not any(related(p, q) for q, _ in typed)]


def _coerce_originals(doc: dict[str, Any], originals: Mapping[Path, str],
                      walker: SchemaWalker) -> dict[str, Any]:
    """Give string-typed fields the raw text of a whole-value reference (``${env:X}`` with
    X=0123 stays "0123" for a string field, becomes 83 for an integer field)."""
    for path, raw in originals.items():
        if not path:
            continue
        parent = _at(doc, path[:-1])
        key = path[-1]
        if isinstance(parent, dict) and key in parent:
            value = parent[key]
        elif isinstance(parent, list) and isinstance(key, int) and key < len(parent):
            value = parent[key]
        else:
            continue
        schemas = walker.at(path)
        types = accepted_types(schemas) if schemas else None
        if types is None or "string" not in types:
            continue
        if isinstance(value, str) or not accepts(types, value):
            parent[key] = raw
    return doc
