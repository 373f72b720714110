"""Sending queue, retry with backoff, per-attempt timeout and self-metrics shared by exporters.

See README.md in this folder for the config keys and the behaviour.
"""

from otelpy.exporterhelper.config import (
    ExporterHelperSettings,
    OptInQueueSettings,
    OptInRetrySettings,
    Overflow,
    QueueSettings,
    RetrySettings,
)
from otelpy.exporterhelper.helper import ExporterHelper, SendFunc
from otelpy.exporterhelper.queue import BatchQueue, QueueClosed
from otelpy.exporterhelper.retry import RetriesExhausted, RetryPolicy

__all__ = [
    "BatchQueue",
    "ExporterHelper",
    "ExporterHelperSettings",
    "OptInQueueSettings",
    "OptInRetrySettings",
    "Overflow",
    "QueueClosed",
    "QueueSettings",
    "RetriesExhausted",
    "RetryPolicy",
    "RetrySettings",
    "SendFunc",
]
