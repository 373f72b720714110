"""Service reload: a valid reload keeps data flowing, a bad one keeps the old pipelines."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp
import pytest

from otelpy.component import ComponentID, Kind
from otelpy.service import Service
from otelpy.testing.polling import until
from otelpy.testing.samples import traces_request


def _ports(n: int) -> list[int]:
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _config(http: int, files: list[Path], health: int) -> str:
    exporters = "\n".join(f"  file/{i}:\n    path: {p}\n    flush_interval: 0" for i, p in
                          enumerate(files))
    names = ", ".join(f"file/{i}" for i in range(len(files)))
    return f"""
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{http}
processors:
  batch:
    timeout: 20ms
exporters:
{exporters}
extensions:
  health_check:
    endpoint: 127.0.0.1:{health}
service:
  extensions: [health_check]
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [{names}]
"""


def _spans_in(path: Path) -> int:
    import json

    if not path.exists():
        return 0
    total = 0
    for line in path.read_text().splitlines():
        for rs in json.loads(line).get("resourceSpans", []):
            for ss in rs.get("scopeSpans", []):
                total += len(ss.get("spans", []))
    return total


async def _send_loop(url: str, stop: asyncio.Event, statuses: list[int | str]) -> None:
    body = traces_request(3).SerializeToString()
    async with aiohttp.ClientSession() as session:
        while not stop.is_set():
            try:
                async with session.post(url, data=body, headers={
                        "Content-Type": "application/x-protobuf"}) as resp:
                    statuses.append(resp.status)
            except aiohttp.ClientError as exc:
                statuses.append(type(exc).__name__)
            await asyncio.sleep(0.002)


def _instances(service: Service) -> tuple[object, object]:
    """The running otlp receiver and health_check extension."""
    graph = service.graph
    assert graph is not None
    return (graph.component(Kind.RECEIVER, ComponentID("otlp")),
            graph.component(Kind.EXTENSION, ComponentID("health_check")))


async def test_valid_reload_refuses_no_request(tmp_path: Path) -> None:
    """Requests sent back to back, never retried, across a reload that adds an exporter:
    every one is answered 200 and delivered; the unchanged receiver and extension are the
    same running instances afterwards."""
    http, health = _ports(2)
    cfg = tmp_path / "otelpy.yaml"
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    cfg.write_text(_config(http, [a], health))
    service = Service([str(cfg)])
    await service.start(service.load())
    receiver, extension = _instances(service)
    assert receiver is not None and extension is not None
    stop, statuses = asyncio.Event(), []
    sender = asyncio.create_task(_send_loop(f"http://127.0.0.1:{http}/v1/traces", stop, statuses))
    await until(lambda: len(statuses) >= 20, what="20 requests before the reload")
    cfg.write_text(_config(http, [a, b], health))
    assert await service.reload() is True
    sent_before_reload = len(statuses)
    await until(lambda: len(statuses) >= sent_before_reload + 20,
                what="20 requests after the reload")
    stop.set()
    await sender
    # the same objects: never restarted
    assert all(x is y for x, y in zip(_instances(service), (receiver, extension), strict=True))
    await service.shutdown()
    assert statuses and set(statuses) == {200}, sorted(set(map(str, statuses)))
    assert _spans_in(a) == 3 * len(statuses)  # nothing lost across the swap
    assert 0 < _spans_in(b) < _spans_in(a)  # the new exporter only sees data after the reload


async def test_invalid_or_unstartable_reload_keeps_old_pipelines(tmp_path: Path) -> None:
    http, new_http, health = _ports(3)
    cfg = tmp_path / "otelpy.yaml"
    a = tmp_path / "a.jsonl"
    cfg.write_text(_config(http, [a], health))
    service = Service([str(cfg)])
    await service.start(service.load())
    url = f"http://127.0.0.1:{http}/v1/traces"
    body = traces_request(2).SerializeToString()
    headers = {"Content-Type": "application/x-protobuf"}
    async with aiohttp.ClientSession() as session:
        cfg.write_text("receivers: {otlp: {protocols: {htp: {}}}}")
        assert await service.reload() is False
        async with session.post(url, data=body, headers=headers) as resp:
            assert resp.status == 200
        # valid, but the new receiver's port is taken: the old config is restored
        blocker = socket.socket()
        blocker.bind(("127.0.0.1", new_http))
        blocker.listen()
        try:
            cfg.write_text(_config(new_http, [a], health))
            assert await service.reload() is False
        finally:
            blocker.close()
        async with session.post(url, data=body, headers=headers) as resp:
            assert resp.status == 200
        assert service.telemetry.value("otelpy_config_reloads_total",
                                       {"result": "invalid"}) == 1
        assert service.telemetry.value("otelpy_config_reloads_total",
                                       {"result": "failed"}) == 1
    await service.shutdown()
    assert _spans_in(a) == 4


@pytest.mark.parametrize("change", ["receiver-port"], ids=["receiver-port"])
async def test_changed_receiver_moves_port(tmp_path: Path, change: str) -> None:
    http, new_http, health = _ports(3)
    cfg = tmp_path / "otelpy.yaml"
    a = tmp_path / "a.jsonl"
    cfg.write_text(_config(http, [a], health))
    service = Service([str(cfg)])
    await service.start(service.load())
    receiver, extension = _instances(service)
    cfg.write_text(_config(new_http, [a], health))
    assert await service.reload() is True
    new_receiver, same_extension = _instances(service)
    assert new_receiver is not receiver and same_extension is extension
    body = traces_request(5).SerializeToString()
    async with aiohttp.ClientSession() as session:
        async with session.post(f"http://127.0.0.1:{new_http}/v1/traces", data=body,
                                headers={"Content-Type": "application/x-protobuf"}) as resp:
            assert resp.status == 200
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.post(f"http://127.0.0.1:{http}/v1/traces", data=body)
        # the health extension kept running and answers for the new pipelines
        async with session.get(f"http://127.0.0.1:{health}/status") as resp:
            assert resp.status == 200
            assert "traces" in await resp.text()
    await service.shutdown()
    assert _spans_in(a) == 5
