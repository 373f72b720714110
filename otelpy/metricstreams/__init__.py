"""Metric stream identity and bounded per-stream state, shared by the components that keep
state per time series (deltatocumulative, cumulativetodelta, the datadog exporter's
cumulative-to-delta conversion). See README.md."""

from otelpy.metricstreams.identity import StreamKeys, attributes_key
from otelpy.metricstreams.table import StreamTable

__all__ = ["StreamKeys", "StreamTable", "attributes_key"]
