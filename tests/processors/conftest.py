"""Running one processor from its registered factory over one request (for the transform
and filter example tables)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.pdata import Batch
from otelpy.registry import load_registry
from otelpy.telemetry import Telemetry
from otelpy.testing.sink import SinkConsumer

RunProcessor = Callable[[str, dict[str, Any], Signal, Any], Awaitable[Any]]


@pytest.fixture
def telemetry() -> Telemetry:
    return Telemetry()


@pytest.fixture
def run_processor(telemetry: Telemetry) -> RunProcessor:
    """``await run_processor("transform", config, Signal.TRACES, request)`` -> the request
    the next consumer received (None when nothing was forwarded)."""
    registry = load_registry(include_plugins=False)

    async def run(type_: str, config: dict[str, Any], signal: Signal, request: Any) -> Any:
        factory = registry.get(Kind.PROCESSOR, type_)
        assert factory is not None
        cfg = factory.config_type.model_validate(config)
        assert cfg.validate_config() == []  # type: ignore[attr-defined]
        sink = SinkConsumer()
        settings = Settings(ComponentID(type_), Kind.PROCESSOR,
                            logging.getLogger(f"test.{type_}"), telemetry)
        processor = factory.create(settings, cfg, signal, sink)
        batch = Batch.from_bytes(signal, request.SerializeToString())
        await getattr(processor, f"consume_{signal.value}")(batch)
        return sink.batches[0].message if sink.batches else None
    return run
