"""Limits of the gRPC protocol that need more than a grpc option: message size, and counting
the calls grpc refuses on its own.

grpc refuses a message larger than ``grpc.max_receive_message_length`` before any handler
runs, so such a call would go uncounted. The server therefore gives grpc a higher ceiling
(:attr:`~otelpy.config.server.GRPCServerSettings.grpc_message_ceiling`) and
:func:`size_checked` refuses messages over the configured limit itself
(RESOURCE_EXHAUSTED, counted with reason ``too_large``).

What grpc still refuses by itself (messages above the ceiling, metadata over
``max_metadata_size``, unknown methods, calls cancelled or past their deadline before
the handler ran) is counted from grpc's own channelz call counters:
:class:`GrpcRefusals` polls the server's ``callsFailed``, subtracts the calls the
handlers failed, and adds the difference to the malformed-requests counter with reason
``refused_by_grpc``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from grpc._cython import cygrpc  # channelz: what the grpcio-channelz package reads too

from otelpy.receivers.otlp.malformed import MalformedRequests

__all__ = ["CallStats", "GrpcRefusals", "size_checked", "REFUSED_BY_GRPC", "POLL_INTERVAL"]

REFUSED_BY_GRPC = "refused_by_grpc"
POLL_INTERVAL = 1.0  # seconds between two reads of grpc's channelz counters

_Handler = Callable[[bytes, grpc.aio.ServicerContext[Any, Any]], Awaitable[bytes]]
_log = logging.getLogger(__name__)


class CallStats:
    """Calls the handlers of one server ended with an error (aborts and exceptions)."""

    __slots__ = ("failed",)

    def __init__(self) -> None:
        self.failed = 0


def size_checked(handler: _Handler, limit: int, malformed: MalformedRequests,
                 stats: CallStats) -> _Handler:
    """``handler`` behind a size check: a request over ``limit`` bytes is aborted with
    RESOURCE_EXHAUSTED and counted (reason ``too_large``); every call the handler ends
    with an error is counted in ``stats``."""
    exhausted = grpc.StatusCode.RESOURCE_EXHAUSTED

    async def export(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
        try:
            if len(request) > limit:
                detail = f"Received message larger than max ({len(request)} vs. {limit})"
                malformed.record("grpc", "too_large", detail)
                await context.abort(exhausted, detail)
            return await handler(request, context)
        except BaseException:
            stats.failed += 1
            raise

    return export


def _server_ids() -> list[int]:
    doc = json.loads(cygrpc.channelz_get_servers(0))
    return [int(s["ref"]["serverId"]) for s in doc.get("server", ())]


def _calls_failed(server_id: int) -> int | None:
    try:
        doc = json.loads(cygrpc.channelz_get_server(server_id))
    except ValueError:  # the server is gone (or channelz is off)
        return None
    return int(doc.get("server", {}).get("data", {}).get("callsFailed", 0))


class GrpcRefusals:
    """Counts the calls grpc failed outside the handlers of one server (see module doc).

    Create it right after ``grpc.aio.server(...)``: channelz IDs increase, and the newest
    server is the one just created on this thread. :meth:`start` polls every
    :data:`POLL_INTERVAL` seconds; :meth:`stop` polls a last time and is idempotent.
    """

    def __init__(self, stats: CallStats, malformed: MalformedRequests) -> None:
        self._stats = stats
        self._malformed = malformed
        try:
            ids = _server_ids()
        except ValueError:
            ids = []
        self._server_id = max(ids) if ids else None
        self._counted = 0
        self._task: asyncio.Task[None] | None = None

    def poll(self) -> None:
        """Count what grpc failed since the last poll (never decreases)."""
        if self._server_id is None:
            return
        failed = _calls_failed(self._server_id)
        if failed is None:
            return
        outside = failed - self._stats.failed
        if outside > self._counted:
            self._malformed.record("grpc", REFUSED_BY_GRPC,
                                   "calls failed by grpc before or outside the handler",
                                   outside - self._counted)
            self._counted = outside

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(POLL_INTERVAL)
            self.poll()

    def start(self) -> None:
        if self._task is None and self._server_id is not None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="otelpy otlp grpc refusals")

    async def stop(self) -> None:
        """Stop polling after a last poll (call it before stopping the server)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self.poll()
