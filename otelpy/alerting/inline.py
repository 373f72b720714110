"""The product's inline rules: ``static``, ``adaptive`` and ``anomaly_detection`` thresholds.

Each rule reads the series of one metric (its OTLP name or its Prometheus name) and answers,
at each evaluation, the vector of series that break the rule (with their latest value), as a
PromQL alert expression would; the group evaluator then applies ``for``, labels and state.

* ``static``: the latest value is above (or below) ``threshold``.
* ``adaptive``: a robust baseline per series (median and MAD of the samples of the last
  ``adaptation_window_hours``, optionally per hour of the day or of the week, from
  :mod:`otelpy.anomaly.robust`); the band is ``median ± z · 1.4826 MAD`` with ``z`` the
  one-sided normal quantile of ``confidence_threshold`` (0.95 -> 1.645); a value beyond the
  band fires, never below ``base_threshold`` (above a ceiling ``base_threshold`` for
  ``direction: below``); before ``min_points`` samples only ``base_threshold`` applies.
* ``anomaly_detection``: an :mod:`otelpy.anomaly` detector per series scores every sample in
  [0, 1]; the rule fires while the latest score is at or above the sensitivity's threshold
  (:data:`SENSITIVITY`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

from otelpy.promql.ast import Matcher
from otelpy.promql.storage import SeriesStore
from otelpy.promql.values import Labels, Sample, Vector, is_stale

#: anomaly score thresholds by ``anomaly_sensitivity`` (high fires on smaller anomalies)
SENSITIVITY = {"high": 0.5, "medium": 0.6, "low": 0.7}
MIN_POINTS = 10
MAX_WINDOW = 4096
STATE_VERSION = 1


@dataclass(frozen=True)
class InlineRule:
    """One inline rule, as the engine needs it (the connector's config maps onto it)."""

    name: str
    metric: str
    threshold_type: str  # static | adaptive | anomaly_detection
    direction: str = "above"  # above | below
    threshold: float | None = None
    base_threshold: float | None = None
    adaptation_window_hours: float = 24.0
    confidence_threshold: float = 0.95
    seasonality: str = "none"  # none | daily | weekly
    anomaly_method: str = "shape"
    anomaly_sensitivity: str = "medium"
    adaptive_enabled: bool = True


@dataclass
class _SeriesState:
    detector: Any
    last_t: int = -1
    score: float = 0.0
    band: tuple[float, float, float] = (math.nan, math.nan, math.nan)  # lower, median, upper


@dataclass
class InlineEvaluator:
    """Evaluates inline rules over ``store``; keeps at most ``max_series`` learned series per
    rule (the oldest forgotten first, counted in ``evicted``)."""

    store: SeriesStore
    lookback_ms: int
    interval_ms: int
    aliases: dict[str, set[str]]
    max_series: int = 100_000
    evicted: int = 0
    _learned: dict[str, dict[Labels, _SeriesState]] = field(default_factory=dict)

    def query(self, rule: InlineRule, ts: int) -> tuple[Vector, list[tuple[Labels, float]]]:
        """(series breaking ``rule`` at ``ts`` with their value, band and score samples)."""
        out, extra = Vector(), []
        for metric, ts_list, vs in self._series(rule, ts):
            value, fired, samples = self._judge(rule, metric, ts_list, vs, ts)
            extra += samples
            if fired and value is not None:
                out.append(Sample(metric, value))
        return out, extra

    def _series(self, rule: InlineRule, ts: int) -> list[tuple[Labels, list[int], list[float]]]:
        names = {rule.metric, *self.aliases.get(rule.metric, ())}
        out = []
        for name in sorted(names):
            out += self.store.select([Matcher("__name__", "=", name)])
        return out

    def _judge(self, rule: InlineRule, metric: Labels, ts_list: list[int], vs: list[float],
               ts: int) -> tuple[float | None, bool, list[tuple[Labels, float]]]:
        end = self.store.end_index(ts_list, ts)
        latest = None
        if end and ts_list[end - 1] >= ts - self.lookback_ms and not is_stale(vs[end - 1]):
            latest = vs[end - 1]
        if rule.threshold_type == "static":
            assert rule.threshold is not None
            return latest, latest is not None and _beyond(rule, latest, rule.threshold), []
        state = self._state(rule, metric)
        new = [(t, v) for t, v in zip(ts_list[:end], vs[:end], strict=True)
               if t > state.last_t and math.isfinite(v)]
        if rule.threshold_type == "adaptive":
            return self._adaptive(rule, metric, state, latest, new)
        for t, v in new:
            state.score = state.detector.score(v, t / 1000)
        if new:
            state.last_t = new[-1][0]
        if latest is None:
            state.score = 0.0
        score = state.score
        labels = _with_name(metric, "otelpy_alert_anomaly_score", rule.name)
        return latest, score >= SENSITIVITY[rule.anomaly_sensitivity], [(labels, score)]

    def _adaptive(self, rule: InlineRule, metric: Labels, state: _SeriesState,
                  latest: float | None, new: list[tuple[int, float]],
                  ) -> tuple[float | None, bool, list[tuple[Labels, float]]]:
        z = NormalDist().inv_cdf(rule.confidence_threshold)
        detector = state.detector
        if new:  # the band the latest value is judged against: learned before it
            for t, v in new[:-1]:
                detector.score(v, t / 1000)
            t_last = new[-1][0] / 1000
            lower, upper = detector.expected_range(t_last, z)
            median = (lower + upper) / 2
            if detector.learned(t_last) < MIN_POINTS or not rule.adaptive_enabled:
                lower = upper = median = math.nan
            state.band = (lower, median, upper)
            detector.score(new[-1][1], t_last)
            state.last_t = new[-1][0]
        lower, median, upper = state.band
        limit = _limit(rule, lower, upper)
        samples = [(_with_name(metric, "otelpy_alert_band_lower", rule.name), lower),
                   (_with_name(metric, "otelpy_alert_baseline", rule.name), median),
                   (_with_name(metric, "otelpy_alert_band_upper", rule.name), upper),
                   (_with_name(metric, "otelpy_alert_threshold", rule.name), limit)]
        fired = latest is not None and not math.isnan(limit) and _beyond(rule, latest, limit)
        return latest, fired, [s for s in samples if not math.isnan(s[1])]

    def _state(self, rule: InlineRule, metric: Labels) -> _SeriesState:
        table = self._learned.setdefault(rule.name, {})
        state = table.get(metric)
        if state is None:
            if len(table) >= self.max_series:
                del table[next(iter(table))]
                self.evicted += 1
            state = table[metric] = _SeriesState(self._detector(rule))
        return state

    def _detector(self, rule: InlineRule) -> Any:
        from otelpy.anomaly import create_detector

        if rule.threshold_type == "anomaly_detection":
            return create_detector(rule.anomaly_method)
        points = rule.adaptation_window_hours * 3_600_000 / max(self.interval_ms, 1)
        window = int(min(max(points, MIN_POINTS), MAX_WINDOW))
        per_bucket = {"none": window, "daily": window // 24,
                      "weekly": window // 168}[rule.seasonality]
        return create_detector("robust", window=window, season=rule.seasonality,
                               per_bucket=max(per_bucket, MIN_POINTS), min_points=MIN_POINTS)

    @property
    def updates(self) -> tuple[int, int]:
        """Changes with every sample learned and every series forgotten (when to save)."""
        states = [state for table in self._learned.values() for state in table.values()]
        return len(states), sum(state.last_t for state in states)

    def dump(self) -> bytes:
        """Every learned series (detector state, band, last sample time) as JSON."""
        from otelpy.anomaly import dump_detector

        rules = {name: [[[list(kv) for kv in metric], state.last_t, state.score,
                         list(state.band), dump_detector(state.detector).decode()]
                        for metric, state in table.items()]
                 for name, table in self._learned.items()}
        return json.dumps({"version": STATE_VERSION, "rules": rules},
                          separators=(",", ":")).encode()

    def load(self, data: bytes, rules: dict[str, InlineRule]) -> int:
        """Put back what :meth:`dump` wrote, for rules that still exist with the same kind of
        detector; returns the series restored. Raises ValueError on unreadable data."""
        from otelpy.anomaly import load_detector

        try:
            body = json.loads(data)
            if body.get("version") != STATE_VERSION:
                raise ValueError(f"state version {body.get('version')!r}")
            learned: dict[str, dict[Labels, _SeriesState]] = {}
            for name, rows in body["rules"].items():
                rule = rules.get(name)
                for metric, last_t, score, band, blob in rows:
                    detector = load_detector(blob.encode())
                    if rule is None or detector.method != _method(rule):
                        continue  # the rule is gone or now learns another way
                    labels = tuple((str(k), str(v)) for k, v in metric)
                    learned.setdefault(name, {})[labels] = _SeriesState(
                        detector, int(last_t), float(score),
                        (float(band[0]), float(band[1]), float(band[2])))
        except (KeyError, TypeError, AttributeError, IndexError) as exc:
            raise ValueError(f"not an inline rule state: {exc!r}") from exc
        self._learned = learned
        return sum(len(table) for table in learned.values())

    def forget(self, live: set[Labels]) -> None:
        """Drop the learned state of series no longer stored."""
        for table in self._learned.values():
            for metric in [m for m in table if m not in live]:
                del table[metric]


def _method(rule: InlineRule) -> str:
    return rule.anomaly_method if rule.threshold_type == "anomaly_detection" else "robust"


def _beyond(rule: InlineRule, value: float, limit: float) -> bool:
    return value < limit if rule.direction == "below" else value > limit


def _limit(rule: InlineRule, lower: float, upper: float) -> float:
    base = rule.base_threshold
    band = lower if rule.direction == "below" else upper
    if base is None:
        return band
    if math.isnan(band):
        return base
    return min(band, base) if rule.direction == "below" else max(band, base)


def _with_name(metric: Labels, name: str, alertname: str) -> Labels:
    labels = dict(metric)
    labels["metric"] = labels.pop("__name__", "")
    labels["__name__"] = name
    labels["alertname"] = alertname
    return tuple(sorted(labels.items()))
