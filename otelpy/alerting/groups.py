"""Rule groups as the connector runs them: PromQL rules through
:class:`~otelpy.promql.rules.ruleeval.GroupEvaluator`, inline rules through
:class:`~otelpy.alerting.inline.InlineEvaluator`, and the alert state changes of each round.

A change is reported when an alert becomes ``pending``, becomes ``firing`` (directly, when
``for`` is 0) or is ``resolved`` (it was firing and its expression stopped returning it, after
``keep_firing_for``). A pending alert whose expression stops returning it goes away without a
change, as Prometheus sends nothing to Alertmanager for it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace

from otelpy.alerting.inline import InlineEvaluator, InlineRule
from otelpy.promql.engine import Engine
from otelpy.promql.rules.ruleeval import (
    FIRING,
    INACTIVE,
    PENDING,
    Alert,
    GroupEvaluator,
    RuleState,
)
from otelpy.promql.rules.rulefile import Group, Rule
from otelpy.promql.values import Labels, Vector

RESOLVED = "resolved"
#: Values kept per active alert for incident correlation (its latest rounds).
RECENT_VALUES = 60


@dataclass(frozen=True)
class AlertChange:
    """One alert's new state (pending, firing or resolved) in one round."""

    rule: Rule
    group: Group
    alert: Alert
    state: str
    ts: int  # ms
    recent: tuple[tuple[int, float], ...] = ()  # (ms, value) of the last rounds it was active


class RuleGroup(GroupEvaluator):
    """A group evaluator that also answers inline rules (rules without ``expr`` whose name
    is in ``inline``) and reports state changes."""

    def __init__(self, group: Group, engine: Engine, external_labels: dict[str, str],
                 inline: dict[str, InlineRule] | None = None,
                 inline_eval: InlineEvaluator | None = None) -> None:
        super().__init__(group, engine, external_labels)
        self.inline = inline or {}
        self.inline_eval = inline_eval
        self.extra: list[tuple[Labels, float]] = []  # band and score samples of this round
        # restored alerts not yet seen again, by rule name; kept as they are (neither
        # dropped nor resolved) while their rule is in ``holding`` (its data warming up)
        self.restored: dict[str, set[Labels]] = {}
        self.holding: set[str] = set()
        # (rule name, labels) -> the alert's value in its latest rounds while pending or firing
        self.recent: dict[tuple[str, Labels], deque[tuple[int, float]]] = {}

    @property
    def key(self) -> str:
        """The group's identity in saved state: ``file;name``."""
        return f"{self.group.file};{self.group.name}"

    def _query(self, rule: Rule, ts: int) -> Vector:
        spec = self.inline.get(rule.name) if rule.expr is None else None
        if spec is None:
            return super()._query(rule, ts)
        assert self.inline_eval is not None
        vec, extra = self.inline_eval.query(spec, ts)
        self.extra += extra
        return vec

    def _alert(self, st: RuleState, vec: Vector, ts: int) -> list[tuple[Labels, float]]:
        waiting = self.restored.get(st.rule.name)
        if not waiting:
            return super()._alert(st, vec, ts)
        frozen = {k: replace(a) for k, a in st.active.items() if k in waiting}
        out = super()._alert(st, vec, ts)
        for key, alert in frozen.items():
            now = st.active.get(key)
            if now is not None and now.state != INACTIVE and now.active_at == alert.active_at:
                waiting.discard(key)  # returned again: from now on as usual
            elif st.rule.name in self.holding:
                st.active[key] = alert
            else:
                waiting.discard(key)
        return out

    def round(self, ts: int) -> tuple[list[tuple[Labels, float]], list[AlertChange]]:
        """Evaluate at ``ts``: (samples written, alert state changes)."""
        before = [{k: a.state for k, a in st.active.items()} for st in self.states]
        self.extra = []
        written = self.evaluate(ts)
        changes = []
        for st, old in zip(self.states, before, strict=True):
            if not st.rule.is_alert:
                continue
            for key, alert in st.active.items():
                recent = self._remember(st.rule.name, alert, ts)
                state = _change(old.get(key), alert, ts)
                if state is not None:
                    changes.append(AlertChange(st.rule, self.group, alert, state, ts, recent))
        self._forget()
        return written + self.extra, changes

    def _remember(self, rule: str, alert: Alert, ts: int) -> tuple[tuple[int, float], ...]:
        key = (rule, alert.labels)
        values = self.recent.get(key)
        if alert.state == INACTIVE:
            return tuple(values or ())
        if values is None:
            values = self.recent[key] = deque(maxlen=RECENT_VALUES)
        if not values or values[-1][0] != ts:
            values.append((ts, alert.value))
        return tuple(values)

    def _forget(self) -> None:
        """Drop the values of alerts no longer pending or firing."""
        active = {(st.rule.name, labels) for st in self.states if st.rule.is_alert
                  for labels, a in st.active.items() if a.state != INACTIVE}
        for key in [k for k in self.recent if k not in active]:
            del self.recent[key]

    def snapshot(self) -> dict[str, list[Alert]]:
        """Alerts that are pending or firing, or resolved and still kept, by rule name."""
        return {st.rule.name: list(st.active.values())
                for st in self.states if st.rule.is_alert and st.active}

    def restore(self, saved: dict[str, list[Alert]]) -> int:
        """Put back saved alerts of rules that still exist; returns how many."""
        restored = 0
        for st in self.states:
            for alert in saved.get(st.rule.name, []) if st.rule.is_alert else []:
                st.active[alert.labels] = alert
                self.restored.setdefault(st.rule.name, set()).add(alert.labels)
                restored += 1
        return restored


def _change(was: str | None, alert: Alert, ts: int) -> str | None:
    now = alert.state
    if now == INACTIVE:
        return RESOLVED if was == FIRING and alert.resolved_at == ts else None
    if now == was:
        return None
    return PENDING if now == PENDING else FIRING
