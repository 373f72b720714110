"""The JSON Schema (draft 2020-12) of a whole config document, and walking it by path.

The schema is assembled from the registered factories' pydantic config models, so
each key has one source of truth. Every model's own ``$defs`` are hoisted into the
document's ``$defs`` under a per-component prefix (``receiver.otlp.TLSConfig``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from pydantic.errors import PydanticInvalidForJsonSchema

from otelpy.component import Kind
from otelpy.config.problems import Path
from otelpy.config.service import TelemetryConfig, service_schema
from otelpy.registry import Registry

log = logging.getLogger(__name__)

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "urn:otelpy:config"
TELEMETRY_DEF = "service.telemetry"
_COMBINATORS = ("$ref", "anyOf", "oneOf", "allOf")


def id_pattern(type_: str) -> str:
    """The key pattern for component IDs of one type: ``type`` or ``type/name``."""
    return "^" + re.escape(type_) + r"(/[^\s/].*)?$"


def def_name(kind: Kind, type_: str) -> str:
    """The ``$defs`` entry of a component type's config, e.g. ``receiver.otlp``."""
    return f"{kind.value}.{type_}"


def _hoist(model: type[BaseModel], name: str, defs: dict[str, Any]) -> None:
    """Put ``model``'s schema at ``defs[name]`` and its own defs at ``defs[name.X]``."""
    try:
        schema = model.model_json_schema(by_alias=True, ref_template=f"#/$defs/{name}.{{model}}")
    except PydanticInvalidForJsonSchema as exc:
        log.warning("config model %s has no JSON Schema (%s); accepting any mapping",
                    model.__qualname__, exc)
        defs[name] = {"type": "object", "description": f"{model.__qualname__} (unchecked)"}
        return
    for sub, body in schema.pop("$defs", {}).items():
        defs[f"{name}.{sub}"] = body
    defs[name] = schema


def _component_ref(def_key: str) -> dict[str, Any]:
    return {"anyOf": [{"$ref": f"#/$defs/{def_key}"}, {"type": "null"}]}


def document_schema(registry: Registry) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a whole otelpy config for the given registry."""
    defs: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    for kind in Kind:
        patterns: dict[str, Any] = {}
        for factory in registry.of_kind(kind):
            name = def_name(kind, factory.type)
            _hoist(factory.config_type, name, defs)
            patterns[id_pattern(factory.type)] = _component_ref(name)
            for alias in factory.aliases:
                alias_name = name
                if alias.config_type is not None:
                    alias_name = def_name(kind, alias.name)
                    _hoist(alias.config_type, alias_name, defs)
                patterns[id_pattern(alias.name)] = _component_ref(alias_name)
        properties[kind.section] = {
            "type": ["object", "null"],
            "description": f"{kind.value} configurations by ID (type or type/name)",
            "patternProperties": patterns,
            "additionalProperties": False,
        }
    _hoist(TelemetryConfig, TELEMETRY_DEF, defs)
    properties["service"] = service_schema(f"#/$defs/{TELEMETRY_DEF}")
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": SCHEMA_ID,
        "title": "otelpy configuration",
        "description": "receivers, processors, exporters, connectors and extensions by ID, "
        "wired into pipelines under service",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "$defs": defs,
    }


class SchemaWalker:
    """Finds the subschemas that apply at a document path (``$ref`` and combinators
    flattened), for messages, string coercion and redaction."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.defs: Mapping[str, Any] = root.get("$defs", {})

    def flatten(self, schema: Mapping[str, Any], depth: int = 0) -> list[Mapping[str, Any]]:
        """``schema`` and every alternative reachable through $ref/anyOf/oneOf/allOf."""
        if depth > 30:
            return []
        out = [schema]
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = self.defs.get(ref[len("#/$defs/"):])
            if isinstance(target, Mapping):
                out += self.flatten(target, depth + 1)
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in schema.get(key, ()):
                out += self.flatten(sub, depth + 1)
        return out

    def child(self, schemas: list[Mapping[str, Any]], key: str | int) -> list[Mapping[str, Any]]:
        found: list[Mapping[str, Any]] = []
        for s in schemas:
            if isinstance(key, int):
                prefix = s.get("prefixItems", ())
                sub = prefix[key] if key < len(prefix) else s.get("items")
            else:
                sub = s.get("properties", {}).get(key)
                if sub is None:
                    sub = next((v for p, v in s.get("patternProperties", {}).items()
                                if re.search(p, key)), None)
                if sub is None and isinstance(s.get("additionalProperties"), Mapping):
                    sub = s["additionalProperties"]
            if isinstance(sub, Mapping):
                found += self.flatten(sub)
        return found

    def at(self, path: Path) -> list[Mapping[str, Any]]:
        """Every subschema that may apply at ``path`` (empty if the path is unknown)."""
        schemas = self.flatten(self.root)
        for key in path:
            schemas = self.child(schemas, key)
            if not schemas:
                break
        return schemas

    def property_names(self, path: Path) -> list[str]:
        """Keys a mapping at ``path`` may have, for did-you-mean hints."""
        names: list[str] = []
        for s in self.at(path):
            names += [k for k in s.get("properties", {}) if k not in names]
        return names


def accepted_types(schemas: list[Mapping[str, Any]]) -> set[str] | None:
    """JSON types the schemas accept; None when some alternative accepts anything."""
    types: set[str] = set()
    for s in schemas:
        if any(k in s for k in _COMBINATORS):
            continue
        t = s.get("type")
        if isinstance(t, str):
            types.add(t)
        elif isinstance(t, list):
            types.update(str(x) for x in t)
        elif "enum" in s or "const" in s:
            values = s.get("enum", [s.get("const")])
            types.update(json_type(v) for v in values)
        else:
            return None
    return types


def json_type(value: Any) -> str:
    """The JSON Schema type name of a Python value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


def accepts(types: set[str], value: Any) -> bool:
    t = json_type(value)
    return t in types or (t == "integer" and "number" in types)
