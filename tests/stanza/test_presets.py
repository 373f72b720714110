"""The presets on real-looking lines, and the config example that writes the nginx one out."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import yaml

from otelpy.stanza.entry import Entry
from otelpy.stanza.presets import PRESETS

from .cases import run

EXAMPLE = Path(__file__).resolve().parents[2] / "config-examples" / "filelog-nginx-otlp.yaml"
LINE = ('203.0.113.9 - alice [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 404 '
        '2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"')


def test_combined_access_log() -> None:
    out, pipeline = run(PRESETS["nginx_combined"](), [Entry(body=LINE)])
    assert pipeline.errors == {}
    entry = out[0]
    assert entry.body == LINE
    assert entry.attributes == {
        "client.address": "203.0.113.9", "user.name": "alice", "http.request.method": "GET",
        "url.path": "/apache_pb.gif", "network.protocol.version": "1.0",
        "http.response.status_code": "404", "http.response.body.size": "2326",
        "http.request.header.referer": "http://www.example.com/start.html",
        "user_agent.original": "Mozilla/4.08 [en] (Win98; I ;Nav)"}
    assert entry.timestamp == int(datetime.fromisoformat(
        "2000-10-10T13:55:36-07:00").timestamp()) * 10**9
    assert (entry.severity, entry.severity_text) == (13, "404")


def test_a_line_that_is_not_an_access_log_is_kept_and_counted() -> None:
    out, pipeline = run(PRESETS["apache_combined"](), [Entry(body="nginx: worker started")])
    assert [e.body for e in out] == ["nginx: worker started"]
    assert pipeline.errors == {"combined_access_log": 1}


def test_json_application_log() -> None:
    line = '{"time":"2024-05-01T10:00:00.250Z","level":"error","msg":"db down","retry":3}'
    out, pipeline = run(PRESETS["json"](), [Entry(body=line), Entry(body="plain text")])
    assert out[0].body == "db down"
    assert out[0].attributes == {"time": "2024-05-01T10:00:00.250Z", "level": "error",
                                 "retry": 3.0}
    assert (out[0].severity, out[0].severity_text) == (17, "error")
    assert out[0].timestamp == int(datetime.fromisoformat(
        "2024-05-01T10:00:00+00:00").timestamp()) * 10**9 + 250_000_000
    assert out[1].body == "plain text" and pipeline.errors == {"json_log": 1}


def test_the_nginx_example_writes_the_preset_out() -> None:
    doc = yaml.safe_load(EXAMPLE.read_text())
    assert doc["receivers"]["filelog/nginx"]["operators"] == PRESETS["nginx_combined"]()
