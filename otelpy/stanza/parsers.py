"""json_parser, regex_parser, csv_parser and key_value_parser (the Collector's stanza
parsers of the same names; pkg/stanza/docs/operators/*.md)."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from typing import Any

from otelpy.goregex import compile_go
from otelpy.stanza.config import CsvParser, JsonParser, KeyValueParser, RegexParser
from otelpy.stanza.entry import Entry, parse_field
from otelpy.stanza.operator import ErrorReport, OperatorError, ParserOperator

__all__ = ["JsonParserOp", "RegexParserOp", "CsvParserOp", "KeyValueParserOp", "as_text"]


def as_text(value: Any, what: str) -> str:
    """``value`` as a string (bytes decoded); raises OperatorError for other types."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise OperatorError(f"type {type(value).__name__} cannot be parsed as {what}")


def _floats(value: Any) -> Any:
    """Go's encoding/json into map[string]any: every number is a float64."""
    if isinstance(value, dict):
        return {k: _floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


class JsonParserOp(ParserOperator):
    """A JSON object -> a map (numbers become doubles, as in the Collector)."""

    def __init__(self, cfg: JsonParser, report: ErrorReport, now: Callable[[], float]) -> None:
        super().__init__(cfg, report, now)

    def parse(self, value: Any) -> Any:
        text = as_text(value, "JSON")
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            raise OperatorError(f"json parse: {exc}") from exc
        if not isinstance(parsed, dict):
            raise OperatorError(f"json parse: expected an object, got "
                                f"{type(parsed).__name__}")
        return _floats(parsed)


def regex_problems(pattern: str) -> list[str]:
    try:
        compiled = compile_go(pattern)
    except re.error as exc:
        return [f"regex: invalid regular expression: {exc}"]
    if not compiled.groupindex:
        return ["regex: no named capture groups in regex pattern"]
    return []


class RegexParserOp(ParserOperator):
    """Named groups of the first match -> a map of strings."""

    def __init__(self, cfg: RegexParser, report: ErrorReport, now: Callable[[], float]) -> None:
        super().__init__(cfg, report, now)
        self.regex = compile_go(cfg.regex)

    def parse(self, value: Any) -> Any:
        match = self.regex.search(as_text(value, "regex"))
        if match is None:
            raise OperatorError("regex pattern does not match")
        return match.groupdict("")  # an unmatched group is "" (a str, as in the Collector)


class CsvParserOp(ParserOperator):
    """Delimited values zipped with ``header`` (or the header in ``header_attribute``)."""

    def __init__(self, cfg: CsvParser, report: ErrorReport, now: Callable[[], float]) -> None:
        super().__init__(cfg, report, now)
        self.cfg = cfg
        self.header_delimiter = cfg.header_delimiter or cfg.delimiter
        self.header = cfg.header.split(self.header_delimiter) if cfg.header else []
        self.header_field = parse_field("attributes." + cfg.header_attribute) \
            if cfg.header_attribute else None
        self._entry: Entry | None = None

    def transform(self, entry: Entry) -> None:
        self._entry = entry
        super().transform(entry)

    def _header(self) -> list[str]:
        if self.header_field is None or self._entry is None:
            return self.header
        raw, ok = self.header_field.get(self._entry)
        if not ok or not isinstance(raw, str):
            raise OperatorError(f"failed to read dynamic header attribute "
                                f"{self.cfg.header_attribute}")
        return raw.split(self.header_delimiter)

    def parse(self, value: Any) -> Any:
        text = as_text(value, "csv")
        header = self._header()
        try:
            rows = list(csv.reader([text], delimiter=self.cfg.delimiter,
                                   quoting=csv.QUOTE_NONE if self.cfg.ignore_quotes
                                   else csv.QUOTE_MINIMAL, strict=not self.cfg.lazy_quotes))
        except csv.Error as exc:
            raise OperatorError(f"csv parse: {exc}") from exc
        values = rows[0] if rows else []
        if len(values) != len(header):
            raise OperatorError(f"wrong number of fields: expected {len(header)}, found "
                                f"{len(values)}")
        return dict(zip(header, values, strict=True))


_PAIRS_WS = re.compile(r'(?:"[^"]*"|\'[^\']*\'|\S)+')


class KeyValueParserOp(ParserOperator):
    """``k=v`` pairs -> a map of strings."""

    def __init__(self, cfg: KeyValueParser, report: ErrorReport,
                 now: Callable[[], float]) -> None:
        super().__init__(cfg, report, now)
        if cfg.delimiter == cfg.pair_delimiter:
            raise OperatorError("delimiter and pair_delimiter cannot be the same value")
        self.delimiter = cfg.delimiter
        self.pair_delimiter = cfg.pair_delimiter

    def _pairs(self, text: str) -> list[str]:
        if not self.pair_delimiter:
            return _PAIRS_WS.findall(text)
        return [p for p in (s.strip() for s in text.split(self.pair_delimiter)) if p]

    def parse(self, value: Any) -> Any:
        text = as_text(value, "key value pairs")
        out: dict[str, Any] = {}
        for pair in self._pairs(text):
            if self.delimiter not in pair:
                raise OperatorError(f"expected '{pair}' to split by '{self.delimiter}' into "
                                    "two items")
            key, val = pair.split(self.delimiter, 1)
            key, val = key.strip().strip("\"'"), val.strip().strip("\"'")
            if not key:
                raise OperatorError(f"parsed empty key from '{pair}'")
            out[key] = val
        return out
