"""Label values from OTLP attribute values, escaping, and rendered label sets.

Values are converted as the Collector's ``pcommon.Value.AsString`` does: strings as they are,
booleans ``true``/``false``, integers in decimal, doubles in ECMAScript number form
(``1.5``, ``1e+21``, ``1e-7``), bytes as base64, arrays and maps as compact JSON.
A label set renders as ``{name="value",...}`` sorted by name (``""`` when empty), with
``\\``, ``"`` and newlines escaped as both exposition formats require.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterable

from otelpy.pdata.values import Value

__all__ = ["escape_help", "escape_value", "label_value", "labels_key", "render_labels"]


def label_value(value: Value) -> str:
    """The label value of an attribute value."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _es6(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if value is None:
        return ""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_json_default)


def _json_default(value: object) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"no JSON form for {type(value).__name__}")


def _es6(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        return repr(value)
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    magnitude = abs(value)
    if magnitude < 1e-6 or magnitude >= 1e21:
        mantissa, _, exp = f"{value!r}".partition("e")
        if not exp:
            mantissa, _, exp = f"{value:e}".partition("e")
        sign = "-" if exp.startswith("-") else "+"
        return f"{mantissa.removesuffix('.0')}e{sign}{int(exp.lstrip('+-'))}"
    text = repr(value)
    if "e" in text:  # repr uses an exponent from 1e16; ES6 only from 1e21
        text = format(value, "f").rstrip("0").rstrip(".")
    return text


def escape_value(value: str) -> str:
    """A label value escaped for both exposition formats."""
    if "\\" in value or '"' in value or "\n" in value:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return value


def escape_help(text: str, openmetrics: bool) -> str:
    """HELP text escaped: backslash and newline (and the double quote in OpenMetrics)."""
    text = text.replace("\\", "\\\\").replace("\n", "\\n")
    return text.replace('"', '\\"') if openmetrics else text


def render_labels(pairs: Iterable[tuple[str, str]]) -> str:
    """``{a="1",b="2"}`` from (name, value) pairs, sorted by name; ``""`` when empty."""
    ordered = sorted(pairs)
    if not ordered:
        return ""
    return "{" + ",".join(f'{name}="{escape_value(value)}"' for name, value in ordered) + "}"


def labels_key(pairs: Iterable[tuple[str, str]], prefix: str = "") -> str:
    """A compact identity of a label set, equal for equal sets whatever their order and
    for nothing else (each name and value written after its length, so no content can
    forge a separator); ``prefix`` (a metric name) is written the same way first. A str:
    its hash is cached, and it costs about a fifth of a frozenset of the pairs."""
    parts = [f"{len(prefix)}:{prefix}"]
    for name, value in sorted(pairs):
        parts.append(f"{len(name)}:{name}{len(value)}:{value}")
    return "".join(parts)
