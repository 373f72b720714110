"""Inline static rules and rule files on a fake clock: pending, firing after ``for``,
resolved on recovery; ALERTS, recording rules and Prometheus names."""

from __future__ import annotations

from pathlib import Path

from alerting_fixtures import Harness, histogram, request

from otelpy.alerting.events import fingerprint

S = 1_000_000_000
STATIC = {"evaluation_interval": "10s", "alert_rules": {"cpu_hot": {
    "metric": "cpu.temperature", "threshold_type": "static", "threshold": 80,
    "severity": "critical", "duration": "30s", "labels": {"team": "infra"},
    "annotations": {"summary": "{{ $labels.host }} at {{ $value }}"}}}}


async def feed_and_tick(h: Harness, name: str, value: float, seconds: int = 10,
                        **kw: object) -> None:
    await h.send(request(name, value, h.now_ns(), **kw))  # type: ignore[arg-type]
    await h.tick(seconds)


async def test_static_rule_goes_pending_fires_after_for_and_resolves() -> None:
    h = Harness(STATIC)
    await h.log_conn.start(None)  # type: ignore[arg-type]
    await h.metric_conn.start(None)  # type: ignore[arg-type]
    attrs = {"host": "db1"}
    for value in (50, 60):
        await feed_and_tick(h, "cpu.temperature", value, attrs=attrs)
    assert h.states() == []
    await feed_and_tick(h, "cpu.temperature", 90, attrs=attrs)
    assert h.states() == [("cpu_hot", "pending")]
    pending = h.alerts()[0]
    for _ in range(2):
        await feed_and_tick(h, "cpu.temperature", 95, attrs=attrs)
    assert h.states() == [("cpu_hot", "pending")]  # 20 s of 30 s
    await feed_and_tick(h, "cpu.temperature", 97, attrs=attrs)
    assert h.states() == [("cpu_hot", "pending"), ("cpu_hot", "firing")]
    firing = h.alerts()[1]
    await feed_and_tick(h, "cpu.temperature", 40, attrs=attrs)
    assert h.states()[-1] == ("cpu_hot", "resolved")
    resolved = h.alerts()[2]
    labels = {"alertname": "cpu_hot", "host": "db1", "job": "api", "otel_scope_name": "",
              "otel_scope_schema_url": "", "otel_scope_version": "", "severity": "critical",
              "team": "infra"}
    assert firing["labels"] == labels
    assert firing["fingerprint"] == fingerprint(labels.items()) == resolved["fingerprint"]
    assert firing["annotations"] == {"summary": "db1 at 97"}
    assert firing["value"] == 97.0 and firing["severity"] == "critical"
    # the values of its rounds while pending and firing, for incident correlation
    start_ms = 1_767_225_630_000
    assert pending["series"] == {"t": [start_ms], "v": [90.0]}
    assert firing["series"] == {"t": [start_ms + k * 10_000 for k in range(4)],
                                "v": [90.0, 95.0, 95.0, 97.0]}
    assert firing["_event_name"] == "alert" and firing["event.name"] == "alert"
    assert firing["_severity"] == "ERROR"
    assert firing["_body"] == "[FIRING] cpu_hot: db1 at 97"
    assert pending["startsAt"] == "2026-01-01T00:00:30.000Z"  # the third evaluation
    assert firing["startsAt"] == "2026-01-01T00:01:00.000Z" and pending["endsAt"] == ""
    assert firing["endsAt"] == "2026-01-01T00:05:00.000Z"  # 4 × max(10 s, 1 m) later
    assert resolved["endsAt"] == "2026-01-01T00:01:10.000Z"
    alerts = [(a["alertstate"], v, f) for a, v, f in h.samples("ALERTS")]
    assert alerts == [("pending", 1.0, 0)] * 3 + [("firing", 1.0, 0), ("pending", 0.0, 1),
                                                  ("firing", 0.0, 1)]  # flag 1: stale
    for_state = {v for _, v, f in h.samples("ALERTS_FOR_STATE") if not f}
    assert for_state == {1_767_225_630.0}
    await h.metric_conn.shutdown()
    await h.log_conn.shutdown()
    assert h.clock.sleepers == 0


async def test_rule_file_reads_prometheus_names_and_records(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yml"
    rules.write_text("""groups:
- name: api
  interval: 15s
  rules:
  - record: job:http_requests:rate1m
    expr: sum by (job) (rate(http_requests_total[1m]))
  - alert: HighRate
    expr: job:http_requests:rate1m > 2
    for: 30s
    labels: {severity: warning}
    annotations: {description: "{{ $value | humanize }} req/s"}
  - alert: SlowP90
    expr: histogram_quantile(0.9, sum by (le) (rate(latency_seconds_bucket[1m]))) > 0.5
""")
    h = Harness({"rule_files": [str(tmp_path / "*.yml")]})
    await h.log_conn.start(None)  # type: ignore[arg-type]
    total = 0.0
    counts = [0, 0, 0]
    for step in range(12):
        total += 15 * (1 if step < 4 else 5)  # 1 req/s, then 5 req/s
        counts = [counts[0] + 10, counts[1] + (0 if step < 4 else 10), counts[2]]
        await h.send(request("http.requests", total, h.now_ns(), kind="sum"))
        await h.send(histogram("latency", counts, [0.1, 1.0], 1.0, h.now_ns()))
        await h.tick(15)
    recorded = [v for _, v, f in h.samples("job:http_requests:rate1m") if not f]
    assert abs(recorded[2] - 1.0) < 1e-9 and abs(recorded[-1] - 5.0) < 1e-9
    assert {a["job"] for a, _, _ in h.samples("job:http_requests:rate1m")} == {"api"}
    states = h.states()
    assert ("HighRate", "pending") in states and ("HighRate", "firing") in states
    assert ("SlowP90", "firing") in states
    high = next(a for a in h.alerts() if a["alertname"] == "HighRate")
    assert high["annotations"]["description"] in {"3.667 req/s", "5 req/s", "4.333 req/s",
                                                  "2.333 req/s", "3 req/s"}
    await h.log_conn.shutdown()


async def test_window_keeps_only_series_rules_read_within_max_series() -> None:
    h = Harness({**STATIC, "max_series": 3})
    await h.log_conn.start(None)  # type: ignore[arg-type]
    for i in range(5):
        await h.send(request("cpu.temperature", 50, h.now_ns(), attrs={"host": f"h{i}"}))
        await h.send(request("unrelated.metric", 1, h.now_ns()))
    runtime = h.log_conn.runtime  # type: ignore[attr-defined]
    assert len(runtime.window) == 3 and len(runtime.store) == 3
    assert runtime.window.counters.evicted == 2
    hosts = {dict(m)["host"] for m in runtime.store.last_series()}
    assert hosts == {"h2", "h3", "h4"}
    await h.log_conn.shutdown()
