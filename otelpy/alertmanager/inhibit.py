"""Inhibition (``inhibit/inhibit.go``): a target alert is muted while a firing source alert
has the same values of the ``equal`` labels; when an alert matches both sides, source alerts
that also match the target side do not count."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from otelpy.alertmanager.alerts import Alert
from otelpy.alertmanager.config import InhibitRule
from otelpy.alertmanager.labels import LabelSet, Matcher
from otelpy.alertmanager.validate import inhibit_matchers

__all__ = ["Inhibitor"]


@dataclass
class _Rule:
    source: list[Matcher]
    target: list[Matcher]
    equal: list[str]

    def hits(self, matchers: list[Matcher], labels: LabelSet) -> bool:
        return all(m.matches(labels) for m in matchers)


class Inhibitor:
    """Rules over the current alerts, read through ``alerts()`` (the alert store)."""

    def __init__(self, rules: list[InhibitRule], alerts: Callable[[], list[Alert]]) -> None:
        self.rules = [_Rule(inhibit_matchers(r, "source"), inhibit_matchers(r, "target"),
                            list(r.equal)) for r in rules]
        self._alerts = alerts

    def mutes(self, labels: LabelSet, now: float) -> int | None:
        """The fingerprint of an alert inhibiting ``labels``, or None."""
        if not self.rules:
            return None
        current = [a for a in self._alerts() if not a.resolved_at(now)]
        for rule in self.rules:
            if not rule.hits(rule.target, labels):
                continue
            two_sided = rule.hits(rule.source, labels)
            for a in current:
                if not rule.hits(rule.source, a.labels):
                    continue
                if any(a.labels.get(n, "") != labels.get(n, "") for n in rule.equal):
                    continue
                if two_sided and rule.hits(rule.target, a.labels):
                    continue
                return a.fp
        return None
