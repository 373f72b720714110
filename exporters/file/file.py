"""The file exporter: OTLP/JSON lines or length-prefixed protobuf into a (rotated) file.

Encoding (OTLP/JSON needs the decoded request), compression and writing run in a
worker thread, one batch at a time in arrival order, so the event loop never waits
on the disk or on large JSON encodes. The file is buffered and flushed every
``flush_interval`` (or after every batch when it is 0).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable

import zstandard
from google.protobuf.message import DecodeError

from otelpy.component import Host, Settings, Signal
from otelpy.errors import PermanentError, RetryableError
from otelpy.exporterhelper import ExporterHelper
from otelpy.exporters.file.config import FileConfig
from otelpy.exporters.file.writer import FileWriter
from otelpy.pdata import SPECS, Batch, otlpjson

__all__ = ["FileExporter", "encode_record"]


def _json_line(signal: Signal, data: bytes) -> bytes:
    return otlpjson.encode_bytes(SPECS[signal].request.FromString(data)) + b"\n"


def _length_prefixed(payload: bytes) -> bytes:
    return len(payload).to_bytes(4, "big") + payload


def encode_record(fmt: str, compress: Callable[[bytes], bytes] | None, signal: Signal,
                  data: bytes) -> bytes:
    """What one request becomes in the file. Raises DecodeError for malformed JSON input."""
    if fmt == "json":
        line = _json_line(signal, data)
        return line if compress is None else _length_prefixed(compress(line))
    return _length_prefixed(data if compress is None else compress(data))


class FileExporter(ExporterHelper):
    """Writes every batch to one file; a Consumer via :class:`ExporterHelper`."""

    def __init__(self, settings: Settings, cfg: FileConfig, signals: Iterable[Signal]) -> None:
        problems = cfg.validate_config()
        if problems:
            raise ValueError("; ".join(problems))
        super().__init__(settings, signals, cfg.sending_queue, cfg.retry_on_failure,
                         cfg.timeout, self._write)
        self.cfg = cfg
        self.writer = FileWriter(cfg.path, cfg.append, cfg.rotation)
        self._compress = (zstandard.ZstdCompressor().compress if cfg.compression == "zstd"
                          else None)
        self._lock = asyncio.Lock()
        self._flusher: asyncio.Task[None] | None = None
        self._opened = False

    def _write_sync(self, signal: Signal, data: bytes) -> None:
        self.writer.write(encode_record(self.cfg.format, self._compress, signal, data))
        if not self.cfg.flush_interval:
            self.writer.flush()

    async def _write(self, batch: Batch) -> None:
        """Encode and write one batch in a thread; OSError is retryable, bad data permanent."""
        data = batch.data
        try:
            async with self._lock:
                await asyncio.to_thread(self._write_sync, batch.signal, data)
        except DecodeError as exc:
            raise PermanentError(f"cannot encode {batch.signal} as OTLP/JSON: {exc}") from None
        except OSError as exc:
            raise RetryableError(f"writing {self.cfg.path}: {exc}") from None

    async def _flush_every(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                async with self._lock:
                    await asyncio.to_thread(self.writer.flush)
            except OSError as exc:
                self.settings.logger.error("flushing %s failed: %s", self.cfg.path, exc)

    async def start(self, host: Host) -> None:
        """Open the file (raises OSError, e.g. when its directory is missing) and start."""
        if not self._opened:
            await asyncio.to_thread(self.writer.open)
            self._opened = True
            if self.cfg.flush_interval:
                self._flusher = asyncio.get_running_loop().create_task(
                    self._flush_every(self.cfg.flush_interval), name=f"{self.settings.id} flush")
        await super().start(host)

    async def shutdown(self, drain_timeout: float | None = None) -> None:
        """Drain, stop flushing, flush and close the file. Idempotent."""
        await super().shutdown(drain_timeout)
        if self._flusher is not None:
            task, self._flusher = self._flusher, None
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._opened:
            async with self._lock:
                try:
                    await asyncio.to_thread(self.writer.close)
                except OSError as exc:
                    self.settings.logger.error("closing %s failed: %s", self.cfg.path, exc)
