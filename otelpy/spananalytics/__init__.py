"""Span analytics: a bounded, time-bucketed window of span statistics answering the spec's
``analyze_spans`` and the service graph. See README.md in this package."""

from otelpy.spananalytics.window import AnalyticsLimits, SpanWindow

__all__ = ["AnalyticsLimits", "SpanWindow"]
