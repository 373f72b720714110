"""Error-spike and new-pattern detection over log pattern IDs, and the ``log.anomaly`` events
that report them. See README.md in this package."""

from otelpy.logspike.detector import ERROR_SPIKE, NEW_PATTERN, Anomaly, SpikeDetector, SpikeOptions
from otelpy.logspike.events import EVENT_NAME, AnomalyEvent, anomaly_logs, event_of

__all__ = ["ERROR_SPIKE", "EVENT_NAME", "NEW_PATTERN", "Anomaly", "AnomalyEvent",
           "SpikeDetector", "SpikeOptions", "anomaly_logs", "event_of"]
