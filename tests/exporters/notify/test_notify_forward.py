"""The ``alertmanager`` notifier (``forward``) on a FakeClock against a local server checking
Alertmanager's postableAlerts schema: sent at once, re-sent every resend_delay with
endsAt = now + 4 x resend_delay, resolved alerts sent with their own endsAt and re-sent for
15 minutes, failures sent again on the next pass, matchers filter."""

from __future__ import annotations

import datetime as dt

from otelpy.testing.polling import until
from tests.exporters.notify.harness import alert_batch, endpoints, running


def _t(text: str) -> float:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


async def test_resend_and_ends_at_rules() -> None:
    async with endpoints() as ep:
        doc = {"route": {"receiver": "none"}, "receivers": [{"name": "none"}],
               "forward": [{"url": f"{ep.url}/am", "resend_delay": "1m",
                            "matchers": ['severity=~"critical|warning"']}]}
        async with running(doc) as run:
            ep.clock = run.clock
            start = run.clock.time_ns() / 1e9
            down = {"alertname": "Down", "severity": "critical", "instance": "h1"}
            await run.exporter.consume_logs(alert_batch(
                {"labels": down, "annotations": {"summary": "h1 down"}},
                {"labels": {"alertname": "Noise", "severity": "info"}}))
            await until(lambda: len(ep.got["am"]) == 1, within=30)
            sent = ep.bodies("am")[0]
            assert [a["labels"] for a in sent] == [down]  # the info alert is filtered out
            assert sent[0]["annotations"] == {"summary": "h1 down"}
            assert _t(sent[0]["endsAt"]) == start + 240
            assert _t(sent[0]["startsAt"]) == start

            ep.throttle["am"] = 1  # the resend at 60 s fails; the next pass sends it
            for _ in range(60):
                await run.clock.advance(1)
            await until(lambda: ep.attempts["am"] == 2, within=30)
            await run.clock.advance(1)
            await until(lambda: len(ep.got["am"]) == 2, within=30)
            resent = ep.bodies("am")[1][0]
            assert _t(resent["endsAt"]) == start + ep.got["am"][1].at + 240

            await run.exporter.consume_logs(alert_batch({"labels": down, "state": "resolved"}))
            await until(lambda: len(ep.got["am"]) == 3, within=30)
            resolved_at = start + run.clock.monotonic()
            assert _t(ep.bodies("am")[2][0]["endsAt"]) == resolved_at
            for _ in range(16):  # re-sent every minute while retained (15 minutes)
                await run.clock.advance(60)
            await until(lambda: len(ep.got["am"]) >= 17, within=30)
            assert all(_t(b[0]["endsAt"]) == resolved_at for b in ep.bodies("am")[2:])
            fwd = run.exporter.forwarders[0]
            assert fwd.entries == {}  # forgotten after 15 minutes
            count = len(ep.got["am"])
            await run.clock.advance(300)
            assert len(ep.got["am"]) == count
            assert ep.invalid == []
