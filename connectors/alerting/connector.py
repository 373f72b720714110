"""The alerting connector: metrics in; alert changes (logs) and rule results (metrics) out.

The graph creates one instance per target signal (metrics->logs, metrics->metrics); they
share one :class:`~otelpy.alerting.runtime.AlertingRuntime` per component ID and config, so
the rules are evaluated once and the metrics are taken in once (by the first instance).
"""

from __future__ import annotations

import glob
import weakref

from otelpy.alerting.inline import InlineRule
from otelpy.alerting.runtime import AlertingRuntime, RuntimeOptions
from otelpy.alerting.state import StateLog
from otelpy.component import ComponentBase, ComponentID, Host, Settings, Signal
from otelpy.connectors.alerting.config import AlertingConfig, InlineRuleConfig
from otelpy.consumer import Capabilities, Consumer
from otelpy.errors import ComponentStartError
from otelpy.pdata import Batch
from otelpy.prometheus import StoreSettings
from otelpy.promql.rules.rulefile import Group, Rule, load
from otelpy.storage import LogStorage, StorageError
from otelpy.storage.snapshot import SnapshotError, SnapshotKeeper, SnapshotState

INLINE_GROUP = "alert_rules"
_SHARED: weakref.WeakValueDictionary[tuple[str, int], _Shared] = \
    weakref.WeakValueDictionary()


class _Shared:
    """The runtime of one connector ID and its instances' lifecycle."""

    def __init__(self, settings: Settings, cfg: AlertingConfig) -> None:
        self.cfg = cfg  # keeps id(cfg) from being reused while this lives
        self.settings = settings
        self.runtime = AlertingRuntime(options(cfg), str(settings.id), settings.clock,
                                       settings.logger, settings.telemetry)
        self.instances = 0
        self.started = 0
        inline = self.runtime.inline
        self.baselines = SnapshotKeeper(
            settings, cfg.storage, "baselines", cfg.baseline_save_interval,
            SnapshotState(lambda: inline.dump(), self._restore_baselines, lambda: inline.updates))

    def _restore_baselines(self, data: bytes) -> str:
        try:
            restored = self.runtime.inline.load(data, self.runtime.options.inline)
        except ValueError as exc:
            raise SnapshotError(str(exc)) from exc
        return f"{restored} learned series"

    async def start(self, host: Host) -> None:
        self.started += 1
        if self.started > 1:
            return
        if self.cfg.storage:
            self.runtime.state = await _open_state(self.settings, self.cfg.storage, host)
            restored = self.runtime.restore(await self.runtime.state.load())
            if restored:
                self.settings.logger.info("restored %d alerts from %s", restored,
                                          self.cfg.storage)
            await self.baselines.start(host)
        self.runtime.start()

    async def shutdown(self) -> None:
        if self.started == 0:
            return
        self.started -= 1
        if self.started == 0:
            await self.runtime.stop()
            await self.baselines.shutdown()


async def _open_state(settings: Settings, storage: str, host: Host) -> StateLog:
    ext = host.extension(ComponentID.parse(storage))
    if not isinstance(ext, LogStorage):
        raise ComponentStartError(f"storage: {storage} is not a running storage extension "
                                  "(declare it and list it in service::extensions)")
    try:
        log = await ext.open_log(str(settings.id), "alerts")
    except (StorageError, OSError) as exc:
        raise ComponentStartError(f"storage {storage}: {exc}") from exc
    return StateLog(log, settings.logger)


class AlertingConnector(Consumer, ComponentBase):
    """One target signal's instance; the first instance of an ID takes the metrics in."""

    capabilities = Capabilities(mutates_data=False)

    def __init__(self, settings: Settings, cfg: AlertingConfig, source: Signal,
                 target: Signal, next_consumer: Consumer) -> None:
        if source is not Signal.METRICS or target not in (Signal.LOGS, Signal.METRICS):
            raise ValueError(f"alerting connects metrics to logs or metrics, not {source} "
                             f"to {target}")
        key = (str(settings.id), id(cfg))
        shared = _SHARED.get(key)
        if shared is None:
            shared = _SHARED[key] = _Shared(settings, cfg)
        self._shared = shared
        self.leader = shared.instances == 0
        shared.instances += 1
        shared.runtime.outputs[target] = next_consumer
        self._started = False

    @property
    def runtime(self) -> AlertingRuntime:
        return self._shared.runtime

    async def start(self, host: Host) -> None:
        if not self._started:
            self._started = True
            await self._shared.start(host)

    async def shutdown(self) -> None:
        if self._started:
            self._started = False
            await self._shared.shutdown()

    async def consume_metrics(self, batch: Batch) -> None:
        if self.leader:
            self._shared.runtime.ingest(batch.message)


def options(cfg: AlertingConfig) -> RuntimeOptions:
    """The runtime's view of a validated config (rule files are read here)."""
    groups = [g for pattern in cfg.rule_files for path in sorted(glob.glob(pattern))
              for g in load(path)]
    inline = {name: _inline(name, rule, cfg) for name, rule in cfg.alert_rules.items()}
    if inline:
        groups.append(Group(INLINE_GROUP, "<alert_rules>", int(cfg.evaluation_interval * 1000),
                            0, [_rule(name, r) for name, r in cfg.alert_rules.items()]))
    resource = cfg.resource_to_telemetry_conversion.enabled
    escalation = cfg.escalation_rules
    return RuntimeOptions(
        groups=groups, inline=inline,
        default_interval_ms=int(cfg.evaluation_interval * 1000),
        lookback_ms=int(cfg.lookback_delta * 1000),
        external_labels=dict(cfg.external_labels), max_series=cfg.max_series,
        store_settings=StoreSettings(add_metric_suffixes=cfg.add_metric_suffixes,
                                     resource_to_telemetry=resource,
                                     expiration=max(cfg.lookback_delta, 300.0),
                                     max_series=cfg.max_series),
        channels=escalation.channels() if escalation is not None else {},
        outage_tolerance_ms=int(cfg.for_outage_tolerance * 1000))


def _inline(name: str, rule: InlineRuleConfig, cfg: AlertingConfig) -> InlineRule:
    smart = cfg.smart_thresholds
    return InlineRule(
        name=name, metric=rule.metric, threshold_type=rule.threshold_type,
        direction=rule.direction, threshold=rule.threshold, base_threshold=rule.base_threshold,
        adaptation_window_hours=smart.adaptation_window_hours,
        confidence_threshold=smart.confidence_threshold, seasonality=smart.seasonality,
        anomaly_method=smart.method(), anomaly_sensitivity=rule.anomaly_sensitivity,
        adaptive_enabled=smart.enabled)


def _rule(name: str, rule: InlineRuleConfig) -> Rule:
    labels = {**rule.labels, "severity": rule.severity}
    return Rule(name, True, f"<{rule.threshold_type} rule on {rule.metric}>", None,
                int(rule.duration * 1000), int(rule.keep_firing_for * 1000), labels,
                dict(rule.annotations))
