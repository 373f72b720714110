"""DESIGN.md, "Import cost": a minimal config (OTLP in, batch, OTLP/HTTP out) must not
import the heavy libraries other components need. Validating and building it (every
factory and config model of every component is imported on the way) is run in a fresh
interpreter, and the modules it loaded are checked."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

MINIMAL = """
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:0
processors:
  batch:
exporters:
  otlp_http:
    endpoint: http://127.0.0.1:1
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlp_http]
"""

# imported only by the components that need them, when they are created
HEAVY = ("numpy", "sklearn", "scipy", "asyncpg", "redis", "kubernetes_asyncio",
         "influxdb_client", "ddsketch", "aiosmtplib", "aiosmtpd", "thrift", "cramjam",
         "pyinstrument", "dns", "grpc_health.v1", "lark", "drain3", "reactivex", "pandas")

PROBE = textwrap.dedent("""
    import json, sys
    from otelpy import config as otelconfig
    from otelpy.graph import Graph
    from otelpy.registry import default_registry
    from otelpy.telemetry import Telemetry
    registry = default_registry()
    cfg = otelconfig.validate(otelconfig.load([sys.argv[1]], env={}), registry)
    Graph(cfg, registry, Telemetry()).build()
    print(json.dumps(sorted(sys.modules)))
""")


def test_minimal_config_imports_no_heavy_library(tmp_path: Path) -> None:
    path = tmp_path / "minimal.yaml"
    path.write_text(MINIMAL)
    out = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True,
                         text=True, timeout=120, check=True)
    modules = json.loads(out.stdout)
    assert "otelpy.receivers.otlp" in modules and "otelpy.processors.batch" in modules
    # grpc itself imports the (empty) grpc_health package when it is installed: only its
    # service modules count
    loaded = sorted(m for m in modules
                    if m.split(".")[0] in HEAVY or m.startswith("grpc_health.v1"))
    assert loaded == [], f"a minimal config imports {loaded}"
