"""Configuration of the resource processor (the Collector's resourceprocessor keys)."""

from __future__ import annotations

from pydantic import Field

from otelpy.attraction import ActionKeyValue, action_problems
from otelpy.config.types import ConfigModel


class ResourceConfig(ConfigModel):
    """``processors: resource:`` settings."""

    attributes: list[ActionKeyValue] = Field(
        default_factory=list,
        description="The actions to apply, in order, to the resource attributes of every "
                    "resource. Required (at least one).")

    def validate_config(self) -> list[str]:
        return action_problems(self.attributes, "attributes")
