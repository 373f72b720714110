"""String lists that also accept one string, as the Collector's config decoder does.

The Collector decodes with mapstructure's ``StringToSliceHookFunc(",")``: where a
``[]string`` is expected, a string is split on commas (``"a,b"`` -> ``["a", "b"]``,
no trimming) and ``""`` is an empty list. Only string lists get this; lists of component
IDs (pipelines) or of objects do not. Config models use :data:`StringList` for every key
that is a ``[]string`` in the Collector, and the JSON Schema accepts a string there too.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

__all__ = ["StringList", "split_scalar"]


def split_scalar(value: Any) -> Any:
    """A string -> its comma-separated parts ("" -> []); anything else unchanged."""
    if isinstance(value, str):
        return [] if value == "" else value.split(",")
    return value


StringList = Annotated[
    list[str],
    BeforeValidator(split_scalar),
    WithJsonSchema({
        "anyOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "string", "description": "one string: split on commas, as the Collector "
                                              "does (\"a,b\" is [a, b])"},
        ],
    }),
]
