"""The ``postgresql`` receiver (the Collector's postgresqlreceiver): reads the statistics
views on an interval (asyncpg, imported when a receiver is created)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.receivers.postgresql.config import PostgresqlConfig


def _create(settings: Settings, cfg: PostgresqlConfig,
            consumers: Mapping[Signal, Consumer]) -> Any:
    from otelpy.receivers.postgresql.receiver import PostgresqlReceiver

    return PostgresqlReceiver(settings, cfg, consumers[Signal.METRICS])


factory = Factory(
    type="postgresql",
    kind=Kind.RECEIVER,
    config_type=PostgresqlConfig,
    create=_create,
    stability={"metrics": Stability.ALPHA},
    description="Reads PostgreSQL's statistics on an interval: postgresql.backends, commits, "
                "rollbacks, db_size, connection.max, database.count (the Collector's names)",
)

__all__ = ["factory", "PostgresqlConfig"]
