"""Zipkin's span model (v2 JSON and protobuf, v1 JSON) in and out of OTLP, as the
Collector's pkg/translator/zipkin does. Shared by the ``zipkin`` receiver and exporter."""
