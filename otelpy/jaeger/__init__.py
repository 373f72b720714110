"""Jaeger's data model in and out of OTLP, as the Collector's pkg/translator/jaeger does.

Shared by the ``jaeger`` receiver (Thrift over UDP and HTTP, protobuf over gRPC) and the
``jaeger_thrift`` exporter. See README.md for the mapping.
"""
