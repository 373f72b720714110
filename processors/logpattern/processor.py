"""The logpattern processor: tags every log record with the pattern the miner
(:mod:`otelpy.logmine`) puts it in, and keeps the patterns in a storage extension."""

from __future__ import annotations

import asyncio
import contextlib

from prometheus_client import Counter

from otelpy.component import ComponentBase, ComponentID, Host, Settings
from otelpy.consumer import Capabilities, Consumer
from otelpy.errors import ComponentStartError
from otelpy.logmine import MinerOptions, StateError, TemplateMiner, dump, load
from otelpy.pdata import Batch, items
from otelpy.processors.logpattern.config import LogPatternConfig
from otelpy.storage import LogStorage, StorageError
from otelpy.storage.log import DurableLog
from otelpy.storage.records import RecordRef

LOG_NAME = "patterns"


class LogPatternProcessor(Consumer, ComponentBase):
    """One logpattern processor instance (logs pipelines only)."""

    capabilities = Capabilities(mutates_data=True)

    def __init__(self, settings: Settings, cfg: LogPatternConfig, next_consumer: Consumer) -> None:
        self._settings, self._cfg, self._next = settings, cfg, next_consumer
        self._options = MinerOptions(similarity=cfg.similarity, depth=cfg.depth,
                                     max_children=cfg.max_children,
                                     max_patterns=cfg.max_patterns)
        self.miner = TemplateMiner(self._options)
        owner = str(settings.id)
        tel = settings.telemetry

        def counter(name: str, doc: str) -> Counter:
            return tel.counter(f"otelpy_processor_logpattern_{name}", doc,
                               ["processor"]).labels(processor=owner)
        self._new = counter("new_patterns", "Patterns created")
        self._evicted = counter("evicted", "Templates evicted to stay within max_patterns")
        self._skipped = counter("records_skipped", "Log records passed on untagged: their "
                                "message (body or source_attribute) is not a string")
        self._state_errors = counter("state_errors", "Saved patterns that could not be "
                                     "read or written (the processor goes on without them)")
        self._storage_id = ComponentID.parse(cfg.storage) if cfg.storage else None
        self._log: DurableLog | None = None
        self._snapshot: RecordRef | None = None
        self._saved_seen = 0
        self._saver: asyncio.Task[None] | None = None
        self._evicted_seen = 0

    # -- data ----------------------------------------------------------------------------

    async def consume_logs(self, batch: Batch) -> None:
        request = batch.mutable_message()
        add = self.miner.add
        source = self._cfg.source_attribute
        id_key, template_key = self._cfg.id_attribute, self._cfg.template_attribute
        new = skipped = 0
        for item in items.log_records(request):
            attrs = item.attributes
            if source is None:
                body = item.record.body
                message = body.string_value if body.WhichOneof("value") == "string_value" \
                    else None
            else:
                value = attrs.get(source)
                message = value if isinstance(value, str) else None
            if message is None:
                skipped += 1
                continue
            match = add(message)
            new += match.new
            attrs[id_key] = match.pattern_id
            attrs[template_key] = match.template
        self._count(new, skipped)
        await self._next.consume_logs(batch)

    def _count(self, new: int, skipped: int) -> None:
        if new:
            self._new.inc(new)
        if skipped:
            self._skipped.inc(skipped)
        evicted = self.miner.evicted - self._evicted_seen
        if evicted:
            self._evicted.inc(evicted)
            self._evicted_seen = self.miner.evicted

    # -- lifecycle and state -------------------------------------------------------------

    async def start(self, host: Host) -> None:
        """Open the storage log and restore the saved patterns. Raises ComponentStartError
        when ``storage`` names no running storage extension or its directory is unusable;
        damaged saved patterns are logged and counted, and mining starts afresh."""
        if self._storage_id is None or self._log is not None:
            return
        ext = host.extension(self._storage_id)
        if not isinstance(ext, LogStorage):
            what = "is not running" if ext is None else "is not a storage extension"
            raise ComponentStartError(f"storage: extension {self._storage_id} {what} (declare "
                                      "it under extensions and list it in service::extensions)")
        try:
            self._log = await ext.open_log(str(self._settings.id), LOG_NAME)
        except (OSError, StorageError) as exc:
            raise ComponentStartError(f"storage {self._storage_id}: {exc}") from exc
        await self._restore(self._log)
        if self._cfg.snapshot_interval > 0:
            self._saver = asyncio.get_running_loop().create_task(
                self._save_loop(), name=f"{self._settings.id} pattern snapshots")

    async def _restore(self, log: DurableLog) -> None:
        refs = log.recovery.records
        if not refs:
            return
        *older, last = refs
        try:
            self.miner = load(await log.read(last), self._options)
        except (StateError, StorageError, OSError) as exc:
            self._state_errors.inc()
            self._settings.logger.warning("saved patterns not restored, starting afresh: %s",
                                          exc)
        else:
            self._settings.logger.info("restored %d patterns", len(self.miner))
            self._evicted_seen = self.miner.evicted
        self._saved_seen = self.miner.seen
        self._snapshot = last
        for ref in older:
            log.ack(ref.seq)

    async def _save_loop(self) -> None:
        clock = self._settings.clock
        while True:
            await clock.sleep(self._cfg.snapshot_interval)
            await self.save()

    async def save(self) -> bool:
        """Write the patterns to storage when they changed since the last save; True when
        written. A failed write is logged and counted (the previous save stays)."""
        log = self._log
        if log is None or log.closed or self.miner.seen == self._saved_seen:
            return False
        seen, data = self.miner.seen, dump(self.miner)
        try:
            ref = await log.append([data], 0, lambda _ref: None)
        except StorageError as exc:
            self._state_errors.inc()
            self._settings.logger.error("saving patterns failed: %s", exc)
            return False
        if self._snapshot is not None:
            log.ack(self._snapshot.seq)
        self._snapshot, self._saved_seen = ref, seen
        return True

    async def shutdown(self) -> None:
        """Save the patterns (when storage is set) and close the log; idempotent."""
        if self._saver is not None:
            self._saver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._saver
            self._saver = None
        log, self._log = self._log, None
        if log is not None:
            self._log = log
            await self.save()
            self._log = None
            await log.close()
