"""Encrypted private keys are refused with an error naming the YAML key, and never make
otelpy ask for a passphrase: a real otelpy process given one, with a terminal as its
controlling tty (where OpenSSL's default callback would prompt), exits 1 at once."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import subprocess
import termios
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives import serialization

from otelpy.config.tls import TLSClientSettings, TLSServerSettings
from otelpy.testing.certs import TLSFiles, write_tls_files
from otelpy.testing.process import free_ports, otelpy_executable
from otelpy.tlsbuild import (
    TLSSetupError,
    client_ssl_context,
    grpc_channel_credentials,
    grpc_server_credentials,
    server_ssl_context,
)

FORMATS = {"pkcs8": serialization.PrivateFormat.PKCS8,
           "traditional": serialization.PrivateFormat.TraditionalOpenSSL}
WHY = "not a valid unencrypted PEM private key"


def _encrypted(key: Path, fmt: str, out: Path) -> Path:
    loaded = serialization.load_pem_private_key(key.read_bytes(), password=None)
    out.write_bytes(loaded.private_bytes(serialization.Encoding.PEM, FORMATS[fmt],
                                         serialization.BestAvailableEncryption(b"secret")))
    return out


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return write_tls_files(tmp_path_factory.mktemp("certs"))


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_builder_refuses_an_encrypted_key(certs: TLSFiles, tmp_path: Path,
                                                fmt: str) -> None:
    key = _encrypted(certs.server_key, fmt, tmp_path / "enc.key")
    assert b"ENCRYPTED" in key.read_bytes()
    for inline in (False, True):
        where = {"key_pem": key.read_text()} if inline else {"key_file": str(key)}
        server = TLSServerSettings.model_validate({"cert_file": str(certs.server_cert), **where})
        client = TLSClientSettings.model_validate({"ca_file": str(certs.ca),
                                                   "cert_file": str(certs.server_cert), **where})
        name = "key_pem" if inline else "key_file"
        builders: list[Any] = [(server_ssl_context, server), (grpc_server_credentials, server),
                               (client_ssl_context, client), (grpc_channel_credentials, client)]
        for build, tls in builders:
            with pytest.raises(TLSSetupError) as info:
                build(tls, "tls")
            assert str(info.value) == (f"tls::{name}: {WHY} matching cert_file"), build


def _config(certs: TLSFiles, key: Path, side: str) -> dict[str, Any]:
    grpc_port, http_port, metrics = free_ports(3)
    tls = {"cert_file": str(certs.server_cert), "key_file": str(key)}
    receiver: dict[str, Any] = {"protocols": {"grpc": {"endpoint": f"127.0.0.1:{grpc_port}"},
                                              "http": {"endpoint": f"127.0.0.1:{http_port}"}}}
    exporter: dict[str, Any] = {"endpoint": "https://127.0.0.1:1"}
    if side == "client":
        exporter["tls"] = {**tls, "ca_file": str(certs.ca)}
    else:
        receiver["protocols"][side]["tls"] = tls
    return {"receivers": {"otlp": receiver}, "exporters": {"otlphttp": exporter},
            "service": {"telemetry": {"metrics": {"address": f"127.0.0.1:{metrics}"}},
                        "pipelines": {"traces": {"receivers": ["otlp"],
                                                 "exporters": ["otlphttp"]}}}}


def _run_on_a_terminal(args: list[str], within: float) -> tuple[int | None, str]:
    """Run ``args`` in a new session whose controlling terminal is a pty; return its exit
    status (None: still running after ``within`` seconds, then killed) and its output."""
    master, slave = pty.openpty()

    def take_terminal() -> None:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave,
                            start_new_session=True, preexec_fn=take_terminal)
    os.close(slave)
    output = bytearray()
    deadline = time.monotonic() + within
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: every process holding the terminal is gone
                    break
                if not chunk:
                    break
                output += chunk
            elif proc.poll() is not None:
                break
        try:
            status: int | None = proc.wait(timeout=1)
        except subprocess.TimeoutExpired:  # still running: waiting for a passphrase?
            status = None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        os.close(master)
    return status, output.decode("utf-8", "replace")


@pytest.mark.parametrize("side", ["grpc", "http", "client"])
def test_otelpy_refuses_an_encrypted_key_without_prompting(certs: TLSFiles, tmp_path: Path,
                                                           side: str) -> None:
    key = _encrypted(certs.server_key, "pkcs8", tmp_path / "enc.key")
    cfg = tmp_path / "otelpy.yaml"
    cfg.write_text(yaml.safe_dump(_config(certs, key, side)))
    status, output = _run_on_a_terminal([str(otelpy_executable()), "--config", str(cfg)], 60)
    assert "pass phrase" not in output.lower(), output
    assert status == 1, (status, output)
    where = ("exporters::otlphttp: failed to start: tls::key_file" if side == "client"
             else f"receivers::otlp: failed to start: protocols::{side}::tls::key_file")
    assert f"{where}: {WHY}" in output, output
