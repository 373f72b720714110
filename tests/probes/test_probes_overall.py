"""The overall-status rules, table-tested, and the report's shape."""

from __future__ import annotations

import pytest

from otelpy.probes.overall import CheckState, Thresholds, overall_status, report
from otelpy.probes.result import Status

H, W, C, F, P = (Status.HEALTHY, Status.WARNING, Status.CRITICAL, Status.FAILED,
                 Status.PENDING)


def states(*spec: tuple[Status, bool]) -> list[CheckState]:
    return [CheckState(f"c{i}", "custom", critical, status)
            for i, (status, critical) in enumerate(spec)]


CASES = [
    ("all healthy", [(H, True), (H, False)], Thresholds(), H),
    ("no checks", [], Thresholds(), H),
    ("one critical check critical", [(C, True), (H, False)], Thresholds(), C),
    ("one critical check failed", [(F, True)], Thresholds(), C),
    ("critical check not run yet", [(P, True), (H, False)], Thresholds(), C),
    ("non-critical check not run yet", [(P, False), (H, True)], Thresholds(), H),
    ("critical check only warning", [(W, True)], Thresholds(), H),
    ("lone non-critical warning stays healthy (the spec's example)",
     [(H, True), (W, False), (H, False), (H, False), (H, False)], Thresholds(), H),
    ("three non-critical failures reach the warning threshold",
     [(C, False), (F, False), (W, False), (H, True)], Thresholds(), W),
    ("two non-critical failures under the warning threshold",
     [(C, False), (F, False), (H, True)], Thresholds(), H),
    ("critical threshold 2: one critical failure is a warning contribution",
     [(C, True), (W, False)], Thresholds(2, 2), W),
    ("critical threshold 2 reached", [(C, True), (F, True)], Thresholds(2, 3), C),
    ("critical threshold 2, one failure, warning threshold 3 not reached",
     [(C, True), (H, False)], Thresholds(2, 3), H),
    ("warning threshold 1: any warning", [(W, False), (H, True)], Thresholds(1, 1), W),
    ("pending does not count toward warnings", [(P, False)] * 3, Thresholds(1, 1), H),
    ("non-critical critical does not make overall critical", [(C, False)], Thresholds(1, 3),
     H),
]


@pytest.mark.parametrize(("spec", "thresholds", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_overall_status_rules(spec: list[tuple[Status, bool]], thresholds: Thresholds,
                              expected: Status) -> None:
    assert overall_status(states(*spec), thresholds) is expected


def test_report_has_the_spec_shape() -> None:
    checks = states((H, True), (W, False), (F, False), (P, True))
    checks[0].response_time_ms = 23.4567
    checks[0].details = {"connections": 45, "slow_queries": 0}
    checks[0].last_check_ns = checks[0].since_ns = 1_705_314_600_000_000_000
    checks[1].message = "inference_time_near_limit"
    out = report(checks, Thresholds(1, 3), 1_705_314_600_500_000_000)
    assert out["overall_status"] == "critical"  # c3 is critical and not run yet
    assert out["timestamp"] == "2024-01-15T10:30:00Z"
    assert out["checks"]["c0"] == {
        "status": "healthy", "response_time_ms": 23.457, "type": "custom", "critical": True,
        "details": {"connections": 45, "slow_queries": 0},
        "last_check": "2024-01-15T10:30:00Z", "status_since": "2024-01-15T10:30:00Z"}
    assert out["checks"]["c1"]["message"] == "inference_time_near_limit"
    assert out["summary"] == {"total_checks": 4, "healthy": 1, "warning": 1, "critical": 0,
                              "failed": 1, "pending": 1, "critical_failure_threshold": 1,
                              "warning_failure_threshold": 3}
