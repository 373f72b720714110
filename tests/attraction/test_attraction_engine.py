"""The shared attribute action engine: each action's semantics, hash digests, conversions
and the config rules (with the Collector's wording, placed at ``actions::<n>``)."""

from __future__ import annotations

import hashlib
import math
import struct
from typing import Any

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from otelpy.attraction import ActionKeyValue, AttrProc, action_problems
from otelpy.attraction.convert import convert_value, hash_value, parse_go_float
from otelpy.pdata.values import INT64_MIN, Attributes


def run(actions: list[dict[str, Any]], attrs: dict[str, Any]) -> dict[str, Any]:
    span = Span()
    mapping = Attributes(span.attributes)
    mapping.update(attrs)
    AttrProc([ActionKeyValue.model_validate(a) for a in actions]).process(mapping)
    return {kv.key: mapping[kv.key] for kv in span.attributes}  # keeps order, typed


def test_insert_only_where_absent_and_typed_from_yaml() -> None:
    out = run([{"key": "a", "value": 123, "action": "insert"},
               {"key": "b", "value": "x", "action": "INSERT"}], {"b": "kept"})
    assert out == {"b": "kept", "a": 123}
    assert isinstance(out["a"], int)


def test_update_only_where_present_keeps_position() -> None:
    out = run([{"key": "b", "value": 1.5, "action": "update"},
               {"key": "zz", "value": 1, "action": "Update"}], {"a": 1, "b": "old", "c": 3})
    assert list(out) == ["a", "b", "c"]
    assert out["b"] == 1.5


def test_upsert_both_ways_and_from_attribute_copies_type() -> None:
    out = run([{"key": "a", "from_attribute": "src", "action": "upsert"},
               {"key": "b", "from_attribute": "src", "action": "upsert"}],
              {"src": [1, "x", {"k": True}], "a": "old"})
    assert out == {"src": [1, "x", {"k": True}], "a": [1, "x", {"k": True}],
                   "b": [1, "x", {"k": True}]}


def test_from_attribute_absent_does_nothing_unless_default_value() -> None:
    out = run([{"key": "a", "from_attribute": "missing", "action": "insert"},
               {"key": "b", "from_attribute": "missing", "default_value": "dflt",
                "action": "insert"},
               {"key": "c", "default_value": 7, "action": "upsert"}], {})
    assert out == {"b": "dflt", "c": 7}


def test_from_attribute_to_itself() -> None:
    assert run([{"key": "a", "from_attribute": "a", "action": "upsert"}], {"a": "v"}) == {
        "a": "v"}


def test_delete_key_and_pattern() -> None:
    out = run([{"key": "password", "pattern": r"^auth\.", "action": "delete"}],
              {"password": "p", "auth.token": "t", "auth.user": "u", "keep": 1,
               "x.auth.y": 2})
    assert out == {"keep": 1, "x.auth.y": 2}


def test_pattern_is_a_search_not_a_full_match() -> None:
    assert run([{"pattern": "secret", "action": "delete"}],
               {"my.secret.key": 1, "other": 2}) == {"other": 2}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(("value", "digest"), [
    ("foo", "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"),
    (True, _sha(b"\x01")),
    (False, _sha(b"\x00")),
    (24, _sha(struct.pack("<Q", 24))),
    (-1, _sha(b"\xff" * 8)),
    (2.4, _sha(struct.pack("<d", 2.4))),
    ("", ""),
    (b"\x01\x02\x03", ""),
    ([1, 2], ""),
    ({"k": "v"}, ""),
], ids=["str", "true", "false", "int", "negative", "double", "empty-str", "bytes", "list",
        "map"])
def test_hash_digests_as_the_collector(value: Any, digest: str) -> None:
    """Cases of the Collector's hasher_test.go (sha2Hasher), plus negative ints and maps."""
    assert hash_value(value) == digest
    assert run([{"key": "k", "action": "hash"}], {"k": value}) == {"k": digest}


def test_hash_key_matching_the_pattern_is_hashed_twice() -> None:
    once = hash_value("a@b.c")
    out = run([{"key": "user.email", "pattern": r"email$", "action": "hash"}],
              {"user.email": "a@b.c", "admin.email": "a@b.c"})
    assert out == {"user.email": hash_value(once), "admin.email": once}


def test_extract_named_groups_overwrite_and_source_kept() -> None:
    out = run([{"key": "url", "action": "extract",
                "pattern": r"^(?P<scheme>\w+)://(?P<host>[^/]+)(?P<path>/[^?]*)?"}],
              {"url": "https://example.com", "host": "old"})
    assert out == {"url": "https://example.com", "host": "example.com", "scheme": "https",
                   "path": ""}


def test_extract_only_on_strings_and_matches() -> None:
    actions = [{"key": "v", "pattern": r"(?P<digits>\d+)", "action": "extract"}]
    assert run(actions, {"v": 123}) == {"v": 123}
    assert run(actions, {"v": "abc"}) == {"v": "abc"}
    assert run(actions, {"v": "ab12c"}) == {"v": "ab12c", "digits": "12"}


def test_go_named_group_syntax() -> None:
    out = run([{"key": "v", "pattern": r"(?<num>\d+)\z", "action": "extract"}], {"v": "a 42"})
    assert out["num"] == "42"


@pytest.mark.parametrize(("value", "to", "expected"), [
    ("123", "int", 123), ("+7", "int", 7), ("-0", "int", 0), ("1_000", "int", "1_000"),
    (" 1", "int", " 1"), ("1.5", "int", "1.5"), ("9223372036854775808", "int",
                                                  "9223372036854775808"),
    (3.99, "int", 3), (-3.99, "int", -3), (1e300, "int", INT64_MIN), (True, "int", 1),
    (False, "int", 0), ([1], "int", [1]),
    ("1.5", "double", 1.5), ("1e3", "double", 1000.0), (".5", "double", 0.5),
    ("0x1p-2", "double", 0.25), ("Inf", "double", math.inf), ("1e400", "double", "1e400"),
    ("1_0", "double", "1_0"), ("abc", "double", "abc"), (12, "double", 12.0),
    (True, "double", 1.0),
    (12, "string", "12"), (1.5, "string", "1.5"), (2.0, "string", "2"),
    (1e21, "string", "1e+21"), (1.5e-7, "string", "1.5e-7"), (True, "string", "true"),
    (b"\x00\xff", "string", "AP8="), ({"b": 1, "a": "<x>"}, "string",
                                      '{"a":"\\u003cx\\u003e","b":1}'),
    ([1, 2.5, None, True], "string", "[1,2.5,null,true]"),
])
def test_convert_as_the_collector(value: Any, to: str, expected: Any) -> None:
    got = convert_value(value, to)
    assert got == expected and type(got) is type(expected)


def test_convert_nan_text() -> None:
    assert math.isnan(parse_go_float("NaN") or 0.0)
    assert parse_go_float("+nan") is None


def test_convert_action_in_place() -> None:
    out = run([{"key": "code", "action": "convert", "converted_type": "int"},
               {"key": "bad", "action": "convert", "converted_type": "int"}],
              {"code": "200", "bad": "oops"})
    assert out == {"code": 200, "bad": "oops"}


RULES = [
    ([], 'actions: missing required field "actions" (at least one action)'),
    ([{"action": "insert", "value": 1}], 'actions::0: missing required field "key"'),
    ([{"action": "delete"}], 'actions::0: missing required field: at least one of "key" and '
                             '"pattern" must be set'),
    ([{"key": "a", "action": "insert"}], 'actions::0: either field "value", "from_attribute", '
                                         '"from_context" or "default_value" must be specified'),
    ([{"key": "a", "action": "upsert", "value": 1, "from_attribute": "b"}],
     'actions::0: multiple value sources are set ("value", "from_attribute"); use one'),
    ([{"key": "a", "action": "insert", "value": 1, "pattern": "x"}],
     'actions::0: action "insert" does not use the "pattern" field; remove it'),
    ([{"key": "a", "action": "insert", "from_context": "auth.subject"}],
     'actions::0: from_context "auth.subject": otelpy carries client metadata '
     "(metadata.<key>) with the data, not authentication results or the client address; use "
     "a metadata key"),
    ([{"key": "a", "action": "insert", "value": 2**64}],
     'actions::0: "value" cannot be an attribute value: 18446744073709551616 does not fit in '
     "a signed 64-bit int"),
    ([{"key": "a", "action": "hash", "value": 1}],
     'actions::0: action "hash" does not use the "value" or "from_attribute" field; remove '
     "them"),
    ([{"key": "a", "action": "delete", "pattern": "("}],
     'actions::0: field "pattern" has invalid pattern "(": missing ), unterminated '
     "subpattern at position 0"),
    ([{"key": "a", "action": "extract"}],
     'actions::0: missing required field "pattern" for action "extract"'),
    ([{"key": "a", "action": "extract", "pattern": "abc"}],
     'actions::0: field "pattern" contains no named matcher groups'),
    ([{"key": "a", "action": "extract", "pattern": "(?P<x>a)(b)"}],
     'actions::0: field "pattern" contains at least one unnamed matcher group'),
    ([{"key": "a", "action": "extract", "pattern": "(?P<x>a)", "value": 1}],
     'actions::0: action "extract" does not use a value source field; remove it'),
    ([{"key": "a", "action": "convert"}],
     'actions::0: missing required field "converted_type" for action "convert"'),
    ([{"key": "a", "action": "convert", "converted_type": "integer"}],
     'actions::0: invalid value "integer" in field "converted_type": expected int, double or '
     'string; did you mean "int"?'),
    ([{"key": "a", "action": "delete", "converted_type": "int"}],
     'actions::0: action "delete" does not use the "converted_type" field; remove it'),
    ([{"key": "a", "action": "insert", "value": 1}, {"key": "b", "action": "rename"}],
     'actions::1: unsupported action "rename": expected one of insert, update, upsert, '
     "delete, hash, extract, convert"),
]


@pytest.mark.parametrize(("actions", "message"), RULES, ids=[m.split(": ", 1)[1][:40]
                                                            for _, m in RULES])
def test_config_rules(actions: list[dict[str, Any]], message: str) -> None:
    models = [ActionKeyValue.model_validate(a) for a in actions]
    assert action_problems(models, "actions") == [message]
    with pytest.raises(ValueError, match="actions"):
        AttrProc(models)
