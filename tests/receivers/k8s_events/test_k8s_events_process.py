"""A real ``otelpy`` process runs k8s_events against the fake API server (through a
kubeconfig) into the file exporter: only events stamped after the process started come
out, each once, across a dropped watch and a 410 Gone relist."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from otelpy.component import Signal
from otelpy.pdata import items
from otelpy.pdata.otlpjson import decode
from otelpy.testing.k8sapi import FakeKubeAPI, write_kubeconfig
from otelpy.testing.polling import until
from otelpy.testing.process import OtelpyProcess, free_port

EVENTS = "/api/v1/events"


def stamp(offset_s: float = 0.0) -> str:
    moment = datetime.fromtimestamp(time.time() + offset_s, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event(name: str, event_time: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}",
                         "creationTimestamp": "2026-01-01T00:00:01Z"},
            "involvedObject": {"kind": "Node", "name": "node-1", "uid": "node-uid"},
            "reason": "NodeReady", "message": f"event {name}", "type": "Normal",
            "source": {"host": "node-1"}, "eventTime": event_time, "count": 1}


@pytest.fixture
async def api() -> AsyncIterator[FakeKubeAPI]:
    server = FakeKubeAPI(gone_as_event=False)
    server.collection(EVENTS, "Event", "v1")
    yield server
    await server.stop()


def written(path: Path) -> list[tuple[str, str]]:
    """(message, k8s.event.name) of every record the file exporter wrote so far."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        if line.strip():
            for item in items.log_records(decode(Signal.LOGS, line)):
                out.append((item.record.body.string_value,
                            str(dict(item.attributes)["k8s.event.name"])))
    return out


async def test_otelpy_process_emits_new_events_once(api: FakeKubeAPI, tmp_path: Path) -> None:
    await api.add(EVENTS, event("before-start", stamp(-3600)))
    url = await api.start()
    out = tmp_path / "events.jsonl"
    config = {
        "receivers": {"k8s_events": {"auth_type": "kubeConfig",
                                     "kubeconfig": str(write_kubeconfig(tmp_path, url))}},
        "exporters": {"file": {"path": str(out), "flush_interval": "0s"}},
        "service": {"pipelines": {"logs": {"receivers": ["k8s_events"],
                                           "exporters": ["file"]}},
                    "telemetry": {"metrics": {"address": f"127.0.0.1:{free_port()}"}}}}
    proc = OtelpyProcess(tmp_path, config)
    await asyncio.to_thread(proc.start)
    try:
        await until(lambda: api.watches(EVENTS), within=30)
        await api.add(EVENTS, event("first", stamp()))
        await api.add(EVENTS, event("stale", stamp(-7200)))
        await until(lambda: written(out) == [("event first", "first")], within=30)
        await api.drop_watches()
        await until(lambda: len(api.watches(EVENTS)) == 2, within=30)
        await api.drop_watches()
        await api.add(EVENTS, event("while-away", stamp()))
        api.compact()  # the next watch gets 410 Gone: relist, emit only what is new
        await until(lambda: len(written(out)) == 2, within=30)
        await until(lambda: len(api.lists(EVENTS)) == 2, within=30)
        await until(lambda: len(api.watches(EVENTS)) >= 4, within=30)
        await api.add(EVENTS, event("last", stamp()))
        await until(lambda: len(written(out)) == 3, within=30)
        assert [name for _, name in written(out)] == ["first", "while-away", "last"]
        body = json.loads(out.read_text().splitlines()[0])
        resource = body["resourceLogs"][0]["resource"]["attributes"]
        assert {"key": "k8s.object.kind", "value": {"stringValue": "Node"}} in resource
    finally:
        await asyncio.to_thread(proc.stop)
    assert "Traceback" not in proc.stderr()
