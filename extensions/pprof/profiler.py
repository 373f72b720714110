"""CPU profiles of the event-loop thread with pyinstrument, and their file formats.

pyinstrument samples the thread that starts it (every ``INTERVAL`` of wall time, the
stack of whatever runs there): started on the event loop, it sees every pipeline,
receiver and exporter coroutine, while the loop keeps serving. Several profilers may
run at once on one thread (they share one sampler), so a requested profile and the
whole-run profile of ``save_to_file`` coexist.

A profile is kept as a pyinstrument session document (the ``.pyisession`` JSON that
``pyinstrument --load`` reads) and rendered on request to speedscope JSON, HTML or
text. The whole-run profile folds its samples every ``WINDOW`` seconds into a table of
distinct stacks (at most ``MAX_STACKS``), so its memory stays bounded however long
otelpy runs. Imported only when a pprof extension is created.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyinstrument import Profiler
from pyinstrument.renderers import ConsoleRenderer, HTMLRenderer, SpeedscopeRenderer
from pyinstrument.session import Session

INTERVAL = 0.001  # seconds between samples
WINDOW = 10.0  # seconds between folds of the whole-run profile
MAX_STACKS = 20_000  # distinct stacks the whole-run profile keeps
OVERFLOW_FRAME = "[stacks beyond the table]\x00<otelpy pprof>\x000"

SessionDoc = dict[str, Any]


@dataclass(frozen=True)
class Format:
    """One output format of a profile."""

    content_type: str
    suffix: str  # file name suffix offered to the client
    render: Callable[[SessionDoc], str]


def _session(doc: SessionDoc) -> Session:
    session: Session = Session.from_json(doc)
    return session


FORMATS: dict[str, Format] = {
    "pyisession": Format("application/json", ".pyisession", json.dumps),
    "speedscope": Format("application/json", ".speedscope.json",
                         lambda d: SpeedscopeRenderer().render(_session(d))),
    "html": Format("text/html; charset=utf-8", ".html",
                   lambda d: HTMLRenderer().render(_session(d))),
    "text": Format("text/plain; charset=utf-8", ".txt",
                   lambda d: ConsoleRenderer(unicode=True, color=False).render(_session(d))),
}


def format_for_file(path: str) -> str:
    """The format a ``save_to_file`` name asks for by its suffix; pyisession otherwise."""
    name = path.lower()
    for fmt_name, fmt in FORMATS.items():
        if fmt_name != "pyisession" and name.endswith(fmt.suffix):
            return fmt_name
    return "speedscope" if name.endswith(".speedscope") else "pyisession"


def render(doc: SessionDoc, fmt: str) -> bytes:
    """``doc`` in format ``fmt`` (a key of FORMATS); CPU-bound, run it off the loop."""
    return FORMATS[fmt].render(doc).encode()


def _start(description: str) -> Profiler:
    profiler = Profiler(interval=INTERVAL, async_mode="disabled")
    profiler.start(target_description=description)
    return profiler


class WindowProfile:
    """One profile of a given length (a request's); start and stop on the loop thread."""

    def __init__(self, description: str) -> None:
        self._profiler = _start(description)

    def stop(self) -> SessionDoc:
        """Stop sampling; the session document. Idempotent."""
        session = self._profiler.stop() if self._profiler.is_running else None
        session = session or self._profiler.last_session
        return session.to_json() if session is not None else {}


class RunProfile:
    """The whole-run profile: samples from ``__init__`` until ``stop``, folded by stack."""

    def __init__(self, description: str) -> None:
        self._description = description
        self._started = time.time()
        self._cpu_started = time.process_time()
        self._stacks: dict[tuple[str, ...], float] = {}
        self._samples = 0
        self.overflow_seconds = 0.0  # sampled time whose stack did not fit in the table
        self._start_stack: list[str] = []
        self._profiler: Profiler | None = _start(description)

    def fold(self) -> None:
        """Move the samples so far into the stack table and go on sampling."""
        if self._profiler is None:
            return
        self._take(self._profiler.stop())
        self._profiler = _start(self._description)

    def stop(self) -> SessionDoc:
        """Stop sampling; the session document of the whole run. Idempotent."""
        if self._profiler is not None:
            self._take(self._profiler.stop())
            self._profiler = None
        return {
            "frame_records": [[list(stack), t] for stack, t in self._stacks.items()],
            "start_time": self._started, "duration": time.time() - self._started,
            "min_interval": INTERVAL, "max_interval": INTERVAL,
            "sample_count": self._samples, "start_call_stack": self._start_stack,
            "target_description": self._description,
            "cpu_time": time.process_time() - self._cpu_started,
            "sys_path": list(sys.path), "sys_prefixes": Session.current_sys_prefixes(),
        }

    def _take(self, session: Session) -> None:
        if not self._start_stack:
            self._start_stack = list(session.start_call_stack)
        window: dict[tuple[str, ...], float] = {}
        for frames, seconds in session.frame_records:
            key = tuple(frames)
            window[key] = window.get(key, 0.0) + seconds
        self._samples += session.sample_count
        for stack, spent in window.items():
            key = stack
            if key not in self._stacks:
                if len(self._stacks) >= MAX_STACKS:
                    self.overflow_seconds += spent
                    key = (OVERFLOW_FRAME,)
                else:
                    key = tuple(sys.intern(f) for f in stack)
            self._stacks[key] = self._stacks.get(key, 0.0) + spent
