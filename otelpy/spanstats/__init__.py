"""Span statistics shared by span-derived components: span kind and status names,
histogram accumulators that write OTLP data points, and the client/server edge store.

See README.md in this package.
"""
