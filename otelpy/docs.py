"""Config tables for component READMEs, generated from the config models.

Each component README holds its table between the markers below.
``python -m otelpy.docs`` rewrites every README in place; a test checks that
none is stale.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

BEGIN = "<!-- BEGIN CONFIG TABLE -->"
END = "<!-- END CONFIG TABLE -->"
COMPONENTS_BEGIN = "<!-- BEGIN COMPONENTS TABLE -->"
COMPONENTS_END = "<!-- END COMPONENTS TABLE -->"
_KIND_ORDER = ("receiver", "processor", "exporter", "connector", "extension")
ROOT = Path(__file__).resolve().parent.parent


def _type_of(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in prop:
        return "object"
    if "anyOf" in prop:
        kinds = [_type_of(p, defs) for p in prop["anyOf"]]
        if any("pattern" in p and "ms" in p.get("pattern", "") for p in prop["anyOf"]):
            return "duration"
        return " \\| ".join(dict.fromkeys(k for k in kinds if k != "null"))
    if prop.get("x-otelpy-secret"):
        return "secret"
    if "enum" in prop:
        return " \\| ".join(f"`{v}`" for v in prop["enum"])
    t = prop.get("type", "any")
    if t == "array":
        return f"list of {_type_of(prop.get('items', {}), defs)}"
    return str(t)


def _default(model: type[BaseModel], name: str) -> str:
    field = model.model_fields[name]
    if field.is_required():
        return "required"
    try:
        value = model().model_dump(mode="json", by_alias=True)
    except ValueError:  # cross-field rules refuse the bare defaults: show them anyway
        value = model.model_construct().model_dump(mode="json", by_alias=True)
    key = field.alias or name
    if key not in value or value[key] is None:
        return ""
    v = value[key]
    if isinstance(v, dict):
        return "see below" if v else "{}"
    return f"`{json.dumps(v) if not isinstance(v, str) else v}`"


def _rows(model: type[BaseModel], prefix: str = "",
          seen: tuple[type[BaseModel], ...] = ()) -> list[str]:
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    if "properties" not in schema and "$ref" in schema:  # a recursive model
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    rows = []
    for name, field in model.model_fields.items():
        key = prefix + (field.alias or name)
        prop = schema["properties"][field.alias or name]
        desc = (field.description or "").replace("|", "\\|").replace("\n", " ")
        rows.append(f"| `{key}` | {_type_of(prop, defs)} | {_default(model, name)} | {desc} |")
        sub = _submodel(field.annotation)
        if sub is not None and sub not in seen and sub is not model:
            rows.extend(_rows(sub, key + ".", (*seen, model)))
    return rows


def _submodel(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def config_table(model: type[BaseModel]) -> str:
    """The markdown table of every key of ``model`` (nested keys dotted)."""
    head = ["| key | type | default | description |", "| --- | --- | --- | --- |"]
    return "\n".join(head + _rows(model))


def readme_path(module: str) -> Path:
    mod = importlib.import_module(module)
    return Path(mod.__file__ or "").parent / "README.md"


def render(readme: str, model: type[BaseModel]) -> str:
    """``readme`` with the table between the markers replaced; ValueError if none."""
    start, end = readme.find(BEGIN), readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README has no {BEGIN} ... {END} block")
    return readme[: start + len(BEGIN)] + "\n" + config_table(model) + "\n" + readme[end:]


def components_table() -> str:
    """The README's table of built-in component types: the Collector's names, aliases,
    kind and signals, one row per type, in kind order."""
    from otelpy.registry import BUILTIN

    rows = []
    for module in BUILTIN:
        f = importlib.import_module(module).factory
        folder = readme_path(module).parent.relative_to(ROOT).as_posix()
        aliases = ", ".join(f"`{a.name}`" + (" (deprecated)" if a.deprecated else "")
                            for a in f.aliases) or "—"
        signals = ", ".join(str(s) for s in sorted(f.signals(), key=_signal_order)) or "—"
        if str(f.kind) == "connector":
            signals = ", ".join(f.stability)
        name = f"`{f.type}`" + (" (deprecated, no-op)" if f.deprecated else "")
        rows.append((_KIND_ORDER.index(str(f.kind)), f.type,
                     f"| {f.kind} | {name} | {aliases} | {signals} | "
                     f"[{folder}]({folder}/README.md) |"))
    head = ["| kind | type | also accepted as | signals | README |",
            "| --- | --- | --- | --- | --- |"]
    return "\n".join(head + [r[2] for r in sorted(rows)])


def _signal_order(signal: object) -> int:
    return ("traces", "metrics", "logs").index(str(signal))


def _render_components(readme: str) -> str:
    start, end = readme.find(COMPONENTS_BEGIN), readme.find(COMPONENTS_END)
    if start < 0 or end < start:
        raise ValueError(f"README.md has no {COMPONENTS_BEGIN} ... {COMPONENTS_END} block")
    return (readme[: start + len(COMPONENTS_BEGIN)] + "\n" + components_table() + "\n"
            + readme[end:])


def main(argv: list[str]) -> int:
    from otelpy.registry import BUILTIN

    check = "--check" in argv
    stale = []
    for module in BUILTIN:
        path = readme_path(module)
        factory = importlib.import_module(module).factory
        if not path.exists():
            stale.append(f"{path}: missing")
            continue
        text = path.read_text()
        new = render(text, factory.config_type)
        if new != text:
            if check:
                stale.append(f"{path}: stale config table")
            else:
                path.write_text(new)
    top = ROOT / "README.md"
    text = top.read_text()
    new_top = _render_components(text)
    if new_top != text:
        if check:
            stale.append(f"{top}: stale components table")
        else:
            top.write_text(new_top)
    for line in stale:
        print(line, file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
