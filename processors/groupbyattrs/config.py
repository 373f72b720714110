"""Configuration of the groupbyattrs processor (the Collector's groupbyattrsprocessor keys)."""

from __future__ import annotations

from pydantic import Field

from otelpy.config.lists import StringList
from otelpy.config.types import ConfigModel


class GroupByAttrsConfig(ConfigModel):
    """``processors: groupbyattrs:`` settings."""

    keys: StringList = Field(
        default_factory=list,
        description="Attribute keys to group by: a span, log record or data point with any of "
                    "them moves (without them) under a resource carrying them; empty = only "
                    "compact identical resources and scopes.")

    def validate_config(self) -> list[str]:
        dupes = sorted({k for k in self.keys if self.keys.count(k) > 1})
        return [f'keys: "{k}" is listed more than once' for k in dupes]
