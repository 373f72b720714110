"""Severity mapping as the Collector's stanza builds it (pkg/stanza/docs/types/severity.md):
a ``preset`` (``default``: the OpenTelemetry aliases and numbers 1-24 plus ``warning``,
``err`` and their 2-4 forms; ``otel``/``aliases`` without those; ``none``), then
``mapping`` entries: a value, a list, ``{min, max}`` ranges, ``2xx``..``5xx``. Matching is on
the lower-cased text of the value; an unknown value gets severity 0 (unspecified) with the
original text.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SeverityMapping", "SeverityError", "ALIASES", "SHORT_NAMES"]

ALIASES = {name: n for n, name in enumerate(
    ["default"] + [f"{level}{suffix}" for level in ("trace", "debug", "info", "warn", "error",
                                                     "fatal") for suffix in ("", "2", "3", "4")])}
SHORT_NAMES = {n: ("" if n == 0 else name.upper()) for name, n in ALIASES.items()}
_HTTP = {"2xx": (200, 299), "3xx": (300, 399), "4xx": (400, 499), "5xx": (500, 599)}


class SeverityError(ValueError):
    """A mapping that cannot be built, or a value that cannot be read as a severity."""


def _preset(name: str) -> dict[str, int]:
    if name == "none":
        return {}
    mapping = {}
    for alias, number in ALIASES.items():
        if number:
            mapping[alias] = number
            mapping[str(number)] = number
    if name in ("otel", "aliases"):
        return mapping
    if name not in ("", "default"):
        raise SeverityError(f"unknown severity preset {name!r} (default, otel, aliases, none)")
    for base, number in (("warning", 13), ("err", 17)):
        for i, suffix in enumerate(("", "2", "3", "4")):
            mapping[base + suffix] = number + i
    return mapping


def _values(value: Any) -> list[str]:
    if isinstance(value, bool):
        raise SeverityError(f"type bool cannot be parsed as a severity: {value!r}")
    if isinstance(value, int):
        return [str(value)]
    if isinstance(value, str):
        if value in _HTTP:
            low, high = _HTTP[value]
            return [str(i) for i in range(low, high + 1)]
        return [value.lower()]
    if isinstance(value, dict) and set(value) == {"min", "max"} and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value.values()):
        low, high = sorted((value["min"], value["max"]))
        return [str(i) for i in range(low, high + 1)]
    raise SeverityError(f"type {type(value).__name__} cannot be parsed as a severity: "
                        f"{value!r}")


class SeverityMapping:
    """Value -> severity number; ``find`` returns (number, text)."""

    def __init__(self, preset: str = "default", mapping: dict[str, Any] | None = None,
                 overwrite_text: bool = False) -> None:
        self.table = _preset(preset)
        self.overwrite_text = overwrite_text
        for alias, raw in (mapping or {}).items():
            number = ALIASES.get(str(alias).lower())
            if number is None:
                raise SeverityError(f"unknown severity {alias!r} (one of {', '.join(ALIASES)})")
            for value in raw if isinstance(raw, list) else [raw]:
                for text in _values(value):
                    self.table[text] = number

    def find(self, value: Any) -> tuple[int, str]:
        """(severity number, severity text) of ``value``; raises SeverityError for types
        that cannot be severities (maps, lists)."""
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise SeverityError(f"type {type(value).__name__} cannot be parsed as a severity")
        text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
        number = self.table.get(text.lower(), 0)
        if self.overwrite_text:
            return number, SHORT_NAMES[number]
        return number, text
