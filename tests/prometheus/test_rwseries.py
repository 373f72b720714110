"""rwseries: interned label sets hold only their encoded bytes; the pairs decode back and
requests are written from them."""

from __future__ import annotations

from otelpy.prometheus.prompb import TimeSeries, decode_write_request, label_entries
from otelpy.prometheus.rwseries import LabelSets, Translation

PAIRS = (("__name__", "m"), ("job", "j"), ("path", "/é"))


def test_label_set_keeps_its_pairs_and_block() -> None:
    sets = LabelSets()
    one = sets.get(PAIRS)
    assert one is sets.get(tuple(PAIRS)) and len(sets) == 1
    assert one.key == PAIRS and one.block == label_entries(PAIRS)
    assert sets.get(PAIRS) is one
    other = sets.get((("__name__", "m"), ("job", "k")))
    assert other is not one and other.key == (("__name__", "m"), ("job", "k"))


def test_requests_decode_to_the_series_with_growing_timestamps() -> None:
    """The same label set written with timestamps of different varint sizes."""
    sets = LabelSets()
    for ts in (5, 1_700_000_000_000, 7):
        out = Translation(sets)
        out.add(dict(PAIRS), 1.5, ts)
        out.add({"__name__": "n", "job": "j"}, 2.0, ts)
        (body, count), = out.requests(1 << 20)
        got = decode_write_request(body)
        assert count == 2
        assert [(list(s.labels), [(x.value, x.timestamp) for x in s.samples])
                for s in got.timeseries] == [
            (list(PAIRS), [(1.5, ts)]), ([("__name__", "n"), ("job", "j")], [(2.0, ts)])]
        assert out.series[PAIRS] == TimeSeries(list(PAIRS), got.timeseries[0].samples)
