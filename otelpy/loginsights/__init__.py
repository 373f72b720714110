"""Log insights: a bounded, time-bucketed window of log counts, error patterns, anomaly
events and metric values, answering the spec's ``analyze_logs``. See README.md here."""

from otelpy.loginsights.query import Filters, analyze_logs, pearson
from otelpy.loginsights.window import InsightsLimits, LogWindow, MetricSpec

__all__ = ["Filters", "InsightsLimits", "LogWindow", "MetricSpec", "analyze_logs", "pearson"]
