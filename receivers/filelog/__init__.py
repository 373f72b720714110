"""The ``filelog`` receiver: tails files and parses them with the Collector's operators, as
the Collector's filelogreceiver. The engines live in otelpy.fileconsumer and otelpy.stanza;
they are imported when a receiver is created."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.receivers.filelog.config import FileLogConfig


def _create(settings: Settings, cfg: FileLogConfig,
            consumers: Mapping[Signal, Consumer]) -> Any:
    from otelpy.receivers.filelog.receiver import FileLogReceiver

    return FileLogReceiver(settings, cfg, consumers)


factory = Factory(
    type="filelog",
    kind=Kind.RECEIVER,
    config_type=FileLogConfig,
    create=_create,
    stability={"logs": Stability.BETA},
    description="Tails log files (rotation, truncation, offsets in a storage extension) and "
                "parses them with the Collector's operators",
)

__all__ = ["factory", "FileLogConfig"]
