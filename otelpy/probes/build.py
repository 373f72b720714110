"""Settings -> a probe. Each probe module (and its driver: asyncpg, redis, grpc, dnspython)
is imported here, when a component builds its probes, never at config import."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor

from pydantic import BaseModel

from otelpy.clock import Clock
from otelpy.probes import config
from otelpy.probes.base import Probe

__all__ = ["build_probe"]


def build_probe(settings: BaseModel, *, clock: Clock, where: str, executor: Executor,
                custom_modules: Sequence[str] = ()) -> Probe:
    """The probe for ``settings`` (one of :mod:`otelpy.probes.config`'s models, or a model
    deriving from one). Raises ValueError (a custom function that cannot be found) or
    TLSSetupError (unreadable TLS material), naming ``where``."""
    if isinstance(settings, config.HttpProbeSettings):
        from otelpy.probes.http import HttpProbe
        return HttpProbe(settings, clock, where)
    if isinstance(settings, config.TcpProbeSettings):
        from otelpy.probes.net import TcpProbe
        return TcpProbe(settings, clock)
    if isinstance(settings, config.DnsProbeSettings):
        from otelpy.probes.net import DnsProbe
        return DnsProbe(settings)
    if isinstance(settings, config.GrpcProbeSettings):
        from otelpy.probes.grpc import GrpcProbe
        return GrpcProbe(settings, where)
    if isinstance(settings, config.PostgresqlProbeSettings):
        from otelpy.probes.postgresql import PostgresqlProbe
        return PostgresqlProbe(settings)
    if isinstance(settings, config.RedisProbeSettings):
        from otelpy.probes.redis import RedisProbe
        return RedisProbe(settings)
    if isinstance(settings, config.CustomProbeSettings):
        from otelpy.probes.custom import CustomProbe
        try:
            return CustomProbe(settings, custom_modules, executor)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from exc
    if isinstance(settings, config.KubernetesProbeSettings):
        from otelpy.probes.kubernetes import KubernetesProbe
        return KubernetesProbe(settings)
    raise ValueError(f"{where}: no probe for {type(settings).__name__}")
