"""The notify pipeline (``notify/notify.go``) a group flush runs: inhibition, active and mute
time intervals, silences; then per integration of the route's receiver, concurrently: dedup
against the notification log, send with retries (resolved alerts dropped when
``send_resolved`` is false), and log the notification. The flush succeeded when every
integration did."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from otelpy.alertmanager.alerts import Alert
from otelpy.alertmanager.dispatch import AggrGroup
from otelpy.alertmanager.inhibit import Inhibitor
from otelpy.alertmanager.nflog import NotificationLog, needs_update
from otelpy.alertmanager.notification import Integration, Notification
from otelpy.alertmanager.silences import Silences
from otelpy.alertmanager.templates import TemplateError
from otelpy.alertmanager.timeintervals import CompiledInterval
from otelpy.errors import PermanentError, RetryableError
from otelpy.exporterhelper.retry import RetryPolicy

__all__ = ["NotifyPipeline", "PipelineStats"]

#: What a notifier may raise besides RetryableError / PermanentError, by what a retry can do:
#: the network and the peer (retried), and its own data (a message that cannot be built or
#: encoded: retrying sends the same thing, so permanent).
_TRANSIENT = (OSError, asyncio.TimeoutError)
_BAD_MESSAGE = (ValueError, TypeError, LookupError, AttributeError, ArithmeticError,
                RuntimeError)


def _classified(integ: Integration, call: Callable[[Notification], Awaitable[None]]
                ) -> Callable[[Notification], Awaitable[None]]:
    """``call`` (one of ``integ``'s notifier's methods) with every error turned into
    RetryableError or PermanentError. A template error names the template problem; other
    errors show only their type, since their text may carry what a notifier holds (webhook
    URLs, keys)."""

    async def notify(n: Notification) -> None:
        try:
            await call(n)
        except (RetryableError, PermanentError):
            raise
        except TemplateError as exc:
            raise PermanentError(f"{integ.name}: template: {exc}") from exc
        except _TRANSIENT as exc:
            raise RetryableError(f"{integ.name}: {type(exc).__name__} (transport)") from exc
        except _BAD_MESSAGE as exc:
            raise PermanentError(f"{integ.name}: {type(exc).__name__} building or sending "
                                 "the notification") from exc

    return notify


@dataclass
class PipelineStats:
    sent: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    deduplicated: int = 0
    inhibited: int = 0
    silenced: int = 0
    muted_by_time: int = 0

    def add(self, table: dict[str, int], key: str) -> None:
        table[key] = table.get(key, 0) + 1


class NotifyPipeline:
    def __init__(self, receivers: dict[str, list[Integration]], inhibitor: Inhibitor,
                 silences: Silences, intervals: dict[str, CompiledInterval],
                 nflog: NotificationLog, retry: RetryPolicy, logger: logging.Logger,
                 saved: Callable[[], Awaitable[None]], external_url: str = "") -> None:
        self.receivers = receivers
        self.inhibitor = inhibitor
        self.silences = silences
        self.intervals = intervals
        self.nflog = nflog
        self.retry = retry
        self.logger = logger
        self.saved = saved
        self.external_url = external_url
        self.stats = PipelineStats()
        self.on_sent: Callable[[Notification, Integration], None] | None = None

    def _time_muted(self, ag: AggrGroup, now: float) -> bool:
        when = dt.datetime.fromtimestamp(now, dt.UTC)
        active = ag.route.opts.active_time_intervals
        if active and not any(self.intervals[n].contains(when) for n in active):
            return True
        return any(self.intervals[n].contains(when) for n in ag.route.opts.mute_time_intervals)

    def visible(self, alerts: list[Alert], now: float) -> list[Alert]:
        """Alerts neither inhibited nor silenced."""
        out = []
        for a in alerts:
            if self.inhibitor.mutes(a.labels, now) is not None:
                self.stats.inhibited += 1
            elif self.silences.mutes(a.labels, now):
                self.stats.silenced += 1
            else:
                out.append(a)
        return out

    async def flush(self, ag: AggrGroup, alerts: list[Alert], now: float) -> bool:
        alerts = [a for a in alerts if self.inhibitor.mutes(a.labels, now) is None]
        if not alerts:
            return True
        if self._time_muted(ag, now):
            self.stats.muted_by_time += 1
            return True
        alerts = [a for a in alerts if not self.silences.mutes(a.labels, now)]
        if not alerts:
            return True
        receiver = ag.route.opts.receiver
        n = Notification(receiver, ag.key, ag.labels, alerts, now, self.external_url)
        stages = [self._integration(i, n, ag.route.opts.repeat_interval)
                  for i in self.receivers.get(receiver, [])]
        results = await asyncio.gather(*stages)
        return all(results)

    async def _integration(self, integ: Integration, n: Notification, repeat: float) -> bool:
        firing = {a.fp for a in n.firing}
        resolved = {a.fp for a in n.resolved}
        send_resolved = integ.notifier.send_resolved
        entry = self.nflog.get(n.group_key, integ.key, n.now)
        if not needs_update(entry, firing, resolved, send_resolved, repeat, n.now):
            self.stats.deduplicated += 1
            return True
        if firing or send_resolved:
            sent = n if send_resolved else Notification(
                n.receiver, n.group_key, n.group_labels, n.firing, n.now, n.external_url)
            if not await self.send(integ, sent):
                return False
        self.nflog.log(n.group_key, integ.key, firing, resolved, n.now, 2 * repeat)
        await self.saved()
        return True

    async def send(self, integ: Integration, n: Notification) -> bool:
        """One notification with retries; False (logged, counted) when it failed. Whatever a
        notifier raises ends here (see :func:`_classified`): a failing integration never
        stops its group's loop or the other integrations."""
        if not await self._attempt(integ, integ.notifier.notify, n, "notify"):
            return False
        if self.on_sent is not None:
            self.on_sent(n, integ)
        return True

    async def acknowledge(self, integ: Integration, n: Notification) -> bool:
        """Tell an integration that can take it (``acknowledge``, PagerDuty's) that the
        group's alerts were acknowledged; with retries, False (logged, counted) on failure."""
        call = getattr(integ.notifier, "acknowledge", None)
        return call is not None and await self._attempt(integ, call, n, "acknowledge")

    async def _attempt(self, integ: Integration, call: Callable[[Notification], Awaitable[None]],
                       n: Notification, what: str) -> bool:
        try:
            await self.retry.run(_classified(integ, call), n)
        except (RetryableError, PermanentError) as exc:
            self.stats.add(self.stats.failed, integ.name)
            self.logger.error("%s %s (group %s) failed: %s", what, integ.key, n.group_key, exc)
            return False
        self.stats.add(self.stats.sent, integ.name)
        return True
