"""Turning jsonschema and pydantic findings into messages a config author can act on.

Each finding becomes ``(yaml path, message)``; the message says what was expected,
what was found, and the closest valid name when a key or type looks misspelt.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from jsonschema.exceptions import ValidationError, best_match
from pydantic_core import ErrorDetails

from otelpy.config.problems import Path, did_you_mean, show
from otelpy.config.redact import REDACTED, is_secret_key, redact_url_userinfo
from otelpy.config.schema import SchemaWalker
from otelpy.config.types import DURATION_PATTERN

Finding = tuple[Path, str]
UnknownKey = Callable[[Path, str, list[str]], str]

_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "nothing (null)",
}
DURATION_EXPECTED = "expected a duration such as 200ms, 5s or 1m30s"
_PYDANTIC_TYPES = {
    "int_type": "an integer", "int_parsing": "an integer", "int_from_float": "an integer",
    "float_type": "a number", "float_parsing": "a number",
    "bool_type": "true or false", "bool_parsing": "true or false",
    "string_type": "a string", "list_type": "a list", "tuple_type": "a list",
    "dict_type": "a mapping", "model_type": "a mapping", "model_attributes_type": "a mapping",
}
_PYDANTIC_BOUNDS = {"greater_than_equal": ">=", "less_than_equal": "<=", "greater_than": ">",
                    "less_than": "<", "multiple_of": "that is a multiple of"}


def describe_types(types: Any) -> str:
    names = [types] if isinstance(types, str) else list(types)
    words = [_TYPE_WORDS.get(t, t) for t in names if t != "null"] or ["nothing (null)"]
    return " or ".join(words)


def is_duration(schemas: list[Mapping[str, Any]]) -> bool:
    """True when one of the schemas is the Duration type's."""
    return any(s.get("pattern") == DURATION_PATTERN for s in schemas)


def _secret_schema(schema: Any) -> bool:
    if not isinstance(schema, Mapping):
        return False
    if schema.get("x-otelpy-secret") is True:
        return True
    return any(_secret_schema(s) for s in (*schema.get("anyOf", ()), *schema.get("oneOf", ())))


def visible(value: Any, path: Path, schemas: list[Mapping[str, Any]]) -> Any:
    """``value`` as a message may show it: ``[REDACTED]`` where a secret belongs (a Secret
    field, or a key named like password/token/authorization), URL passwords hidden."""
    if value is None or value == "" or isinstance(value, bool):
        return value
    keys = [p for p in path if isinstance(p, str)]
    if (keys and is_secret_key(keys[-1])) or any(_secret_schema(s) for s in schemas):
        return REDACTED
    return _without_url_passwords(value)


def _without_url_passwords(value: Any) -> Any:
    if isinstance(value, str):
        return redact_url_userinfo(value)
    if isinstance(value, list):
        return [_without_url_passwords(v) for v in value]
    if isinstance(value, dict):
        return {k: _without_url_passwords(v) for k, v in value.items()}
    return value


def _enum_message(allowed: list[Any], got: Any) -> str:
    message = f"expected one of {', '.join(show(v) for v in allowed)} (got {show(got)})"
    if isinstance(got, str):
        message += did_you_mean(got, [str(v) for v in allowed])
    return message


def from_jsonschema(err: ValidationError, unknown_key: UnknownKey) -> list[Finding]:
    """Findings for one jsonschema error (an ``additionalProperties`` error gives one
    finding per unexpected key)."""
    path: Path = tuple(err.absolute_path)
    kind, schema = err.validator, err.schema
    value: Any = err.validator_value
    got = visible(err.instance, path, [schema] if isinstance(schema, Mapping) else [])
    if kind == "additionalProperties" and isinstance(got, dict) and isinstance(schema, dict):
        known = list(schema.get("properties", {}))
        patterns = list(schema.get("patternProperties", {}))
        extras = [k for k in got if k not in known and not any(re.search(p, k) for p in patterns)]
        return [(path + (k,), unknown_key(path, k, known)) for k in extras]
    if kind == "required" and isinstance(got, dict):
        return [(path + (k,), f'missing required key "{k}"') for k in value if k not in got]
    if kind == "type":
        return [(path, f"expected {describe_types(value)} (got {show(got)})")]
    if kind == "enum":
        return [(path, _enum_message(list(value), got))]
    if kind == "const":
        return [(path, f"expected {show(value)} (got {show(got)})")]
    if kind == "pattern":
        if value == DURATION_PATTERN:
            return [(path, f"{DURATION_EXPECTED} (got {show(got)})")]
        return [(path, f"expected a string matching {value} (got {show(got)})")]
    if kind in ("anyOf", "oneOf"):
        return _from_alternatives(err, path, unknown_key)
    bounds = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}
    if kind in bounds:
        return [(path, f"expected a value {bounds[kind]} {value} (got {show(got)})")]
    return [(path, err.message)]


def _from_alternatives(err: ValidationError, path: Path, unknown_key: UnknownKey) -> list[Finding]:
    options: Any = err.validator_value
    alternatives = [a for a in options if isinstance(a, dict)]
    if any(a.get("pattern") == DURATION_PATTERN for a in alternatives) or any(
        is_duration([s]) for a in alternatives for s in a.get("anyOf", [])
    ):
        return [(path, f"{DURATION_EXPECTED} (got {show(visible(err.instance, path, []))})")]
    nulls = {i for i, a in enumerate(options) if isinstance(a, dict) and a.get("type") == "null"}
    if err.instance is not None and len(options) - len(nulls) == 1:
        # "X or null" holding a value: every finding about X, not just the most relevant one
        found: list[Finding] = []
        for e in err.context:
            if not (e.relative_schema_path and e.relative_schema_path[0] in nulls):
                found += from_jsonschema(e, unknown_key)
        if found:
            return found
    context = [e for e in err.context
               if not (e.validator == "type" and e.validator_value == "null")]
    if context:
        return from_jsonschema(best_match(context), unknown_key)
    return [(path, err.message)]


def from_pydantic(
    errors: list[ErrorDetails], root: Path, value: Any, walker: SchemaWalker
) -> list[Finding]:
    """Findings for a model's validation errors; ``value`` is the YAML value validated at
    ``root``, used to map pydantic's locations back to YAML keys."""
    out: list[Finding] = []
    for e in errors:
        rel = _yaml_loc(e["loc"], value, e["type"] == "missing")
        path = root + rel
        out.append((path, _pydantic_message(e, path, walker)))
    return out


def _yaml_loc(loc: tuple[int | str, ...], value: Any, missing: bool) -> Path:
    """Keep the loc elements that are keys/indexes of the document (drops union tags)."""
    out: list[str | int] = []
    cur = value
    for i, el in enumerate(loc):
        if isinstance(cur, dict) and isinstance(el, str) and el in cur:
            out.append(el)
            cur = cur[el]
        elif isinstance(cur, list) and isinstance(el, int) and 0 <= el < len(cur):
            out.append(el)
            cur = cur[el]
        elif missing and i == len(loc) - 1 and isinstance(el, str):
            out.append(el)
    return tuple(out)


def _pydantic_message(e: ErrorDetails, path: Path, walker: SchemaWalker) -> str:
    kind = e["type"]
    key = str(path[-1]) if path else ""
    if kind == "extra_forbidden":
        return f'unknown key "{key}"' + did_you_mean(key, walker.property_names(path[:-1]))
    if kind == "missing":
        return f'missing required key "{key}"'
    schemas = walker.at(path)
    got = visible(e.get("input"), path, schemas)
    if is_duration(schemas) and kind in ("value_error", "float_parsing", "float_type"):
        if "out of range" in str(e.get("msg")):
            return str(e["msg"]).removeprefix("Value error, ")
        return f"{DURATION_EXPECTED} (got {show(got)})"
    if kind in ("literal_error", "enum"):
        allowed = [v for s in schemas for v in s.get("enum", ())] or None
        if allowed is not None:
            return _enum_message(allowed, got)
    if kind in _PYDANTIC_TYPES:
        return f"expected {_PYDANTIC_TYPES[kind]} (got {show(got)})"
    ctx = e.get("ctx") or {}
    if kind in _PYDANTIC_BOUNDS and len(ctx) == 1:
        bound = next(iter(ctx.values()))
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)
        return f"expected a value {_PYDANTIC_BOUNDS[kind]} {bound} (got {show(got)})"
    msg = e["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix):]
    if msg.startswith("Input should be "):
        msg = "expected " + msg[len("Input should be "):]
    return f"{msg} (got {show(got)})"
