"""The debug exporter: writes what passes through, as counts, one line per item, or in full.

Output goes through the component's logger at INFO (sampled per second as
``sampling_initial`` / ``sampling_thereafter`` say) or, with
``use_internal_logger: false``, straight to stdout. ``basic`` never decodes items;
``normal`` and ``detailed`` decode the batch.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from otelpy.component import Settings, Signal
from otelpy.exporterhelper import ExporterHelper
from otelpy.exporters.debug.config import DebugConfig
from otelpy.exporters.debug.text import (
    detailed_logs,
    detailed_traces,
    normal_logs,
    normal_traces,
)
from otelpy.exporters.debug.text_metrics import detailed_metrics, normal_metrics
from otelpy.pdata import SPECS, Batch

__all__ = ["DebugExporter", "Sampler", "basic_line"]

_RENDER: dict[str, dict[Signal, Callable[[Any], str]]] = {
    "normal": {Signal.TRACES: normal_traces, Signal.METRICS: normal_metrics,
               Signal.LOGS: normal_logs},
    "detailed": {Signal.TRACES: detailed_traces, Signal.METRICS: detailed_metrics,
                 Signal.LOGS: detailed_logs},
}
_TITLE = {Signal.TRACES: "Traces", Signal.METRICS: "Metrics", Signal.LOGS: "Logs"}


def basic_line(batch: Batch) -> str:
    """``Traces: 1 resource spans, 512 spans`` — counted on the skeleton, items undecoded."""
    spec = SPECS[batch.signal]
    resources, metrics = batch.envelope_counts()
    text = f"{_TITLE[batch.signal]}: {resources} {spec.resources.replace('_', ' ')}"
    if batch.signal is Signal.METRICS:
        text += f", {metrics} metrics"
    return f"{text}, {batch.item_count} {spec.item_name}"


class Sampler:
    """Per one-second window: the first ``initial`` pass, then every ``thereafter``-th."""

    def __init__(self, initial: int, thereafter: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.initial = initial
        self.thereafter = thereafter
        self._clock = clock
        self._window = -1
        self._seen = 0

    def allow(self) -> bool:
        window = int(self._clock())
        if window != self._window:
            self._window, self._seen = window, 0
        self._seen += 1
        if self._seen <= self.initial:
            return True
        return (self._seen - self.initial) % self.thereafter == 0


class DebugExporter(ExporterHelper):
    """Writes every batch it gets; a Consumer via :class:`ExporterHelper`."""

    def __init__(self, settings: Settings, cfg: DebugConfig, signals: Iterable[Signal]) -> None:
        super().__init__(settings, signals, cfg.sending_queue, cfg.retry_on_failure,
                         cfg.timeout, self._write)
        self.cfg = cfg
        self._sampler = Sampler(cfg.sampling_initial, cfg.sampling_thereafter)
        self._render = _RENDER.get(cfg.verbosity)

    def render(self, batch: Batch) -> str:
        """The text written for ``batch`` at the configured verbosity."""
        line = basic_line(batch)
        if self._render is None:
            return line
        return f"{line}\n{self._render[batch.signal](batch.message)}"

    async def _write(self, batch: Batch) -> None:
        if not self.cfg.use_internal_logger:
            text = self.render(batch)
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
            sys.stdout.flush()
            return
        if self._sampler.allow():
            self.settings.logger.info("%s", self.render(batch).rstrip("\n"))
