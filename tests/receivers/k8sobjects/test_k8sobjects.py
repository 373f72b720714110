"""k8sobjects against the fake API server: watch mode emits each change once (also across a
reconnect and a 410 relist) with exclude_watch_type; pull mode emits every object."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.pdata import items
from otelpy.pdata.values import to_value
from otelpy.receivers.k8sobjects import K8sObjectsConfig, factory
from otelpy.telemetry import Telemetry
from otelpy.testing.k8sapi import FakeKubeAPI, write_kubeconfig
from otelpy.testing.polling import until
from otelpy.testing.sink import FakeHost, SinkConsumer

EVENTS = "/apis/events.k8s.io/v1/events"


def event(name: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}"},
            "reason": "Started", "note": f"note {name}"}


@pytest.fixture
async def api() -> AsyncIterator[FakeKubeAPI]:
    server = FakeKubeAPI(gone_as_event=False)
    server.collection(EVENTS, "Event", "events.k8s.io/v1")
    await server.add(EVENTS, event("old"))
    yield server
    await server.stop()


async def _receiver(api: FakeKubeAPI, tmp_path: Path, obj: dict[str, Any],
                    ) -> tuple[Any, SinkConsumer]:
    url = await api.start()
    cfg = K8sObjectsConfig.model_validate({
        "auth_type": "kubeConfig", "kubeconfig": str(write_kubeconfig(tmp_path, url)),
        "objects": [{"name": "events", "group": "events.k8s.io", **obj}]})
    sink = SinkConsumer()
    settings = Settings(ComponentID("k8sobjects"), Kind.RECEIVER, logging.getLogger("t"),
                        Telemetry())
    receiver = factory.create(settings, cfg, {Signal.LOGS: sink})
    await receiver.start(FakeHost())
    return receiver, sink


def bodies(sink: SinkConsumer) -> list[Any]:
    out = []
    for batch in sink.batches:
        for item in items.log_records(batch.message):
            record = item[2]
            attrs = {kv.key: kv.value.string_value for kv in record.attributes}
            assert attrs == {"event.domain": "k8s", "event.name": "events"}
            out.append(to_value(record.body))
    return out


def names(sink: SinkConsumer) -> list[tuple[str, str]]:
    return [(b["type"], b["object"]["metadata"]["name"]) for b in bodies(sink)]


async def test_watch_emits_each_change_once_across_reconnects_and_gone(
        api: FakeKubeAPI, tmp_path: Path) -> None:
    receiver, sink = await _receiver(api, tmp_path, {"mode": "watch",
                                                     "exclude_watch_type": ["MODIFIED"]})
    await until(lambda: api.watches(EVENTS))
    await api.add(EVENTS, event("a"))
    changed = api.get(EVENTS, "uid-a")
    changed["note"] = "changed"
    await api.modify(EVENTS, changed)  # excluded
    await until(lambda: names(sink) == [("ADDED", "a")])
    await api.drop_watches()  # reconnect: resumes, nothing replayed
    await until(lambda: len(api.watches(EVENTS)) == 2)
    await api.add(EVENTS, event("b"))
    await until(lambda: len(names(sink)) == 2)
    await api.drop_watches()
    await api.delete(EVENTS, "uid-old")
    await api.add(EVENTS, event("c"))
    api.compact()  # the next watch gets 410 Gone: relist, emit only the difference
    await until(lambda: len(names(sink)) == 4)
    await until(lambda: len(api.watches(EVENTS)) >= 4)
    await api.add(EVENTS, event("d"))
    await until(lambda: len(names(sink)) == 5)
    got = names(sink)
    assert got[:2] == [("ADDED", "a"), ("ADDED", "b")]
    assert sorted(got[2:4]) == [("ADDED", "c"), ("DELETED", "old")]
    assert got[4] == ("ADDED", "d")
    assert len(api.lists(EVENTS)) == 2
    await receiver.shutdown()


async def test_pull_emits_every_object_as_the_body(api: FakeKubeAPI, tmp_path: Path) -> None:
    await api.add(EVENTS, event("a"))
    receiver, sink = await _receiver(api, tmp_path, {"mode": "pull", "interval": "1h",
                                                     "label_selector": ""})
    await until(lambda: len(bodies(sink)) == 2)
    assert sorted(b["metadata"]["name"] for b in bodies(sink)) == ["a", "old"]
    assert bodies(sink)[0]["kind"] == "Event"
    await receiver.shutdown()
