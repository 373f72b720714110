"""The per-type key tables in receivers/healthcheck/README.md are generated from the config
models (``OTELPY_WRITE_DOCS=1`` rewrites them), as otelpy.docs does for the main table."""

from __future__ import annotations

import os
import re
from pathlib import Path

from pydantic import BaseModel

from otelpy.docs import config_table, readme_path
from otelpy.probes import config as probes
from otelpy.receivers.healthcheck.config import CheckCommon

TABLES: dict[str, type[BaseModel]] = {
    "common": CheckCommon, "http": probes.HttpProbeSettings, "tcp": probes.TcpProbeSettings,
    "dns": probes.DnsProbeSettings, "grpc": probes.GrpcProbeSettings,
    "postgresql": probes.PostgresqlProbeSettings, "redis": probes.RedisProbeSettings,
    "custom": probes.CustomProbeSettings}


def rendered(text: str) -> str:
    for name, model in TABLES.items():
        begin, end = f"<!-- BEGIN CHECK TABLE {name} -->", f"<!-- END CHECK TABLE {name} -->"
        pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
        assert pattern.search(text), f"README has no {begin} block"
        table = config_table(model)
        text = pattern.sub(lambda _m, t=table, b=begin, e=end: f"{b}\n{t}\n{e}", text)
    return text


def test_check_tables_are_current() -> None:
    path: Path = readme_path("otelpy.receivers.healthcheck")
    text = path.read_text()
    new = rendered(text)
    if os.environ.get("OTELPY_WRITE_DOCS") == "1":
        path.write_text(new)
    assert new == text, "stale check tables: run with OTELPY_WRITE_DOCS=1"
