"""Probes of what a service depends on (HTTP, TCP, DNS, gRPC, PostgreSQL, Redis, custom
Python checks), their results, and the overall status: the engine behind the
``healthcheck`` receiver, meant to be shared by the service metrics receivers. See
README.md. Importing this package imports no driver."""

from otelpy.probes.result import ProbeResult, Status

__all__ = ["ProbeResult", "Status"]
