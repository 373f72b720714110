"""otelpy.native._promtext on arbitrary and truncated input, and its value reader
against Python's ``float`` (what the Python path of a known series uses)."""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from otelpy.native import _promtext
from tests.fuzz.conftest import budget

LINES = [(b"# TYPE a counter", 0), (b'a{x="1"} ', 1), (b"b ", 2), (b"", 0), (b"c ", 1)]
BODY = '# TYPE a counter\na{x="1"} 12.5\nb 3\n\nc -Inf\n'


def _values(data: bytes | None) -> list[float] | None:
    return None if data is None else [v for (v,) in struct.iter_unpack("=d", data)]


def test_match_reads_values_and_refuses_other_lines() -> None:
    layout = _promtext.Layout(LINES)
    assert (layout.lines, layout.kept) == (5, 2)
    assert _values(layout.match(BODY)) == [12.5, -math.inf]
    assert _values(layout.match(BODY.encode())) == [12.5, -math.inf]
    assert _values(layout.match(BODY.rstrip("\n"))) == [12.5, -math.inf]
    for other in (BODY + "\n", BODY.replace("counter", "gauge"), BODY.replace("b 3", "b 3 4"),
                  BODY.replace("12.5", "0x1p3"), BODY.replace("12.5", "1_2"),
                  BODY.replace("\n\n", "\n"), BODY.replace("12.5", ""), "", "\n"):
        assert layout.match(other) is None, other


@pytest.mark.parametrize("bad", [[("x", 0)], [(b"x", 3)], [(b"x",)], ["x"]])
def test_layout_refuses_bad_lines(bad: list[object]) -> None:
    with pytest.raises((TypeError, ValueError)):
        _promtext.Layout(bad)  # type: ignore[arg-type]


_TEXT = st.text(alphabet="0123456789+-.eEinfatyINFATY_x \r\t\x0b\x1c", max_size=25)


@budget(600)
@given(text=_TEXT)
@example(text="infinity")
@example(text="-nan")
@example(text="1e400")
@example(text="4.9e-325")
@example(text=".")
@example(text="1.5\r")
@example(text="\t2")
def test_values_read_as_python_float_reads_them(text: str) -> None:
    layout = _promtext.Layout([(b"m ", 1)])
    got = _values(layout.match(f"m {text}"))
    if got is None:  # refused: the Python path decides
        return
    assert " " not in text and "_" not in text
    want = float(text)
    assert struct.pack("=d", got[0]) == struct.pack("=d", want) or (
        math.isnan(want) and math.isnan(got[0])
        and math.copysign(1, want) == math.copysign(1, got[0]))


@budget(500)
@given(body=st.binary(max_size=300))
def test_arbitrary_bodies_never_crash(body: bytes) -> None:
    layout = _promtext.Layout(LINES)
    got = layout.match(body)
    assert got is None or len(got) == 16
    text = body.decode("utf-8", "replace")
    assert layout.match(text) is None or len(layout.match(text) or b"") == 16


def test_every_truncation_is_refused() -> None:
    layout = _promtext.Layout(LINES)
    data = BODY.encode()
    for n in range(len(data)):
        got = layout.match(data[:n])
        assert got is None or data[:n] in (data.rstrip(b"\n"),), n
    assert layout.match(data) is not None


def test_write_numbers_and_start_times() -> None:
    info = [100, float("-inf"), float("-inf"), 0]
    families = [(1, [(b"", 0, info)]), (0, [(b"\x3a\x00", 1, None)])]
    values = struct.pack("=dd", 5.0, 2.5)
    sums, gauges = _promtext.write(families, values, 200, 3) or []
    assert sums == b"\x0a\x1b" + b"\x11" + struct.pack("<Q", 100) + b"\x19" + \
        struct.pack("<Q", 200) + b"\x21" + struct.pack("<d", 5.0)
    assert gauges == b"\x0a\x14\x3a\x00\x19" + struct.pack("<Q", 200) + b"\x21" + \
        struct.pack("<d", 2.5)
    assert info == [100, 5.0, 0.0, 3]
    _promtext.write(families, struct.pack("=dd", 1.0, 0.0), 300, 4)  # a reset
    assert info == [300, 1.0, 0.0, 4]


@pytest.mark.parametrize("families", [
    [(0, [(b"", 5, None)])],                      # index past the values
    [(0, [(b"", -1, None)])],
    [(1, [(b"", 0, [1, 2])])],                    # a start entry of the wrong size
    [(1, [(b"", 0, "x")])],
    [(0, [("x", 0, None)])],
    [(2, [(b"", b"", (0, 9), 0, -1, [0, 0.0, 0.0, 0])])],
    [(2, [(b"", b"", [0], 0, -1, [0, 0.0, 0.0, 0])])],
    [(0, "x")],
    [3],
])
def test_write_refuses_bad_plans(families: list[object]) -> None:
    with pytest.raises((TypeError, IndexError)):
        _promtext.write(families, struct.pack("=d", 1.0), 5, 0)  # type: ignore[arg-type]


@budget(300)
@given(values=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=3,
                       max_size=3))
def test_histogram_counts_never_crash(values: list[float]) -> None:
    info = [1, 0.0, 0.0, 0]
    point = (b"", struct.pack("<d", 1.0), (0, 1), 2, 1, info)
    out = _promtext.write([(2, [point])], struct.pack("=3d", *values), 5, 0)
    counts_ok = all(v > -1 and v < 2.0**64 for v in (values[2], values[0],
                                                     values[1] - values[0]))
    assert (out is not None) == counts_ok
