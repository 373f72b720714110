"""TLS settings (the Collector's ``configtls`` keys) and what they build.

:class:`TLSServerSettings` is a server's ``tls:`` and :class:`TLSClientSettings` a
client's. Cross-field rules (a server needs a certificate and a key; a file and an
inline PEM of the same thing exclude each other; ``min_version`` <= ``max_version``;
known cipher suite names) are checked when the config is loaded, so ``otelpy
validate`` reports them with their YAML path.

Certificates and keys are read when a component starts (:mod:`otelpy.tlsbuild`
turns settings into an :class:`ssl.SSLContext` or grpc credentials); an unreadable
file or a bad PEM fails the start with an error naming the YAML key. With
``reload_interval`` (and, for a server's client CA, ``client_ca_file_reload``) the files
are watched and new connections use new files once they load (:mod:`otelpy.tlsreload`).

grpcio offers no TLS version or cipher setting (it negotiates TLS 1.2 or 1.3, with
BoringSSL's suites) and cannot skip certificate verification, so the gRPC server
and client models call :func:`check_grpc_tls`, which refuses what grpcio cannot
honour instead of silently ignoring it. A gRPC client with ``insecure_skip_verify``
goes through :mod:`otelpy.grpcbridge` (Python's ssl), which honours all of them.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from otelpy.config.lists import StringList
from otelpy.config.types import ConfigModel, Duration, Secret

__all__ = ["TLSServerSettings", "TLSClientSettings", "TLSVersion", "GO_CIPHER_SUITES",
           "check_grpc_tls", "version_number", "CLIENT_CA_POLL"]

TLSVersion = Literal["", "1.0", "1.1", "1.2", "1.3"]

# Go's crypto/tls names (what the Collector accepts) -> OpenSSL names. TLS 1.3 suites
# are accepted and, as in Go, not configurable (None).
GO_CIPHER_SUITES: dict[str, str | None] = {
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": "ECDHE-RSA-AES128-GCM-SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": "ECDHE-RSA-AES256-GCM-SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-ECDSA-CHACHA20-POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-RSA-CHACHA20-POLY1305",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": "ECDHE-ECDSA-AES128-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": "ECDHE-ECDSA-AES256-SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": "ECDHE-RSA-AES128-SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": "ECDHE-RSA-AES256-SHA",
    "TLS_AES_128_GCM_SHA256": None,
    "TLS_AES_256_GCM_SHA384": None,
    "TLS_CHACHA20_POLY1305_SHA256": None,
}

DEFAULT_MIN_VERSION: TLSVersion = "1.2"

_RELOAD_NOTE = ("Files that do not load keep the previous material (WARNING, "
                "otelpy_tls_reload_failures_total). 0 = read at start only; inline *_pem "
                "values are never reloaded.")

# how often client_ca_file is checked with client_ca_file_reload and no reload_interval
CLIENT_CA_POLL = 1.0


def version_number(version: str) -> float:
    """"1.2" -> 1.2; "" -> the default (1.2 for a minimum, "no maximum" is the caller's)."""
    return float(version or DEFAULT_MIN_VERSION)


class _TLSSettings(ConfigModel):
    """Keys shared by servers and clients (configtls.Config)."""

    ca_file: str = Field(
        default="", description="Path of the CA certificate(s), PEM. A client verifies the "
                                "server's certificate with it (instead of the system roots).")
    ca_pem: str = Field(default="", description="The CA certificate(s) inline, PEM; excludes "
                                                "ca_file.")
    include_system_ca_certs_pool: bool = Field(
        default=False, description="Trust the system's root CAs as well as ca_file/ca_pem.")
    cert_file: str = Field(default="", description="Path of this side's certificate (chain), "
                                                   "PEM.")
    cert_pem: Secret | None = Field(default=None, description="This side's certificate "
                                                              "inline, PEM; excludes cert_file.")
    key_file: str = Field(default="", description="Path of the private key of cert_file, PEM "
                                                  "(unencrypted).")
    key_pem: Secret | None = Field(default=None, description="The private key inline, PEM; "
                                                             "excludes key_file.")
    min_version: TLSVersion = Field(
        default=DEFAULT_MIN_VERSION, description="Oldest TLS version accepted: 1.0, 1.1, 1.2 "
                                                 "or 1.3 (empty = 1.2).")
    max_version: TLSVersion = Field(default="", description="Newest TLS version used; empty = "
                                                            "the newest available (1.3).")
    cipher_suites: StringList = Field(
        default_factory=list,
        description="TLS 1.2 cipher suites allowed, by Go name (e.g. "
                    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256); empty = OpenSSL's defaults. TLS 1.3 "
                    "suite names are accepted and, as in the Collector, have no effect.")
    reload_interval: Duration = Field(
        default=0.0, description="Check cert_file, key_file and ca_file this often; when "
                                 "one changed and the new files load, new connections use "
                                 "them (open connections keep theirs). " + _RELOAD_NOTE)

    @property
    def has_cert(self) -> bool:
        return bool(self.cert_file or self.cert_pem)

    @property
    def has_key(self) -> bool:
        return bool(self.key_file or self.key_pem)

    def reload_files(self) -> list[str]:
        """The files to watch for changes (empty when nothing is reloaded)."""
        if not self.reload_interval:
            return []
        return [p for p in (self.cert_file, self.key_file, self.ca_file) if p]

    def reload_period(self) -> float:
        """Seconds between two looks at :meth:`reload_files` (0 = never)."""
        return self.reload_interval

    def _shared_problems(self) -> list[str]:
        problems = []
        for key in ("ca", "cert", "key"):
            if getattr(self, f"{key}_file") and getattr(self, f"{key}_pem"):
                problems.append(f"{key}_file and {key}_pem are both set: use one of them")
        if self.has_cert != self.has_key:
            problems.append("cert_file (or cert_pem) and key_file (or key_pem) must be set "
                            "together")
        if self.max_version and version_number(self.min_version) > version_number(
                self.max_version):
            problems.append(f"min_version {self.min_version} is newer than max_version "
                            f"{self.max_version}")
        unknown = [c for c in self.cipher_suites if c not in GO_CIPHER_SUITES]
        if unknown:
            problems.append(f"cipher_suites: unknown cipher suite {unknown[0]!r} (known: "
                            f"{', '.join(GO_CIPHER_SUITES)})")
        return problems


class TLSServerSettings(_TLSSettings):
    """A server's ``tls:`` (configtls.ServerConfig): the server's certificate, and with
    ``client_ca_file`` mutual TLS (every client must present a certificate signed by it)."""

    ca_file: str = Field(
        default="", description="Accepted for Collector compatibility, no effect: as in the "
                                "Collector, a server verifies client certificates only with "
                                "client_ca_file.")
    ca_pem: str = Field(default="", description="Accepted for Collector compatibility, no "
                                                "effect (see ca_file).")
    include_system_ca_certs_pool: bool = Field(
        default=False, description="With client_ca_file: also accept client certificates "
                                   "issued by the system's root CAs.")
    client_ca_file: str = Field(
        default="", description="Path of the CA certificate(s) that client certificates must "
                                "chain to; when set, a client without a valid certificate is "
                                "refused during the handshake (mutual TLS).")
    reload_interval: Duration = Field(
        default=0.0, description="Check cert_file, key_file and client_ca_file this often; "
                                 "when one changed and the new files load, new handshakes "
                                 "use them (open connections keep theirs). " + _RELOAD_NOTE)
    client_ca_file_reload: bool = Field(
        default=False, description="Re-read client_ca_file when it changes (checked every "
                                   "reload_interval, or every second without one); new "
                                   "handshakes then verify client certificates with it.")

    def reload_files(self) -> list[str]:
        """cert/key (with reload_interval) and client_ca_file (with either setting)."""
        files = [p for p in (self.cert_file, self.key_file) if p and self.reload_interval]
        if self.client_ca_file and (self.reload_interval or self.client_ca_file_reload):
            files.append(self.client_ca_file)
        return files

    def reload_period(self) -> float:
        return self.reload_interval or (CLIENT_CA_POLL if self.client_ca_file_reload else 0.0)

    @model_validator(mode="after")
    def _check(self) -> Self:
        problems = self._shared_problems()
        if not self.has_cert:
            problems.insert(0, "a TLS server needs cert_file (or cert_pem) and key_file "
                               "(or key_pem)")
        if problems:
            raise ValueError("; ".join(dict.fromkeys(problems)))
        return self


class TLSClientSettings(_TLSSettings):
    """A client's ``tls:`` (configtls.ClientConfig)."""

    insecure: bool = Field(
        default=False, description="gRPC only: connect without TLS (plaintext h2c); an "
                                   "`http://` endpoint means the same. HTTP clients use TLS "
                                   "exactly for `https://` URLs.")
    insecure_skip_verify: bool = Field(
        default=False, description="Use TLS but do not verify the server's certificate "
                                   "(a WARNING is logged at start). For test and development "
                                   "only. gRPC clients then connect through an in-process TLS "
                                   "bridge (Python's ssl), which also honours min_version, "
                                   "max_version and cipher_suites.")
    server_name_override: str = Field(
        default="", description="Server name expected in the server's certificate (and sent "
                                "as SNI) instead of the endpoint's host.")

    @model_validator(mode="after")
    def _check(self) -> Self:
        problems = self._shared_problems()
        if problems:
            raise ValueError("; ".join(problems))
        return self


def check_grpc_tls(tls: TLSServerSettings | TLSClientSettings | None) -> None:
    """Raise ValueError when ``tls`` asks for something grpcio cannot do.

    grpcio exposes no TLS version, cipher or skip-verify setting: TLS 1.2 is always its
    minimum and 1.3 its maximum. A client with ``insecure_skip_verify`` (and not
    ``insecure``) is the exception: it must connect through :mod:`otelpy.grpcbridge`,
    whose TLS is Python's ssl, so versions and cipher suites are honoured there.
    """
    if tls is None:
        return
    if isinstance(tls, TLSClientSettings) and tls.insecure_skip_verify and not tls.insecure:
        return
    problems = []
    if version_number(tls.min_version) > 1.2:
        problems.append(f"min_version {tls.min_version} is not supported for gRPC: grpcio "
                        "always accepts TLS 1.2 and 1.3 (use 1.2, or an HTTP endpoint)")
    if tls.max_version and version_number(tls.max_version) < 1.3:
        problems.append(f"max_version {tls.max_version} is not supported for gRPC: grpcio "
                        "always offers TLS 1.3")
    if tls.cipher_suites:
        problems.append("cipher_suites is not supported for gRPC: grpcio uses BoringSSL's "
                        "fixed suites")
    if problems:
        raise ValueError("; ".join(problems))
