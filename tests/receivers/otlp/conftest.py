"""Fixtures for the otlp receiver tests: a receiver on free loopback ports over a sink."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.receivers.otlp import OTLPReceiver, OTLPReceiverConfig, factory
from otelpy.telemetry import Telemetry
from otelpy.testing.sink import SinkConsumer

StartReceiver = Callable[..., Awaitable[OTLPReceiver]]

LOOPBACK = {"grpc": {"endpoint": "127.0.0.1:0"}, "http": {"endpoint": "127.0.0.1:0"}}


def _settings(telemetry: Telemetry) -> Settings:
    return Settings(id=ComponentID("otlp"), kind=Kind.RECEIVER,
                    logger=logging.getLogger("otelpy.test.otlp"), telemetry=telemetry)


@pytest.fixture
def telemetry() -> Telemetry:
    return Telemetry()


@pytest.fixture
def settings(telemetry: Telemetry) -> Settings:
    """Settings of a receiver with ID ``otlp``, counting into ``telemetry``."""
    return _settings(telemetry)


@pytest.fixture
def malformed(telemetry: Telemetry) -> Callable[[str, str], float]:
    """``malformed(transport, reason)``: the malformed-requests counter's current value."""
    def value(transport: str, reason: str) -> float:
        return telemetry.value("otelpy_receiver_malformed_requests_total",
                               {"receiver": "otlp", "transport": transport, "reason": reason})
    return value


@pytest.fixture
def sink() -> SinkConsumer:
    return SinkConsumer()


@pytest.fixture
async def start_receiver(telemetry: Telemetry,
                         sink: SinkConsumer) -> AsyncIterator[StartReceiver]:
    """``await start_receiver(protocols=..., signals=...)`` -> a started receiver.

    Defaults: both protocols on 127.0.0.1 with free ports, every signal into ``sink``.
    Every receiver started is shut down after the test.
    """
    started: list[OTLPReceiver] = []

    async def start(protocols: dict[str, Any] | None = None,
                    signals: tuple[Signal, ...] = tuple(Signal)) -> OTLPReceiver:
        cfg = OTLPReceiverConfig.model_validate({"protocols": protocols or LOOPBACK})
        assert cfg.validate_config() == []
        rcv = factory.create(_settings(telemetry), cfg, {s: sink for s in signals})
        await rcv.start(None)
        started.append(rcv)
        return rcv  # type: ignore[no-any-return]

    yield start
    for rcv in started:
        await rcv.shutdown()
