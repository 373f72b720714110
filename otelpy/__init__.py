"""otelpy: a telemetry pipeline engine in the shape of the OpenTelemetry Collector."""

__version__ = "0.1.0"
