"""The books of a chaos run: which seqs were acknowledged, which reached the sink, how often.

Seqs are dense integers handed out by :meth:`Ledger.allocate`; two bytearrays indexed by
seq hold "acknowledged" (0/1) and "times delivered" (saturating at 255). ``missing`` is
the set of acknowledged seqs the sink has not recorded yet: it is what a kill must not
lose, and what "backlog drained" waits for.
"""

from __future__ import annotations

import bisect
import sys
import time
from array import array
from dataclasses import dataclass
from pathlib import Path

_DUPS = bytes(max(0, d - 1) for d in range(256))  # delivered count -> extra copies
_SEEN = bytes(1 if d else 0 for d in range(256))


@dataclass
class Tally:
    """Counts over a range of seqs (one round, or the whole run)."""

    generated: int = 0
    acked: int = 0
    delivered: int = 0  # distinct acknowledged seqs the sink has
    lost: int = 0  # acknowledged, never delivered
    duplicates: int = 0  # extra copies beyond the first, of any seq
    duplicates_resent: int = 0  # ... of seqs the client sent more than once (after an error)
    unacked_delivered: int = 0  # delivered although the client saw an error (allowed)

    @property
    def duplicate_ratio(self) -> float:
        copies = self.delivered + self.unacked_delivered
        return self.duplicates / copies if copies else 0.0


class Ledger:
    """Acknowledged and delivered seqs; O(1) work per item."""

    def __init__(self) -> None:
        self.next_seq = 0
        self.acked = bytearray()
        self.delivered = bytearray()
        self.missing: set[int] = set()
        self.resent: dict[int, int] = {}  # first seq -> count, of requests sent again
        self.round_starts: list[int] = []
        self.acked_total = 0
        self.copies_total = 0  # every record the sink wrote, duplicates included
        self.last_delivery = time.monotonic()

    def begin_round(self) -> None:
        """Seqs allocated from now on belong to the next round."""
        self.round_starts.append(self.next_seq)

    def allocate(self, count: int) -> int:
        """The first of ``count`` fresh consecutive seqs."""
        first = self.next_seq
        self.next_seq += count
        grow = self.next_seq - len(self.acked)
        if grow > 0:
            room = max(grow, 1 << 16)
            self.acked.extend(bytes(room))
            self.delivered.extend(bytes(room))
        return first

    def resend(self, first: int, count: int) -> None:
        """The client sends seqs ``first .. first+count-1`` again (an earlier try failed)."""
        self.resent[first] = count

    def ack(self, first: int, count: int) -> None:
        """The client got OK for seqs ``first .. first+count-1``."""
        acked, delivered, missing = self.acked, self.delivered, self.missing
        for seq in range(first, first + count):
            if acked[seq]:
                continue
            acked[seq] = 1
            self.acked_total += 1
            if not delivered[seq]:
                missing.add(seq)

    def deliver(self, seqs: array[int]) -> None:
        """The sink recorded ``seqs`` (each occurrence is one copy)."""
        delivered, missing, limit = self.delivered, self.missing, len(self.delivered)
        for seq in seqs:
            if seq >= limit:
                raise RuntimeError(f"the sink recorded seq {seq}, never generated")
            count = delivered[seq]
            if count < 255:
                delivered[seq] = count + 1
            if not count:
                missing.discard(seq)
        self.copies_total += len(seqs)
        if seqs:
            self.last_delivery = time.monotonic()

    def round_of(self, seq: int) -> int:
        """0-based round a seq was allocated in."""
        return bisect.bisect_right(self.round_starts, seq) - 1

    def tally(self, first: int, end: int) -> Tally:
        """Counts over seqs ``first .. end-1``."""
        acked = self.acked[first:end].count(1)
        lost = sum(1 for seq in self.missing if first <= seq < end)
        seen = self.delivered[first:end]
        distinct = len(seen) - seen.count(0)
        resent = sum(sum(self.delivered[f:f + n].translate(_DUPS))
                     for f, n in self.resent.items() if first <= f < end)
        return Tally(generated=end - first, acked=acked, delivered=acked - lost, lost=lost,
                     duplicates=sum(seen.translate(_DUPS)), duplicates_resent=resent,
                     unacked_delivered=distinct - (acked - lost))

    def round_tally(self, index: int) -> Tally:
        first = self.round_starts[index]
        end = (self.round_starts[index + 1] if index + 1 < len(self.round_starts)
               else self.next_seq)
        return self.tally(first, end)

    def lost_seqs(self, limit: int = 20) -> list[int]:
        """Up to ``limit`` of the lowest lost seqs (for the report)."""
        return sorted(self.missing)[:limit]


class SinkFiles:
    """Reads what every sink incarnation appended (uint64 LE per seq), incrementally."""

    def __init__(self, directory: Path, pattern: str = "seqs-*.bin") -> None:
        self.directory, self.pattern = directory, pattern
        self.offsets: dict[Path, int] = {}

    def poll(self, ledger: Ledger) -> int:
        """Feed new records into ``ledger``; returns how many were read.

        A trailing partial record (a write cut by a kill) stays unread.
        """
        total = 0
        for path in sorted(self.directory.glob(self.pattern)):
            offset = self.offsets.get(path, 0)
            with open(path, "rb") as f:
                f.seek(offset)
                data = f.read()
            usable = len(data) - len(data) % 8
            if not usable:
                continue
            seqs = array("Q")
            seqs.frombytes(data[:usable])
            if sys.byteorder != "little":
                seqs.byteswap()
            ledger.deliver(seqs)
            self.offsets[path] = offset + usable
            total += len(seqs)
        return total


class Backlog:
    """What a restart must deliver: the acknowledged seqs missing at that moment."""

    def __init__(self, ledger: Ledger, since: float) -> None:
        self.pending = set(ledger.missing)
        self.items = len(self.pending)
        self.since = since
        self.drained_after: float | None = None if self.pending else 0.0

    def update(self, ledger: Ledger, now: float) -> bool:
        """Drop what was delivered; True (and ``drained_after`` set) once nothing remains."""
        if self.drained_after is not None:
            return True
        self.pending &= ledger.missing
        if not self.pending:
            self.drained_after = now - self.since
        return not self.pending
