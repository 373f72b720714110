"""The Collector's exporter self-metrics for one exporter, children resolved once.

Counters (per signal; exposed with ``_total``): ``otelcol_exporter_sent_*``,
``otelcol_exporter_send_failed_*``, ``otelcol_exporter_enqueue_failed_*`` where
``*`` is ``spans``, ``metric_points`` or ``log_records``. Gauges (queue enabled
only): ``otelcol_exporter_queue_size`` (batches waiting, read at scrape time) and
``otelcol_exporter_queue_capacity``. Label: ``exporter`` = the component ID.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from otelpy.component import Signal
from otelpy.telemetry import Telemetry

__all__ = ["ExporterMetrics", "SignalCounters"]

LABELS = ("exporter",)


class SignalCounters:
    """The three item counters of one signal (prometheus_client children)."""

    __slots__ = ("sent", "send_failed", "enqueue_failed")

    def __init__(self, telemetry: Telemetry, signal: Signal, exporter: str) -> None:
        def child(what: str, doc: str) -> Any:
            return telemetry.items(what, signal, doc, LABELS).labels(exporter=exporter)

        self.sent = child("otelcol_exporter_sent",
                          "Items successfully sent to the destination")
        self.send_failed = child("otelcol_exporter_send_failed",
                                 "Items the exporter failed to send (dropped after retries)")
        self.enqueue_failed = child("otelcol_exporter_enqueue_failed",
                                    "Items that could not be added to the sending queue")


class ExporterMetrics:
    """Per-signal counters plus the queue gauges of one exporter."""

    def __init__(self, telemetry: Telemetry, exporter: str, signals: Iterable[Signal]) -> None:
        self.telemetry = telemetry
        self.exporter = exporter
        self.by_signal: dict[Signal, SignalCounters] = {
            s: SignalCounters(telemetry, s, exporter) for s in signals
        }

    def track_queue(self, size: Callable[[], float], capacity: int) -> None:
        """Expose the queue's size (read when scraped) and capacity."""
        self.telemetry.gauge(
            "otelcol_exporter_queue_size", "Current size of the sending queue (batches)",
            LABELS).labels(exporter=self.exporter).set_function(size)
        self.telemetry.gauge(
            "otelcol_exporter_queue_capacity", "Fixed capacity of the sending queue (batches)",
            LABELS).labels(exporter=self.exporter).set(capacity)
