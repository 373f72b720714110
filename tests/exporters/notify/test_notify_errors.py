"""Whatever a notifier raises, the notify pipeline classifies it: transport errors are retried,
a bad template or a message that cannot be built fails at once; either way the failure is
counted and logged without the notifier's secrets, the other integrations of the flush still
send, and the group's next flush runs as usual."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import pytest

from otelpy.alertmanager.alerts import Alert
from otelpy.alertmanager.config import RouteConfig
from otelpy.alertmanager.dispatch import AggrGroup
from otelpy.alertmanager.inhibit import Inhibitor
from otelpy.alertmanager.nflog import NotificationLog
from otelpy.alertmanager.notification import Integration, Notification
from otelpy.alertmanager.pipeline import NotifyPipeline
from otelpy.alertmanager.routes import build_routes
from otelpy.alertmanager.silences import Silences
from otelpy.alertmanager.templates import TemplateError
from otelpy.errors import PermanentError, RetryableError
from otelpy.exporterhelper.config import RetrySettings
from otelpy.exporterhelper.retry import RetryPolicy
from otelpy.testing.clock import FakeClock

SECRET = "https://hooks.example/T000/B000/XXXXSECRET"


@dataclass
class Raising:
    """Raises each of ``errors`` on successive attempts, then succeeds."""

    errors: list[BaseException]
    send_resolved: bool = True
    attempts: int = 0
    sent: list[Notification] = field(default_factory=list)

    async def notify(self, n: Notification) -> None:
        self.attempts += 1
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append(n)


def pipeline(notifiers: dict[str, Raising], clock: FakeClock) -> NotifyPipeline:
    integrations = [Integration("team", name, 0, notifier)  # type: ignore[arg-type]
                    for name, notifier in notifiers.items()]
    retry = RetryPolicy(RetrySettings(initial_interval=0.01, randomization_factor=0,
                                      max_elapsed_time=1.0), clock=clock)

    async def saved() -> None:
        return None

    return NotifyPipeline({"team": integrations}, Inhibitor([], list), Silences(), {},
                          NotificationLog(), retry, logging.getLogger("test.notify.errors"),
                          saved)


def group(clock: FakeClock) -> AggrGroup:
    async def flush(ag: AggrGroup, alerts: list[Alert], now: float) -> bool:
        return True
    route = build_routes(RouteConfig.model_validate({"receiver": "team"}))
    return AggrGroup(route, {"alertname": "Down"}, clock, flush)


async def run(clock: FakeClock, flush: Coroutine[Any, Any, bool]) -> bool:
    """Drive ``flush`` to its end, advancing the fake clock through its retry waits."""
    task = asyncio.ensure_future(flush)
    for _ in range(1000):
        if task.done():
            break
        await clock.advance(0.05)
    return task.result()


ALERT = Alert.make({"alertname": "Down", "instance": "a"}, starts_at=1.0)


@pytest.mark.parametrize(("error", "retried", "shown"), [
    (ConnectionResetError(f"reset by {SECRET}"), True, "ConnectionResetError (transport)"),
    (TimeoutError(), True, "TimeoutError (transport)"),
    (TemplateError("undefined function 'nope'"), False, "template: undefined function"),
    (KeyError(SECRET), False, "KeyError building or sending"),
    (TypeError(f"not JSON serializable: {SECRET}"), False, "TypeError building or sending"),
    (UnicodeEncodeError("ascii", "é", 0, 1, "no"), False, "UnicodeEncodeError building"),
    (RuntimeError("session closed"), False, "RuntimeError building or sending"),
], ids=["oserror", "timeout", "template", "keyerror", "typeerror", "unicode", "runtime"])
async def test_each_kind_is_classified_counted_and_never_escapes(
        error: BaseException, retried: bool, shown: str,
        caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    broken, healthy = Raising([error] * 1000), Raising([])
    pipe = pipeline({"broken": broken, "slack": healthy}, clock)
    ok = await run(clock, pipe.flush(group(clock), [ALERT], 10.0))
    assert ok is False  # the flush failed for the broken integration ...
    assert len(healthy.sent) == 1  # ... and the other one still sent
    assert pipe.stats.failed == {"broken": 1} and pipe.stats.sent == {"slack": 1}
    assert (broken.attempts > 1) is retried
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and shown in errors[0]
    assert "XXXXSECRET" not in caplog.text


async def test_a_transport_error_then_success_is_one_notification() -> None:
    clock = FakeClock()
    flaky = Raising([OSError("connection refused"), OSError("connection refused")])
    pipe = pipeline({"webhook": flaky}, clock)
    assert await run(clock, pipe.flush(group(clock), [ALERT], 10.0)) is True
    assert flaky.attempts == 3 and len(flaky.sent) == 1
    assert pipe.stats.sent == {"webhook": 1} and pipe.stats.failed == {}


async def test_the_notifiers_own_errors_pass_as_they_are() -> None:
    clock = FakeClock()
    gone = Raising([PermanentError("HTTP 404")] * 10)
    busy = Raising([RetryableError("HTTP 503")] * 2)
    pipe = pipeline({"gone": gone, "busy": busy}, clock)
    assert await run(clock, pipe.flush(group(clock), [ALERT], 10.0)) is False
    assert gone.attempts == 1 and busy.attempts == 3
    assert pipe.stats.failed == {"gone": 1} and pipe.stats.sent == {"busy": 1}
