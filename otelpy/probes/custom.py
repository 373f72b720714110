"""Custom probe: a Python callable named ``module:function`` (or a bare name looked up in
given modules), called with the check's parameters as keyword arguments. An async function
is awaited on the loop; a sync one runs in the given thread pool so it never blocks it."""

from __future__ import annotations

import asyncio
import functools
import importlib
import inspect
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Any

from otelpy.probes.config import CustomProbeSettings
from otelpy.probes.result import ProbeResult, coerce_result

__all__ = ["CustomProbe", "resolve_function"]


def resolve_function(ref: str, modules: Sequence[str]) -> Callable[..., Any]:
    """The callable ``ref`` names. Raises ValueError saying what could not be found or
    imported (the import's own error included)."""
    module_name, _, name = ref.rpartition(":")
    candidates = [module_name] if module_name else list(modules)
    if not candidates:
        raise ValueError(f"check_function {ref!r} names no module: write module:function, or "
                         "list the module in custom_check_modules")
    for candidate in candidates:
        try:
            module = importlib.import_module(candidate)
        except ImportError as exc:
            raise ValueError(f"check_function {ref!r}: cannot import {candidate!r}: {exc} "
                             "(is it on PYTHONPATH?)") from exc
        function = getattr(module, name, None)
        if function is not None:
            if not callable(function):
                raise ValueError(f"check_function {ref!r}: {candidate}.{name} is not callable")
            return function  # type: ignore[no-any-return]
    raise ValueError(f"check_function {ref!r}: no function {name!r} in "
                     f"{', '.join(candidates)}")


class CustomProbe:
    """Calls the function once per run; a sync run still going when the next is due is not
    started again (the next run reports failed), so a hung function holds one thread."""

    def __init__(self, settings: CustomProbeSettings, modules: Sequence[str],
                 executor: Executor) -> None:
        self.settings = settings
        self._function = resolve_function(settings.check_function, modules)
        self._async = inspect.iscoroutinefunction(self._function)
        self._executor = executor
        self._thread_run: asyncio.Future[Any] | None = None

    async def check(self) -> ProbeResult:
        kwargs = dict(self.settings.parameters)
        if self._async:
            return coerce_result(await self._function(**kwargs))
        if self._thread_run is not None and not self._thread_run.done():
            return ProbeResult.failed("the previous run is still running in its thread")
        loop = asyncio.get_running_loop()
        run = loop.run_in_executor(self._executor, functools.partial(self._function, **kwargs))
        self._thread_run = run
        run.add_done_callback(_retrieve)
        value = await asyncio.shield(run)  # a timeout leaves the thread's run to finish
        if inspect.isawaitable(value):  # a sync function returning a coroutine
            value = await value
        return coerce_result(value)

    async def close(self) -> None:
        return None


def _retrieve(run: asyncio.Future[Any]) -> None:
    if not run.cancelled():
        run.exception()  # a late error of a run already reported as timed out
