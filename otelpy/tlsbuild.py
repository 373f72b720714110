"""TLS settings -> what servers and clients use: :class:`ssl.SSLContext` (aiohttp) and
grpc credentials.

Every builder reads files (call it through ``asyncio.to_thread`` from a running loop)
and raises :class:`TLSSetupError` naming the YAML key at fault (``where`` is the path
of the ``tls`` mapping, e.g. ``protocols::grpc::tls``) when a file cannot be read or
holds no valid PEM, or a key does not match its certificate. Key material is never
part of a message.
"""

from __future__ import annotations

import logging
import os
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import grpc

from otelpy.config.tls import GO_CIPHER_SUITES, TLSClientSettings, TLSServerSettings
from otelpy.errors import ComponentStartError

__all__ = ["TLSSetupError", "server_ssl_context", "client_ssl_context",
           "grpc_server_credentials", "grpc_server_certificates", "grpc_channel_credentials",
           "warn_if_unverified"]

_VERSIONS = {"1.0": ssl.TLSVersion.TLSv1, "1.1": ssl.TLSVersion.TLSv1_1,
             "1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}

TLSSettings = TLSServerSettings | TLSClientSettings


class TLSSetupError(ComponentStartError):
    """Certificates or keys could not be loaded; the message names the YAML key."""


@dataclass(frozen=True)
class _Material:
    """PEM bytes of one side's certificate chain, key and trusted CAs (None = not set)."""

    cert: bytes | None
    key: bytes | None
    ca: bytes | None
    client_ca: bytes | None = None


def _key(where: str, name: str) -> str:
    return f"{where}::{name}" if where else name


def _read(where: str, name: str, path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise TLSSetupError(f"{_key(where, name)}: cannot read {path!r}: "
                            f"{exc.strerror or exc}") from None


def _system_roots(where: str) -> bytes:
    """The system's CA bundle (for grpc, which takes PEM bytes)."""
    cafile = ssl.get_default_verify_paths().cafile
    if not cafile:
        raise TLSSetupError(f"{_key(where, 'include_system_ca_certs_pool')}: no system CA "
                            "bundle found (set SSL_CERT_FILE)")
    return _read(where, "include_system_ca_certs_pool", cafile)


def _material(tls: TLSSettings, where: str) -> _Material:
    def pick(name: str) -> bytes | None:
        path = getattr(tls, f"{name}_file")
        if path:
            return _read(where, f"{name}_file", path)
        inline = getattr(tls, f"{name}_pem")
        if inline:
            text = inline if isinstance(inline, str) else inline.reveal()
            return text.encode()
        return None

    client_ca = None
    if isinstance(tls, TLSServerSettings) and tls.client_ca_file:
        client_ca = _read(where, "client_ca_file", tls.client_ca_file)
    return _Material(pick("cert"), pick("key"), pick("ca"), client_ca)


def _source(tls: TLSSettings, name: str) -> str:
    """The key a user set for ``name`` (``cert_file`` or ``cert_pem``), for messages."""
    return f"{name}_file" if getattr(tls, f"{name}_file") else f"{name}_pem"


def _load_cas(ctx: ssl.SSLContext, pem: bytes, where: str, key: str) -> None:
    try:
        ctx.load_verify_locations(cadata=pem.decode("ascii"))
    except (ssl.SSLError, ValueError, UnicodeDecodeError):
        raise TLSSetupError(f"{_key(where, key)}: no valid PEM certificate found") from None


@contextmanager
def _pem_paths(tls: TLSSettings, m: _Material) -> Iterator[tuple[str, str]]:
    """Paths of the certificate and key for ``load_cert_chain``: the configured files, or
    inline PEMs written to a private temporary directory removed right after."""
    if tls.cert_file and tls.key_file:
        yield tls.cert_file, tls.key_file
        return
    with tempfile.TemporaryDirectory(prefix="otelpy-tls-") as tmp:
        paths = []
        for name, data in (("cert", m.cert), ("key", m.key)):
            path = getattr(tls, f"{name}_file") or os.path.join(tmp, f"{name}.pem")
            if not getattr(tls, f"{name}_file"):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data or b"")
            paths.append(path)
        yield paths[0], paths[1]


def _no_password() -> bytes:
    # an encrypted key must fail, never prompt on a terminal
    return b""


def _load_identity(ctx: ssl.SSLContext, tls: TLSSettings, m: _Material, where: str) -> None:
    """Load this side's certificate and key, telling a bad certificate from a bad key."""
    if m.cert is None or m.key is None:
        return
    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    _load_cas(probe, m.cert, where, _source(tls, "cert"))
    with _pem_paths(tls, m) as (cert_path, key_path):
        try:
            ctx.load_cert_chain(cert_path, key_path, password=_no_password)
        except ssl.SSLError:
            raise TLSSetupError(
                f"{_key(where, _source(tls, 'key'))}: not a valid unencrypted PEM private key "
                f"matching {_source(tls, 'cert')}") from None


def _apply_versions(ctx: ssl.SSLContext, tls: TLSSettings) -> None:
    ctx.minimum_version = _VERSIONS[tls.min_version or "1.2"]
    if tls.max_version:
        ctx.maximum_version = _VERSIONS[tls.max_version]
    suites = [GO_CIPHER_SUITES[c] for c in tls.cipher_suites]
    ciphers = ":".join(s for s in suites if s) or None
    if tls.min_version in ("1.0", "1.1"):
        # OpenSSL 3's default security level refuses TLS < 1.2; asking for it means it
        ciphers = (ciphers or "DEFAULT") + ":@SECLEVEL=0"
    if ciphers:
        ctx.set_ciphers(ciphers)


def _server_context(tls: TLSServerSettings, m: _Material, where: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    _apply_versions(ctx, tls)
    _load_identity(ctx, tls, m, where)
    if m.client_ca is not None:
        _load_cas(ctx, m.client_ca, where, "client_ca_file")
        if tls.include_system_ca_certs_pool:
            ctx.load_default_certs(ssl.Purpose.CLIENT_AUTH)
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def server_ssl_context(tls: TLSServerSettings, where: str) -> ssl.SSLContext:
    """An SSLContext for a server (aiohttp): its certificate, versions, and with
    ``client_ca_file`` a required, verified client certificate. Raises TLSSetupError."""
    return _server_context(tls, _material(tls, where), where)


def client_ssl_context(tls: TLSClientSettings, where: str) -> ssl.SSLContext:
    """An SSLContext for an HTTPS client: trusted CAs (ca_file/ca_pem, else the system's),
    an optional client certificate, versions, and verification unless
    ``insecure_skip_verify``. Raises TLSSetupError."""
    m = _material(tls, where)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    _apply_versions(ctx, tls)
    if m.ca is None or tls.include_system_ca_certs_pool:
        ctx.load_default_certs(ssl.Purpose.SERVER_AUTH)
    if m.ca is not None:
        _load_cas(ctx, m.ca, where, _source(tls, "ca"))
    _load_identity(ctx, tls, m, where)
    if tls.insecure_skip_verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _grpc_server_parts(tls: TLSServerSettings,
                       where: str) -> tuple[list[tuple[bytes, bytes]], bytes | None]:
    """(key, certificate chain) pairs and the client CAs (None = no mutual TLS)."""
    m = _material(tls, where)
    _server_context(tls, m, where)  # validation only
    if m.cert is None or m.key is None:  # the model requires both; kept for the type checker
        raise TLSSetupError(f"{_key(where, 'cert_file')}: a TLS server needs a certificate "
                            "and a key")
    roots = m.client_ca
    if roots is not None and tls.include_system_ca_certs_pool:
        roots = roots + b"\n" + _system_roots(where)
    return [(m.key, m.cert)], roots


def grpc_server_credentials(tls: TLSServerSettings, where: str) -> grpc.ServerCredentials:
    """grpc server credentials; with ``client_ca_file``, client certificates are required
    and verified (mutual TLS). The material is checked as for an SSLContext first, so a
    bad PEM fails here, not at the first handshake. Raises TLSSetupError."""
    pairs, roots = _grpc_server_parts(tls, where)
    return grpc.ssl_server_credentials(pairs, root_certificates=roots,
                                       require_client_auth=roots is not None)


def grpc_server_certificates(tls: TLSServerSettings,
                             where: str) -> grpc.ServerCertificateConfiguration:
    """The same material as :func:`grpc_server_credentials` as a certificate
    configuration, for ``grpc.dynamic_ssl_server_credentials``. Raises TLSSetupError."""
    pairs, roots = _grpc_server_parts(tls, where)
    return grpc.ssl_server_certificate_configuration(pairs, root_certificates=roots)


def grpc_channel_credentials(tls: TLSClientSettings, where: str) -> grpc.ChannelCredentials:
    """grpc channel credentials: trusted roots (ca_file/ca_pem, else grpc's default roots)
    and an optional client certificate. Raises TLSSetupError."""
    m = _material(tls, where)
    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    roots = m.ca
    if roots is not None:
        _load_cas(probe, roots, where, _source(tls, "ca"))
        if tls.include_system_ca_certs_pool:
            roots = roots + b"\n" + _system_roots(where)
    _load_identity(probe, tls, m, where)
    return grpc.ssl_channel_credentials(root_certificates=roots, private_key=m.key,
                                        certificate_chain=m.cert)


def warn_if_unverified(tls: TLSClientSettings | None, logger: logging.Logger,
                       where: str) -> None:
    """Log the WARNING an ``insecure_skip_verify: true`` client owes its operator."""
    if tls is not None and tls.insecure_skip_verify and not tls.insecure:
        logger.warning("%s: insecure_skip_verify is true: the server's certificate is NOT "
                       "verified; anyone on the path can read and change the data",
                       _key(where, "insecure_skip_verify"))
