"""The direct path (lines written straight to LogRecord bytes when there are no operators,
or only a regex_parser from body to attributes) makes the records the pipeline makes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from otelpy.pdata.values import to_value
from otelpy.stanza.entry import Entry
from otelpy.stanza.pipeline import Pipeline

from .harness import Running, config, write

LINES = ["GET /a 200", "  POST /b 500\t", "not a request", "GET /caf\u00e9 201", "",
         "\x1cGET /c 404\x1f", "GET /" + "x" * 300 + " 200"]
REGEX = {"type": "regex_parser", "regex": r"^(?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d+)$"}


def _shape(body: Any, attributes: list[tuple[str, Any]]) -> tuple[Any, list[tuple[str, Any]]]:
    return body, attributes


async def _received(tmp_path: Path, **keys: Any) -> tuple[Running, list[Any]]:
    run = await Running(config(include=[str(tmp_path / "*.log")], **keys)).start()
    try:
        await run.wait_bodies(len([line for line in LINES if line.strip()]))
        await run.settle()
        got = [_shape(to_value(item.record.body),
                      [(kv.key, to_value(kv.value)) for kv in item.record.attributes])
               for item in run.records()]
        assert all(item.record.observed_time_unix_nano > 0 for item in run.records())
    finally:
        await run.stop()
    return run, got


def _expected(operators: list[Any], attributes: dict[str, Any]) -> list[Any]:
    pipeline = Pipeline(config(include=["x"], operators=operators).all_operators())
    for line in LINES:
        if line.strip():
            pipeline.process(Entry(line.strip(), {"log.file.name": "a.log", **attributes}))
    return [_shape(e.body, list(e.attributes.items())) for e in pipeline.take()]


@pytest.mark.parametrize("attributes", [{}, {"method": "preset", "env": "prod", "n": 3}])
@pytest.mark.parametrize("operators", [[], [REGEX]], ids=["raw", "regex"])
async def test_direct_records_equal_the_pipeline_records(
        tmp_path: Path, operators: list[Any], attributes: dict[str, Any]) -> None:
    write(tmp_path / "a.log", *LINES)
    run, got = await _received(tmp_path, operators=operators, attributes=attributes)
    assert run.receiver._direct is not None  # the path under test was taken
    expected = _expected(operators, attributes)
    assert got == expected
    if operators:
        assert ("status", "201") in expected[3][1] and expected[3][0] == "GET /caf\u00e9 201"
        # "not a request" does not match: kept raw and counted
        assert run.counter("otelpy_filelog_operator_errors_total",
                           operator="regex_parser") == 1
