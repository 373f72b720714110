"""The ``alertmanager`` notifier: every alert (optionally only those matching some matchers)
POSTed to an Alertmanager's ``/api/v2/alerts`` with Prometheus's sending rules
(``rules/alerting.go`` and ``notifier/notifier.go``):

* an alert is sent when its state changed since it was last sent (new, resolved, firing
  again) and otherwise every ``resend_delay`` while it is known;
* a firing alert's ``endsAt`` is ``now + 4 * resend_delay``, so Alertmanager resolves it by
  itself when otelpy stops sending; a resolved alert carries its own ``endsAt``;
* resolved alerts keep being re-sent for 15 minutes, then are forgotten;
* at most 64 alerts a request; a failed request is logged and counted, and its alerts are
  sent again on the next pass (no other retry: the next resend is the retry).

Time comes from the injected clock; a pass runs when an alert changes state and at least
once a second."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

from yarl import URL

from otelpy import __version__
from otelpy.alertmanager.alerts import Alert, iso
from otelpy.alertmanager.labels import Matcher
from otelpy.clock import Clock
from otelpy.errors import PermanentError, RetryableError
from otelpy.httpclient import HTTPClient

__all__ = ["AlertmanagerForwarder", "ForwardTarget"]

MAX_BATCH = 64
RESOLVED_RETENTION = 15 * 60.0
PASS_INTERVAL = 1.0


@dataclass(frozen=True)
class ForwardTarget:
    url: str
    resend_delay: float = 60.0
    timeout: float = 10.0
    matchers: tuple[Matcher, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    max_alerts: int = 100_000


@dataclass
class _Entry:
    alert: Alert
    sent_state: str = ""
    last_sent: float = float("-inf")


class AlertmanagerForwarder:
    def __init__(self, target: ForwardTarget, client: HTTPClient, clock: Clock,
                 logger: logging.Logger) -> None:
        self.target = target
        self._client = client
        self._clock = clock
        self._logger = logger
        self._url = URL(target.url.rstrip("/") + "/api/v2/alerts")
        self._headers = {"Content-Type": "application/json",
                         "User-Agent": f"otelpy/{__version__}", **dict(target.headers)}
        self.entries: dict[int, _Entry] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.sent = 0
        self.failed = 0
        self.dropped = 0

    def observe(self, alert: Alert, now: float) -> None:
        """Take the newest version of an alert; wake the sender when its state changed."""
        if not all(m.matches(alert.labels) for m in self.target.matchers):
            return
        entry = self.entries.get(alert.fp)
        if entry is None:
            if len(self.entries) >= self.target.max_alerts:
                self.dropped += 1
                return
            entry = self.entries[alert.fp] = _Entry(alert)
        entry.alert = alert
        if entry.sent_state != alert.status(now):
            self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"alertmanager forward {self._url.host}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            await self.run_once(self._clock.time_ns() / 1e9)
            sleeper = asyncio.ensure_future(self._clock.sleep(PASS_INTERVAL))
            waker = asyncio.ensure_future(self._wake.wait())
            try:
                await asyncio.wait((sleeper, waker), return_when=asyncio.FIRST_COMPLETED)
            finally:
                sleeper.cancel()
                waker.cancel()

    def due(self, now: float) -> list[_Entry]:
        """Entries to send now (Prometheus's ``needsSending``); forgets old resolved ones."""
        out = []
        for fp, e in list(self.entries.items()):
            state = e.alert.status(now)
            if state == "resolved" and e.alert.ends_at < now - RESOLVED_RETENTION:
                del self.entries[fp]
            elif state != e.sent_state or e.last_sent + self.target.resend_delay <= now:
                out.append(e)
        return out

    def body(self, entries: list[_Entry], now: float) -> list[dict[str, object]]:
        valid_until = now + 4 * self.target.resend_delay
        out: list[dict[str, object]] = []
        for e in entries:
            a = e.alert
            ends = a.ends_at if a.resolved_at(now) else valid_until
            item: dict[str, object] = {"labels": a.labels, "annotations": a.annotations,
                                       "startsAt": iso(a.starts_at), "endsAt": iso(ends)}
            if a.generator_url:
                item["generatorURL"] = a.generator_url
            out.append(item)
        return out

    async def run_once(self, now: float) -> int:
        """Send what is due; returns how many alerts were accepted."""
        due = self.due(now)
        accepted = 0
        for i in range(0, len(due), MAX_BATCH):
            batch = due[i:i + MAX_BATCH]
            if await self._post(self.body(batch, now)):
                for e in batch:
                    e.sent_state, e.last_sent = e.alert.status(now), now
                accepted += len(batch)
        self.sent += accepted
        return accepted

    async def _post(self, body: list[dict[str, object]]) -> bool:
        data = json.dumps(body, separators=(",", ":")).encode()
        try:
            async with asyncio.timeout(self.target.timeout):
                await self._client.send("POST", self._url, data, self._headers)
        except (RetryableError, PermanentError, TimeoutError) as exc:
            self.failed += len(body)
            self._logger.error("sending %d alert(s) to %s failed: %s", len(body),
                               self._url.with_user(None), exc or "timeout")
            return False
        return True

