"""otelpy's own log output, as ``service::telemetry::logs`` sets it.

One handler on the root logger writes every line to each of ``output_paths`` (stderr,
stdout, or a file appended to), formatted as ``console`` or ``json`` with
``initial_fields``, after the URL-password redaction and, when ``sampling`` is set, zap's
sampling: per level and message template, the first ``initial`` lines of each ``tick``,
then every ``thereafter``-th. Calling :func:`configure_logging` again (a reload) replaces
that handler and closes the files it opened.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Mapping, Sequence
from typing import IO, Any

from otelpy.config.telemetry import LogsSamplingConfig, LogsTelemetryConfig
from otelpy.logredact import RedactingFilter

__all__ = ["configure_logging", "OwnLogHandler", "LogSampler", "python_level"]

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING,
           "error": logging.ERROR, "dpanic": logging.CRITICAL, "panic": logging.CRITICAL,
           "fatal": logging.CRITICAL}


def python_level(level: str) -> int:
    """The logging level of a zap level name (any case); ValueError when unknown."""
    try:
        return _LEVELS[level.lower()]
    except KeyError:
        raise ValueError(f"unknown log level {level!r}") from None


class LogSampler(logging.Filter):
    """zap's sampler: per (level, message template) and tick, ``initial`` lines, then
    every ``thereafter``-th (none when 0)."""

    def __init__(self, cfg: LogsSamplingConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self._window = time.monotonic()
        self._counts: dict[tuple[int, str], int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        if now - self._window >= self.cfg.tick:
            self._window, self._counts = now, {}
        key = (record.levelno, str(record.msg))
        n = self._counts[key] = self._counts.get(key, 0) + 1
        if n <= self.cfg.initial:
            return True
        return self.cfg.thereafter > 0 and (n - self.cfg.initial) % self.cfg.thereafter == 0


class _Formatter(logging.Formatter):
    def __init__(self, encoding: str, fields: Mapping[str, Any], stacktrace: bool) -> None:
        super().__init__()
        self.encoding, self.fields, self.stacktrace = encoding, dict(fields), stacktrace

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        trace = (self.formatException(record.exc_info)
                 if self.stacktrace and record.exc_info else "")
        when = self.formatTime(record)
        if self.encoding == "json":
            obj: dict[str, Any] = {"ts": when, "level": record.levelname,
                                   "logger": record.name, "msg": message, **self.fields}
            if trace:
                obj["stacktrace"] = trace
            return json.dumps(obj, default=str)
        line = f"{when} {record.levelname} {record.name} {message}"
        if self.fields:
            line += " " + " ".join(f"{k}={v}" for k, v in self.fields.items())
        return line + ("\n" + trace if trace else "")


class OwnLogHandler(logging.Handler):
    """Writes each formatted line to every stream; owns (and closes) the files it opened."""

    def __init__(self, paths: Sequence[str]) -> None:
        super().__init__()
        self._streams: list[IO[str]] = []
        self._owned: list[IO[str]] = []
        for path in paths or ["stderr"]:
            self._streams.append(self._open(path))

    def _open(self, path: str) -> IO[str]:
        if path == "stderr":
            return sys.stderr
        if path == "stdout":
            return sys.stdout
        name = path.removeprefix("file://")
        try:
            stream = open(name, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - owned
        except OSError as exc:
            raise OSError(f"service::telemetry::logs::output_paths: cannot open {path!r}: "
                          f"{exc.strerror}") from exc
        self._owned.append(stream)
        return stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + "\n"
            for stream in self._streams:
                stream.write(line)
                stream.flush()
        except (OSError, ValueError):
            self.handleError(record)

    def close(self) -> None:
        for stream in self._owned:
            stream.close()
        self._owned = []
        super().close()


def configure_logging(cfg: LogsTelemetryConfig) -> None:
    """Install (or replace) otelpy's handler on the root logger as ``cfg`` says.

    Raises OSError naming the path when an output file cannot be opened.
    """
    handler = OwnLogHandler(cfg.output_paths)
    handler.setFormatter(_Formatter(cfg.encoding, cfg.initial_fields,
                                    not cfg.disable_stacktrace))
    handler.addFilter(RedactingFilter())
    if cfg.sampling is not None and cfg.sampling.enabled:
        handler.addFilter(LogSampler(cfg.sampling))
    root = logging.getLogger()
    for old in list(root.handlers):
        if isinstance(old, OwnLogHandler):
            root.removeHandler(old)
            old.close()
    root.addHandler(handler)
    root.setLevel(python_level(cfg.level))
