"""Building blocks of component config models: the base model, durations, secrets.

Every component config is a :class:`ConfigModel`: frozen, unknown keys forbidden,
and a description on every field (the JSON Schema and the README tables are
generated from them).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainSerializer,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema


class ConfigModel(BaseModel):
    """Base of every component config model."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    def validate_config(self) -> list[str]:
        """Cross-field rules; returns problems as messages naming YAML keys (empty = valid)."""
        return []


class EmptyConfig(ConfigModel):
    """For components with no settings."""


_DURATION_RE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0,
                 "h": 3600.0}
DURATION_PATTERN = r"^(0|([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))+$"


#: Go's time.Duration is int64 nanoseconds: the longest duration the Collector accepts.
MAX_DURATION_SECONDS = (2**63 - 1) / 1e9
_MAX_DURATION_TEXT = "2562047h47m16.854775807s"


def _bounded(seconds: float, value: Any) -> float:
    if not seconds <= MAX_DURATION_SECONDS:  # also refuses nan
        raise ValueError(f"duration {value!r} is out of range: the longest is "
                         f"{_MAX_DURATION_TEXT} (Go's time.Duration)")
    return seconds


GRPC_INT_MAX = 2**31 - 1


def grpc_channel_args(options: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """grpc channel arguments with integers capped at grpc core's C ``int`` maximum.

    Go's grpc takes these as int64 durations and sizes; grpc core stores them in a C int,
    where the maximum already means "no limit" (about 24.8 days for a ``*_ms`` option), so a
    larger value the Collector accepts keeps its meaning instead of overflowing at start.
    """
    return [(name, min(value, GRPC_INT_MAX))
            if isinstance(value, int) and not isinstance(value, bool) else (name, value)
            for name, value in options]


def parse_duration(value: Any) -> float:
    """Go duration syntax ("200ms", "1m30s", "0") or a number of seconds -> seconds.

    Raises ValueError for anything else, including negative durations and durations
    longer than Go's time.Duration holds (:data:`MAX_DURATION_SECONDS`).
    """
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 200ms, 5s or 1m30s")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return _bounded(float(value), value)
    if not isinstance(value, str):
        raise ValueError("expected a duration such as 200ms, 5s or 1m30s")
    text = value.strip()
    if text == "0":
        return 0.0
    pos, total = 0, 0.0
    for m in _DURATION_RE.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
        pos = m.end()
    if pos != len(text) or not text:
        raise ValueError(f"invalid duration {value!r}: expected e.g. 200ms, 5s or 1m30s")
    return _bounded(total, value)


def format_duration(seconds: float) -> str:
    """Seconds -> the shortest Go-style string ("200ms", "5s", "1m30s")."""
    if seconds == 0:
        return "0s"
    if seconds < 1:
        ms = seconds * 1000
        return f"{ms:g}ms" if ms >= 1 else f"{seconds * 1e6:g}us"
    m, s = divmod(seconds, 60)
    if m and s == 0:
        return f"{m:g}m"
    return f"{m:g}m{s:g}s" if m else f"{s:g}s"


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({
        "anyOf": [
            {"type": "string", "pattern": DURATION_PATTERN},
            {"type": "number", "minimum": 0},
        ],
        "description": "duration: Go syntax (200ms, 5s, 1m30s) or seconds as a number",
    }),
]


def _extension_id(value: str) -> str:
    from otelpy.component import ComponentID  # the component module imports this one

    ComponentID.parse(value)  # ValueError names the problem
    return value


#: A component ID naming an extension (``file_storage/queue``, ``basicauth``), checked for
#: syntax at load; whether it runs is checked when the component starts.
ExtensionID = Annotated[str, AfterValidator(_extension_id)]


class Secret:
    """A string that never shows itself: repr, str, logs and print-config show ``[REDACTED]``.

    The JSON Schema of a Secret field carries ``"x-otelpy-secret": true`` so tools
    (print-config, the status API) can redact the raw document too.
    """

    __slots__ = ("_value",)
    REDACTED = "[REDACTED]"

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself: call only where it is sent to its destination."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({self.REDACTED!r})"

    def __str__(self) -> str:
        return self.REDACTED

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def to_secret(v: Any) -> Secret:
            if isinstance(v, Secret):
                return v
            if isinstance(v, (str, int, float)) and not isinstance(v, bool):
                return Secret(str(v))
            raise ValueError("expected a string")

        return core_schema.no_info_plain_validator_function(
            to_secret,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda s: cls.REDACTED
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "x-otelpy-secret": True}
