"""Building blocks of the otelpy configs the end-to-end tests run (all on 127.0.0.1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SIGNALS = ("traces", "metrics", "logs")
# what the own-metrics call one item of each signal (otelcol_receiver_accepted_<name>)
ITEM_NAME = {"traces": "spans", "metrics": "metric_points", "logs": "log_records"}


def otlp_receiver(grpc: int | None, http: int | None, **http_extra: Any) -> dict[str, Any]:
    protocols: dict[str, Any] = {}
    if grpc is not None:
        protocols["grpc"] = {"endpoint": f"127.0.0.1:{grpc}"}
    if http is not None:
        protocols["http"] = {"endpoint": f"127.0.0.1:{http}", **http_extra}
    return {"protocols": protocols}


def telemetry(metrics_port: int) -> dict[str, Any]:
    return {"metrics": {"address": f"127.0.0.1:{metrics_port}"}}


def pipelines(receivers: list[str], exporters: list[str], processors: list[str] | None = None,
              suffix: str = "", signals: tuple[str, ...] = SIGNALS) -> dict[str, Any]:
    """One pipeline per signal (``traces{suffix}``, ...) with the same components."""
    out: dict[str, Any] = {}
    for signal in signals:
        pipe: dict[str, Any] = {"receivers": list(receivers)}
        if processors:
            pipe["processors"] = list(processors)
        pipe["exporters"] = list(exporters)
        out[signal + suffix] = pipe
    return out


def file_exporter(path: Path, flush_interval: str | None = "100ms",
                  append: bool | None = None) -> dict[str, Any]:
    """A file exporter writing OTLP/JSON lines; None leaves a key at its default."""
    cfg: dict[str, Any] = {"path": str(path)}
    if flush_interval is not None:
        cfg["flush_interval"] = flush_interval  # default 1s: shorter keeps the suite fast
    if append is not None:
        cfg["append"] = append
    return cfg


def receiver_to_file(path: Path, grpc: int, http: int, metrics_port: int,
                     processors: dict[str, Any] | None = None,
                     flush_interval: str | None = "100ms") -> dict[str, Any]:
    """otlp (gRPC + HTTP) -> [processors] -> file exporter writing OTLP/JSON lines at ``path``."""
    cfg: dict[str, Any] = {
        "receivers": {"otlp": otlp_receiver(grpc, http)},
        "exporters": {"file": file_exporter(path, flush_interval)},
        "service": {
            "telemetry": telemetry(metrics_port),
            "pipelines": pipelines(["otlp"], ["file"], list(processors or {})),
        },
    }
    if processors:
        cfg["processors"] = processors
    return cfg
