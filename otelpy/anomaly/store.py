"""Keeping a :class:`~otelpy.anomaly.series.SeriesTable` in a storage extension.

The table is one snapshot in the component's log ``anomaly-state``
(:mod:`otelpy.storage.snapshot`): saved every ``save_interval`` (on ``settings.clock``) and at
shutdown, the newest readable snapshot loaded at start. The JSON encoding runs on the event
loop (~1 ms per series with the default method), the write in the log's own way.
"""

from __future__ import annotations

from otelpy.anomaly.series import SeriesTable, StateError
from otelpy.component import Settings
from otelpy.storage.snapshot import SnapshotError, SnapshotKeeper, SnapshotState

LOG_NAME = "anomaly-state"


def state_keeper(settings: Settings, storage: str, interval: float,
                 table: SeriesTable) -> SnapshotKeeper:
    """A keeper for ``table`` in the storage extension ``storage`` (none when empty). Every
    interval saves: the table changes with every point scored."""

    def load(data: bytes) -> str:
        try:
            return f"{table.load(data)} series"
        except StateError as exc:
            raise SnapshotError(str(exc)) from exc

    return SnapshotKeeper(settings, storage or None, LOG_NAME, interval,
                          SnapshotState(lambda: table.dump(), load, object))
