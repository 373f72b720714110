"""The healthcheck receiver with custom checks on a fake clock: scheduling, metrics, state
change events, and checks that raise, hang or return garbage."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import hc_checks
from harness import attrs, events, make, metrics

from otelpy.probes.result import Status
from otelpy.testing.clock import FakeClock
from otelpy.testing.polling import until


def custom(function: str, **extra: object) -> dict[str, object]:
    return {"type": "custom", "check_function": f"hc_checks:{function}", **extra}


async def _eventually(condition: Callable[[], bool], within: float = 5.0) -> bool:
    """Whether ``condition`` holds within ``within`` seconds of polling."""
    try:
        await until(condition, within=within)
    except AssertionError:
        return False
    return True


async def test_runs_every_interval_and_emits_status_duration_and_details() -> None:
    clock = FakeClock()
    receiver, sink, host = make({
        "ok": custom("sync_ok", parameters={"value": 7}, interval="10s"),
        "ml": custom("async_warning", parameters={"limit_ms": 100}, interval_seconds=60,
                     critical=False)}, clock)
    await receiver.start(host)
    await until(lambda: receiver.states["ok"].status is Status.HEALTHY
                and receiver.states["ml"].status is Status.WARNING)
    assert receiver.states["ok"].details["value"] == 7
    assert receiver.states["ok"].details["thread"].startswith("healthcheck check")
    assert receiver.states["ml"].message == "inference_time_near_limit"
    def durations() -> list[str]:  # one healthcheck.duration point per run, by check
        return [attrs(p)["healthcheck.name"] for m in metrics(sink)
                if m.name == "healthcheck.duration" for p in m.gauge.data_points]

    # the first round (both checks at start) is one batch: one metric, a point per run
    first = [m for m in metrics(sink) if m.name == "healthcheck.duration"]
    assert len(first) == 1 and len(first[0].gauge.data_points) == 2
    runs = {"ok": 1, "ml": 1}
    for _ in range(6):  # 60 s: ok runs 6 more times, ml once more
        await clock.advance(10)
        await until(lambda: len(durations()) >= sum(runs.values()) + 1)
        runs["ok"] += 1
    await until(lambda: len(durations()) == 9)
    by_check: dict[str, int] = {}
    for name in durations():
        by_check[name] = by_check.get(name, 0) + 1
    assert by_check == {"ok": 7, "ml": 2}
    status = [m for m in metrics(sink) if m.name == "healthcheck.status"][-1]
    points = {attrs(p)["healthcheck.status"]: p.as_int for p in status.gauge.data_points}
    assert attrs(status.gauge.data_points[0])["healthcheck.critical"] is False
    assert sum(points.values()) == 1 and set(points) == {"healthy", "warning", "critical",
                                                          "failed"}
    detail = [m for m in metrics(sink) if m.name == "healthcheck.details.inference_time_ms"]
    assert detail and detail[0].gauge.data_points[0].as_double == 90.0
    assert [m for m in metrics(sink) if m.name == "healthcheck.details.value"][0] \
        .gauge.data_points[0].as_int == 7
    assert not [m for m in metrics(sink) if m.name == "healthcheck.details.thread"]
    await receiver.shutdown()


async def test_raising_garbage_and_hung_checks_are_failed_and_others_go_on() -> None:
    clock = FakeClock()
    hc_checks.release_sync.clear()
    hc_checks.sync_started.clear()
    hc_checks.sync_finished.clear()
    receiver, sink, host = make({
        "raises": custom("raises", interval="10s"),
        "garbage": custom("garbage", interval="10s"),
        "async_hang": custom("async_hang", interval="10s", timeout="3s"),
        "sync_hang": custom("sync_hang", interval="10s", timeout_seconds=3),
        "ok": custom("sync_ok", interval="10s")}, clock)
    await receiver.start(host)
    await until(lambda: receiver.states["raises"].status is Status.FAILED
                and receiver.states["garbage"].status is Status.FAILED
                and receiver.states["ok"].status is Status.HEALTHY)
    assert receiver.states["raises"].message == "RuntimeError: model registry unreachable"
    assert "the check returned {'state': 'ok'}" in receiver.states["garbage"].message
    await until(hc_checks.sync_started.is_set)
    assert receiver.states["async_hang"].status is Status.PENDING
    await clock.advance(3)
    await until(lambda: receiver.states["async_hang"].status is Status.FAILED
                and receiver.states["sync_hang"].status is Status.FAILED)
    assert receiver.states["sync_hang"].message == "timed out after 3s"
    assert receiver.states["async_hang"].response_time_ms == 3000.0
    await clock.advance(7)  # the next round: the sync function's thread is still busy
    await until(lambda: "still running" in receiver.states["sync_hang"].message)
    assert receiver.states["ok"].status is Status.HEALTHY
    hc_checks.release_sync.set()
    await until(hc_checks.sync_finished.is_set)
    # the receiver sees the thread end through the event loop: a round may still find it
    # busy, the next one runs it (no real-time wait decides the outcome)
    for _ in range(3):
        await clock.advance(10)
        if await _eventually(lambda: receiver.states["sync_hang"].status is Status.HEALTHY):
            break
    assert receiver.states["sync_hang"].status is Status.HEALTHY
    failures = [e for e in events(sink)
                if attrs(e)["healthcheck.status"] == "failed"]
    assert {attrs(e)["healthcheck.name"] for e in failures} == {
        "raises", "garbage", "async_hang", "sync_hang"}
    await receiver.shutdown()


async def test_sync_check_runs_in_a_thread_and_never_blocks_the_loop() -> None:
    clock = FakeClock()
    hc_checks.release_sync.clear()
    hc_checks.sync_started.clear()
    hc_checks.sync_finished.clear()
    receiver, _, host = make({"blocking": custom("sync_hang", timeout="1h"),
                              "other": custom("async_warning", parameters={"limit_ms": 1})},
                             clock)
    await receiver.start(host)
    await until(hc_checks.sync_started.is_set)
    # the loop keeps running other checks while the sync function blocks its thread
    await until(lambda: receiver.states["other"].status is Status.WARNING)
    assert receiver.states["blocking"].status is Status.PENDING
    hc_checks.release_sync.set()
    await until(lambda: receiver.states["blocking"].status is Status.HEALTHY)
    await receiver.shutdown()


async def test_state_changes_are_log_events() -> None:
    clock = FakeClock()
    hc_checks.state["flip"] = "healthy"
    receiver, sink, host = make({"flip": custom("flip", interval="5s", critical=True)}, clock,
                                alerting={"notification_channels": ["slack", "pagerduty"]})
    await receiver.start(host)

    def runs() -> int:  # each finished run emits one healthcheck.duration
        return sum(1 for m in metrics(sink) if m.name == "healthcheck.duration")

    await until(lambda: receiver.states["flip"].status is Status.HEALTHY and runs() == 1)
    assert events(sink) == []  # pending -> healthy at start is no news
    hc_checks.state["flip"] = "critical"
    # the check runs in a thread: each round is waited for before the clock moves again,
    # so a round never meets its (fake-clock) timeout while its thread is still running
    await clock.advance(5)
    await until(lambda: runs() == 2 and len(events(sink)) == 1)
    await clock.advance(5)
    await until(lambda: runs() == 3)
    assert len(events(sink)) == 1  # still critical: no new event
    hc_checks.state["flip"] = "healthy"
    await clock.advance(5)
    await until(lambda: runs() == 4 and len(events(sink)) == 2)
    down, up = events(sink)
    assert down.event_name == "healthcheck.state_change"
    assert down.severity_text == "ERROR"
    assert down.body.string_value == "health check flip: healthy -> critical"
    a = attrs(down)
    assert a["event.name"] == "healthcheck.state_change"
    assert (a["healthcheck.name"], a["healthcheck.status"], a["healthcheck.previous_status"],
            a["healthcheck.critical"]) == ("flip", "critical", "healthy", True)
    assert json.loads(a["healthcheck.details"]) == {"flips": 1}
    assert a["healthcheck.notification_channels"] == ["slack", "pagerduty"]
    assert (up.severity_text, attrs(up)["healthcheck.status"]) == ("INFO", "healthy")
    assert down.time_unix_nano == clock.time_ns() - 10 * 10**9
    await receiver.shutdown()


async def test_shutdown_cancels_running_checks_and_is_idempotent() -> None:
    clock = FakeClock()
    receiver, _, host = make({"hang": custom("async_hang", timeout="1h")}, clock)
    await receiver.start(host)
    await asyncio.sleep(0)
    await asyncio.wait_for(receiver.shutdown(), 5)
    await receiver.shutdown()
    assert host.api.resolve("GET", "/health") is None
