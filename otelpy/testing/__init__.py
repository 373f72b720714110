"""Test support shared by otelpy's tests and benchmarks: sample data, sinks, fakes."""
