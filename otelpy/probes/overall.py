"""Per-check states and the overall status, in the shape of the spec's ``run_all_checks()``
answer.

Rules (table-tested in tests/probes/test_overall.py):

* a *critical failure* is a check with ``critical: true`` whose status is critical or
  failed, or that has not reported yet (pending): a readiness probe waits for the
  first results of the dependencies it cannot run without;
* ``overall_status`` is ``critical`` when critical failures >= ``critical_failure_threshold``;
* else ``warning`` when the checks that are warning, critical or failed (critical ones
  below their threshold included) number >= ``warning_failure_threshold``;
* else ``healthy`` — a lone warning under the threshold leaves the whole healthy, as in
  the spec's example answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from otelpy.probes.result import Status

__all__ = ["CheckState", "Thresholds", "overall_status", "report", "rfc3339"]


@dataclass(frozen=True)
class Thresholds:
    critical_failure_threshold: int = 1
    warning_failure_threshold: int = 3


@dataclass
class CheckState:
    """The latest of one check, as the overall report shows it."""

    name: str
    type: str
    critical: bool
    status: Status = Status.PENDING
    response_time_ms: float = 0.0
    details: Mapping[str, Any] = field(default_factory=dict)
    message: str = ""
    last_check_ns: int = 0
    since_ns: int = 0  # when it entered ``status``

    def view(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status.value,
                               "response_time_ms": round(self.response_time_ms, 3),
                               "details": dict(self.details), "type": self.type,
                               "critical": self.critical}
        if self.message:
            out["message"] = self.message
        if self.last_check_ns:
            out["last_check"] = rfc3339(self.last_check_ns)
            out["status_since"] = rfc3339(self.since_ns)
        return out


def rfc3339(ns: int) -> str:
    return datetime.fromtimestamp(ns // 1_000_000_000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def overall_status(states: Iterable[CheckState], thresholds: Thresholds) -> Status:
    """healthy, warning or critical by the rules above."""
    critical_failures = not_healthy = 0
    for s in states:
        if s.critical and (s.status.failing or s.status is Status.PENDING):
            critical_failures += 1
        if s.status in (Status.WARNING, Status.CRITICAL, Status.FAILED):
            not_healthy += 1
    if critical_failures >= thresholds.critical_failure_threshold:
        return Status.CRITICAL
    if not_healthy >= thresholds.warning_failure_threshold:
        return Status.WARNING
    return Status.HEALTHY


def report(states: list[CheckState], thresholds: Thresholds, now_ns: int) -> dict[str, Any]:
    """The answer: overall_status, timestamp, checks, summary (counts per status and the
    thresholds)."""
    summary: dict[str, int] = {"total_checks": len(states)}
    for status in (Status.HEALTHY, Status.WARNING, Status.CRITICAL, Status.FAILED,
                   Status.PENDING):
        summary[status.value] = sum(1 for s in states if s.status is status)
    summary["critical_failure_threshold"] = thresholds.critical_failure_threshold
    summary["warning_failure_threshold"] = thresholds.warning_failure_threshold
    return {"overall_status": overall_status(states, thresholds).value,
            "timestamp": rfc3339(now_ns),
            "checks": {s.name: s.view() for s in states},
            "summary": summary}
