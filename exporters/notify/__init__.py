"""The ``notify`` exporter: alert events (logs) routed, grouped, inhibited, silenced and
notified with Alertmanager's semantics (webhook, Slack, PagerDuty, email), plus escalation."""

from __future__ import annotations

from collections.abc import Iterable

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.exporters.notify.config import NotifyConfig


def _create(settings: Settings, cfg: NotifyConfig, signals: Iterable[Signal]) -> object:
    from otelpy.exporters.notify.exporter import NotifyExporter
    return NotifyExporter(settings, cfg)


factory = Factory(
    type="notify",
    kind=Kind.EXPORTER,
    config_type=NotifyConfig,
    create=_create,
    stability={Signal.LOGS.value: Stability.ALPHA, Signal.METRICS.value: Stability.ALPHA},
    description="Notifies alert events with Alertmanager's routing, grouping, inhibition "
                "and silences (webhook, Slack, PagerDuty, email) and escalates by severity",
)

__all__ = ["factory", "NotifyConfig"]
