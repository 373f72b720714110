"""Small factories of every kind, so config tests never depend on real components."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import Field

from otelpy.component import Factory, Kind, Stability
from otelpy.config.types import ConfigModel, Duration, Secret
from otelpy.registry import Registry

ALL = {"traces": Stability.BETA, "metrics": Stability.BETA, "logs": Stability.BETA}


def _never(*_: Any) -> None:
    raise AssertionError("config tests never create components")


class Endpoint(ConfigModel):
    endpoint: str = Field(default="localhost:4317", description="host:port to listen on")


class Protocols(ConfigModel):
    grpc: Endpoint | None = Field(default=None, description="gRPC server")
    http: Endpoint | None = Field(default=None, description="HTTP server")


class OtlpReceiverConfig(ConfigModel):
    protocols: Protocols = Field(default_factory=Protocols, description="protocols served")


class HostMetricsConfig(ConfigModel):
    collection_interval: Duration = Field(default=60.0, description="how often to scrape")


class BatchConfig(ConfigModel):
    timeout: Duration = Field(default=0.2, description="flush after this long")
    send_batch_size: int = Field(default=8192, ge=0, description="flush at this many items")
    send_batch_max_size: int = Field(default=0, ge=0, description="split above this size")

    def validate_config(self) -> list[str]:
        if self.send_batch_max_size and self.send_batch_max_size < self.send_batch_size:
            return ["send_batch_max_size: must be 0 or >= send_batch_size"]
        return []


class SamplingConfig(ConfigModel):
    sampling_percentage: float = Field(default=100.0, ge=0, le=100, description="percent kept")


class DebugConfig(ConfigModel):
    verbosity: Literal["basic", "normal", "detailed"] = Field(default="basic",
                                                              description="how much to print")


class Auth(ConfigModel):
    username: str = Field(default="", description="user")
    password: Secret | None = Field(default=None, description="password")


class OtlpHttpConfig(ConfigModel):
    endpoint: str = Field(description="base URL")
    headers: dict[str, str] = Field(default_factory=dict, description="extra headers")
    api_key: Secret | None = Field(default=None, description="API key")
    auth: Auth = Field(default_factory=Auth, description="basic auth")
    compression: str = Field(default="gzip", description="compression")
    insecure: bool = Field(default=False, description="plain HTTP")


class HealthCheckConfig(ConfigModel):
    endpoint: str = Field(default="localhost:13133", description="host:port")


def _factory(type_: str, kind: Kind, model: type[ConfigModel],
             stability: dict[str, Stability]) -> Factory:
    return Factory(type_, kind, model, create=_never, stability=stability)


def make_registry() -> Registry:
    pair = Stability.BETA
    return Registry([
        _factory("otlp", Kind.RECEIVER, OtlpReceiverConfig, ALL),
        _factory("hostmetrics", Kind.RECEIVER, HostMetricsConfig, {"metrics": pair}),
        _factory("batch", Kind.PROCESSOR, BatchConfig, ALL),
        _factory("probabilistic_sampler", Kind.PROCESSOR, SamplingConfig,
                 {"traces": pair, "logs": pair}),
        _factory("debug", Kind.EXPORTER, DebugConfig, ALL),
        _factory("otlphttp", Kind.EXPORTER, OtlpHttpConfig, ALL),
        _factory("forward", Kind.CONNECTOR, ConfigModel,
                 {"traces->traces": pair, "metrics->metrics": pair, "logs->logs": pair}),
        _factory("count", Kind.CONNECTOR, ConfigModel,
                 {"traces->metrics": pair, "logs->metrics": pair}),
        _factory("health_check", Kind.EXTENSION, HealthCheckConfig, {"extension": pair}),
    ])


@pytest.fixture(scope="session")
def registry() -> Registry:
    return make_registry()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary current directory, so messages show short relative file names."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def write(workdir: Path) -> Any:
    """write(name, yaml) -> name: a dedented file (line 1 = first line of the text)."""

    def _write(name: str, text: str) -> str:
        path = workdir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return name

    return _write
