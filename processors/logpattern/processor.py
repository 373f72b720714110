"""The logpattern processor: tags every log record with the pattern the miner
(:mod:`otelpy.logmine`) puts it in, and keeps the patterns in a storage extension."""

from __future__ import annotations

from prometheus_client import Counter

from otelpy.component import ComponentBase, Host, Settings
from otelpy.consumer import Capabilities, Consumer
from otelpy.logmine import MinerOptions, StateError, TemplateMiner, dump, load
from otelpy.pdata import Batch, items
from otelpy.processors.logpattern.config import LogPatternConfig
from otelpy.storage.snapshot import SnapshotError, SnapshotKeeper, SnapshotState

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
        self._evicted_seen = 0
        self._keeper = SnapshotKeeper(settings, cfg.storage, LOG_NAME, cfg.snapshot_interval,
                                      SnapshotState(lambda: dump(self.miner), self._load,
                                                    lambda: self.miner.seen,
                                                    self._state_errors.inc))

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

    def _load(self, data: bytes) -> str:
        try:
            self.miner = load(data, self._options)
        except StateError as exc:
            raise SnapshotError(str(exc)) from exc
        self._evicted_seen = self.miner.evicted
        return f"{len(self.miner)} patterns"

    async def start(self, host: Host) -> None:
        """Restore the saved patterns when ``storage`` is set. Raises ComponentStartError
        when it names no running storage extension or its directory is unusable; damaged
        saved patterns are logged and counted, and mining starts afresh."""
        await self._keeper.start(host)

    async def save(self) -> bool:
        """Write the patterns to storage when they changed since the last save; True when
        written. A failed write is logged and counted (the previous save stays)."""
        return await self._keeper.save()

    async def shutdown(self) -> None:
        """Save the patterns (when storage is set) and close the log; idempotent."""
        await self._keeper.shutdown()
