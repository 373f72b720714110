"""TCP connect and DNS probes (dnspython's asyncio resolver)."""

from __future__ import annotations

import asyncio
from typing import Any

import dns.asyncresolver
import dns.exception
import dns.resolver

from otelpy.clock import Clock
from otelpy.config.server import Endpoint
from otelpy.probes.config import DnsProbeSettings, TcpProbeSettings
from otelpy.probes.result import ProbeResult, Status

__all__ = ["DnsProbe", "TcpProbe"]


class TcpProbe:
    """Connects to ``endpoint`` and closes: critical when the connection is refused."""

    def __init__(self, settings: TcpProbeSettings, clock: Clock) -> None:
        endpoint = Endpoint.parse(settings.endpoint)
        self._host, self._port = endpoint.host or "localhost", endpoint.port
        self._clock = clock

    async def check(self) -> ProbeResult:
        start = self._clock.monotonic()
        try:
            _, writer = await asyncio.open_connection(self._host, self._port)
        except OSError as exc:
            return ProbeResult(Status.CRITICAL, {}, f"{type(exc).__name__}: {exc}")
        elapsed = self._clock.monotonic() - start
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass  # closed by the peer first: the connect already succeeded
        return ProbeResult(Status.HEALTHY, {"connect_ms": round(elapsed * 1000, 3)})

    async def close(self) -> None:
        return None


class DnsProbe:
    """Resolves ``name``: critical when there is no answer or an expected record is
    missing."""

    def __init__(self, settings: DnsProbeSettings) -> None:
        self.settings = settings
        self._resolver = dns.asyncresolver.Resolver(configure=not settings.nameserver)
        if settings.nameserver:
            endpoint = Endpoint.parse(settings.nameserver)
            self._resolver.nameservers = [endpoint.host or "127.0.0.1"]
            self._resolver.port = endpoint.port
        self._resolver.lifetime = 3600.0  # the runner's timeout cuts it

    async def check(self) -> ProbeResult:
        s = self.settings
        try:
            answer = await self._resolver.resolve(s.name, s.record_type.upper(),
                                                  raise_on_no_answer=True)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers,
                dns.exception.Timeout) as exc:
            return ProbeResult(Status.CRITICAL, {}, f"{type(exc).__name__}: {exc}")
        records = sorted(_text(r) for r in answer)
        details: dict[str, Any] = {"records": records[:16], "record_count": len(records)}
        missing = [e for e in s.expected if _normal(e) not in {_normal(r) for r in records}]
        if missing:
            return ProbeResult(Status.CRITICAL, details,
                               f"missing expected record(s): {', '.join(missing)}")
        return ProbeResult(Status.HEALTHY, details)

    async def close(self) -> None:
        return None


def _text(record: object) -> str:
    return str(record).strip('"')


def _normal(text: str) -> str:
    return text.strip().rstrip(".").lower()
