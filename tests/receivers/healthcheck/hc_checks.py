"""Custom check functions the healthcheck tests name as ``hc_checks:<function>``."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

state: dict[str, Any] = {"flip": "healthy"}
release_sync = threading.Event()
sync_started = threading.Event()
sync_finished = threading.Event()


def sync_ok(value: int = 0) -> dict[str, Any]:
    return {"status": "healthy", "details": {"value": value, "thread":
                                             threading.current_thread().name}}


async def async_warning(limit_ms: float) -> dict[str, Any]:
    return {"status": "warning", "details": {"inference_time_ms": limit_ms * 0.9},
            "message": "inference_time_near_limit"}


def raises() -> str:
    raise RuntimeError("model registry unreachable")


def garbage() -> object:
    return {"state": "ok"}


async def async_hang() -> str:
    await asyncio.Event().wait()
    return "healthy"


def sync_hang() -> str:
    sync_started.set()
    release_sync.wait(60)
    sync_finished.set()
    return "healthy"


def flip() -> dict[str, Any]:
    return {"status": state["flip"], "details": {"flips": 1}}
