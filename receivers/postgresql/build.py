"""The statistics queries of one database and turning rows into the Collector's metrics
(metadata.py): per database, per table and per index."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality, Metric

from otelpy.pdata.values import Attributes
from otelpy.receivers.postgresql.metadata import BLOCK_SOURCES, METRICS

__all__ = ["BGWRITER", "BGWRITER_17", "INDEXES", "STATS", "TABLES", "Point",
           "bgwriter_points", "database_points", "index_points", "metrics", "table_points"]

# every database (one connection to the configured or default database)
STATS = """SELECT d.datname, s.numbackends, s.xact_commit, s.xact_rollback,
                  pg_database_size(d.datname) AS size
           FROM pg_database d JOIN pg_stat_database s ON s.datid = d.oid
           WHERE NOT d.datistemplate AND d.datallowconn ORDER BY d.datname"""
# a relation under an AccessExclusiveLock is skipped, as the Collector does: sizing it
# would wait for the lock
_UNLOCKED = """LEFT JOIN (SELECT DISTINCT relation FROM pg_locks WHERE locktype = 'relation'
                      AND mode = 'AccessExclusiveLock' AND granted) l ON l.relation = {rel}
               WHERE l.relation IS NULL"""
TABLES = f"""SELECT s.schemaname, s.relname, s.n_live_tup, s.n_dead_tup, s.n_tup_ins,
                    s.n_tup_upd, s.n_tup_del, s.n_tup_hot_upd, s.seq_scan, s.vacuum_count,
                    pg_relation_size(s.relid) AS size,
                    {", ".join(f"coalesce(io.{c}, 0) AS {c}" for c in BLOCK_SOURCES.values())}
             FROM pg_stat_user_tables s JOIN pg_statio_user_tables io ON io.relid = s.relid
             {_UNLOCKED.format(rel="s.relid")} ORDER BY s.schemaname, s.relname"""
INDEXES = f"""SELECT s.relname, s.indexrelname, s.idx_scan,
                     pg_relation_size(s.indexrelid) AS size
              FROM pg_stat_user_indexes s {_UNLOCKED.format(rel="s.indexrelid")}
              ORDER BY s.relname, s.indexrelname"""

# pg_stat_bgwriter; from PostgreSQL 17 on, the checkpointer's columns moved to
# pg_stat_checkpointer and the backend writes are gone (those points are left out)
BGWRITER = """SELECT buffers_alloc, buffers_clean, buffers_backend, buffers_backend_fsync,
                     buffers_checkpoint, checkpoints_req, checkpoints_timed,
                     checkpoint_write_time, checkpoint_sync_time, maxwritten_clean
              FROM pg_stat_bgwriter"""
BGWRITER_17 = """SELECT bg.buffers_alloc, bg.buffers_clean, NULL AS buffers_backend,
                        NULL AS buffers_backend_fsync, cp.buffers_written AS buffers_checkpoint,
                        cp.num_requested AS checkpoints_req, cp.num_timed AS checkpoints_timed,
                        cp.write_time AS checkpoint_write_time,
                        cp.sync_time AS checkpoint_sync_time, bg.maxwritten_clean
                 FROM pg_stat_bgwriter bg, pg_stat_checkpointer cp"""

Point = tuple[str, float | None, dict[str, str]]  # metric name, value, point attributes
_OPERATIONS = {"ins": "n_tup_ins", "upd": "n_tup_upd", "del": "n_tup_del",
               "hot_upd": "n_tup_hot_upd"}


def bgwriter_points(row: Mapping[str, Any]) -> list[Point]:
    """The cluster's background writer and checkpointer, as the Collector reports them."""
    writes = "postgresql.bgwriter.buffers.writes"
    return [("postgresql.bgwriter.buffers.allocated", row["buffers_alloc"], {}),
            (writes, row["buffers_clean"], {"source": "bgwriter"}),
            (writes, row["buffers_backend"], {"source": "backend"}),
            (writes, row["buffers_checkpoint"], {"source": "checkpoints"}),
            (writes, row["buffers_backend_fsync"], {"source": "backend_fsync"}),
            ("postgresql.bgwriter.checkpoint.count", row["checkpoints_req"],
             {"type": "requested"}),
            ("postgresql.bgwriter.checkpoint.count", row["checkpoints_timed"],
             {"type": "scheduled"}),
            ("postgresql.bgwriter.duration", row["checkpoint_sync_time"], {"type": "sync"}),
            ("postgresql.bgwriter.duration", row["checkpoint_write_time"], {"type": "write"}),
            ("postgresql.bgwriter.maxwritten", row["maxwritten_clean"], {})]


def database_points(row: Mapping[str, Any], tables: int | None) -> list[Point]:
    out: list[Point] = [("postgresql.backends", row["numbackends"], {}),
                        ("postgresql.commits", row["xact_commit"], {}),
                        ("postgresql.rollbacks", row["xact_rollback"], {}),
                        ("postgresql.db_size", row["size"], {})]
    if tables is not None:  # its tables could be read
        out.insert(0, ("postgresql.table.count", tables, {}))
    return out


def table_points(row: Mapping[str, Any]) -> list[Point]:
    out: list[Point] = [("postgresql.rows", row["n_dead_tup"], {"state": "dead"}),
                        ("postgresql.rows", row["n_live_tup"], {"state": "live"})]
    out += [("postgresql.operations", row[c], {"operation": op})
            for op, c in _OPERATIONS.items()]
    out += [("postgresql.table.size", row["size"], {}),
            ("postgresql.table.vacuum.count", row["vacuum_count"], {}),
            ("postgresql.sequential_scans", row["seq_scan"], {})]
    out += [("postgresql.blocks_read", row[c], {"source": source})
            for source, c in BLOCK_SOURCES.items()]
    return out


def index_points(row: Mapping[str, Any]) -> list[Point]:
    return [("postgresql.index.scans", row["idx_scan"], {}),
            ("postgresql.index.size", row["size"], {})]


def metrics(points: Iterable[Point], enabled: Callable[[str], bool], start_ns: int,
            now_ns: int) -> list[Metric]:
    """One metric per name (in first-seen order) holding its points; disabled names and
    NULL values (a statistic the server has not got) are left out."""
    by_name: dict[str, Metric] = {}
    for name, value, attrs in points:
        if value is None or not enabled(name):
            continue
        metric = by_name.get(name)
        if metric is None:
            metric = by_name[name] = _metric(name)
        data = metric.gauge if metric.HasField("gauge") else metric.sum
        point = data.data_points.add(time_unix_nano=now_ns)
        if METRICS[name].double:
            point.as_double = float(value)
        else:
            point.as_int = int(value)
        if metric.HasField("sum"):
            point.start_time_unix_nano = start_ns
        if attrs:
            values = Attributes(point.attributes)
            for key, attr in attrs.items():
                values[key] = attr
    return list(by_name.values())


def _metric(name: str) -> Metric:
    meta = METRICS[name]
    metric = Metric(name=name, description=meta.description, unit=meta.unit)
    if meta.kind == "gauge":
        metric.gauge.SetInParent()
    else:
        metric.sum.aggregation_temporality = \
            AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
        metric.sum.is_monotonic = meta.kind == "counter"
    return metric
