"""TLS settings: load-time rules, and building SSLContexts / grpc credentials from them,
with errors that name the YAML key and never show key material."""

from __future__ import annotations

import logging
import ssl
import tempfile
from pathlib import Path
from typing import Any

import grpc
import pytest
from pydantic import ValidationError

from otelpy.config.client import GRPCClientSettings, HTTPClientSettings
from otelpy.config.server import GRPCServerSettings, HTTPServerSettings
from otelpy.config.tls import TLSClientSettings, TLSServerSettings
from otelpy.testing.certs import TLSFiles, write_tls_files
from otelpy.tlsbuild import (
    TLSSetupError,
    client_ssl_context,
    grpc_channel_credentials,
    grpc_server_credentials,
    server_ssl_context,
    warn_if_unverified,
)

WHERE = "protocols::grpc::tls"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return write_tls_files(tmp_path_factory.mktemp("certs"))


def _server(certs: TLSFiles, **extra: Any) -> TLSServerSettings:
    return TLSServerSettings.model_validate(
        {"cert_file": str(certs.server_cert), "key_file": str(certs.server_key), **extra})


def _error(model: type, doc: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        model.model_validate(doc)
    return str(info.value.errors()[0]["msg"])


# -- load-time rules ----------------------------------------------------------------------
@pytest.mark.parametrize(("doc", "fragment"), [
    ({}, "a TLS server needs cert_file"),
    ({"cert_file": "a.crt"}, "must be set together"),
    ({"cert_file": "a", "cert_pem": "x", "key_file": "k"}, "cert_file and cert_pem are both set"),
    ({"cert_file": "a", "key_file": "k", "min_version": "1.3", "max_version": "1.2"},
     "min_version 1.3 is newer than max_version 1.2"),
    ({"cert_file": "a", "key_file": "k", "cipher_suites": ["TLS_RSA_WITH_RC4_128_SHA"]},
     "unknown cipher suite 'TLS_RSA_WITH_RC4_128_SHA'"),
], ids=["no-cert", "cert-without-key", "file-and-pem", "min-above-max", "unknown-cipher"])
def test_server_rules(doc: dict[str, Any], fragment: str) -> None:
    assert fragment in _error(TLSServerSettings, doc)


def test_defaults_follow_the_collector() -> None:
    tls = TLSClientSettings()
    assert (tls.min_version, tls.max_version, tls.insecure, tls.insecure_skip_verify) == (
        "1.2", "", False, False)
    assert HTTPServerSettings().tls is None and GRPCServerSettings().tls is None


def test_grpc_refuses_what_grpcio_cannot_do() -> None:
    tls = {"cert_file": "a", "key_file": "k", "min_version": "1.3"}
    assert "min_version 1.3 is not supported for gRPC" in _error(
        GRPCServerSettings, {"tls": tls})
    assert HTTPServerSettings.model_validate({"tls": tls}).tls is not None  # HTTP can
    # plaintext: TLS options do not matter
    plain = GRPCClientSettings.model_validate(
        {"endpoint": "http://h:4317", "tls": {"insecure_skip_verify": True}})
    assert plain.plaintext()


# gRPC clients with insecure_skip_verify use otelpy.grpcbridge (Python's ssl): versions and
# cipher suites are honoured there, so only they accept them.
_PYTHON_SSL_ONLY = {"min_version": "1.3", "max_version": "1.2",
                    "cipher_suites": ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]}


@pytest.mark.parametrize(("key", "fragment"), [
    ("min_version", "min_version 1.3 is not supported for gRPC"),
    ("max_version", "max_version 1.2 is not supported for gRPC"),
    ("cipher_suites", "cipher_suites is not supported for gRPC"),
], ids=["min-version", "max-version", "cipher-suites"])
def test_grpc_skip_verify_client_accepts_python_ssl_settings(key: str, fragment: str) -> None:
    value = _PYTHON_SSL_ONLY[key]
    skip = GRPCClientSettings.model_validate(
        {"endpoint": "h:4317", "tls": {"insecure_skip_verify": True, key: value}})
    assert skip.tls.insecure_skip_verify and getattr(skip.tls, key) == value
    assert not skip.plaintext()
    # a verifying gRPC client, and any gRPC server, still refuse them
    assert fragment in _error(GRPCClientSettings, {"endpoint": "h:4317", "tls": {key: value}})
    assert fragment in _error(GRPCServerSettings, {"tls": {
        "cert_file": "a", "key_file": "k", key: value}})


def test_grpc_skip_verify_client_accepted() -> None:
    cfg = GRPCClientSettings.model_validate(
        {"endpoint": "h:4317", "tls": {"insecure_skip_verify": True}})
    assert cfg.tls.insecure_skip_verify and not cfg.plaintext()


def test_secret_pems_never_print(certs: TLSFiles) -> None:
    key = certs.server_key.read_text()
    tls = TLSServerSettings.model_validate({"cert_pem": certs.server_cert.read_text(),
                                            "key_pem": key})
    assert key not in repr(tls) and key not in str(tls.model_dump(mode="json"))
    assert "-----BEGIN" not in str(tls.model_dump(mode="json")["key_pem"])


# -- building ---------------------------------------------------------------------------
def test_server_context_from_files(certs: TLSFiles) -> None:
    ctx = server_ssl_context(_server(certs), WHERE)
    assert ctx.minimum_version is ssl.TLSVersion.TLSv1_2
    assert ctx.verify_mode is ssl.CERT_NONE
    mtls = server_ssl_context(_server(certs, client_ca_file=str(certs.ca), min_version="1.3"),
                              WHERE)
    assert mtls.verify_mode is ssl.CERT_REQUIRED
    assert mtls.minimum_version is ssl.TLSVersion.TLSv1_3


def test_inline_pems_leave_no_file_behind(certs: TLSFiles) -> None:
    before = set(Path(tempfile.gettempdir()).glob("otelpy-tls-*"))
    tls = TLSServerSettings.model_validate({"cert_pem": certs.server_cert.read_text(),
                                            "key_pem": certs.server_key.read_text()})
    ctx = server_ssl_context(tls, WHERE)
    assert isinstance(ctx, ssl.SSLContext)
    assert set(Path(tempfile.gettempdir()).glob("otelpy-tls-*")) == before


@pytest.mark.parametrize(("change", "key", "why"), [
    ({"cert_file": "/nonexistent/s.crt"}, "cert_file", "cannot read '/nonexistent/s.crt'"),
    ({"key_file": "/nonexistent/k.pem"}, "key_file", "cannot read"),
    ({"client_ca_file": "/nonexistent/ca.pem"}, "client_ca_file", "cannot read"),
    ({"cert_file": "GARBAGE"}, "cert_file", "no valid PEM certificate"),
    ({"key_file": "OTHER_KEY"}, "key_file", "not a valid unencrypted PEM private key"),
    ({"client_ca_file": "GARBAGE"}, "client_ca_file", "no valid PEM certificate"),
], ids=["missing-cert", "missing-key", "missing-client-ca", "bad-cert", "wrong-key", "bad-ca"])
def test_server_errors_name_the_key(certs: TLSFiles, tmp_path: Path, change: dict[str, str],
                                    key: str, why: str) -> None:
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    subst = {"GARBAGE": str(garbage), "OTHER_KEY": str(certs.client_key)}
    tls = _server(certs, **{k: subst.get(v, v) for k, v in change.items()})
    for build in (server_ssl_context, grpc_server_credentials):
        with pytest.raises(TLSSetupError) as info:
            build(tls, WHERE)  # type: ignore[operator]
        assert str(info.value).startswith(f"{WHERE}::{key}: "), str(info.value)
        assert why in str(info.value)
        assert "PRIVATE KEY" not in str(info.value)


def test_bad_inline_key_is_named_and_not_shown(certs: TLSFiles) -> None:
    tls = TLSServerSettings.model_validate({"cert_file": str(certs.server_cert),
                                            "key_pem": "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n"
                                                       "-----END PRIVATE KEY-----\n"})
    with pytest.raises(TLSSetupError, match=r"^tls::key_pem: ") as info:
        server_ssl_context(tls, "tls")
    assert "c2VjcmV0" not in str(info.value)


def test_client_contexts(certs: TLSFiles, caplog: pytest.LogCaptureFixture) -> None:
    verified = client_ssl_context(TLSClientSettings(ca_file=str(certs.ca)), "tls")
    assert verified.verify_mode is ssl.CERT_REQUIRED and verified.check_hostname
    assert len(verified.get_ca_certs()) == 1  # only the configured CA, not the system's
    both = client_ssl_context(TLSClientSettings(ca_file=str(certs.ca),
                                                include_system_ca_certs_pool=True), "tls")
    assert len(both.get_ca_certs()) > 1
    loose = TLSClientSettings(insecure_skip_verify=True)
    ctx = client_ssl_context(loose, "tls")
    assert ctx.verify_mode is ssl.CERT_NONE and not ctx.check_hostname
    with caplog.at_level(logging.WARNING):
        warn_if_unverified(loose, logging.getLogger("t"), "tls")
    assert "insecure_skip_verify is true" in caplog.text
    assert isinstance(grpc_channel_credentials(
        TLSClientSettings(ca_file=str(certs.ca), cert_file=str(certs.client_cert),
                          key_file=str(certs.client_key)), "tls"), grpc.ChannelCredentials)
    with pytest.raises(TLSSetupError, match=r"^tls::ca_file: cannot read"):
        grpc_channel_credentials(TLSClientSettings(ca_file="/nonexistent"), "tls")


def test_server_name_override_reaches_grpc_and_http(certs: TLSFiles) -> None:
    cfg = GRPCClientSettings.model_validate(
        {"endpoint": "10.0.0.1:4317", "tls": {"server_name_override": "collector.internal"}})
    assert ("grpc.ssl_target_name_override", "collector.internal") in cfg.channel_options()
    http = HTTPClientSettings.model_validate({"endpoint": "https://h",
                                              "tls": {"server_name_override": "x"}})
    assert http.tls.server_name_override == "x"
