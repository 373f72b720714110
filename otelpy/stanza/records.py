"""Entries -> an OTLP logs request, grouped by resource (through
:class:`~otelpy.pdata.build.RequestBuilder`), and LogRecords -> entries (for tests and for
receivers that re-parse records)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from otelpy.component import Signal
from otelpy.pdata import Batch
from otelpy.pdata.build import RequestBuilder
from otelpy.pdata.values import set_value, to_value
from otelpy.stanza.entry import Entry

__all__ = ["entries_to_batch", "record_to_entry", "fill_record", "resource_key", "set_any"]


def resource_key(resource: dict[str, Any]) -> Any:
    """A hashable key equal for equal resources (the grouping of a request)."""
    if not resource:
        return ()
    try:
        key = tuple(sorted(resource.items()))
        hash(key)
        return key
    except TypeError:  # unhashable or unorderable values
        return repr(sorted(resource.items(), key=lambda kv: kv[0]))


def fill_record(record: Any, entry: Entry) -> None:
    """Write ``entry`` into the (new, empty) LogRecord ``record``. Values with no OTLP form
    become their text; ints beyond 64 bits become doubles."""
    record.time_unix_nano = entry.timestamp
    record.observed_time_unix_nano = entry.observed
    record.severity_number = entry.severity
    if entry.severity_text:
        record.severity_text = entry.severity_text
    if entry.body is not None:
        set_any(record.body, entry.body)
    add = record.attributes.add
    for key, value in entry.attributes.items():
        set_any(add(key=key).value, value)


def set_any(target: Any, value: Any) -> None:
    try:
        set_value(target, value)
    except OverflowError:
        set_value(target, float(value))
    except TypeError:
        set_value(target, str(value))


def entries_to_batch(entries: Iterable[Entry], scope: str = "") -> Batch | None:
    """One logs Batch holding ``entries`` (None when there are none)."""
    builder = RequestBuilder(Signal.LOGS)
    groups: dict[Any, Any] = {}
    for entry in entries:
        key = resource_key(entry.resource)
        records = groups.get(key)
        if records is None:
            records = groups[key] = builder.scope(entry.resource, scope).log_records
        fill_record(records.add(), entry)
    return builder.batch() if groups else None


def record_to_entry(record: Any, resource: dict[str, Any] | None = None) -> Entry:
    """The entry a LogRecord holds."""
    body = to_value(record.body) if record.HasField("body") else None
    return Entry(body=body, attributes={kv.key: to_value(kv.value) for kv in record.attributes},
                 resource=dict(resource or {}), timestamp=record.time_unix_nano,
                 observed=record.observed_time_unix_nano, severity=record.severity_number,
                 severity_text=record.severity_text)
