"""k8s_events against the fake API server: each new or updated core/v1 Event is one log
record with the Collector's fields; the events present at start, events stamped before the
receiver started and deleted events are not emitted; a reconnect and a 410 Gone relist
emit nothing twice."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from otelpy import __version__
from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.config import load, validate
from otelpy.errors import ConfigError
from otelpy.pdata import items
from otelpy.pdata.values import to_value
from otelpy.receivers.k8s_events import K8sEventsConfig, factory
from otelpy.receivers.k8s_events.logdata import go_time_string
from otelpy.receivers.k8s_events.receiver import SCOPE, K8sEventsReceiver
from otelpy.registry import load_registry
from otelpy.telemetry import Telemetry
from otelpy.testing.k8sapi import FakeKubeAPI, write_kubeconfig
from otelpy.testing.polling import until
from otelpy.testing.sink import FakeHost, SinkConsumer

EVENTS = "/api/v1/events"
START_NS = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z: the receiver's creation
BEFORE = "2025-12-31T23:59:59Z"
AFTER = "2026-01-01T00:00:05Z"


class PinnedClock:
    """Wall time fixed at START_NS (so "older than the start" is exact); real sleeping."""

    def time_ns(self) -> int:
        return START_NS

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))


def event(name: str, ns: str = "default", last: str = AFTER, **fields: Any) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": ns, "uid": f"uid-{name}",
                         "creationTimestamp": "2026-01-01T00:00:01Z"},
            "involvedObject": {"kind": "Pod", "namespace": ns, "name": f"pod-{name}",
                               "uid": f"pod-uid-{name}", "apiVersion": "v1",
                               "resourceVersion": "4242",
                               "fieldPath": "spec.containers{app}"},
            "reason": "Started", "message": f"Started container {name}",
            "source": {"component": "kubelet", "host": "node-1"},
            "firstTimestamp": "2026-01-01T00:00:01Z", "lastTimestamp": last,
            "count": 1, "type": "Normal", "eventTime": None,
            "reportingComponent": "kubelet", "reportingInstance": "node-1", **fields}


@pytest.fixture
async def api() -> AsyncIterator[FakeKubeAPI]:
    server = FakeKubeAPI(gone_as_event=True)
    server.collection(EVENTS, "Event", "v1")
    await server.add(EVENTS, event("present-at-start"))  # listed, never emitted
    yield server
    await server.stop()


async def _receiver(api: FakeKubeAPI, tmp_path: Path, **keys: Any,
                    ) -> tuple[K8sEventsReceiver, SinkConsumer]:
    url = await api.start()
    cfg = K8sEventsConfig.model_validate({
        "auth_type": "kubeConfig", "kubeconfig": str(write_kubeconfig(tmp_path, url)), **keys})
    sink = SinkConsumer()
    settings = Settings(ComponentID("k8s_events"), Kind.RECEIVER, logging.getLogger("t"),
                        Telemetry(), PinnedClock())
    receiver = factory.create(settings, cfg, {Signal.LOGS: sink})
    assert isinstance(receiver, K8sEventsReceiver)
    await receiver.start(FakeHost())
    await asyncio.wait_for(asyncio.gather(*(w.synced.wait() for w in receiver.watchers)), 30)
    return receiver, sink


def records(sink: SinkConsumer) -> list[Any]:
    return [item for batch in sink.batches for item in items.log_records(batch.message)]


def seen(sink: SinkConsumer) -> list[tuple[str, int]]:
    """(event name, count) per emitted record."""
    out = []
    for item in records(sink):
        attrs = dict(item.attributes)
        out.append((str(attrs["k8s.event.name"]), int(attrs.get("k8s.event.count", 0))))
    return out


async def test_an_event_is_a_log_record_with_the_collectors_fields(
        api: FakeKubeAPI, tmp_path: Path) -> None:
    receiver, sink = await _receiver(api, tmp_path)
    await until(lambda: api.watches(EVENTS))
    await api.add(EVENTS, event("backoff", ns="shop", type="Warning", reason="BackOff",
                                action="Pulling", count=7,
                                message="Back-off restarting failed container"))
    await until(lambda: len(records(sink)) == 1)
    [item] = records(sink)
    assert dict(item.resource_attributes) == {
        "k8s.node.name": "node-1", "k8s.object.kind": "Pod",
        "k8s.object.name": "pod-backoff", "k8s.object.uid": "pod-uid-backoff",
        "k8s.object.fieldpath": "spec.containers{app}", "k8s.object.api_version": "v1",
        "k8s.object.resource_version": "4242"}
    assert (item.scope.scope.name, item.scope.scope.version) == (SCOPE, __version__)
    record = item.record
    assert to_value(record.body) == "Back-off restarting failed container"
    assert (record.severity_number, record.severity_text) == (13, "Warning")
    assert record.time_unix_nano == START_NS + 5_000_000_000  # lastTimestamp
    assert record.observed_time_unix_nano == 0
    assert dict(item.attributes) == {
        "k8s.event.reason": "BackOff", "k8s.event.action": "Pulling",
        "k8s.event.start_time": "2026-01-01 00:00:01 +0000 UTC",
        "k8s.event.name": "backoff", "k8s.event.uid": "uid-backoff",
        "k8s.namespace.name": "shop", "k8s.event.count": 7}
    assert [kv.key for kv in record.attributes][-1] == "k8s.event.count"
    assert receiver.emitted == 1 and receiver.skipped_old == 0
    await receiver.shutdown()


@pytest.mark.parametrize(("fields", "time_ns", "severity"), [
    ({"eventTime": "2026-01-01T00:00:09.123456Z", "type": "Normal"},
     START_NS + 9_123_456_000, (9, "Normal")),
    ({"lastTimestamp": None, "firstTimestamp": "2026-01-01T00:00:03Z", "type": "error"},
     START_NS + 3_000_000_000, (17, "error")),
    ({"type": "Critical", "count": 0}, START_NS + 5_000_000_000, (21, "Critical")),
    ({"type": "Custom"}, START_NS + 5_000_000_000, (0, "")),
    ({"eventTime": "2999-01-01T00:00:00Z", "count": 2**70}, 0, (9, "Normal")),
], ids=["eventTime-first", "firstTimestamp-last", "critical-no-count", "unknown-type",
        "beyond-int64"])
async def test_timestamp_priority_and_severity(
        api: FakeKubeAPI, tmp_path: Path, fields: dict[str, Any], time_ns: int,
        severity: tuple[int, str]) -> None:
    receiver, sink = await _receiver(api, tmp_path)
    await until(lambda: api.watches(EVENTS))
    await api.add(EVENTS, event("e", **fields))
    await until(lambda: len(records(sink)) == 1)
    [item] = records(sink)
    assert item.record.time_unix_nano == time_ns
    assert (item.record.severity_number, item.record.severity_text) == severity
    assert ("k8s.event.count" in dict(item.attributes)) == (fields.get("count", 1) in (1, 7))
    await receiver.shutdown()


async def test_updates_are_emitted_deletions_and_old_events_are_not(
        api: FakeKubeAPI, tmp_path: Path) -> None:
    receiver, sink = await _receiver(api, tmp_path)
    await until(lambda: api.watches(EVENTS))
    # an update of an event present at start: its new timestamp is after the start
    repeated = api.get(EVENTS, "uid-present-at-start")
    repeated.update(count=2, lastTimestamp="2026-01-01T00:00:07Z")
    await api.modify(EVENTS, repeated)
    await api.add(EVENTS, event("stale", last=BEFORE))  # stamped before the start
    await api.add(EVENTS, event("untimed", last=None, firstTimestamp=None))
    await api.delete(EVENTS, "uid-present-at-start")
    await api.add(EVENTS, event("fresh"))
    await until(lambda: seen(sink) == [("present-at-start", 2), ("fresh", 1)])
    await until(lambda: receiver.skipped_old == 2)
    stamps = [item.record.time_unix_nano for item in records(sink)]
    assert stamps == [START_NS + 7_000_000_000, START_NS + 5_000_000_000]
    assert receiver.emitted == 2
    await receiver.shutdown()


@pytest.mark.parametrize("as_event", [True, False], ids=["error-event", "http-410"])
async def test_reconnect_and_gone_relist_emit_nothing_twice(
        api: FakeKubeAPI, tmp_path: Path, as_event: bool) -> None:
    api.gone_as_event = as_event
    receiver, sink = await _receiver(api, tmp_path)
    await until(lambda: api.watches(EVENTS))
    await api.add(EVENTS, event("a"))
    await until(lambda: seen(sink) == [("a", 1)])
    await api.drop_watches()  # reconnect: resumes from the last resourceVersion
    await until(lambda: len(api.watches(EVENTS)) == 2)
    assert api.watches(EVENTS)[1].query["resourceVersion"] == "102"
    await api.add(EVENTS, event("b"))
    await until(lambda: len(seen(sink)) == 2)
    await api.drop_watches()
    # while nobody watches: a repeat of a, a new c, an old d; then history is compacted
    again = api.get(EVENTS, "uid-a")
    again.update(count=2, lastTimestamp="2026-01-01T00:00:08Z")
    await api.modify(EVENTS, again)
    await api.add(EVENTS, event("c"))
    await api.add(EVENTS, event("d", last=BEFORE))
    api.compact()
    await until(lambda: len(seen(sink)) == 4)
    assert seen(sink)[:2] == [("a", 1), ("b", 1)]
    assert sorted(seen(sink)[2:]) == [("a", 2), ("c", 1)]
    assert receiver.watchers[0].relists == 1 and len(api.lists(EVENTS)) == 2
    await until(lambda: len(api.watches(EVENTS)) >= 4)
    await api.add(EVENTS, event("e"))
    await until(lambda: len(seen(sink)) == 5)
    assert seen(sink)[4] == ("e", 1)
    assert receiver.skipped_old == 1 and receiver.emitted == 5
    await receiver.shutdown()


async def test_namespaces_are_watched_one_by_one(api: FakeKubeAPI, tmp_path: Path) -> None:
    receiver, sink = await _receiver(api, tmp_path, namespaces=["shop", "db"])
    for ns in ("shop", "db"):
        await until(lambda: api.watches(f"/api/v1/namespaces/{ns}/events"))  # noqa: B023
    assert not api.watches(EVENTS) and not api.lists(EVENTS)
    await api.add(EVENTS, event("in-shop", ns="shop"))
    await api.add(EVENTS, event("elsewhere", ns="kube-system"))
    await api.add(EVENTS, event("in-db", ns="db"))
    await until(lambda: len(records(sink)) == 2)
    assert sorted(n for n, _ in seen(sink)) == ["in-db", "in-shop"]
    assert all(r.authorization == "Bearer test-token" for r in api.requests)
    await receiver.shutdown()
    await receiver.shutdown()  # idempotent


def test_start_time_is_printed_as_go_prints_a_time() -> None:
    assert go_time_string("2024-03-05T07:08:09Z") == "2024-03-05 07:08:09 +0000 UTC"
    assert go_time_string("2024-03-05T09:08:09.250+02:00") == \
        "2024-03-05 07:08:09.25 +0000 UTC"
    assert go_time_string(None) == "0001-01-01 00:00:00 +0000 UTC"
    assert go_time_string("yesterday") == "0001-01-01 00:00:00 +0000 UTC"


CONFIG = """\
receivers:
  k8s_events:
    auth_type: token
    namespaces: [shop, ""]
    storage: file_storage
exporters:
  debug:
service:
  pipelines:
    logs:
      receivers: [k8s_events]
      exporters: [debug]
"""


def test_config_problems_name_the_yaml_path(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(CONFIG)
    with pytest.raises(ConfigError) as info:
        validate(load([str(path)], env={}), load_registry(include_plugins=False))
    problems = [p.replace(str(tmp_path) + "/", "") for p in info.value.problems]
    assert problems[0].startswith("p.yaml:3:5: receivers::k8s_events::auth_type: ")
    assert problems[1] == 'p.yaml:5:5: receivers::k8s_events::storage: unknown key "storage"'
    assert len(problems) == 2


def test_an_empty_namespace_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(CONFIG.replace("    auth_type: token\n", "").replace(
        "    storage: file_storage\n", ""))
    with pytest.raises(ConfigError) as info:
        validate(load([str(path)], env={}), load_registry(include_plugins=False))
    assert [p.replace(str(tmp_path) + "/", "") for p in info.value.problems] == [
        "p.yaml:2:3: receivers::k8s_events: namespaces[1]: must not be empty"]
