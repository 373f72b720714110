"""Pending and firing alerts across restarts, in a log of the storage extension.

Each save appends one record holding every group's alerts (labels, annotations, state,
``activeAt``, ``firedAt``, ``resolvedAt``, ``keep_firing_for`` start, value) as JSON and
acknowledges the previous one, so the log keeps one live record. A restart reads the last
record back: a pending alert keeps its ``for`` clock, a firing one stays firing (no second
``firing`` change). A state older than ``outage_tolerance`` is not restored (Prometheus's
``--rules.alert.for-outage-tolerance``).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from otelpy.promql.rules.ruleeval import Alert
from otelpy.storage import DurableLog

VERSION = 1
Snapshot = dict[str, dict[str, list[Alert]]]  # group key -> rule name -> alerts


def encode(snapshot: Snapshot, saved_at_ms: int) -> bytes:
    groups = {g: {r: [_alert(a) for a in alerts] for r, alerts in rules.items()}
              for g, rules in snapshot.items()}
    body = {"version": VERSION, "saved_at": saved_at_ms, "groups": groups}
    return json.dumps(body, separators=(",", ":")).encode()


def decode(data: bytes) -> tuple[int, Snapshot]:
    """(saved_at in ms, snapshot); raises ValueError when ``data`` is not a saved state."""
    try:
        body = json.loads(data)
        if body.get("version") != VERSION:
            raise ValueError(f"unknown state version {body.get('version')!r}")
        groups = {g: {r: [_from(a) for a in alerts] for r, alerts in rules.items()}
                  for g, rules in body["groups"].items()}
        return int(body["saved_at"]), groups
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"not an alert state: {exc!r}") from exc


def _alert(a: Alert) -> dict[str, Any]:
    return {"labels": a.labels, "annotations": a.annotations, "state": a.state,
            "active_at": a.active_at, "fired_at": a.fired_at, "resolved_at": a.resolved_at,
            "keep_firing_since": a.keep_firing_since, "value": repr(a.value)}


def _from(d: dict[str, Any]) -> Alert:
    return Alert(tuple((str(k), str(v)) for k, v in d["labels"]),
                 tuple((str(k), str(v)) for k, v in d["annotations"]),
                 int(d["active_at"]), str(d["state"]), float(d["value"]), int(d["fired_at"]),
                 int(d["resolved_at"]), int(d["keep_firing_since"]))


class StateLog:
    """The connector's alert state in a :class:`DurableLog` (one live record)."""

    def __init__(self, log: DurableLog, logger: logging.Logger) -> None:
        self.log = log
        self._logger = logger
        self._last: int | None = None
        self.saves = 0

    async def load(self) -> tuple[int, Snapshot] | None:
        """The last saved state, or None (nothing saved, or unreadable: logged)."""
        records = self.log.recovery.records
        if not records:
            return None
        for ref in records[:-1]:
            self.log.ack(ref.seq)
        self._last = records[-1].seq
        try:
            return decode(await self.log.read(records[-1]))
        except (OSError, ValueError) as exc:
            self._logger.error("saved alert state not restored: %s", exc)
            return None

    async def save(self, snapshot: Snapshot, now_ms: int) -> None:
        """Write the state; raises AppendFailed / LogClosed."""
        ref = await self.log.append([encode(snapshot, now_ms)], 0, _ignore)
        if self._last is not None:
            self.log.ack(self._last)
        self._last = ref.seq
        self.saves += 1

    async def close(self) -> None:
        await self.log.close()


def _ignore(_: object) -> None:
    return None
