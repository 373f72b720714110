"""Alertmanager's routing, grouping, inhibition, silences and notification inside otelpy
(see README.md). The ``notify`` exporter is a thin component over :class:`Alertmanager`."""

from otelpy.alertmanager.config import AlertmanagerConfig
from otelpy.alertmanager.engine import Alertmanager, StateError
from otelpy.alertmanager.escalation import EscalationPolicy
from otelpy.alertmanager.events import EventError, alert_from_attributes
from otelpy.alertmanager.validate import check, load_file

__all__ = ["Alertmanager", "AlertmanagerConfig", "EscalationPolicy", "EventError",
           "StateError", "alert_from_attributes", "check", "load_file"]
