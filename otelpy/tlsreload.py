"""TLS material that follows its files (configtls ``reload_interval``, a server's
``client_ca_file_reload``).

:class:`TLSReloader` builds a component's TLS material (an SSLContext, grpc channel
credentials or a grpc server certificate configuration) when the component starts and,
when the settings ask for it, watches the files with
:class:`~otelpy.auth.watched.WatchedFiles`. When one of them changed and the whole
material builds again, the new material becomes :attr:`TLSReloader.current`, is handed
to ``on_change``, counted in ``otelpy_tls_reloads_total`` and logged at INFO. Material
that does not build keeps the previous one: logged once at WARNING per failure streak
and counted in ``otelpy_tls_reload_failures_total``. Inline ``*_pem`` values never
change and are not watched.

New material reaches new connections only; open connections keep what they started with:

* asyncio/aiohttp servers listen with :func:`following_server_context`: one SSLContext
  whose ``sni_callback`` (run by OpenSSL at every ClientHello, with or without SNI) moves
  the new connection onto the current context, its certificate and its CA store. Loading
  files into the live context instead would not do: ``load_verify_locations`` only adds,
  so a client CA taken out of client_ca_file would stay trusted.
* grpc servers use :func:`dynamic_server_credentials`: grpc core calls the fetcher at
  every handshake, which compares one integer and hands a new configuration over once.
* HTTP clients pass ``current`` with each request (aiohttp keys its connection pool by
  SSL context, so new material opens new connections).
* grpc clients open a new channel in ``on_change`` and retire the old one with
  :func:`retire_channel` once its calls are done.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar, cast

import grpc

from otelpy.auth.watched import WatchedFiles
from otelpy.component import Settings
from otelpy.config.tls import TLSClientSettings, TLSServerSettings
from otelpy.tlsbuild import TLSSetupError

__all__ = ["TLSReloader", "RELOADS_METRIC", "RELOAD_FAILURES_METRIC",
           "following_server_context", "dynamic_server_credentials", "retire_channel"]

RELOADS_METRIC = "otelpy_tls_reloads"  # exposed as otelpy_tls_reloads_total
RELOAD_FAILURES_METRIC = "otelpy_tls_reload_failures"
_LABELS = ("kind", "component", "tls")

T = TypeVar("T")


class TLSReloader(Generic[T]):
    """The TLS material ``build`` makes from ``tls`` (in a worker thread; it raises
    TLSSetupError naming the key at fault), rebuilt when the watched files change.

    ``where`` is the YAML path of the ``tls`` mapping (log lines and the ``tls`` label of
    the counters). :meth:`start` builds it once and raises what ``build`` raises;
    :meth:`stop` stops watching and is idempotent and safe without start.
    """

    def __init__(self, tls: TLSServerSettings | TLSClientSettings, build: Callable[[], T],
                 settings: Settings, where: str,
                 on_change: Callable[[T], Awaitable[None] | None] | None = None) -> None:
        self.where = where
        self._build = build
        self._on_change = on_change
        self._logger = settings.logger
        self._state: tuple[int, T] | None = None
        self.files = tuple(tls.reload_files())
        self._watch: WatchedFiles[T] | None = None
        if not self.files:
            return
        labels = (settings.kind.value, str(settings.id), where)
        telemetry = settings.telemetry
        self._reloads = telemetry.counter(
            RELOADS_METRIC, "TLS certificates, keys or CAs re-read from changed files and "
            "used for new connections", _LABELS).labels(*labels)
        self._failures = telemetry.counter(
            RELOAD_FAILURES_METRIC, "Changed TLS files that did not load (the previous "
            "certificates stay in use)", _LABELS).labels(*labels)
        self._watch = WatchedFiles(self.files, build, self._changed, settings.logger,
                                   tls.reload_period(), what=f"{where} files",
                                   errors=(TLSSetupError, OSError), on_error=self._failed)

    @property
    def reloading(self) -> bool:
        """True when files are watched."""
        return self._watch is not None

    @property
    def state(self) -> tuple[int, T]:
        """(generation, material): generation 0 is what start built, +1 per reload.
        Raises RuntimeError before :meth:`start`."""
        state = self._state
        if state is None:
            raise RuntimeError(f"{self.where}: TLS material is not loaded yet")
        return state

    @property
    def current(self) -> T:
        """The material new connections use (RuntimeError before :meth:`start`)."""
        return self.state[1]

    @property
    def generation(self) -> int:
        return self.state[0]

    async def start(self) -> T:
        """Build the material (TLSSetupError on a bad file) and start watching."""
        if self._state is None:
            if self._watch is None:
                self._state = (0, await asyncio.to_thread(self._build))
            else:
                await self._watch.start()
        return self.current

    async def stop(self) -> None:
        """Stop watching; idempotent."""
        if self._watch is not None:
            await self._watch.stop()

    def _changed(self, material: T) -> Awaitable[None] | None:
        previous = self._state
        self._state = (0 if previous is None else previous[0] + 1, material)
        if previous is None:
            return None
        self._reloads.inc()
        self._logger.info("%s: reloaded TLS material from %s; new connections use it",
                          self.where, ", ".join(self.files))
        return None if self._on_change is None else self._on_change(material)

    def _failed(self, exc: Exception) -> None:
        self._failures.inc()


def following_server_context(reloader: TLSReloader[ssl.SSLContext]) -> ssl.SSLContext:
    """The SSLContext to listen with: every new connection continues on
    ``reloader.current`` (its certificate, key and client CAs).

    Whether a client certificate is required is the listening context's (it follows
    ``client_ca_file`` being set, which a reload does not change).
    """
    front = reloader.current
    if not reloader.reloading:
        return front

    def follow(conn: ssl.SSLObject, server_name: str | None,
               ctx: ssl.SSLContext) -> None:
        current = reloader.current
        if current is not ctx:
            conn.context = current

    front.sni_callback = follow
    return front


def dynamic_server_credentials(reloader: TLSReloader[grpc.ServerCertificateConfiguration],
                               require_client_auth: bool) -> grpc.ServerCredentials:
    """grpc server credentials that hand each new handshake ``reloader.current``."""
    delivered = reloader.generation

    def fetch() -> grpc.ServerCertificateConfiguration | None:
        # grpc core calls this at every handshake, from its own threads: keep it cheap
        nonlocal delivered
        generation, config = reloader.state
        if generation == delivered:
            return None
        delivered = generation
        return config

    # grpc's stub says the fetcher returns a configuration; its documentation: "or None"
    fetcher = cast(Callable[[], grpc.ServerCertificateConfiguration], fetch)
    return grpc.dynamic_ssl_server_credentials(
        reloader.current, fetcher, require_client_authentication=require_client_auth)


async def retire_channel(channel: grpc.aio.Channel, grace: float) -> None:
    """Close ``channel`` once its calls are done (at most ``grace`` seconds, then they
    are cancelled); when cancelled itself, close it at once."""
    try:
        await channel.close(grace)
    except asyncio.CancelledError:
        await channel.close(None)
        raise
