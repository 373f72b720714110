"""The prometheusremotewrite exporter: OTLP metrics -> snappy-compressed
``prometheus.WriteRequest`` POSTs (remote write 1.0), through the shared queue and retries.

Per batch: translate once (:mod:`otelpy.prometheus.remotewrite`), split into write requests
of at most ``max_batch_size_bytes``, compress each, POST them with at most
``max_batch_request_parallelism`` in flight. A retry of the batch re-sends only the write
requests that have not been accepted yet (the plan is kept with the batch while it lives),
so a 500 on the third of five requests never duplicates the first two.
Answers: 2xx accepted; 5xx and 429 retryable (``Retry-After`` honoured); any other status
is a permanent error: that write request is not retried and its series are counted.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from yarl import URL

from otelpy import __version__
from otelpy.component import Host, Settings, Signal
from otelpy.config.redact import redact_url_userinfo
from otelpy.errors import PermanentError, RetryableError, SendProgress, send_progress
from otelpy.exporterhelper import ExporterHelper
from otelpy.exporterhelper.logthrottle import ThrottledLog
from otelpy.exporters.prometheusremotewrite.config import PRWConfig
from otelpy.httpclient import HTTPClient, status_error
from otelpy.pdata import Batch
from otelpy.prometheus import LabelNamer
from otelpy.prometheus.remotewrite import RemoteWriteSettings, RemoteWriteTranslator

__all__ = ["PRWExporter", "translator_settings"]


def translator_settings(cfg: PRWConfig) -> RemoteWriteSettings:
    """The translation settings of a config (external label names sanitized)."""
    namer = LabelNamer()
    external = tuple(sorted((k if k.startswith("__") else namer.build(k), v)
                            for k, v in cfg.external_labels.items()))
    r2t = cfg.resource_to_telemetry_conversion
    return RemoteWriteSettings(
        namespace=cfg.namespace, add_metric_suffixes=cfg.with_suffixes(),
        external_labels=external, resource_to_telemetry=r2t.enabled,
        exclude_service_attributes=r2t.exclude_service_attributes,
        without_scope_info=cfg.disable_scope_info, target_info=cfg.target_info.enabled,
        send_metadata=cfg.send_metadata)


@dataclass
class _Plan:
    """A batch's compressed write requests and which of them are settled."""

    bodies: list[bytes]
    series: list[int]
    settled: set[int] = field(default_factory=set)


class PRWExporter(ExporterHelper):
    """Remote-writes metric batches; a Consumer via :class:`ExporterHelper`."""

    def __init__(self, settings: Settings, cfg: PRWConfig, signals: Iterable[Signal]) -> None:
        super().__init__(settings, signals, cfg.remote_write_queue.queue(),
                         cfg.retry_on_failure, 0.0, self._send)
        import cramjam  # imported when the exporter is created, not with the registry

        self._compress: Callable[[bytes], object] = cramjam.snappy.compress_raw
        self.cfg = cfg
        self.url = URL(cfg.endpoint)
        self._shown = redact_url_userinfo(cfg.endpoint)
        self._client = HTTPClient(cfg, settings, [self.url])
        self._translator = RemoteWriteTranslator(translator_settings(cfg))
        self._parallelism = (cfg.max_batch_request_parallelism
                             or cfg.remote_write_queue.num_consumers)
        headers = dict(cfg.headers)
        for fixed in ("content-encoding", "content-type", "user-agent",
                      "x-prometheus-remote-write-version"):
            for key in [k for k in headers if k.lower() == fixed]:
                del headers[key]
        headers.update({"Content-Encoding": "snappy", "Content-Type": "application/x-protobuf",
                        "User-Agent": f"otelpy/{__version__}",
                        "X-Prometheus-Remote-Write-Version": "0.1.0"})
        self._headers = headers
        self._plans: weakref.WeakKeyDictionary[Batch, _Plan] = weakref.WeakKeyDictionary()
        tel, self._exporter = settings.telemetry, str(settings.id)
        self._dropped = tel.counter(
            "otelcol_exporter_prometheusremotewrite_dropped_points",
            "Data points not translated to remote write series, by reason",
            ["exporter", "reason"])
        self._series = tel.counter(
            "otelcol_exporter_prometheusremotewrite_translated_time_series",
            "Series produced by translation", ["exporter"])
        self._sent = tel.counter(
            "otelcol_exporter_prometheusremotewrite_sent_batches",
            "Write requests accepted by the endpoint", ["exporter"])
        self._refused = tel.counter(
            "otelcol_exporter_prometheusremotewrite_refused_series",
            "Series of write requests the endpoint refused for good (4xx other than 429)",
            ["exporter"])
        self._drop_log = ThrottledLog(settings.logger, logging.WARNING)
        # the children of this exporter, looked up once (a labels() call per batch costs)
        self._series_child = self._series.labels(self._exporter)
        self._sent_child = self._sent.labels(self._exporter)

    async def start(self, host: Host) -> None:
        """Create the HTTP client (no connection yet) and start the queue."""
        await self._client.start(host)
        await super().start(host)

    async def shutdown(self, drain_timeout: float | None = None) -> None:
        """Drain the queue (see ExporterHelper.shutdown), then close the client. Idempotent."""
        await super().shutdown(drain_timeout)
        await self._client.close()

    # -- sending -------------------------------------------------------------------------
    def _plan(self, batch: Batch) -> _Plan:
        out = self._translator.translate_bytes(batch.data)
        for reason, n in out.dropped.items():
            self._dropped.labels(self._exporter, reason).inc(n)
            self._drop_log.log("%d data points not sent (reason %s); counted in "
                               "otelcol_exporter_prometheusremotewrite_dropped_points_total",
                               n, reason)
        self._series_child.inc(len(out))
        requests = out.requests(self.cfg.batch_bytes())
        return _Plan([bytes(self._compress(body)) for body, _ in requests],  # type: ignore
                     [n for _, n in requests])

    async def _send(self, batch: Batch) -> None:
        """Send the write requests of ``batch`` not yet settled; raises RetryableError
        while some may succeed later, PermanentError when the endpoint refused some."""
        plan = self._plans.get(batch)
        if plan is None:
            plan = self._plans[batch] = self._plan(batch)
        pending = [i for i in range(len(plan.bodies)) if i not in plan.settled]
        results: list[BaseException | None]
        if len(pending) == 1:  # no task nor semaphore for the usual single request
            try:
                await self._post(plan, pending[0])
                results = [None]
            except (RetryableError, PermanentError) as exc:
                results = [exc]
        else:
            gate = asyncio.Semaphore(self._parallelism)
            results = await asyncio.gather(*(self._gated(plan, i, gate) for i in pending),
                                           return_exceptions=True)
        retryable: list[RetryableError] = []
        permanent: list[PermanentError] = []
        for result in results:
            if isinstance(result, RetryableError):
                retryable.append(result)
            elif isinstance(result, PermanentError):
                permanent.append(result)
            elif isinstance(result, BaseException):
                raise result
        if retryable:
            hints = [e.retry_after for e in retryable if e.retry_after is not None]
            first = retryable[0]
            raise RetryableError(str(first), retry_after=max(hints) if hints else None,
                                 may_have_arrived=any(e.may_have_arrived for e in retryable))
        if permanent:
            raise PermanentError(str(permanent[0]))

    async def _gated(self, plan: _Plan, index: int, gate: asyncio.Semaphore) -> None:
        async with gate:
            await self._post(plan, index)

    async def _post(self, plan: _Plan, index: int) -> None:
        try:
            await self._post_once(plan.bodies[index])
        except PermanentError:
            plan.settled.add(index)
            self._refused.labels(self._exporter).inc(plan.series[index])
            raise
        plan.settled.add(index)
        self._sent_child.inc()

    async def _post_once(self, body: bytes) -> None:
        timeout = self.cfg.timeout
        progress = SendProgress()  # the client tells whether it wrote a byte
        token = send_progress.set(progress)
        try:
            async with asyncio.timeout(timeout if timeout > 0 else None):
                reply = await self._client.request("POST", self.url, body, self._headers)
        except TimeoutError:
            raise RetryableError(f"POST {self._shown} timed out after {timeout:g}s",
                                 may_have_arrived=progress.may_have_arrived) from None
        finally:
            send_progress.reset(token)
        if not 200 <= reply.status < 300:
            raise status_error(f"POST {self._shown}", reply)
