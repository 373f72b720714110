"""otlp receiver config (the Collector's keys and defaults) and the shared server settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from otelpy.component import Kind, Signal, Stability
from otelpy.config.server import (
    CORSSettings,
    Endpoint,
    GRPCServerSettings,
    HTTPServerSettings,
)
from otelpy.docs import render
from otelpy.receivers.otlp import OTLPReceiverConfig, factory


def _cfg(protocols: Any) -> OTLPReceiverConfig:
    return OTLPReceiverConfig.model_validate({"protocols": protocols})


def test_factory() -> None:
    assert factory.type == "otlp" and factory.kind is Kind.RECEIVER
    assert factory.signals() == frozenset(Signal)
    assert set(factory.stability.values()) == {Stability.STABLE}


def test_defaults_match_the_collector() -> None:
    cfg = factory.default_config()
    assert isinstance(cfg, OTLPReceiverConfig) and cfg.validate_config() == []
    grpc, http = cfg.protocols.grpc, cfg.protocols.http
    assert grpc is not None and http is not None
    assert (grpc.endpoint, grpc.max_recv_msg_size_mib, grpc.read_buffer_size) == (
        "localhost:4317", 4, 512 * 1024)
    assert (http.endpoint, http.max_request_body_size) == ("localhost:4318", 20 * 1024 * 1024)
    assert (http.traces_url_path, http.metrics_url_path, http.logs_url_path) == (
        "/v1/traces", "/v1/metrics", "/v1/logs")
    assert (http.read_header_timeout, http.write_timeout, http.idle_timeout) == (0, 0, 0)
    # plain confighttp defaults, for other HTTP servers
    plain = HTTPServerSettings()
    assert (plain.read_header_timeout, plain.write_timeout, plain.idle_timeout) == (60, 30, 60)


def test_null_protocol_means_defaults_and_absent_means_disabled() -> None:
    cfg = _cfg({"grpc": None})
    assert cfg.protocols.grpc is not None and cfg.protocols.grpc.endpoint == "localhost:4317"
    assert cfg.protocols.http is None and cfg.validate_config() == []
    cfg = _cfg({"http": {}})
    assert cfg.protocols.grpc is None and cfg.protocols.http is not None


@pytest.mark.parametrize("protocols, problem", [
    ({}, "must specify at least one protocol"),
    ({"grpc": {"endpoint": "127.0.0.1:4317"}, "http": {"endpoint": ":4317"}}, "same port"),
    ({"grpc": {"endpoint": "localhost:5000"}, "http": {"endpoint": "127.0.0.1:5000"}},
     "same port"),
], ids=["none", "port-clash-wildcard", "port-clash-localhost"])
def test_validate_config(protocols: Any, problem: str) -> None:
    problems = _cfg(protocols).validate_config()
    assert len(problems) == 1 and problem in problems[0]
    assert problems[0].startswith("protocols:")


@pytest.mark.parametrize("protocols", [
    {"grpc": {"endpoint": "nope"}},
    {"grpc": {"endpont": "localhost:4317"}},
    {"grpc": {"max_recv_msg_size_mib": -1}},
    {"grpc": {"transport": "unix"}},
    {"http": {"endpoint": "localhost:99999"}},
    {"http": {"read_timeout": "soon"}},
    {"http": {"cors": {"allowed_origins": 5}}},  # one string is a one-item list
    {"http": {"traces_url_path": "has space"}},
    {"thrift": {}},
], ids=["endpoint", "typo", "negative", "transport", "port-range", "duration", "cors-list",
        "path", "unknown-protocol"])
def test_invalid_values_are_refused(protocols: Any) -> None:
    with pytest.raises(ValidationError):
        _cfg(protocols)


def test_url_paths_get_a_leading_slash() -> None:
    http = _cfg({"http": {"traces_url_path": "a/b", "logs_url_path": "/c"}}).protocols.http
    assert http is not None and (http.traces_url_path, http.logs_url_path) == ("/a/b", "/c")


@pytest.mark.parametrize("text, host, bind, grpc_address", [
    ("localhost:4317", "localhost", "127.0.0.1", "127.0.0.1:4317"),
    (":4317", None, None, "[::]:4317"),
    ("0.0.0.0:4317", "0.0.0.0", "0.0.0.0", "0.0.0.0:4317"),
    ("[::1]:4317", "::1", "::1", "[::1]:4317"),
    (" 10.1.2.3:0 ", "10.1.2.3", "10.1.2.3", "10.1.2.3:0"),
], ids=["localhost", "all", "v4-any", "v6", "spaces"])
def test_endpoint_parse(text: str, host: str | None, bind: str | None,
                        grpc_address: str) -> None:
    ep = Endpoint.parse(text)
    assert (ep.host, ep.bind_host, ep.grpc_address()) == (host, bind, grpc_address)
    assert str(ep) == text.strip()


@pytest.mark.parametrize("text", ["localhost", "localhost:", "host:port", "::1:4317",
                                  "[::1:4317", "h:65536", ""])
def test_endpoint_parse_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="endpoint"):
        Endpoint.parse(text)


def test_grpc_options() -> None:
    s = GRPCServerSettings.model_validate({
        "max_recv_msg_size_mib": 16, "max_concurrent_streams": 100, "read_buffer_size": 1024,
        "max_connections": 50, "max_metadata_size": 4096,
        "write_buffer_size": 2048, "keepalive": {
            "server_parameters": {"max_connection_idle": "11s", "max_connection_age": "12s",
                                  "max_connection_age_grace": "13s", "time": "14s",
                                  "timeout": "15s"},
            "enforcement_policy": {"min_time": "16s", "permit_without_stream": True}}})
    assert dict(s.grpc_options()) == {
        "grpc.so_reuseport": 0,
        "grpc.max_receive_message_length": 32 * 1024 * 1024,  # the ceiling: 2 x limit
        "grpc.max_concurrent_streams": 100,
        "grpc.max_allowed_incoming_connections": 50,
        "grpc.max_metadata_size": 4096, "grpc.absolute_max_metadata_size": 4096,
        "grpc.experimental.tcp_read_chunk_size": 1024,
        "grpc.http2.write_buffer_size": 2048,
        "grpc.max_connection_idle_ms": 11000, "grpc.max_connection_age_ms": 12000,
        "grpc.max_connection_age_grace_ms": 13000, "grpc.keepalive_time_ms": 14000,
        "grpc.keepalive_timeout_ms": 15000,
        "grpc.http2.min_ping_interval_without_data_ms": 16000,
        "grpc.keepalive_permit_without_calls": 1,
    }
    # 0 = grpc's 4 MiB limit; grpc's own ceiling is then limit + 4 MiB
    default = GRPCServerSettings(max_recv_msg_size_mib=0)
    assert default.max_recv_msg_size == 4 * 1024 * 1024
    assert dict(default.grpc_options())["grpc.max_receive_message_length"] == 8 * 1024 * 1024
    assert GRPCServerSettings(max_recv_msg_size_mib=1).grpc_message_ceiling == 5 * 1024 * 1024
    assert GRPCServerSettings(max_recv_msg_size_mib=4096).grpc_message_ceiling == 2**31 - 1


def test_http_limits() -> None:
    assert HTTPServerSettings(max_request_body_size=0).body_limit == 20 * 1024 * 1024
    assert HTTPServerSettings(idle_timeout=0, read_timeout=5).keepalive_timeout == 5
    assert HTTPServerSettings(idle_timeout=0).keepalive_timeout is None
    assert CORSSettings().allowed_origins == []


def test_collector_style_document() -> None:
    """A config written for the Collector's otlpreceiver validates unchanged."""
    cfg = _cfg({
        "grpc": {"endpoint": "0.0.0.0:4317", "transport": "tcp", "max_recv_msg_size_mib": 32,
                 "keepalive": {"server_parameters": {"max_connection_age": "1m"}},
                 "include_metadata": True},
        "http": {"endpoint": "0.0.0.0:4318", "cors": {"allowed_origins": ["http://*.x.com"],
                                                      "max_age": 7200},
                 "max_request_body_size": 1048576, "read_timeout": "30s",
                 "write_timeout": "30s", "idle_timeout": "1m", "read_header_timeout": "10s",
                 "traces_url_path": "/otlp/v1/traces"}})
    assert cfg.validate_config() == []
    dumped = cfg.model_dump(mode="json")
    assert dumped["protocols"]["http"]["read_timeout"] == "30s"
    assert OTLPReceiverConfig.model_validate(dumped) == cfg


def test_readme_config_table_is_current() -> None:
    readme = Path(__file__).parents[3] / "receivers" / "otlp" / "README.md"
    text = readme.read_text()
    assert render(text, OTLPReceiverConfig) == text
