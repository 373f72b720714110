"""Rule group evaluation as Prometheus 2.42's rules manager does it: recording rules write
their result, alerting rules keep pending/firing state with ``for`` and ``keep_firing_for``
and write ``ALERTS`` / ``ALERTS_FOR_STATE``; series a rule stops returning get a stale
marker."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from otelpy.promql.engine import Engine
from otelpy.promql.errors import EvalError, PromQLError
from otelpy.promql.parser import parse
from otelpy.promql.rules.gotemplate import Template, TemplateError
from otelpy.promql.rules.rulefile import Group, Rule
from otelpy.promql.values import STALE_NAN, Labels, Scalar, Vector, format_g

PENDING, FIRING, INACTIVE = "pending", "firing", "inactive"
RESOLVED_RETENTION_MS = 15 * 60_000


@dataclass
class Alert:
    labels: Labels
    annotations: Labels
    active_at: int
    state: str = PENDING
    value: float = 0.0
    fired_at: int = 0
    resolved_at: int = 0
    keep_firing_since: int = 0


@dataclass
class RuleState:
    rule: Rule
    active: dict[Labels, Alert] = field(default_factory=dict)
    previous_series: set[Labels] = field(default_factory=set)
    last_error: str | None = None


class GroupEvaluator:
    """Evaluates one group's rules in order against an engine, writing results into its
    store. ``external_labels`` feed ``$externalLabels`` in templates."""

    def __init__(self, group: Group, engine: Engine,
                 external_labels: dict[str, str] | None = None) -> None:
        self.group = group
        self.engine = engine
        self.external_labels = external_labels or {}
        self.states = [RuleState(r) for r in group.rules]
        # (alert labels, series name, alertstate) -> the ALERTS / ALERTS_FOR_STATE label set;
        # rebuilt every round from the entries it used, so it holds only live alerts.
        self._series_labels: dict[tuple[Labels, str, str], Labels] = {}
        self._used: dict[tuple[Labels, str, str], Labels] = {}
        self._now = 0  # the round's evaluation time (ms), for the template ``query``

    def evaluate(self, ts: int) -> list[tuple[Labels, float]]:
        """One round at ``ts`` (ms); each rule's error is kept in its ``last_error``.
        Returns every sample written into the store (recording rules, ``ALERTS``,
        ``ALERTS_FOR_STATE``, stale markers), in rule order."""
        written: list[tuple[Labels, float]] = []
        self._used = {}
        self._now = ts
        for st in self.states:
            try:
                produced = self._rule(st, ts)
                st.last_error = None
            except (EvalError, TemplateError) as exc:
                st.last_error = str(exc)
                produced = []
            current = set()
            for metric, value in produced:
                self.engine.store.append(metric, ts, value)
                current.add(metric)
            written += produced
            for gone in st.previous_series - current:
                self.engine.store.append(gone, ts, STALE_NAN)
                written.append((gone, STALE_NAN))
            st.previous_series = current
        self._series_labels = self._used
        return written

    def _query(self, rule: Rule, ts: int) -> Vector:
        """The rule's result at ``ts``; subclasses may answer for rules without ``expr``."""
        assert rule.expr is not None
        value = self.engine.instant(rule.expr, ts)
        if isinstance(value, Scalar):
            from otelpy.promql.values import Sample
            return Vector([Sample((), value.v)])
        if not isinstance(value, Vector):
            raise EvalError("rule result is not a vector or scalar")
        return value

    def _rule(self, st: RuleState, ts: int) -> list[tuple[Labels, float]]:
        rule = st.rule
        vec = self._query(rule, ts)
        if not rule.is_alert:
            out = []
            seen: set[Labels] = set()
            for s in vec:
                labels = dict(s.metric)
                labels["__name__"] = rule.name
                for k, v in rule.labels.items():
                    if v:
                        labels[k] = v
                    else:
                        labels.pop(k, None)
                metric = tuple(sorted(labels.items()))
                if metric in seen:
                    raise EvalError("vector contains metrics with the same labelset after "
                                    "applying rule labels")
                seen.add(metric)
                out.append((metric, s.v))
            if self.group.limit and len(out) > self.group.limit:
                raise EvalError(f"exceeded limit of {self.group.limit} with {len(out)} series")
            return out
        return self._alert(st, vec, ts)

    def _template_query(self, text: str) -> list[dict[str, Any]]:
        """Prometheus's template ``query``: an instant query at the evaluation time; its
        samples as {"Labels", "Value"} (a scalar is one sample without labels)."""
        try:
            result = self.engine.instant(parse(str(text)), self._now)
        except PromQLError as exc:
            raise TemplateError(f"error executing query: {exc}") from None
        if isinstance(result, Scalar):
            return [{"Labels": {}, "Value": result.v}]
        if not isinstance(result, Vector):
            raise TemplateError("error executing query: query result is not a vector or "
                                "a scalar")
        return [{"Labels": dict(s.metric), "Value": s.v} for s in result]

    def _expand(self, rule: Rule, text: str, metric: Labels, value: float) -> str:
        labels = dict(metric)
        variables = {"$labels": labels, "$externalLabels": dict(self.external_labels),
                     "$externalURL": "", "$value": value}
        dot = {"Labels": labels, "ExternalLabels": dict(self.external_labels),
               "ExternalURL": "", "Value": value}
        try:
            return Template(text, {"query": self._template_query}).expand(variables, dot)
        except TemplateError as exc:
            return f"<error expanding template: template: __alert_{rule.name}: {exc}>"

    def _alert(self, st: RuleState, vec: Vector, ts: int) -> list[tuple[Labels, float]]:
        rule = st.rule
        fresh: dict[Labels, Alert] = {}
        for s in vec:
            labels = {k: v for k, v in s.metric if k != "__name__"}
            for k, v in rule.labels.items():
                expanded = self._expand(rule, v, s.metric, s.v)
                if expanded:
                    labels[k] = expanded
                else:
                    labels.pop(k, None)
            labels["alertname"] = rule.name
            annotations = tuple(sorted(
                (k, self._expand(rule, v, s.metric, s.v)) for k, v in rule.annotations.items()))
            key = tuple(sorted(labels.items()))
            if key in fresh:
                raise EvalError("vector contains metrics with the same labelset after applying "
                                "alert labels")
            fresh[key] = Alert(key, annotations, ts, PENDING, s.v)
        for key, a in fresh.items():
            old = st.active.get(key)
            if old is not None and old.state != INACTIVE:
                old.value, old.annotations = a.value, a.annotations
            else:
                st.active[key] = a
        return self._advance(st, set(fresh), ts)

    def _advance(self, st: RuleState, returned: set[Labels],
                 ts: int) -> list[tuple[Labels, float]]:
        rule = st.rule
        out: list[tuple[Labels, float]] = []
        active_count = 0
        for key, a in list(st.active.items()):
            if key not in returned:
                keep = False
                if a.state == FIRING and rule.keep_firing_for_ms > 0:
                    if a.keep_firing_since == 0:
                        a.keep_firing_since = ts
                    keep = ts - a.keep_firing_since < rule.keep_firing_for_ms
                if a.state == PENDING or (a.resolved_at and
                                          ts - a.resolved_at > RESOLVED_RETENTION_MS):
                    del st.active[key]
                if a.state != INACTIVE and not keep:
                    a.state, a.resolved_at = INACTIVE, ts
                if not keep:
                    continue
            else:
                a.keep_firing_since = 0
            active_count += 1
            if a.state == PENDING and ts - a.active_at >= rule.for_ms:
                a.state, a.fired_at = FIRING, ts
            out.append((self._alert_series(a.labels, "ALERTS", a.state), 1.0))
            out.append((self._alert_series(a.labels, "ALERTS_FOR_STATE", ""), a.active_at / 1000))
        if self.group.limit and active_count > self.group.limit:
            st.active.clear()
            raise EvalError(f"exceeded limit of {self.group.limit} with {active_count} alerts")
        return out

    def _alert_series(self, labels: Labels, name: str, state: str) -> Labels:
        key = (labels, name, state)
        out = self._series_labels.get(key)
        if out is None:
            extra = {"alertstate": state} if state else {}
            out = _with(dict(labels), name, **extra)
        self._used[key] = out
        return out

    def firing(self, alertname: str) -> list[Alert]:
        return [a for st in self.states if st.rule.is_alert and st.rule.name == alertname
                for a in st.active.values() if a.state == FIRING]


def _with(labels: dict[str, str], name: str, **extra: str) -> Labels:
    out = dict(labels)
    out["__name__"] = name
    out.update(extra)
    return tuple(sorted(out.items()))


__all__ = ["Alert", "GroupEvaluator", "format_g"]
