"""The text-format and OpenMetrics parser against prometheus_client's parsers on the same
inputs, and the bodies both refuse."""

from __future__ import annotations

import math

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_families
from prometheus_client.parser import text_string_to_metric_families as text_families

from otelpy.prometheus.textparse import ParseError, parse

TEXT = """# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000
# Escaping in label values:
msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",\
error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9
metric_without_timestamp_and_labels 12.47
something_weird{problem="division by zero"} +Inf -3982045
# HELP http_request_duration_seconds A histogram of the request duration.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.5"} 4773
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
trailing_comma{a="1",} NaN
spaces { a = "x" , b="y" } -1.5e-3
"""

OM = """# TYPE acme_http_router_request_seconds summary
# UNIT acme_http_router_request_seconds seconds
# HELP acme_http_router_request_seconds Latency though all of ACME's HTTP request router.
acme_http_router_request_seconds_sum{path="/api/v1",method="GET"} 9036.32
acme_http_router_request_seconds_count{path="/api/v1",method="GET"} 807283.0
acme_http_router_request_seconds_created{path="/api/v1",method="GET"} 1605281325.0
# TYPE foo counter
foo_total 17.0 1520879607.789 # {trace_id="KOO5S4vxi0o"} 0.67
foo_created 1520430000.123 1520879607.789
# TYPE lat histogram
lat_bucket{le="0.5"} 1 # {trace_id="abc",span_id="de"} 0.3 1520879607.5
lat_bucket{le="+Inf"} 2
lat_count 2
lat_sum 0.9
# EOF
"""


def _library(families: object) -> list[tuple[str, dict[str, str], float, object]]:
    out = []
    for family in families:  # type: ignore[attr-defined]
        for s in family.samples:
            ts = None if s.timestamp is None else round(float(s.timestamp) * 1000)
            out.append((s.name, s.labels, s.value, ts))
    return out


def _ours(body: str, om: bool) -> list[tuple[str, dict[str, str], float, object]]:
    return [(s.name, s.labels, s.value, s.timestamp_ms) for s in parse(body, om).samples]


def _same(a: list, b: list) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x[:2] == y[:2] and x[3] == y[3]
        assert (math.isnan(x[2]) and math.isnan(y[2])) or x[2] == y[2]


def test_text_format_matches_prometheus_client() -> None:
    text_lib = _library(text_families(TEXT))
    _same(_ours(TEXT, False), text_lib)
    parsed = parse(TEXT)
    assert parsed.families["http_requests_total"].type == "counter"
    assert parsed.families["http_requests_total"].help == "The total number of HTTP requests."
    assert parsed.families["rpc_duration_seconds"].type == "summary"
    assert parsed.samples[2].labels["error"] == 'Cannot find file:\n"FILE.TXT"'


def test_openmetrics_matches_prometheus_client_with_exemplars() -> None:
    _same(_ours(OM, True), _library(om_families(OM)))
    parsed = parse(OM, True)
    meta = parsed.families["acme_http_router_request_seconds"]
    assert (meta.type, meta.unit) == ("summary", "seconds")
    foo = next(s for s in parsed.samples if s.name == "foo_total")
    assert foo.exemplar is not None and foo.exemplar.labels == {"trace_id": "KOO5S4vxi0o"}
    assert foo.timestamp_ms == 1520879607789
    lib = next(s for f in om_families(OM) for s in f.samples if s.name == "lat_bucket")
    ours = next(s for s in parsed.samples if s.name == "lat_bucket")
    assert ours.exemplar is not None and lib.exemplar is not None
    assert ours.exemplar.labels == lib.exemplar.labels
    assert ours.exemplar.value == lib.exemplar.value
    assert ours.exemplar.timestamp_ms == round(float(lib.exemplar.timestamp) * 1000)


BAD_TEXT = [
    ("no_value", "metric_without_value\n"),
    ("bad_value", "m 12abc\n"),
    ("underscore_number", "m 1_000\n"),
    ("unterminated_label", 'm{a="b} 1\n'),
    ("bad_label_name", 'm{0a="b"} 1\n'),
    ("duplicate_label", 'm{a="1",a="2"} 1\n'),
    ("bad_type", "# TYPE m countr\nm 1\n"),
    ("bad_timestamp", "m 1 12.5\n"),
    ("binary", "\x00\x01\x02 garbage\n"),
    ("exemplar_in_text", 'm 1 # {a="b"} 1\n'),
]


@pytest.mark.parametrize("body", [b for _, b in BAD_TEXT], ids=[i for i, _ in BAD_TEXT])
def test_garbage_text_is_refused_naming_the_line(body: str) -> None:
    """Prometheus's text parser refuses each of these (prometheus_client is laxer with some)."""
    with pytest.raises(ParseError, match="line 1|line 2"):
        parse(body)


@pytest.mark.parametrize("body,why", [
    ("m 1\n", "does not end with # EOF"),
    ("m 1\n# EOF\nm 2\n", "content after # EOF"),
    ("m 1\n\n# EOF\n", "empty line"),
    ("# random comment\nm 1\n# EOF\n", "invalid comment"),
], ids=["no_eof", "after_eof", "blank_line", "comment"])
def test_openmetrics_rules(body: str, why: str) -> None:
    with pytest.raises(ParseError, match=why):
        parse(body, True)
    with pytest.raises(ValueError):
        list(om_families(body))


def test_hex_and_special_floats_as_go_reads_them() -> None:
    values = [s.value for s in parse("a 0x1p-2\nb -Inf\nc +Inf\nd 1e3\n").samples]
    assert values == [0.25, -math.inf, math.inf, 1000.0]


class _Ref:
    def __init__(self, name: str, labels: dict[str, str], keep: bool = True) -> None:
        self.name, self.labels, self.keep = name, labels, keep


def _remember(body: str, om: bool) -> dict[str, _Ref]:
    return {s.series: _Ref(s.name, s.labels) for s in parse(body, om).samples if s.series}


@pytest.mark.parametrize(("body", "om", "rememberable", "not_rememberable"), [
    (TEXT, False, "metric_without_timestamp_and_labels",
     'http_requests_total{method="post",code="400"}'),  # two spaces, a timestamp
    (OM, True, 'lat_bucket{le="+Inf"}', 'lat_bucket{le="0.5"}')])  # an exemplar
def test_known_series_read_the_same_as_parsed_in_full(body: str, om: bool, rememberable: str,
                                                      not_rememberable: str) -> None:
    known = _remember(body, om)
    assert rememberable in known and not_rememberable not in known
    again = parse(body, om, known)
    _same(_ours(body, om), [(s.name, s.labels, s.value, s.timestamp_ms)
                            for s in again.samples])
    hits = [ref for ref in again.refs if ref is not None]
    assert len(hits) == len(known) and again.count == len(again.samples)


def test_known_series_with_other_values_and_what_still_fails() -> None:
    known = _remember("a 1\nb{x=\"1\"} 2\nc 3\n", False)
    known["c"] = _Ref("c", {}, keep=False)
    got = parse('a 0x1p4\nb{x="1"} -Inf\nc 5\nb{x="1"} 7 123\n', False, known)
    assert [(s.name, s.value, s.timestamp_ms) for s in got.samples] == [
        ("a", 16.0, None), ("b", -math.inf, None), ("b", 7.0, 123)]
    assert got.count == 4  # c was read and left out, still counted
    assert got.refs[0] is None and got.refs[1] is known['b{x="1"}'] and got.refs[2] is None
    for bad in ("a 1_000\n", "a 1#\n", "a \n", 'b{x="1"} 1 2 3\n'):
        with pytest.raises(ParseError, match="line 1"):
            parse(bad, False, known)
    with pytest.raises(ParseError, match="line 2: content after # EOF"):
        parse("# EOF\na 1\n", True, known)
