"""Correlation of alerts into incidents (the spec's ``correlate_alerts(time_window_minutes,
correlation_threshold)``).

Two alerts correlate when they started within ``window`` seconds of each other and their
similarity reaches ``threshold``: the larger of their label similarity (over the
correlation labels, ``service``, ``team``, ``host`` by default, that either alert carries,
the share whose values are equal on both) and, when both carry their recent values, the
Pearson correlation of those values (:mod:`.seriescorr`), so alerts of different services
whose series move together join one incident.
A new firing alert (neither silenced nor inhibited) joins the open incident holding the
member it correlates best with; otherwise, when it correlates with a firing alert not yet in
an incident, the two open a new one. An incident keeps its members (the latest version of
each alert), the score each member joined with, and its probable first cause: the member of
the service the other members' services depend on when the service graph says so
(:mod:`.dependencies`), else the member that started first. Its score is the mean of its
members' join scores. It is resolved when every member is. Notifications
(:meth:`Correlator.run_once`) go out when the members or their states changed since the last
successful one: once when the incident opens, then on each join or resolution. Bounded:
``max_incidents`` (the oldest resolved, then the oldest open incident goes first, counted in
``evicted``) and ``max_loose`` alerts waiting for a partner.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from otelpy.alertmanager.alerts import Alert, iso
from otelpy.alertmanager.dependencies import DependencyGraph
from otelpy.alertmanager.notification import Integration, Notification
from otelpy.alertmanager.pipeline import NotifyPipeline
from otelpy.alertmanager.seriescorr import series_correlation

__all__ = ["CorrelationPolicy", "Correlator", "Incident", "similarity"]

MAX_CANDIDATES = 256


@dataclass(frozen=True)
class CorrelationPolicy:
    window: float
    threshold: float
    labels: tuple[str, ...] = ("service", "team", "host")
    receivers: tuple[str, ...] = ()
    max_incidents: int = 1000
    max_loose: int = 10_000
    series: bool = True  # compare the alerts' recent values too
    series_step: float = 60.0
    min_points: int = 4
    service_label: str = "service"
    dependency_ttl: float = 3600.0


def similarity(a: dict[str, str], b: dict[str, str], labels: tuple[str, ...]) -> float:
    """Share of the correlation labels present on either side whose values are equal."""
    considered = [name for name in labels if name in a or name in b]
    if not considered:
        return 0.0
    return sum(1 for name in considered if a.get(name) == b.get(name)) / len(considered)


@dataclass
class Member:
    alert: Alert
    joined_at: float
    score: float


@dataclass
class Incident:
    id: str
    opened_at: float
    members: dict[int, Member] = field(default_factory=dict)
    updated_at: float = 0.0
    resolved_at: float = 0.0
    notified: tuple[list[int], list[int]] | None = None

    def state(self, now: float) -> tuple[list[int], list[int]]:
        """(firing, resolved) member fingerprints, sorted."""
        firing = sorted(fp for fp, m in self.members.items() if not m.alert.resolved_at(now))
        resolved = sorted(fp for fp, m in self.members.items() if m.alert.resolved_at(now))
        return firing, resolved

    @property
    def score(self) -> float:
        return sum(m.score for m in self.members.values()) / max(1, len(self.members))

    def first_cause(self, root_service: str | None = None,
                    service_label: str = "service") -> Member:
        """The member of ``root_service`` that started first, else the earliest member."""
        members = [m for m in self.members.values()
                   if root_service is not None and m.alert.labels.get(service_label) ==
                   root_service] or list(self.members.values())
        return min(members, key=lambda m: (m.alert.starts_at, m.joined_at))

    def shared_labels(self, labels: tuple[str, ...]) -> dict[str, str]:
        alerts = [m.alert.labels for m in self.members.values()]
        return {k: alerts[0][k] for k in labels
                if k in alerts[0] and all(a.get(k) == alerts[0][k] for a in alerts[1:])}

    def view(self, now: float, labels: tuple[str, ...], root_service: str | None = None,
             service_label: str = "service") -> dict[str, Any]:
        """The API / payload shape of the incident."""
        first = self.first_cause(root_service, service_label)
        upstream = root_service is not None and \
            first.alert.labels.get(service_label) == root_service
        return {"id": self.id, "status": "resolved" if self.resolved_at else "firing",
                "score": round(self.score, 4), "openedAt": iso(self.opened_at),
                "updatedAt": iso(self.updated_at), "resolvedAt": iso(self.resolved_at),
                "sharedLabels": self.shared_labels(labels),
                "firstCause": {"fingerprint": f"{first.alert.fp:016x}",
                               "labels": dict(sorted(first.alert.labels.items())),
                               "startsAt": iso(first.alert.starts_at),
                               "reason": "service graph" if upstream else "earliest"},
                "members": [{**m.alert.webhook(now), "joinedAt": iso(m.joined_at),
                             "score": round(m.score, 4)}
                            for m in sorted(self.members.values(),
                                            key=lambda m: (m.alert.starts_at, m.alert.fp))]}


class Correlator:
    """Incidents of one notify exporter; alerts come in through :meth:`observe`."""

    def __init__(self, policy: CorrelationPolicy, pipeline: NotifyPipeline,
                 receivers: dict[str, list[Integration]],
                 graph: DependencyGraph | None = None) -> None:
        self.policy = policy
        self.graph = graph if graph is not None else DependencyGraph(policy.dependency_ttl)
        self.pipeline = pipeline
        self.receivers = receivers
        self.incidents: dict[str, Incident] = {}
        self._of: dict[int, str] = {}  # member fingerprint -> incident id
        self._loose: dict[int, Alert] = {}
        self._index: dict[tuple[str, str], set[int]] = {}  # label pair -> loose fps
        self._with_series: dict[int, None] = {}  # loose fps with values, oldest first
        self.evicted = 0
        self.notifications = 0

    # -- joining ------------------------------------------------------------------------

    def observe(self, alert: Alert, now: float) -> None:
        """Take the newest version of an alert (firing or resolved)."""
        iid = self._of.get(alert.fp)
        if iid is not None:
            inc = self.incidents[iid]
            inc.members[alert.fp].alert = alert
            return
        if alert.fp in self._loose:
            self._unindex(self._loose[alert.fp])
            del self._loose[alert.fp]
        if alert.resolved_at(now) or not self.pipeline.visible([alert], now):
            return
        found, score = self._best_incident(alert)
        if found is not None:
            self._join(found, alert, score, now)
            return
        partner, score = self._best_loose(alert)
        if partner is not None:
            self._unindex(partner)
            del self._loose[partner.fp]
            inc = Incident(uuid.uuid4().hex[:16], now)
            self.incidents[inc.id] = inc
            self._join(inc, partner, score, now)
            self._join(inc, alert, score, now)
            self._bound()
            return
        self._add_loose(alert)

    def _near(self, a: Alert, b: Alert) -> float:
        p = self.policy
        if abs(a.starts_at - b.starts_at) > p.window:
            return 0.0
        score = similarity(a.labels, b.labels, p.labels)
        if p.series and a.series and b.series and score < 1.0:
            r = series_correlation(a.series, b.series, p.series_step, p.min_points)
            if r is not None and r > score:
                score = r
        return score

    def _best_incident(self, alert: Alert) -> tuple[Incident | None, float]:
        best: tuple[Incident | None, float] = (None, 0.0)
        for inc in self.incidents.values():
            if inc.resolved_at:
                continue
            for m in inc.members.values():
                s = self._near(alert, m.alert)
                if s >= self.policy.threshold and s > best[1]:
                    best = (inc, s)
        return best

    def _candidates(self, alert: Alert) -> Iterator[int]:
        """Loose alerts sharing a correlation label, then (when ``alert`` carries values)
        the newest loose alerts with values; at most MAX_CANDIDATES."""
        seen: set[int] = set()
        groups: list[Iterable[int]] = [self._index.get(pair, ()) for pair in self._pairs(alert)]
        if self.policy.series and alert.series:
            groups.append(reversed(self._with_series))
        for group in groups:
            for fp in group:
                if fp not in seen:
                    seen.add(fp)
                    yield fp
                    if len(seen) >= MAX_CANDIDATES:
                        return

    def _best_loose(self, alert: Alert) -> tuple[Alert | None, float]:
        best: tuple[Alert | None, float] = (None, 0.0)
        for fp in list(self._candidates(alert)):
            s = self._near(alert, self._loose[fp])
            if s >= self.policy.threshold and s > best[1]:
                best = (self._loose[fp], s)
        return best

    def _pairs(self, alert: Alert) -> list[tuple[str, str]]:
        return [(k, alert.labels[k]) for k in self.policy.labels if k in alert.labels]

    def _add_loose(self, alert: Alert) -> None:
        while len(self._loose) >= self.policy.max_loose:
            oldest = next(iter(self._loose.values()))
            self._unindex(oldest)
            del self._loose[oldest.fp]
        self._loose[alert.fp] = alert
        for pair in self._pairs(alert):
            self._index.setdefault(pair, set()).add(alert.fp)
        if alert.series:
            self._with_series[alert.fp] = None

    def _unindex(self, alert: Alert) -> None:
        self._with_series.pop(alert.fp, None)
        for pair in self._pairs(alert):
            fps = self._index.get(pair)
            if fps is not None:
                fps.discard(alert.fp)
                if not fps:
                    del self._index[pair]

    def _join(self, inc: Incident, alert: Alert, score: float, now: float) -> None:
        inc.members[alert.fp] = Member(alert, now, score)
        inc.updated_at = now
        self._of[alert.fp] = inc.id

    def _bound(self) -> None:
        while len(self.incidents) > self.policy.max_incidents:
            victims = [i for i in self.incidents.values() if i.resolved_at] or \
                list(self.incidents.values())
            self._drop(min(victims, key=lambda i: i.updated_at))
            self.evicted += 1

    def _drop(self, inc: Incident) -> None:
        for fp in inc.members:
            self._of.pop(fp, None)
        del self.incidents[inc.id]

    # -- notifying ----------------------------------------------------------------------

    def _expire(self, now: float) -> None:
        for fp in [fp for fp, a in self._loose.items()
                   if a.resolved_at(now) or a.starts_at < now - self.policy.window]:
            self._unindex(self._loose[fp])
            del self._loose[fp]
        for inc in list(self.incidents.values()):
            if inc.resolved_at and inc.notified is not None and \
                    not inc.notified[0] and inc.resolved_at < now - self.policy.window:
                self._drop(inc)

    async def run_once(self, now: float) -> int:
        """Notify incidents whose members changed; returns how many were notified."""
        self._expire(now)
        sent = 0
        for inc in list(self.incidents.values()):
            firing, resolved = inc.state(now)
            if not firing and not inc.resolved_at:
                inc.resolved_at = inc.updated_at = now
            elif firing and inc.resolved_at:
                inc.resolved_at, inc.updated_at = 0.0, now
            if inc.notified == (firing, resolved):
                continue
            if await self._notify(inc, now):
                inc.notified = (firing, resolved)
                sent += 1
        self.notifications += sent
        return sent

    async def _notify(self, inc: Incident, now: float) -> bool:
        alerts = [m.alert for m in sorted(inc.members.values(),
                                          key=lambda m: (m.alert.starts_at, m.alert.fp))]
        view = self.view(inc, now)
        jobs = []
        for name in self.policy.receivers:
            n = Notification(name, f"incident:{inc.id}", inc.shared_labels(self.policy.labels),
                             alerts, now, self.pipeline.external_url, {"Incident": view})
            jobs += [self.pipeline.send(i, n) for i in self.receivers.get(name, [])]
        return all(await asyncio.gather(*jobs))

    def view(self, inc: Incident, now: float) -> dict[str, Any]:
        """The incident's API / payload shape, with its first cause from the service graph."""
        label = self.policy.service_label
        services = {m.alert.labels[label] for m in inc.members.values()
                    if label in m.alert.labels}
        return inc.view(now, self.policy.labels, self.graph.root_service(services, now), label)

    # -- state --------------------------------------------------------------------------

    def dump(self) -> list[dict[str, Any]]:
        return [{"id": i.id, "o": i.opened_at, "u": i.updated_at, "r": i.resolved_at,
                 "n": list(i.notified) if i.notified is not None else None,
                 "m": [[_dump_alert(m.alert), m.joined_at, m.score]
                       for m in i.members.values()]} for i in self.incidents.values()]

    def load(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            n = row.get("n")
            inc = Incident(str(row["id"]), float(row["o"]), {}, float(row["u"]),
                           float(row["r"]), ([int(x) for x in n[0]], [int(x) for x in n[1]])
                           if n is not None else None)
            for a, joined, score in row["m"]:
                alert = _load_alert(a)
                inc.members[alert.fp] = Member(alert, float(joined), float(score))
                self._of[alert.fp] = inc.id
            self.incidents[inc.id] = inc


def _dump_alert(a: Alert) -> dict[str, Any]:
    return {"l": a.labels, "a": a.annotations, "s": a.starts_at, "e": a.ends_at,
            "u": a.updated_at, "t": a.timeout, "g": a.generator_url, "v": a.value}


def _load_alert(d: dict[str, Any]) -> Alert:
    return Alert.make({str(k): str(v) for k, v in d["l"].items()},
                      annotations={str(k): str(v) for k, v in d["a"].items()},
                      starts_at=float(d["s"]), ends_at=float(d["e"]), updated_at=float(d["u"]),
                      timeout=bool(d["t"]), generator_url=str(d["g"]), value=str(d["v"]))

