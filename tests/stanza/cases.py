"""Running operator lists on entries, for the table tests."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from otelpy.stanza.config import OperatorConfig
from otelpy.stanza.entry import Entry
from otelpy.stanza.pipeline import Pipeline, operator_problems

ADAPTER: TypeAdapter[list[Any]] = TypeAdapter(list[OperatorConfig])
NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z: "now" of every time parse in the tests


def run(ops: list[dict[str, Any]], entries: list[Entry]) -> tuple[list[Entry], Pipeline]:
    configs = ADAPTER.validate_python(ops)
    assert operator_problems(configs) == []
    pipeline = Pipeline(configs, now=lambda: NOW, monotonic=lambda: 0.0)
    for entry in entries:
        pipeline.process(entry)
    pipeline.flush_all()
    return pipeline.take(), pipeline


def one(ops: list[dict[str, Any]], body: Any = None, attributes: dict[str, Any] | None = None,
        resource: dict[str, Any] | None = None) -> Entry:
    out, _ = run(ops, [Entry(body=body, attributes=dict(attributes or {}),
                             resource=dict(resource or {}))])
    assert len(out) == 1
    return out[0]


def problems(ops: list[dict[str, Any]]) -> list[str]:
    return operator_problems(ADAPTER.validate_python(ops))
