"""`item_count` exporter: appends "<signal> <items>" per batch to a file.

A third-party component in its own distribution, registered through the
``otelpy.components`` entry point group.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from pydantic import Field

from otelpy.component import ComponentBase, Factory, Kind, Stability
from otelpy.config.types import ConfigModel
from otelpy.consumer import Consumer
from otelpy.pdata import Batch


class ItemCountConfig(ConfigModel):
    path: str = Field(description="File that receives one line per batch.")


class ItemCountExporter(ComponentBase, Consumer):
    def __init__(self, cfg: ItemCountConfig) -> None:
        self.path = Path(cfg.path)

    async def consume(self, batch: Batch) -> None:
        line = f"{batch.signal} {batch.item_count}\n"
        await asyncio.to_thread(self._append, line)

    def _append(self, line: str) -> None:
        with self.path.open("a") as f:
            f.write(line)

    consume_traces = consume_metrics = consume_logs = consume


factory = Factory(
    type="item_count",
    kind=Kind.EXPORTER,
    config_type=ItemCountConfig,
    create=lambda settings, cfg, signals: ItemCountExporter(cfg),
    stability={"traces": Stability.ALPHA, "metrics": Stability.ALPHA, "logs": Stability.ALPHA},
    description="Appends '<signal> <items>' per batch to a file (example plugin).",
)
