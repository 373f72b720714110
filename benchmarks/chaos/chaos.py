"""The rounds: a random plan of faults per round, carried out against running load.

Per round (``seconds`` long), from a ``random.Random`` seeded with (seed, round):

- otelpy is killed with SIGKILL once or twice at random moments and restarted with the
  same config and storage directory after 0-0.5 s; one time in four the next kill lands
  0.05-0.4 s after a restart, while otelpy is starting or replaying its queue;
- the sink goes down 0-2 times (SIGKILL or SIGTERM, at random) for 15-35 % of the round
  and comes back on the same port.

Recovery of every restart: spawn -> gRPC port accepts ("ready"), and spawn -> every item
acknowledged before the kill is at the sink ("drained"). A restart is "interrupted" when
otelpy is killed again first. At the end of a round everything is brought up, the load
stops (pending retries still go out, bounded), and the harness waits until the sink has
every acknowledged item or nothing arrived for ``settle`` seconds (bounded).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from ledger import Backlog, Ledger, SinkFiles
from loadgen import LoadGen
from procs import Service

READY_TIMEOUT = 60.0
FINISH_BOUND = 15.0  # seconds to get pending retries acknowledged at the end of a round
SETTLE_BOUND = 90.0  # seconds to wait for the sink to catch up at the end of a round


@dataclass
class Event:
    at: float  # seconds into the round
    action: str  # kill_otelpy | start_otelpy | stop_sink | start_sink
    sig: str = "SIGKILL"


@dataclass
class Recovery:
    """One restart of otelpy after a kill -9."""

    round: int
    killed_at: float  # seconds into the round
    down_s: float  # kill -> restart
    ready_s: float | None = None  # restart -> gRPC port accepts
    backlog_items: int = 0  # acknowledged but not at the sink when restarted
    drain_s: float | None = None  # restart -> all of that backlog at the sink
    interrupted: bool = False  # killed again before ready or before drained
    sink_was_down: bool = False  # the sink was down at some point while draining


@dataclass
class RoundResult:
    round: int
    load_s: float = 0.0
    settle_s: float = 0.0
    otelpy_kills: int = 0
    sink_outages: int = 0
    sink_sigkills: int = 0  # outages that began with SIGKILL (may cut a request short)
    unacked_at_end: int = 0  # items the client gave up on at the end (never acknowledged)
    missing_at_end: int = 0  # acknowledged items not at the sink after the settle wait
    crashes: int = 0  # otelpy exits nobody asked for
    events: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


FAULTS = ("all", "otelpy", "sink", "none")


def plan(rng: random.Random, seconds: float, faults: str = "all") -> list[Event]:
    """The faults of one round, in time order; ``faults`` keeps only otelpy kills, only
    sink outages, or none (the plan is drawn the same way either way)."""
    events: list[Event] = []
    at = rng.uniform(0.05, 0.45) * seconds
    for _ in range(rng.choice((1, 1, 2))):
        if at > 0.9 * seconds:
            break
        down = rng.uniform(0.0, 0.5)
        events += [Event(at, "kill_otelpy"), Event(at + down, "start_otelpy")]
        gap = rng.uniform(0.05, 0.4) if rng.random() < 0.25 else rng.uniform(1.0, 3.0)
        at += down + gap
    free_from = 0.0
    for _ in range(rng.choice((0, 1, 1, 2))):
        start = rng.uniform(free_from, free_from + 0.5 * seconds)
        down = rng.uniform(0.15, 0.35) * seconds
        if start + down > seconds:
            break
        sig = rng.choice(("SIGKILL", "SIGTERM"))
        events += [Event(start, "stop_sink", sig), Event(start + down, "start_sink")]
        free_from = start + down + 0.1
    keep = {"all": ("otelpy", "sink"), "otelpy": ("otelpy",), "sink": ("sink",), "none": ()}
    events = [e for e in events if e.action.endswith(keep[faults])]
    return sorted(events, key=lambda e: e.at)


class Harness:
    """Owns the services, the load and the books for a whole run."""

    def __init__(self, otelpy: Service, sink: Service, ledger: Ledger, files: SinkFiles,
                 load: LoadGen, seed: int, seconds: float, settle: float,
                 faults: str = "all") -> None:
        self.otelpy, self.sink, self.ledger, self.files, self.load = (
            otelpy, sink, ledger, files, load)
        self.seed, self.seconds, self.settle, self.faults = seed, seconds, settle, faults
        self.recoveries: list[Recovery] = []
        self._draining: list[tuple[Recovery, Backlog]] = []
        self._otelpy_expected_down = False
        self._recovery_task: asyncio.Task[None] | None = None
        self._round = RoundResult(0)  # the current round (0 before the first)
        self._round_t0 = 0.0
        self._killed_at = 0.0

    # -- background: read the sink's files, follow drains, notice crashes ----------------
    async def watch(self) -> None:
        """Runs for the whole run (cancel it to stop)."""
        while True:
            self.poll()
            await asyncio.sleep(0.05)

    def poll(self) -> None:
        self.files.poll(self.ledger)
        now = time.monotonic()
        for rec, backlog in list(self._draining):
            if not self.sink.up:
                rec.sink_was_down = True
            if backlog.update(self.ledger, now):
                rec.drain_s = backlog.drained_after
                self._draining.remove((rec, backlog))
        if not self.otelpy.up and not self._otelpy_expected_down:
            self._round.crashes += 1
            code = self.otelpy.proc.returncode if self.otelpy.proc else None
            self._note(f"otelpy #{self.otelpy.incarnation} exited by itself (rc={code})")
            self._otelpy_expected_down = True  # restarted at the next event or round end
            self._killed_at = now

    def _note(self, text: str) -> None:
        self._round.events.append(f"{time.monotonic() - self._round_t0:6.2f}s {text}")

    def _reap_recovery(self) -> None:
        """Forget the previous restart's readiness task; re-raise its failure if it failed."""
        task, self._recovery_task = self._recovery_task, None
        if task is None:
            return
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
        task.cancel()

    # -- faults ---------------------------------------------------------------------------
    async def _kill_otelpy(self) -> None:
        if not self.otelpy.up:
            return
        self._otelpy_expected_down = True
        for rec, _ in self._draining:
            rec.interrupted = True
        self._draining.clear()
        if self.recoveries and self.recoveries[-1].ready_s is None:
            self.recoveries[-1].interrupted = True  # killed while starting
        self._reap_recovery()
        await self.otelpy.kill(signal.SIGKILL)
        self._note(f"kill -9 otelpy #{self.otelpy.incarnation}")
        self._round.otelpy_kills += 1
        self._killed_at = time.monotonic()

    async def _start_otelpy(self) -> None:
        if self.otelpy.up:
            return
        self._reap_recovery()
        down = time.monotonic() - self._killed_at
        await self.otelpy.start()
        self._otelpy_expected_down = False
        self._note(f"start otelpy #{self.otelpy.incarnation}")
        rec = Recovery(self._round.round, self._killed_at - self._round_t0, down)
        self.recoveries.append(rec)
        backlog = Backlog(self.ledger, self.otelpy.started_at)
        rec.backlog_items = backlog.items
        self._draining.append((rec, backlog))
        self._recovery_task = asyncio.create_task(self._ready(rec))

    async def _ready(self, rec: Recovery) -> None:
        rec.ready_s = await self.otelpy.wait_ready(READY_TIMEOUT)
        self._note(f"otelpy #{self.otelpy.incarnation} ready after {rec.ready_s:.2f}s")

    async def _stop_sink(self, sig: str) -> None:
        if self.sink.up:
            await self.sink.kill(signal.Signals[sig])
            self._note(f"{sig} sink")
            self._round.sink_outages += 1
            self._round.sink_sigkills += sig == "SIGKILL"

    async def _start_sink(self) -> None:
        if not self.sink.up:
            await self.sink.start()
            ready = await self.sink.wait_ready(READY_TIMEOUT)
            self._note(f"sink up (ready after {ready:.2f}s)")

    async def apply(self, event: Event) -> None:
        if event.action == "kill_otelpy":
            await self._kill_otelpy()
        elif event.action == "start_otelpy":
            await self._start_otelpy()
        elif event.action == "stop_sink":
            await self._stop_sink(event.sig)
        else:
            await self._start_sink()

    # -- rounds ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Bring the sink and otelpy up for the first time."""
        await self.sink.start()
        await self.sink.wait_ready(READY_TIMEOUT)
        await self.otelpy.start()
        await self.otelpy.wait_ready(READY_TIMEOUT)

    async def _everything_up(self) -> None:
        await self._start_sink()
        if not self.otelpy.up:
            await self._start_otelpy()
        task, self._recovery_task = self._recovery_task, None
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await task  # raises when that restart failed
        await self.otelpy.wait_ready(READY_TIMEOUT)

    async def _settle(self) -> float:
        """Wait until nothing acknowledged is missing, or nothing arrives for ``settle``."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < SETTLE_BOUND:
            self.poll()
            now = time.monotonic()
            if not self.ledger.missing and not self._draining:
                break
            if now - max(self.ledger.last_delivery, t0) >= self.settle:
                break
            await asyncio.sleep(0.05)
        return time.monotonic() - t0

    async def run_round(self, index: int) -> RoundResult:
        """One round of load and faults; raises RuntimeError/TimeoutError when a restart
        cannot make otelpy or the sink ready."""
        rng = random.Random(f"{self.seed}:{index}")
        self._round = result = RoundResult(index + 1)
        self.ledger.begin_round()
        self._round_t0 = t0 = time.monotonic()
        self.load.start()
        for event in plan(rng, self.seconds, self.faults):
            await asyncio.sleep(max(0.0, t0 + event.at - time.monotonic()))
            await self.apply(event)
        await asyncio.sleep(max(0.0, t0 + self.seconds - time.monotonic()))
        await self._everything_up()
        result.unacked_at_end = await self.load.finish(FINISH_BOUND)
        result.load_s = time.monotonic() - t0
        result.settle_s = await self._settle()
        result.missing_at_end = self.ledger.round_tally(index).lost
        return result
