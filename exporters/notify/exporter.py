"""The notify exporter: reads alert events from log records into an
:class:`~otelpy.alertmanager.Alertmanager`, keeps its state in a storage extension, and
serves silences, alerts and acknowledgements on the status extension's API."""

from __future__ import annotations

from collections.abc import Callable

from yarl import URL

from otelpy.alertmanager import Alertmanager, EscalationPolicy, EventError, StateError
from otelpy.alertmanager import alert_from_attributes as to_alert
from otelpy.alertmanager.api import routes
from otelpy.alertmanager.correlation import CorrelationPolicy
from otelpy.alertmanager.dependencies import EDGE_METRIC
from otelpy.alertmanager.labels import parse_matchers
from otelpy.alertmanager.notifiers.build import build_integrations
from otelpy.alertmanager.notifiers.forward import AlertmanagerForwarder, ForwardTarget
from otelpy.alertmanager.notifiers.http import auth_headers
from otelpy.component import ComponentBase, ComponentID, Host, Settings, Signal
from otelpy.config.client import HTTPClientSettings
from otelpy.consumer import Consumer
from otelpy.errors import ComponentStartError
from otelpy.exporterhelper.metrics import SignalCounters
from otelpy.exporterhelper.retry import RetryPolicy
from otelpy.exporters.notify.config import NotifyConfig
from otelpy.httpclient import HTTPClient
from otelpy.pdata import Batch, items
from otelpy.statusapi import api_routes
from otelpy.storage import LogStorage, StorageError
from otelpy.storage.log import DurableLog
from otelpy.storage.records import RecordRef

LOG_NAME = "alertmanager-state"


class NotifyExporter(Consumer, ComponentBase):
    def __init__(self, settings: Settings, cfg: NotifyConfig) -> None:
        self._settings, self._cfg = settings, cfg
        am_cfg = cfg.effective()
        # notifier URLs may be https: a placeholder https URL makes the client load TLS
        self._client = HTTPClient(HTTPClientSettings(), settings, [URL("https://notifiers")])
        receivers = build_integrations(am_cfg, self._client, settings.clock, cfg.rate_limits)
        esc = cfg.escalation
        policy = EscalationPolicy(esc.severities, esc.timeout_minutes * 60, esc.max_escalations,
                                  esc.severity_label) if esc is not None else None
        retry = RetryPolicy(cfg.retry_on_failure, clock=settings.clock)
        corr = cfg.correlation
        correlation = CorrelationPolicy(
            corr.time_window_minutes * 60, corr.correlation_threshold, tuple(corr.labels),
            tuple(corr.receivers), corr.max_incidents, series=corr.series,
            series_step=corr.series_step, min_points=corr.min_points,
            service_label=corr.service_label,
            dependency_ttl=corr.dependency_ttl) if corr is not None else None
        self.am = Alertmanager(am_cfg, receivers, settings.clock, settings.logger, retry,
                               policy, cfg.external_url, cfg.max_alerts, cfg.max_groups,
                               cfg.max_silences, correlation,
                               corr.update_interval if corr is not None else 10.0)
        self.forwarders = [AlertmanagerForwarder(
            ForwardTarget(f.url, f.resend_delay, f.timeout,
                          tuple(m for text in f.matchers for m in parse_matchers(text)),
                          tuple(auth_headers(f.http_config).items()), cfg.max_alerts),
            self._client, settings.clock, settings.logger) for f in cfg.forward]
        self._resolve_timeout = am_cfg.global_.resolve_timeout
        tel, owner = settings.telemetry, str(settings.id)
        self._records = tel.counter(
            "otelpy_exporter_notify_records", "Log records seen, by outcome: alert, "
            "pending, ignored (not an alert event), invalid, refused (a bound was reached)",
            ["exporter", "outcome"])
        self._saves = tel.counter(
            "otelpy_exporter_notify_state_saves", "Saves of the notification log, silences, "
            "acknowledgements, escalation and incident state to the storage extension, by "
            "outcome (ok, failed)", ["exporter", "outcome"])
        self._owner = owner
        # every record is consumed here (alerts, or counted as ignored / invalid): "sent"
        self._items = SignalCounters(tel, Signal.LOGS, owner)
        self._metric_items = SignalCounters(tel, Signal.METRICS, owner)
        self._log: DurableLog | None = None
        self._snapshot: RecordRef | None = None
        self._removers: list[Callable[[], None]] = []

    def _count(self, outcome: str, n: int) -> None:
        if n:
            self._records.labels(exporter=self._owner, outcome=outcome).inc(n)

    async def consume_logs(self, batch: Batch) -> None:
        counts = {"alert": 0, "pending": 0, "ignored": 0, "invalid": 0, "refused": 0}
        now = self.am.now()
        for item in items.log_records(batch.message):
            attrs = item.attributes
            name = attrs.get("event.name") or getattr(item.record, "event_name", "")
            if name != "alert":
                counts["ignored"] += 1
                continue
            try:
                alert = to_alert(dict(attrs.items()), now, self._resolve_timeout)
            except EventError as exc:
                counts["invalid"] += 1
                self._settings.logger.debug("invalid alert event: %s", exc)
                continue
            if alert is None:
                counts["pending"] += 1
                continue
            if self.am.receive(alert):
                counts["alert"] += 1
            else:
                counts["refused"] += 1
            newest = self.am.dispatcher.store.get(alert.fp, alert)
            for fwd in self.forwarders:
                fwd.observe(newest, now)
        for outcome, n in counts.items():
            self._count(outcome, n)
        self._items.sent.inc(sum(counts.values()))

    async def consume_metrics(self, batch: Batch) -> None:
        """Service-graph edges for incident correlation (other metrics are ignored): each
        ``traces_service_graph_request_total`` point's ``client`` calls its ``server``."""
        correlator, now = self.am.correlator, self.am.now()
        points = 0
        for item in items.data_points(batch.message):
            points += 1
            if correlator is None or item.metric.name != EDGE_METRIC:
                continue
            attrs = item.attributes
            client, server = attrs.get("client"), attrs.get("server")
            if isinstance(client, str) and isinstance(server, str):
                correlator.graph.add(client, server, now)
        self._metric_items.sent.inc(points)

    async def start(self, host: Host) -> None:
        await self._client.start(host)
        if self._cfg.storage:
            await self._open_storage(host)
        save = self._save if self._log is not None else None
        self.am.start(save)
        for fwd in self.forwarders:
            fwd.start()
        table = api_routes(host)
        if table is not None:
            self._removers = [table.add(m, p, h, owner=self._owner)
                              for m, p, h in routes(self.am)]

    async def _open_storage(self, host: Host) -> None:
        sid = ComponentID.parse(self._cfg.storage)
        ext = host.extension(sid)
        if not isinstance(ext, LogStorage):
            what = "is not running" if ext is None else "is not a storage extension"
            raise ComponentStartError(f"storage: extension {sid} {what}")
        try:
            log = await ext.open_log(self._owner, LOG_NAME)
        except (OSError, StorageError) as exc:
            raise ComponentStartError(f"storage {sid}: {exc}") from exc
        self._log = log
        refs = log.recovery.records
        if not refs:
            return
        *older, last = refs
        try:
            self.am.load(await log.read(last))
        except (StateError, StorageError, OSError) as exc:
            self._settings.logger.warning("saved alertmanager state not restored: %s", exc)
        self._snapshot = last
        for ref in older:
            log.ack(ref.seq)

    async def _save(self, data: bytes) -> None:
        log = self._log
        if log is None or log.closed:
            return
        try:
            ref = await log.append([data], 0, lambda _ref: None)
        except StorageError as exc:
            self._saves.labels(exporter=self._owner, outcome="failed").inc()
            self._settings.logger.error("saving alertmanager state failed: %s", exc)
            return
        self._saves.labels(exporter=self._owner, outcome="ok").inc()
        if self._snapshot is not None:
            log.ack(self._snapshot.seq)
        self._snapshot = ref

    async def shutdown(self) -> None:
        for remove in self._removers:
            remove()
        self._removers = []
        await self.am.stop()
        for fwd in self.forwarders:
            await fwd.stop()
        if self._log is not None:
            await self.am.save()
            log, self._log = self._log, None
            await log.close()
        await self._client.close()
