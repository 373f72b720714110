"""The filelog receiver: a :class:`~otelpy.fileconsumer.FileConsumer` in a worker thread,
the stanza operators on the loop, one logs batch per read step.

Delivery: the offsets of a step are committed (and saved to the storage extension) only
after the pipeline accepted the step's batch; operators that hold entries (recombine, the
container parser's partial lines) keep the committed offset at the first byte they hold. A
refused batch (retryable error) is sent again with backoff, reading paused; a permanent
refusal drops it, counted. So a restart, even after kill -9, resends at most the one batch
that was accepted but whose offsets were not yet saved.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from otelpy.component import ComponentBase, ComponentID, Host, Settings, Signal
from otelpy.consumer import Consumer
from otelpy.errors import ComponentStartError, PermanentError, RetryableError
from otelpy.fileconsumer.consumer import ConsumerOptions, FileConsumer, StepResult
from otelpy.fileconsumer.reader import FileMeta
from otelpy.fileconsumer.split import Splitter
from otelpy.pdata import Batch
from otelpy.receivers.filelog.config import FileLogConfig
from otelpy.stanza.entry import Entry, Origin
from otelpy.stanza.pipeline import Pipeline
from otelpy.stanza.wire import (
    encode_attributes,
    encode_record,
    entries_to_wire,
    observed_field,
    records_batch,
    text_record,
)
from otelpy.storage import LogStorage, StorageError
from otelpy.storage.checkpoint import Checkpoint

__all__ = ["FileLogReceiver", "STEP_BYTES"]

STEP_BYTES = 1024 * 1024  # file bytes read per step: the most one batch holds
_BACKOFF = (0.5, 30.0)
_ASCII_SPACE = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"  # what str.strip removes of ASCII


class FileLogReceiver(ComponentBase):
    def __init__(self, settings: Settings, cfg: FileLogConfig,
                 consumers: Mapping[Signal, Consumer]) -> None:
        self.settings = settings
        self.cfg = cfg
        self.next = consumers[Signal.LOGS]
        self.log = settings.logger
        tel, labels = settings.telemetry, ["receiver"]
        self._truncated = tel.counter("otelpy_filelog_truncated_records", "Records longer "
                                      "than max_log_size, cut to it", labels)
        self._op_errors = tel.counter("otelpy_filelog_operator_errors", "Entries an operator "
                                      "failed on (kept unless on_error is drop)",
                                      ["receiver", "operator"])
        self._dropped = tel.counter("otelpy_filelog_dropped_records", "Records dropped: by "
                                    "on_error drop, by a router, or refused permanently",
                                    labels)
        self._events = tel.counter("otelpy_filelog_file_events", "Files moved, truncated, "
                                   "lost or skipped", ["receiver", "event"])
        self._rid = str(settings.id)
        self.pipeline = Pipeline(cfg.all_operators(), self._operator_error,
                                 lambda: settings.clock.time_ns() / 1e9,
                                 settings.clock.monotonic)
        # lines straight to LogRecord bytes when the operators allow it; with ``nop`` the
        # bodies are bytes: the generic path
        self._direct = None if cfg.encoding.lower() == "nop" else (
            (None, set()) if not self.pipeline.operators else self.pipeline.body_parser())
        lead = not cfg.preserve_leading_whitespaces
        trail = not cfg.preserve_trailing_whitespaces
        ws = _ASCII_SPACE
        self._trim_ascii: Callable[[bytes], bytes] = (
            (lambda b: b.strip(ws)) if lead and trail else (lambda b: b.lstrip(ws)) if lead
            else (lambda b: b.rstrip(ws)) if trail else (lambda b: b))
        self.files: FileConsumer | None = None
        self.checkpoint: Checkpoint | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._task: asyncio.Task[None] | None = None
        self.steps = 0

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self, host: Host) -> None:
        if self._task is not None:
            return
        known: list[FileMeta] = []
        if self.cfg.storage is not None:
            self.checkpoint = await self._open_checkpoint(host, self.cfg.storage)
            known = _load(self.checkpoint.latest)
        self.files = FileConsumer(self._options(), self._splitter, known)
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"filelog {self._rid}")
        self._task = asyncio.get_running_loop().create_task(self._run(),
                                                            name=f"receiver {self._rid}")
        self.log.info("receiver %s: reading %s (start_at %s, %d file(s) remembered)",
                      self._rid, ", ".join(self.cfg.include), self.cfg.start_at, len(known))

    async def _open_checkpoint(self, host: Host, storage: str) -> Checkpoint:
        ext = host.extension(ComponentID.parse(storage))
        if ext is None:
            raise ComponentStartError(f"storage: extension {storage} is not running (declare "
                                      "it under extensions and list it in service::extensions)")
        if not isinstance(ext, LogStorage):
            raise ComponentStartError(f"storage: extension {storage} is not a storage "
                                      "extension")
        try:
            return await Checkpoint.open(ext, self._rid, "offsets")
        except (OSError, StorageError) as exc:
            raise ComponentStartError(f"storage {storage}: {exc}") from exc

    async def shutdown(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await self._final_flush()
        await self._save_delivered()
        if self._executor is not None:
            files = self.files
            if files is not None:
                await asyncio.get_running_loop().run_in_executor(self._executor, files.close)
            self._executor.shutdown(wait=False)
            self._executor = None
        if self.checkpoint is not None:
            await self.checkpoint.close()
            self.checkpoint = None

    async def _save_delivered(self) -> None:
        """Store the delivered offsets when the last save did not: the run task may have been
        cancelled between a delivery and its save (each file's ``meta.offset`` only ever
        holds what was delivered), and a file first seen at ``start_at: end`` is remembered
        there even when nothing was read from it."""
        files, checkpoint = self.files, self.checkpoint
        if checkpoint is None or files is None or self._executor is None:
            return
        # in the reader thread: after a step the cancelled task left running there
        state = await asyncio.get_running_loop().run_in_executor(
            self._executor, lambda: _dump(files.files()))
        if state == checkpoint.latest:
            return
        try:
            await checkpoint.save(state)
        except StorageError as exc:
            self.log.warning("receiver %s: offsets not stored at shutdown (%s): what was "
                             "read since the last save is read again at the next start",
                             self._rid, exc)

    def _options(self) -> ConsumerOptions:
        c = self.cfg
        return ConsumerOptions(
            tuple(c.include), tuple(c.exclude), c.start_at, c.fingerprint_size,
            c.max_concurrent_files, c.max_batches, c.force_flush_period, c.delete_after_read,
            c.include_file_name, c.include_file_path, c.include_file_name_resolved,
            c.include_file_path_resolved)

    def _splitter(self) -> Splitter:
        ml = self.cfg.multiline
        return Splitter(self.cfg.encoding, self.cfg.max_log_size,
                        ml.line_start_pattern if ml else "", ml.line_end_pattern if ml else "",
                        ml.omit_pattern if ml else False)

    # -- the loop --------------------------------------------------------------------------
    async def _run(self) -> None:
        clock = self.settings.clock
        next_poll = clock.monotonic()
        loop = asyncio.get_running_loop()
        assert self.files is not None
        while True:
            now = clock.monotonic()
            discover = now >= next_poll
            if discover:
                next_poll = now + self.cfg.poll_interval
            result = await loop.run_in_executor(self._executor, self.files.step, STEP_BYTES,
                                                now, discover)
            self.steps += 1
            self._note(result)
            if self._direct is None:
                for entry in self._entries(result):
                    self.pipeline.process(entry)
                self.pipeline.flush_due()
                await self._deliver(entries_to_wire(self.pipeline.take()))
            else:  # no operators: lines straight to LogRecord bytes
                await self._deliver(self._direct_batch(result))
            await self._commit(result)
            if not result.more:
                await clock.sleep(next_poll - clock.monotonic())

    async def _final_flush(self) -> None:
        """Send what stateful operators hold (one attempt: the shutdown is bounded)."""
        self.pipeline.flush_all()
        batch = entries_to_wire(self.pipeline.take())
        if batch is None or self.files is None:
            return
        try:
            await self.next.consume_logs(batch)
        except (RetryableError, PermanentError) as exc:
            self.log.warning("receiver %s: %d held records not delivered at shutdown (read "
                             "again at the next start when offsets are stored): %s",
                             self._rid, batch.item_count, exc)
            return
        await self._commit(StepResult())

    def _note(self, result: StepResult) -> None:
        if result.truncated_lines:
            self._truncated.labels(self._rid).inc(result.truncated_lines)
        for kind, message in result.events:
            self._events.labels(self._rid, kind).inc()
            if kind == "moved":
                self.log.debug("receiver %s: %s", self._rid, message)
            else:
                self.log.warning("receiver %s: %s", self._rid, message)

    def _trim(self, text: Any) -> Any:
        lead = not self.cfg.preserve_leading_whitespaces
        trail = not self.cfg.preserve_trailing_whitespaces
        if lead and trail:
            return text.strip()
        if lead:
            return text.lstrip()
        return text.rstrip() if trail else text

    def _entries(self, result: StepResult) -> list[Entry]:
        observed = self.settings.clock.time_ns()
        extra, resource = self.cfg.attributes, self.cfg.resource
        omit = self.cfg.multiline is not None and self.cfg.multiline.omit_pattern
        out: list[Entry] = []
        for reader, tokens in result.tokens:
            base_attrs = {**reader.meta.attributes, **extra}
            splitter = reader.splitter
            for token in tokens:
                data = splitter.omit_pattern(token.data) if omit else token.data
                body = self._trim(splitter.decode(data))
                if not body:
                    continue
                out.append(Entry(body, dict(base_attrs), dict(resource), 0, observed, 0, "",
                                 Origin(reader.id, token.start, token.end)))
        return out

    def _direct_batch(self, result: StepResult) -> Batch | None:
        """The step's lines as one batch of LogRecords written directly (no operators, or
        only a regex_parser from body to attributes: ``Pipeline.body_parser``): the same
        records as :meth:`_entries` + the pipeline + ``entries_to_wire``."""
        parse, names = self._direct or (None, set())
        now = self.settings.clock.time_ns()
        observed = observed_field(now)
        omit = self.cfg.multiline is not None and self.cfg.multiline.omit_pattern
        trim_ascii = self._trim_ascii
        records: list[bytes] = []
        for reader, tokens in result.tokens:
            attrs = {**reader.meta.attributes, **self.cfg.attributes}
            head = encode_attributes(attrs)
            clash = bool(names & attrs.keys())  # a parsed name replaces one in place
            splitter = reader.splitter
            ascii_ok = parse is None and splitter.codec == "utf-8"
            for token in tokens:
                data = splitter.omit_pattern(token.data) if omit else token.data
                if ascii_ok and data.isascii():  # as it decodes; str.strip's ASCII space
                    if text := trim_ascii(data):
                        records.append(text_record(text, head + observed))
                    continue
                body = self._trim(splitter.decode(data))
                if not body:
                    continue
                parsed = parse(body) if parse is not None and not clash else None
                if parsed is None and parse is not None:  # reported by the pipeline
                    self.pipeline.process(Entry(body, dict(attrs), dict(self.cfg.resource), 0,
                                                now, 0, "", Origin(reader.id, token.start,
                                                                   token.end)))
                    records.extend(encode_record(e) for e in self.pipeline.take())
                    continue
                tail = head + encode_attributes(parsed) if parsed else head
                records.append(text_record(body.encode(),
                                           tail + observed))
        return records_batch(self.cfg.resource, records) if records else None

    async def _deliver(self, batch: Batch | None) -> None:
        if batch is None:
            return
        delay = _BACKOFF[0]
        while True:
            try:
                await self.next.consume_logs(batch)
                return
            except RetryableError as exc:
                self.log.warning("receiver %s: batch of %d records refused (%s); sending it "
                                 "again in %.1fs, reading paused", self._rid, batch.item_count,
                                 exc, delay)
            except PermanentError as exc:
                self._dropped.labels(self._rid).inc(batch.item_count)
                self.log.error("receiver %s: batch of %d records refused permanently, "
                               "dropped: %s", self._rid, batch.item_count, exc)
                return
            await self.settings.clock.sleep(delay)
            delay = min(delay * 2, _BACKOFF[1])

    async def _commit(self, result: StepResult) -> None:
        files = self.files
        assert files is not None
        held: dict[int, int] = {}
        for origin in self.pipeline.held():
            held[origin.source] = min(held.get(origin.source, origin.start), origin.start)
        changed = False
        for reader in files.open + files.draining:
            offset = min(reader.offset, held.get(reader.id, reader.offset))
            if offset != reader.meta.offset:
                reader.meta.offset = offset
                changed = True
        loop = asyncio.get_running_loop()
        deleted = await loop.run_in_executor(self._executor, files.after_commit)
        for path in deleted:
            self.log.info("receiver %s: deleted %s (delete_after_read)", self._rid, path)
        if self.checkpoint is not None and (changed or result.events or deleted):
            await self.checkpoint.save(_dump(files.files()))

    def _operator_error(self, operator_id: str, message: str, quiet: bool,
                        dropped: bool) -> None:
        self._op_errors.labels(self._rid, operator_id).inc()
        if dropped:
            self._dropped.labels(self._rid).inc()
        if not quiet:
            self.log.warning("receiver %s: operator %s: %s", self._rid, operator_id, message)


def _dump(files: list[FileMeta]) -> bytes:
    return json.dumps({"version": 1, "files": [
        {"fingerprint": base64.b64encode(m.fingerprint).decode(), "offset": m.offset,
         "path": m.path, "attributes": m.attributes} for m in files]}).encode()


def _load(data: bytes | None) -> list[FileMeta]:
    if not data:
        return []
    doc: Any = json.loads(data)
    return [FileMeta(base64.b64decode(f["fingerprint"]), int(f["offset"]), str(f["path"]),
                     dict(f.get("attributes", {}))) for f in doc.get("files", [])]
