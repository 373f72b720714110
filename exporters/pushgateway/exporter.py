"""The pushgateway exporter: metrics accumulated per group (as the prometheus exporter keeps
them: deltas summed, latest point wins, series expire) and pushed to a Prometheus
Pushgateway in the text format after every batch.

A group is ``job`` plus the grouping key (static labels, and labels from resource
attributes); each has its own series store. A push sends the group's whole current state,
so a retried or repeated push is idempotent: ``put`` replaces the group, ``post`` replaces
the metrics of the same names. The Pushgateway sets the grouping key's labels on every
pushed series, replacing same-named ones (``job`` always), and ``instance=""`` on series
that have no ``instance``.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from yarl import URL

from otelpy.component import Host, Settings, Signal
from otelpy.config.redact import redact_url_userinfo
from otelpy.errors import ConsumerError
from otelpy.exporterhelper import ExporterHelper
from otelpy.exporterhelper.logthrottle import ThrottledLog
from otelpy.exporters.pushgateway.config import PushgatewayConfig
from otelpy.httpclient import HTTPClient, status_error
from otelpy.pdata import Batch, items
from otelpy.prometheus import SeriesStore, StoreSettings, render
from otelpy.prometheus.exposition import TEXT_FORMAT
from otelpy.prometheus.labels import label_value

__all__ = ["PushgatewayExporter", "group_path"]

GroupKey = tuple[tuple[str, str], ...]
_PLAIN = re.compile(r"^[A-Za-z0-9_.:-]+$")


def group_path(job: str, labels: GroupKey) -> str:
    """``/metrics/job/<job>/<label>/<value>...``; values that are empty or not plain
    are base64url-encoded (``<label>@base64/<value>``), as the Pushgateway accepts."""
    parts = ["metrics"]
    for name, value in (("job", job), *labels):
        if _PLAIN.match(value):
            parts += [name, quote(value, safe="")]
        else:
            parts += [f"{name}@base64",
                      base64.urlsafe_b64encode(value.encode()).decode() or "="]
    return "/" + "/".join(parts)


class PushgatewayExporter(ExporterHelper):
    """Accumulates metrics per group and pushes the groups a batch touched."""

    def __init__(self, settings: Settings, cfg: PushgatewayConfig,
                 signals: Iterable[Signal]) -> None:
        super().__init__(settings, signals, cfg.sending_queue, cfg.retry_on_failure,
                         cfg.timeout, self._push)
        self.cfg = cfg
        self.base = URL(cfg.endpoint.rstrip("/"))
        self._client = HTTPClient(cfg, settings, [self.base])
        headers = {"Content-Type": TEXT_FORMAT.content_type, **cfg.headers}
        if cfg.basic_auth is not None:
            token = f"{cfg.basic_auth.username}:{cfg.basic_auth.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(token).decode()
        self._headers = headers
        self._static = tuple(sorted(cfg.grouping_key.items()))
        self._stores: dict[GroupKey, SeriesStore] = {}
        r2t = cfg.resource_to_telemetry_conversion
        self._store_settings = StoreSettings(
            namespace=cfg.namespace, add_metric_suffixes=cfg.add_metric_suffixes,
            const_labels=tuple(sorted(cfg.const_labels.items())),
            resource_to_telemetry=r2t.enabled,
            exclude_service_attributes=r2t.exclude_service_attributes,
            without_scope_info=cfg.without_scope_info, expiration=cfg.metric_expiration,
            max_series=cfg.max_series)
        tel, self._exporter = settings.telemetry, str(settings.id)
        self._refused = tel.counter("otelcol_exporter_pushgateway_refused_points",
                                    "Data points the pushgateway exporter did not keep, by "
                                    "reason", ["exporter", "reason"])
        self._reported: dict[tuple[GroupKey, str], int] = {}
        self._log = ThrottledLog(settings.logger, logging.WARNING)

    async def start(self, host: Host) -> None:
        await self._client.start(host)
        await super().start(host)

    async def shutdown(self, drain_timeout: float | None = None) -> None:
        """Drain pushes, DELETE the groups when ``delete_on_shutdown``, close. Idempotent."""
        stopping = self._stopping
        await super().shutdown(drain_timeout)
        if not stopping and self.cfg.delete_on_shutdown and self._client.started:
            for key in list(self._stores):
                await self._delete(key)
        await self._client.close()

    # -- in ------------------------------------------------------------------------------
    def _group_of(self, item: items.ResourceItem) -> GroupKey:
        attrs = item.resource_attributes
        dynamic = tuple((label, label_value(attrs.get(key, "")))
                        for label, key in self.cfg.grouping_key_from_resource.items())
        return tuple(sorted(self._static + dynamic))

    def _groups(self, batch: Batch) -> dict[GroupKey, Any]:
        return items.group_resources(batch.message, self._group_of)

    async def consume(self, batch: Batch) -> None:
        """Accumulate ``batch`` into its groups' stores, then push them (see ExporterHelper
        for queueing, retries and the errors raised)."""
        for key, request in self._groups(batch).items():
            store = self._stores.get(key)
            if store is None:
                store = self._stores[key] = SeriesStore(self._store_settings)
            store.accumulate(request)
            self._report(key, store)
        await super().consume(batch)

    consume_metrics = consume

    def _report(self, key: GroupKey, store: SeriesStore) -> None:
        for reason, total in store.refused.items():
            seen = self._reported.get((key, reason), 0)
            if total > seen:
                self._refused.labels(self._exporter, reason).inc(total - seen)
                self._reported[(key, reason)] = total
                self._log.log("data points not kept (reason %s); counted in "
                              "otelcol_exporter_pushgateway_refused_points_total", reason)

    # -- out -----------------------------------------------------------------------------
    def _url(self, key: GroupKey) -> URL:
        return URL(str(self.base) + group_path(self.cfg.job, key), encoded=True)

    async def _push(self, batch: Batch) -> None:
        method = self.cfg.method.upper()
        for key in self._groups(batch):
            store = self._stores[key]
            body = render(store, TEXT_FORMAT).encode()
            url = self._url(key)
            reply = await self._client.request(method, url, body, self._headers)
            if not 200 <= reply.status < 300:
                raise status_error(f"{method} {redact_url_userinfo(str(url))}", reply)

    async def _delete(self, key: GroupKey) -> None:
        url = self._url(key)
        shown = redact_url_userinfo(str(url))
        try:
            reply = await self._client.request("DELETE", url, None, self._headers)
        except ConsumerError as exc:  # logged: shutdown goes on
            self.settings.logger.warning("DELETE %s failed: %s", shown, exc)
            return
        if not 200 <= reply.status < 300:
            self.settings.logger.warning("DELETE %s answered HTTP %d", shown, reply.status)
        else:
            self.settings.logger.info("deleted group %s", shown)
