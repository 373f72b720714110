"""Fuzzing the OTLP protobuf path (Batch.from_bytes and what follows) and the OTLP/JSON
decoder: only PermanentError may come out, and accepted input behaves."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from otelpy.testing.fuzz import otlpjson_target, pdata_target
from otelpy.testing.hostile import nested_anyvalue_json, nested_anyvalue_traces

from .conftest import budget
from .strategies import json_documents, mutated_bytes


@budget(600)
@given(mutated_bytes())
@example(nested_anyvalue_traces(40))
@example(nested_anyvalue_traces(5000))
@example(b"\x0a\x80\x80\x80\x80\x10")  # a length far past the end
def test_protobuf_requests(data: bytes) -> None:
    pdata_target(data)


@budget(600)
@given(json_documents())
@example(b"[" * 10_000)
@example(nested_anyvalue_json(10_000))
@example(b'{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}')
@example(b'{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"sum":{"dataPoints":'
         b'[{"asDouble":"NaN","exemplars":[{"spanId":"AAAA"}]}]}}]}]}]}')
def test_otlp_json_documents(data: bytes) -> None:
    otlpjson_target(data)


@budget(300)
@given(st.binary(max_size=512))
def test_otlp_json_random_bytes(data: bytes) -> None:
    otlpjson_target(data)
