"""Adaptive and anomaly_detection inline rules on a fake clock: a learned band with
base_threshold as its floor, bands emitted as metrics, anomaly scores by sensitivity."""

from __future__ import annotations

from alerting_fixtures import Harness, request

BASELINE = [100.0, 104.0, 98.0, 101.0, 97.0, 103.0, 99.0, 102.0, 100.0, 96.0, 101.0, 99.0]


def adaptive(base: float | None) -> dict[str, object]:
    rule = {"metric": "api_response_time_p95", "threshold_type": "adaptive",
            "severity": "warning", "duration": "10s"}
    if base is not None:
        rule["base_threshold"] = base
    return {"evaluation_interval": "10s",
            "smart_thresholds": {"adaptation_window_hours": 1, "confidence_threshold": 0.95},
            "alert_rules": {"latency": rule}}


async def run(h: Harness, values: list[float]) -> None:
    await h.log_conn.start(None)  # type: ignore[arg-type]
    for value in values:
        await h.send(request("api_response_time_p95", value, h.now_ns()))
        await h.tick(10)
    await h.log_conn.shutdown()


async def test_adaptive_fires_outside_the_learned_band() -> None:
    h = Harness(adaptive(base=None))
    await run(h, BASELINE + [180, 185, 190])
    assert h.states() == [("latency", "pending"), ("latency", "firing")]
    bands = {a["alertname"]: v for a, v, _ in h.samples("otelpy_alert_band_upper")}
    upper = bands["latency"]
    assert 103 < upper < 115  # median 100 + 1.645 · 1.4826 · MAD(2)
    assert len(h.samples("otelpy_alert_threshold")) == 5  # from the 11th sample on
    lower = [a for a, _, _ in h.samples("otelpy_alert_band_lower")][-1]
    assert lower["metric"] == "api_response_time_p95" and lower["job"] == "api"


async def test_base_threshold_is_the_floor_of_the_band() -> None:
    h = Harness(adaptive(base=500))
    await run(h, BASELINE + [180, 185, 190])
    assert h.states() == []  # above the band, below the 500 ms floor
    assert {v for _, v, _ in h.samples("otelpy_alert_threshold")} == {500.0}


async def test_base_threshold_alone_before_the_baseline_is_learned() -> None:
    h = Harness(adaptive(base=500))
    await run(h, [600, 650, 700])
    assert h.states() == [("latency", "pending"), ("latency", "firing")]


def anomaly(sensitivity: str) -> dict[str, object]:
    return {"evaluation_interval": "10s", "smart_thresholds": {"ml_model": "robust"},
            "alert_rules": {"engagement": {
                "metric": "user_engagement_score", "threshold_type": "anomaly_detection",
                "anomaly_sensitivity": sensitivity, "severity": "warning"}}}


async def scores(sensitivity: str, spike: float) -> tuple[list[tuple[str, str]], float]:
    h = Harness(anomaly(sensitivity))
    await h.log_conn.start(None)  # type: ignore[arg-type]
    for value in [*BASELINE, spike, 100.0]:
        await h.send(request("user_engagement_score", value, h.now_ns()))
        await h.tick(10)
    await h.log_conn.shutdown()
    top = max(v for _, v, _ in h.samples("otelpy_alert_anomaly_score"))
    return h.states(), top


async def test_anomaly_sensitivity_maps_to_score_thresholds() -> None:
    # robust z of 112 against median 100, MAD 2 (scale 2.965): ~4.05 -> score ~0.574
    states, top = await scores("high", 112)
    assert 0.5 <= top < 0.6
    assert states == [("engagement", "firing"), ("engagement", "resolved")]
    states, _ = await scores("medium", 112)
    assert states == []
    states, top = await scores("low", 150)
    assert top >= 0.7 and states == [("engagement", "firing"), ("engagement", "resolved")]
