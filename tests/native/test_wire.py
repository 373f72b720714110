"""wire.h through otelpy.native._wire.fields, against the protobuf library's encoder."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from otelpy.native import _wire
from tests.fuzz.conftest import budget

_LEN, _VARINT, _I64 = 2, 0, 1


def test_fields_of_a_span() -> None:
    span = Span(trace_id=b"t" * 16, span_id=b"s" * 8, name="GET /x", kind=Span.SPAN_KIND_SERVER,
                start_time_unix_nano=1, end_time_unix_nano=2**63 + 5,
                status=Status(code=Status.STATUS_CODE_ERROR, message="m"))
    data = span.SerializeToString()
    got = {f: (w, data[a:b]) for f, w, a, b in _wire.fields(data)}
    assert got[1] == (_LEN, b"t" * 16)
    assert got[2] == (_LEN, b"s" * 8)
    assert got[5] == (_LEN, b"GET /x")
    assert got[6][0] == _VARINT and got[6][1] == b"\x02"
    assert got[7] == (_I64, (1).to_bytes(8, "little"))
    assert got[8] == (_I64, (2**63 + 5).to_bytes(8, "little"))
    assert got[15] == (_LEN, span.status.SerializeToString())


@budget(300)
@given(name=st.text(max_size=300), start=st.integers(0, 2**64 - 1),
       kind=st.integers(0, 5), dropped=st.integers(0, 2**32 - 1))
def test_fields_match_the_encoder(name: str, start: int, kind: int, dropped: int) -> None:
    span = Span(name=name, start_time_unix_nano=start, kind=kind,  # type: ignore[arg-type]
                dropped_attributes_count=dropped)
    data = span.SerializeToString()
    got = {f: data[a:b] for f, _, a, b in _wire.fields(data)}
    assert got.get(5, b"") == name.encode()
    assert int.from_bytes(got.get(7, b"\0" * 8), "little") == start
    assert sorted(got) == [f for f, v in ((5, name), (6, kind), (7, start), (10, dropped)) if v]


@budget(500)
@given(data=st.binary(max_size=200))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    try:
        fields = _wire.fields(data)
    except ValueError:
        return
    end = 0
    for _, _, start, stop in fields:
        assert end <= start <= stop <= len(data)
        end = stop
    assert end == len(data)


def test_every_truncation_is_refused_or_ends_on_a_field() -> None:
    data = Span(name="n" * 200, trace_id=b"t" * 16, start_time_unix_nano=7).SerializeToString()
    whole = _wire.fields(data)
    ends = {0} | {stop for _, _, _, stop in whole}
    for cut in range(len(data)):
        try:
            fields = _wire.fields(data[:cut])
        except ValueError:
            assert cut not in ends
        else:
            assert cut in ends and fields == [f for f in whole if f[3] <= cut]


def test_groups_are_skipped_whole_as_protobuf_keeps_them() -> None:
    data = b"\x0b\x08\x01\x13\x18\x02\x14\x0c\x2a\x01n"  # group 1 {1: 1, group 2 {3: 2}}, name
    assert Span.FromString(data).name == "n"  # protobuf reads it (an unknown field)
    assert [(f, w) for f, w, _, _ in _wire.fields(data)] == [(1, 3), (5, 2)]
    nested = b"\x0b" * 65 + b"\x0c" * 65
    try:
        _wire.fields(nested)
    except ValueError:
        pass  # deeper than wire.h's group limit (64): refused
    else:
        raise AssertionError("65 nested groups were accepted")


def test_malformed_inputs_are_value_errors() -> None:
    for bad in (b"\x00", b"\x08", b"\x0a\x05ab", b"\x0b", b"\x0b\x08\x01\x14",
                b"\x0c", b"\x0e", b"\x08" + b"\xff" * 11):
        try:
            _wire.fields(bad)
        except ValueError as exc:
            assert "malformed protobuf" in str(exc)
        else:
            raise AssertionError(f"{bad!r} was accepted")
