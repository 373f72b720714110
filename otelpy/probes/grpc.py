"""gRPC probe: ``grpc.health.v1.Health/Check`` (grpcio-health-checking's messages)."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from otelpy.probes.config import GrpcProbeSettings
from otelpy.probes.result import ProbeResult, Status
from otelpy.tlsbuild import grpc_channel_credentials

__all__ = ["GrpcProbe"]

_SERVING = health_pb2.HealthCheckResponse.SERVING
_UNAVAILABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
                grpc.StatusCode.NOT_FOUND, grpc.StatusCode.UNIMPLEMENTED)


class GrpcProbe:
    """One Check call per run on a long-lived channel (grpc reconnects by itself)."""

    def __init__(self, settings: GrpcProbeSettings, where: str) -> None:
        self.settings = settings
        tls = settings.tls
        if tls is None or tls.insecure:
            self._channel = grpc.aio.insecure_channel(settings.endpoint)
        else:
            self._channel = grpc.aio.secure_channel(
                settings.endpoint, grpc_channel_credentials(tls, f"{where}::tls"))
        self._stub = health_pb2_grpc.HealthStub(self._channel)

    async def check(self) -> ProbeResult:
        request = health_pb2.HealthCheckRequest(service=self.settings.service)
        try:
            reply = await self._stub.Check(request, wait_for_ready=False)
        except grpc.aio.AioRpcError as exc:
            status = Status.CRITICAL if exc.code() in _UNAVAILABLE else Status.FAILED
            return ProbeResult(status, {"grpc_status": exc.code().name},
                               f"{exc.code().name}: {exc.details()}")
        name = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
        if reply.status != _SERVING:
            return ProbeResult(Status.CRITICAL, {"serving_status": name},
                               f"service {self.settings.service!r} is {name}")
        return ProbeResult(Status.HEALTHY, {"serving_status": name})

    async def close(self) -> None:
        await self._channel.close()
