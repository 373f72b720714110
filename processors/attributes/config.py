"""Configuration of the attributes processor (the Collector's attributesprocessor keys)."""

from __future__ import annotations

from pydantic import Field

from otelpy.attraction import ActionKeyValue, action_problems
from otelpy.config.types import ConfigModel
from otelpy.filtermatch import MatchProperties


class AttributesConfig(ConfigModel):
    """``processors: attributes:`` settings."""

    actions: list[ActionKeyValue] = Field(
        default_factory=list,
        description="The actions to apply, in order, to the attributes of every span, log "
                    "record and metric data point selected. Required (at least one).")
    include: MatchProperties | None = Field(
        default=None,
        description="Only items matching these properties are processed (checked before "
                    "exclude).")
    exclude: MatchProperties | None = Field(
        default=None, description="Items matching these properties are not processed.")

    def validate_config(self) -> list[str]:
        problems = action_problems(self.actions, "actions")
        for name, props in (("include", self.include), ("exclude", self.exclude)):
            if props is not None:
                problems += [f"{name}::{p}" for p in props.problems()]
        return problems
