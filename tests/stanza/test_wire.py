"""The hot LogRecord encoder writes exactly the bytes the generated classes write."""

from __future__ import annotations

from typing import Any

import pytest

from otelpy.pdata.values import to_value
from otelpy.stanza.entry import Entry
from otelpy.stanza.records import entries_to_batch, record_to_entry
from otelpy.stanza.wire import (
    encode_attributes,
    encode_record,
    entries_to_wire,
    observed_field,
    records_batch,
    text_record,
    varint,
)

VALUES: list[Any] = [
    "", "line", "héllo ✓", "a" * 300, 0, 1, -1, 127, 128, (1 << 63) - 1, -(1 << 63), 1 << 70,
    0.0, -0.0, 1.5, float("inf"), True, False, None, b"", b"\x00\xff",
    {"k": "v", "n": [1, "2", None, {"x": 1.5}]}, [], {},
]


@pytest.mark.parametrize("value", VALUES, ids=[repr(v)[:20] for v in VALUES])
def test_every_value_kind_as_body_and_attribute(value: Any) -> None:
    entries = [Entry(value, {"k": value, "log.file.name": "a.log"}, {"service.name": "svc"},
                     1_700_000_000_000_000_000, 1_700_000_000_000_000_001, 9, "INFO")]
    batch = entries_to_wire(entries)
    assert batch is not None and batch.item_count == 1
    assert batch.data == entries_to_batch(entries).data  # type: ignore[union-attr]


def test_groups_by_resource_in_first_seen_order_and_round_trips() -> None:
    entries = [Entry(f"line {i}", {"i": i}, {"host": f"h{i % 3}"} if i % 4 else {}, i, i + 1)
               for i in range(40)]
    entries.append(Entry("odd", {}, {"list": [1, 2]}))  # unhashable resource value
    batch = entries_to_wire(entries)
    assert batch is not None and batch.item_count == 41
    assert batch.data == entries_to_batch(entries).data  # type: ignore[union-attr]
    decoded = [record_to_entry(record, {kv.key: kv.value.string_value
                                        for kv in res.resource.attributes})
               for res in batch.message.resource_logs
               for scope in res.scope_logs for record in scope.log_records]
    assert sorted(e.body for e in decoded) == sorted(e.body for e in entries)
    assert {e.body: e.attributes for e in decoded}["line 5"] == {"i": 5}


def test_no_entries_no_batch() -> None:
    assert entries_to_wire([]) is None


@pytest.mark.parametrize(("n", "encoded"), [(0, b"\x00"), (127, b"\x7f"), (128, b"\x80\x01"),
                                            (300, b"\xac\x02"), (-1, b"\xff" * 9 + b"\x01")])
def test_varint(n: int, encoded: bytes) -> None:
    assert varint(n) == encoded


@pytest.mark.parametrize("text", ["", "GET / 200", "héllo ✓", "x" * 125, "x" * 126, "y" * 5000])
def test_text_record_is_the_entry_record(text: str) -> None:
    attributes = {"log.file.name": "access.log", "n": 3, "flag": False}
    tail = encode_attributes(attributes) + observed_field(1_700_000_000_000_000_000)
    entry = Entry(text, dict(attributes), {}, 0, 1_700_000_000_000_000_000)
    assert text_record(text.encode(), tail) == encode_record(entry)
    batch = records_batch({"service.name": "nginx"}, [text_record(text.encode(), tail)] * 2)
    assert batch.item_count == 2
    expected = entries_to_batch([Entry(text, dict(attributes), {"service.name": "nginx"}, 0,
                                       1_700_000_000_000_000_000)] * 2)
    assert expected is not None and batch.data == expected.data


def test_many_distinct_values_of_a_key_stay_exact() -> None:
    # past the per-key cache bound (256 values) the key is encoded uncached, still exactly
    entries = [Entry("b", {"id": f"v{i % 400}", "method": ("GET", "POST")[i % 2]})
               for i in range(1200)]
    batch = entries_to_wire(entries)
    expected = entries_to_batch(entries)
    assert batch is not None and expected is not None and batch.data == expected.data


def test_a_lone_surrogate_becomes_the_replacement_character() -> None:
    # the generated classes raise UnicodeEncodeError here; the record must still go out
    batch = entries_to_wire([Entry("a\ud800b", {"k": "x\udcffy", "\ud801": 1})])
    assert batch is not None
    record = batch.message.resource_logs[0].scope_logs[0].log_records[0]
    assert record.body.string_value == "a\ufffdb"
    assert [(kv.key, to_value(kv.value)) for kv in record.attributes] == [
        ("k", "x\ufffdy"), ("\ufffd", 1)]
