"""The overall status over real HTTP: the health_check extension's /health/checks (503 when
critical: a readiness probe) and the status extension's /api/health, from one or several
healthcheck receivers sharing a host."""

from __future__ import annotations

import logging

import aiohttp
import hc_checks
from harness import make

from otelpy.component import ComponentID, Kind, Settings
from otelpy.extensions.health_check import HealthCheckConfig
from otelpy.extensions.health_check import factory as health_factory
from otelpy.extensions.status import StatusConfig
from otelpy.extensions.status import factory as status_factory
from otelpy.probes.result import Status
from otelpy.statusapi import ApiRequest
from otelpy.telemetry import Telemetry
from otelpy.testing.clock import FakeClock
from otelpy.testing.polling import until
from otelpy.testing.process import free_port
from otelpy.testing.sink import FakeHost


def extension(factory: object, config: object, name: str) -> object:
    settings = Settings(ComponentID(name), Kind.EXTENSION, logging.getLogger("t"), Telemetry())
    return factory.create(settings, config)  # type: ignore[attr-defined]


async def get(session: aiohttp.ClientSession, url: str) -> tuple[int, dict[str, object]]:
    async with session.get(url) as resp:
        return resp.status, await resp.json()


async def test_readiness_follows_the_critical_checks() -> None:
    clock = FakeClock()
    hc_checks.state["flip"] = "healthy"
    receiver, _, _ = make({
        "database_postgresql": {"type": "custom", "check_function": "hc_checks:flip",
                                "critical": True, "interval": "10s"},
        "ml_recommendation_model": {"type": "custom",
                                    "check_function": "hc_checks:async_warning",
                                    "parameters": {"limit_ms": 100}, "interval": "10s"}},
        clock, alerting={"critical_failure_threshold": 1, "warning_failure_threshold": 3})
    host = FakeHost({"metrics": "ok"})
    hport, sport = free_port(), free_port()
    health = extension(health_factory, HealthCheckConfig(endpoint=f"127.0.0.1:{hport}"),
                       "health_check")
    status = extension(status_factory, StatusConfig(endpoint=f"127.0.0.1:{sport}"), "status")
    await health.start(host)  # type: ignore[attr-defined]
    await status.start(host)  # type: ignore[attr-defined]
    checks_url = f"http://127.0.0.1:{hport}/health/checks"
    async with aiohttp.ClientSession() as session:
        try:
            code, body = await get(session, checks_url)
            assert (code, body) == (404, {"error": "no healthcheck receiver is running"})
            await receiver.start(host)
            await until(lambda: all(s.last_check_ns for s in receiver.states.values()))
            code, body = await get(session, checks_url)
            assert code == 200
            assert body["overall_status"] == "healthy"  # a lone warning, as in the spec
            checks = body["checks"]
            assert isinstance(checks, dict)
            assert checks["ml_recommendation_model"]["status"] == "warning"
            assert checks["ml_recommendation_model"]["details"] == {"inference_time_ms": 90.0}
            assert body["summary"] == {
                "total_checks": 2, "healthy": 1, "warning": 1, "critical": 0, "failed": 0,
                "pending": 0, "critical_failure_threshold": 1, "warning_failure_threshold": 3}
            hc_checks.state["flip"] = "critical"
            await clock.advance(10)
            await until(lambda: receiver.states["database_postgresql"].status
                        is Status.CRITICAL)
            code, body = await get(session, checks_url)
            assert (code, body["overall_status"]) == (503, "critical")
            code, api = await get(session, f"http://127.0.0.1:{sport}/api/health")
            assert code == 200  # the status API answers the view itself; readiness is 503
            assert api["overall_status"] == "critical"
            assert api["checks"] == body["checks"]
            await receiver.shutdown()
            code, _ = await get(session, checks_url)
            assert code == 404
        finally:
            await receiver.shutdown()
            await health.shutdown()  # type: ignore[attr-defined]
            await status.shutdown()  # type: ignore[attr-defined]


async def test_several_receivers_merge_on_one_host() -> None:
    clock = FakeClock()
    hc_checks.state["flip"] = "critical"
    a, _, host = make({"db": {"type": "custom", "check_function": "hc_checks:sync_ok"},
                       "cache": {"type": "custom", "check_function": "hc_checks:sync_ok"}},
                      clock)
    b, _, _ = make({"db": {"type": "custom", "check_function": "hc_checks:flip",
                           "critical": True}}, clock, name="b")
    await a.start(host)
    await b.start(host)
    try:
        await until(lambda: all(s.last_check_ns for r in (a, b) for s in r.states.values()))
        found = host.api.resolve("GET", "/health")
        assert found is not None
        body = await found[0].handler(ApiRequest("GET", "/health"))
        assert body["overall_status"] == "critical"
        assert body["sources"] == {"healthcheck": "healthy", "healthcheck/b": "critical"}
        assert set(body["checks"]) == {"healthcheck:db", "healthcheck/b:db", "cache"}
        assert body["summary"]["total_checks"] == 3
        assert body["summary"]["critical"] == 1
        await b.shutdown()
        body = await found[0].handler(ApiRequest("GET", "/health"))
        assert body["overall_status"] == "healthy"
        assert set(body["checks"]) == {"db", "cache"}
    finally:
        await a.shutdown()
        await b.shutdown()
