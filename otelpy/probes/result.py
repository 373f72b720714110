"""What one probe run says: a status, details, and a message when it is not healthy."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["ProbeResult", "Status", "coerce_result", "json_details"]

MAX_DETAILS = 32  # keys kept from one result's details (a custom check may return many)
MAX_TEXT = 512  # characters kept of one string detail or message


class Status(StrEnum):
    """A check's state. ``failed``: the probe itself could not decide (it raised, hung past
    its timeout or returned something that is not a result); ``pending``: not run yet."""

    HEALTHY = "healthy"
    WARNING = "warning"
    CRITICAL = "critical"
    FAILED = "failed"
    PENDING = "pending"

    @property
    def failing(self) -> bool:
        """Critical or failed: the dependency is not usable."""
        return self in (Status.CRITICAL, Status.FAILED)


_RESULT_STATUSES = {Status.HEALTHY.value, Status.WARNING.value, Status.CRITICAL.value}


@dataclass(frozen=True)
class ProbeResult:
    """One run: ``status``, JSON-able ``details`` (numbers become metrics), ``message``."""

    status: Status
    details: Mapping[str, Any] = field(default_factory=dict)
    message: str = ""

    @classmethod
    def failed(cls, message: str, details: Mapping[str, Any] | None = None) -> ProbeResult:
        return cls(Status.FAILED, details or {}, message[:MAX_TEXT])

    @classmethod
    def worst(cls, results: list[tuple[Status, str]], details: Mapping[str, Any]) -> ProbeResult:
        """The worst of ``(status, reason)`` findings (healthy when there are none); the
        reasons of that severity joined as the message."""
        order = [Status.HEALTHY, Status.WARNING, Status.CRITICAL]
        status = max((s for s, _ in results), key=order.index, default=Status.HEALTHY)
        reasons = "; ".join(r for s, r in results if s == status)
        return cls(status, details, reasons[:MAX_TEXT])


def json_details(details: Mapping[str, Any]) -> dict[str, Any]:
    """``details`` bounded and JSON-safe: at most MAX_DETAILS keys, scalars kept (NaN and
    infinities as text), long strings cut, anything else as its bounded ``repr``."""
    out: dict[str, Any] = {}
    for key, value in list(details.items())[:MAX_DETAILS]:
        if isinstance(value, float) and not math.isfinite(value):
            value = str(value)
        elif isinstance(value, str):
            value = value[:MAX_TEXT]
        elif value is not None and not isinstance(value, (bool, int, float)):
            value = _bounded_json(value)
        out[str(key)[:MAX_TEXT]] = value
    return out


def _bounded_json(value: Any, depth: int = 0) -> Any:
    if isinstance(value, (bool, int, str)) or value is None:
        return value[:MAX_TEXT] if isinstance(value, str) else value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if depth < 3 and isinstance(value, Mapping):
        return {str(k)[:MAX_TEXT]: _bounded_json(v, depth + 1)
                for k, v in list(value.items())[:MAX_DETAILS]}
    if depth < 3 and isinstance(value, (list, tuple)):
        return [_bounded_json(v, depth + 1) for v in value[:MAX_DETAILS]]
    return repr(value)[:MAX_TEXT]


def coerce_result(value: object) -> ProbeResult:
    """What a custom check returned, as a result. Accepted: a :class:`ProbeResult`; a status
    string (``"healthy"``, ``"warning"``, ``"critical"``); a mapping with ``status`` and
    optional ``details`` (a mapping) and ``message``. Anything else is a failed result
    saying what came back."""
    if isinstance(value, ProbeResult):
        return value
    if isinstance(value, str) and value in _RESULT_STATUSES:
        return ProbeResult(Status(value))
    if isinstance(value, Mapping):
        status = value.get("status")
        details = value.get("details", {})
        message = value.get("message", "")
        if status in _RESULT_STATUSES and isinstance(details, Mapping) \
                and isinstance(message, str):
            return ProbeResult(Status(status), json_details(details), message[:MAX_TEXT])
    return ProbeResult.failed(
        "the check returned " + repr(value)[:200] + "; expected \"healthy\", \"warning\", "
        "\"critical\" or a mapping with status (one of those), details and message")
