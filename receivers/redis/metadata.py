"""The Collector's redis receiver metrics (its metadata.yaml), each from one INFO field:
(name, INFO field, kind, unit, description). kind: gauge, sum (non-monotonic), counter
(monotonic sum). Values are ints but for DOUBLES."""

from __future__ import annotations

__all__ = ["CPU_DESCRIPTION", "CPU_STATES", "DB_METRICS", "DOUBLES", "METRICS", "OFF_BY_DEFAULT"]

METRICS: list[tuple[str, str, str, str, str]] = [
    ("redis.clients.blocked", "blocked_clients", "sum", "{client}",
     "Number of clients pending on a blocking call"),
    ("redis.clients.connected", "connected_clients", "sum", "{client}",
     "Number of client connections (excluding connections from replicas)"),
    ("redis.clients.max_input_buffer", "client_recent_max_input_buffer", "gauge", "By",
     "Biggest input buffer among current client connections"),
    ("redis.clients.max_output_buffer", "client_recent_max_output_buffer", "gauge", "By",
     "Longest output list among current client connections"),
    ("redis.commands", "instantaneous_ops_per_sec", "gauge", "{ops}/s",
     "Number of commands processed per second"),
    ("redis.commands.processed", "total_commands_processed", "counter", "{command}",
     "Total number of commands processed by the server"),
    ("redis.connections.received", "total_connections_received", "counter", "{connection}",
     "Total number of connections accepted by the server"),
    ("redis.connections.rejected", "rejected_connections", "counter", "{connection}",
     "Number of connections rejected because of maxclients limit"),
    ("redis.keys.evicted", "evicted_keys", "counter", "{key}",
     "Number of evicted keys due to maxmemory limit"),
    ("redis.keys.expired", "expired_keys", "counter", "{event}",
     "Total number of key expiration events"),
    ("redis.keyspace.hits", "keyspace_hits", "counter", "{hit}",
     "Number of successful lookup of keys in the main dictionary"),
    ("redis.keyspace.misses", "keyspace_misses", "counter", "{miss}",
     "Number of failed lookup of keys in the main dictionary"),
    ("redis.latest_fork", "latest_fork_usec", "gauge", "us",
     "Duration of the latest fork operation in microseconds"),
    ("redis.memory.fragmentation_ratio", "mem_fragmentation_ratio", "gauge", "1",
     "Ratio between used_memory_rss and used_memory"),
    ("redis.memory.lua", "used_memory_lua", "gauge", "By",
     "Number of bytes used by the Lua engine"),
    ("redis.memory.peak", "used_memory_peak", "gauge", "By",
     "Peak memory consumed by Redis (in bytes)"),
    ("redis.memory.rss", "used_memory_rss", "gauge", "By",
     "Number of bytes that Redis allocated as seen by the operating system"),
    ("redis.memory.used", "used_memory", "gauge", "By",
     "Total number of bytes allocated by Redis using its allocator"),
    ("redis.net.input", "total_net_input_bytes", "counter", "By",
     "The total number of bytes read from the network"),
    ("redis.net.output", "total_net_output_bytes", "counter", "By",
     "The total number of bytes written to the network"),
    ("redis.rdb.changes_since_last_save", "rdb_changes_since_last_save", "sum", "{change}",
     "Number of changes since the last dump"),
    ("redis.replication.backlog_first_byte_offset", "repl_backlog_first_byte_offset", "gauge",
     "By", "The master offset of the replication backlog buffer"),
    ("redis.replication.offset", "master_repl_offset", "gauge", "By",
     "The server's current replication offset"),
    ("redis.slaves.connected", "connected_slaves", "sum", "{replica}",
     "Number of connected replicas"),
    ("redis.uptime", "uptime_in_seconds", "counter", "s",
     "Number of seconds since Redis server start"),
]

# disabled by default in the Collector: (name, INFO field, kind, unit, description)
OFF_BY_DEFAULT: list[tuple[str, str, str, str, str]] = [
    ("redis.maxmemory", "maxmemory", "gauge", "By",
     "The value of the maxmemory configuration directive"),
    ("redis.replication.replica_offset", "slave_repl_offset", "gauge", "By",
     "Offset for redis replica"),
]

# redis.cpu.time: one monotonic double sum, attribute state (the *_main_thread states
# from Redis 6 on)
CPU_STATES = {"sys": "used_cpu_sys", "sys_children": "used_cpu_sys_children",
              "sys_main_thread": "used_cpu_sys_main_thread", "user": "used_cpu_user",
              "user_children": "used_cpu_user_children",
              "user_main_thread": "used_cpu_user_main_thread"}
CPU_DESCRIPTION = "System CPU consumed by the Redis server in seconds since server start"
DOUBLES = frozenset({"redis.cpu.time", "redis.memory.fragmentation_ratio"})

# per-database gauges from the dbN lines of INFO keyspace, attribute db
DB_METRICS = [("redis.db.keys", "keys", "{key}", "Number of keyspace keys"),
              ("redis.db.expires", "expires", "{key}",
               "Number of keyspace keys with an expiration"),
              ("redis.db.avg_ttl", "avg_ttl", "ms", "Average keyspace keys TTL")]
