"""The Collector's postgresql receiver metrics this receiver emits: name -> (kind, unit,
description, enabled by default), from its metadata.yaml. kind: gauge, sum
(non-monotonic cumulative) or counter (monotonic cumulative sum); values are ints unless
``double``.

Resources follow the Collector's default model (before its alpha `useOTelSemconv` gate):
cluster-wide metrics on an empty resource; per database `postgresql.database.name`; per
table also `postgresql.table.name` (``schema.table``); per index `postgresql.database.name`,
`postgresql.table.name` (the table alone) and `postgresql.index.name`."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["BLOCK_SOURCES", "METRICS", "Meta"]


class Meta(NamedTuple):
    kind: str
    unit: str
    description: str
    enabled: bool = True
    double: bool = False


METRICS: dict[str, Meta] = {
    # cluster
    "postgresql.connection.max": Meta(
        "gauge", "{connections}", "Configured maximum number of client connections allowed"),
    "postgresql.database.count": Meta("sum", "{databases}", "Number of user databases."),
    "postgresql.bgwriter.buffers.allocated": Meta(
        "counter", "{buffers}", "Number of buffers allocated."),
    "postgresql.bgwriter.buffers.writes": Meta(
        "counter", "{buffers}", "Number of buffers written."),
    "postgresql.bgwriter.checkpoint.count": Meta(
        "counter", "{checkpoints}", "The number of checkpoints performed."),
    "postgresql.bgwriter.duration": Meta(
        "counter", "ms", "Total time spent writing and syncing files to disk by checkpoints.",
        double=True),
    "postgresql.bgwriter.maxwritten": Meta(
        "counter", "1", "Number of times the background writer stopped a cleaning scan "
                        "because it had written too many buffers."),
    # per database
    "postgresql.backends": Meta(
        "sum", "1", "The number of backend processes associated with each database."),
    "postgresql.commits": Meta("counter", "1", "The number of commits."),
    "postgresql.rollbacks": Meta("counter", "1", "The number of rollbacks."),
    "postgresql.db_size": Meta("sum", "By", "The database disk usage."),
    "postgresql.table.count": Meta("sum", "{table}", "Number of user tables in a database."),
    # per table
    "postgresql.rows": Meta("sum", "1", "The number of rows in the database."),
    "postgresql.operations": Meta("counter", "1", "The number of db row operations."),
    "postgresql.blocks_read": Meta("counter", "1", "The number of blocks read."),
    "postgresql.table.size": Meta("sum", "By", "Disk space used by a table."),
    "postgresql.table.vacuum.count": Meta(
        "counter", "{vacuum}", "Number of times a table has manually been vacuumed."),
    "postgresql.sequential_scans": Meta(
        "counter", "{sequential_scan}", "The number of sequential scans.", False),
    # per index
    "postgresql.index.scans": Meta("counter", "{scans}", "The number of index scans on a table."),
    "postgresql.index.size": Meta("gauge", "By", "The size of the index on disk."),
}

# postgresql.blocks_read's attribute `source` -> pg_statio_user_tables column
BLOCK_SOURCES = {"heap_read": "heap_blks_read", "heap_hit": "heap_blks_hit",
                 "idx_read": "idx_blks_read", "idx_hit": "idx_blks_hit",
                 "toast_read": "toast_blks_read", "toast_hit": "toast_blks_hit",
                 "tidx_read": "tidx_blks_read", "tidx_hit": "tidx_blks_hit"}
