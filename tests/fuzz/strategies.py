"""Input strategies for the fuzz tests: mutated valid OTLP requests, random and mutated
OTLP/JSON documents, random and mutated YAML configs."""

from __future__ import annotations

import json
from typing import Any

import yaml
from hypothesis import strategies as st

from otelpy import config as otelconfig
from otelpy.pdata import otlpjson
from otelpy.testing.hostile import nested_anyvalue_traces
from otelpy.testing.samples import logs_request, metrics_request, traces_request

SEED_MESSAGES = [traces_request(3), metrics_request(4), logs_request(3)]
SEED_REQUESTS = [m.SerializeToString() for m in SEED_MESSAGES] + [
    nested_anyvalue_traces(3), nested_anyvalue_traces(40), b""]
SEED_DOCUMENTS = [otlpjson.encode(m) for m in SEED_MESSAGES]

_OPS = ("flip", "set", "insert", "delete", "truncate", "duplicate")


@st.composite
def mutated_bytes(draw: st.DrawFn, seeds: list[bytes] = SEED_REQUESTS) -> bytes:
    """A seed with a few byte-level mutations (or, sometimes, random bytes)."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=2048))
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(_OPS))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete" and data:
            del data[pos:pos + draw(st.integers(1, 16))]
        elif op == "truncate":
            del data[pos:]
        elif op == "duplicate" and data:
            end = pos + draw(st.integers(1, 64))
            data[pos:pos] = data[pos:end]
    return bytes(data)


json_scalars = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
                | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=40)
                | st.sampled_from(["", "0", "-1", "1e400", "NaN", "Infinity", "5b8efff798038103",
                                   "5B8EFFF798038103D269B633813FC60C", "AAAA",
                                   "18446744073709551616", "SPAN_KIND_SERVER", "\u0000",
                                   "\ud800x"]))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=20) | st.sampled_from(
                               ["resourceSpans", "scopeSpans", "spans", "traceId", "spanId",
                                "attributes", "value", "kvlistValue", "arrayValue", "values",
                                "intValue", "resourceMetrics", "scopeMetrics", "metrics",
                                "gauge", "sum", "dataPoints", "exemplars", "resourceLogs",
                                "scopeLogs", "logRecords", "body", "kind", "status"]),
                               inner, max_size=4), max_leaves=30)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.extend(_paths(v, (*prefix, i)))
    return out


def _replace(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        return {**node, head: _replace(node[head], rest, value)}
    copy = list(node)
    copy[head] = _replace(node[head], rest, value)
    return copy


@st.composite
def mutated_tree(draw: st.DrawFn, seeds: list[Any], values: st.SearchStrategy[Any]) -> Any:
    """A seed document with a few nodes replaced by random values."""
    doc = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(doc)))
        doc = _replace(doc, path, draw(values))
    return doc


@st.composite
def json_documents(draw: st.DrawFn) -> bytes:
    """Random JSON, mutated valid OTLP/JSON documents, or their text with byte mutations."""
    kind = draw(st.integers(0, 3))
    if kind == 0:
        doc = draw(json_values)
    else:
        doc = draw(mutated_tree(SEED_DOCUMENTS, json_values))
    text = json.dumps(doc, allow_nan=True).encode("utf-8", "surrogatepass")
    if kind == 3:
        text = draw(mutated_bytes([text]))
    return text


def _config_seeds() -> list[Any]:
    from pathlib import Path
    root = Path(__file__).resolve().parents[2] / "config-examples"
    docs = [yaml.safe_load(otelconfig.DEFAULT_CONFIG)]
    docs.extend(yaml.safe_load(p.read_text()) for p in sorted(root.glob("*.yaml")))
    return [d for d in docs if isinstance(d, dict)]


CONFIG_SEEDS = _config_seeds()
config_scalars = (st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats()
                  | st.text(max_size=30)
                  | st.sampled_from(["${env:FUZZ}", "${env:MISSING}", "${env:X:-1s}",
                                     "${file:/nonexistent}", "$$", "${", "10s", "-1s", "1ms",
                                     "localhost:0", ":65536", "[::1]:4317", "otlp", "batch",
                                     "debug", "otlp/2", "memory_limiter", "0", "1e9", "gzip"]))
config_values = st.recursive(config_scalars, lambda inner: st.lists(inner, max_size=3)
                             | st.dictionaries(st.text(max_size=12), inner, max_size=3),
                             max_leaves=12)


@st.composite
def config_texts(draw: st.DrawFn) -> str:
    """Random text, YAML-ish text, or a mutated valid config dumped as YAML."""
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(st.text(max_size=300))
    doc = draw(mutated_tree(CONFIG_SEEDS, config_values))
    text = yaml.safe_dump(doc, allow_unicode=True)
    if kind == 3:
        raw = draw(mutated_bytes([text.encode()]))
        return raw.decode("utf-8", "replace")
    return text
