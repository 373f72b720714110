"""Configuration of the metricstransform processor (the Collector's metricstransformprocessor
keys: ``transforms`` of include / match_type / experimental_match_labels / action / new_name /
aggregation_type / submatch_case / group_resource_labels / operations)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from otelpy.config.lists import StringList
from otelpy.config.types import ConfigModel
from otelpy.goregex import compile_go

Action = Literal["update", "insert", "combine", "group"]
OperationAction = Literal["add_label", "update_label", "delete_label_value",
                          "toggle_scalar_data_type", "experimental_scale_value",
                          "aggregate_labels", "aggregate_label_values"]
# aggregateutil.AggregationTypes in the Collector ("" = not set)
AggregationType = Literal["", "sum", "mean", "min", "max", "median", "count"]


class ValueAction(ConfigModel):
    """One label value rename of ``update_label``."""

    value: str = Field(default="", description="The current label value.")
    new_value: str = Field(default="", description="The value to rename it to; "
                           "{{version}} is replaced by otelpy's version.")


class Operation(ConfigModel):
    """One operation applied to each metric a transform produces, in order."""

    action: OperationAction = Field(description="add_label, update_label, delete_label_value, "
                                    "toggle_scalar_data_type, experimental_scale_value, "
                                    "aggregate_labels or aggregate_label_values.")
    label: str = Field(default="", description="The label to act on (update_label: required; "
                       "delete_label_value, aggregate_label_values).")
    new_label: str = Field(default="", description="update_label: the label's new name; "
                           "add_label: the label to add (required).")
    label_set: StringList | None = Field(
        default=None, description="aggregate_labels: the labels to keep; points equal on them "
        "(and on timestamp) are aggregated. Absent: keep every label; [] drops them all.")
    aggregation_type: AggregationType = Field(
        default="", description="aggregate_labels / aggregate_label_values (required): sum, "
        "mean, min, max, median or count.")
    aggregated_values: StringList = Field(
        default_factory=list, description="aggregate_label_values: the label values merged "
        "into new_value.")
    new_value: str = Field(default="", description="add_label: the value (required); "
                           "aggregate_label_values: the merged value. {{version}} is replaced "
                           "by otelpy's version.")
    value_actions: list[ValueAction] = Field(
        default_factory=list, description="update_label: label value renames.")
    experimental_scale: float = Field(default=0.0, description="experimental_scale_value: the "
                                      "factor (required, not 0).")
    label_value: str = Field(default="", description="delete_label_value: points whose label "
                             "has this value are deleted.")


class Transform(ConfigModel):
    """Which metrics to select and what to do with them."""

    include: str = Field(default="", description="The metric name (strict) or regular "
                         "expression (regexp, RE2, a search: anchor with ^...$). Required.")
    match_type: Literal["", "strict", "regexp"] = Field(
        default="", description="strict (default) or regexp.")
    experimental_match_labels: dict[str, str] = Field(
        default_factory=dict, description="Only data points whose labels match these values "
        "(exactly, or as regular expressions with match_type regexp; \"\" matches an absent "
        "label) are selected.")
    action: Action = Field(description="update (in place), insert (a changed copy), combine "
                           "(all matches merged into one new metric) or group (matches moved "
                           "under a new resource).")
    new_name: str = Field(default="", description="The new metric name (insert and combine: "
                          "required); regexp capture groups expand ($1, ${1}, ${name}, $$ "
                          "for a dollar — written $$$$ in YAML, where $$ is the escape).")
    group_resource_labels: dict[str, str] | None = Field(
        default=None, description="group: the resource attributes added to the new resource "
        "(required).")
    aggregation_type: AggregationType = Field(
        default="", description="combine (required): sum, mean, min, max, median or count.")
    submatch_case: Literal["", "lower", "upper"] = Field(
        default="", description="combine: case of the label values taken from regexp "
        "submatches (lower, upper; empty: as is).")
    operations: list[Operation] = Field(default_factory=list,
                                        description="Operations on each resulting metric.")


class MetricsTransformConfig(ConfigModel):
    """``processors: metricstransform:`` settings."""

    transforms: list[Transform] = Field(
        default_factory=list, description="Transforms applied in order to the metrics of each "
        "scope of every batch; later ones see the results of earlier ones.")

    def validate_config(self) -> list[str]:
        problems: list[str] = []
        for i, transform in enumerate(self.transforms):
            problems += _transform_problems(f"transforms::{i}", transform)
        return problems


def _transform_problems(at: str, t: Transform) -> list[str]:
    """The Collector's validateConfiguration rules (factory.go), with YAML paths."""
    problems: list[str] = []
    if not t.include:
        problems.append(f'{at}: missing required field "include"')
    elif t.match_type == "regexp":
        problems += _regexp_problems(f"{at}::include", t.include)
    if t.match_type == "regexp":
        for label, pattern in t.experimental_match_labels.items():
            problems += _regexp_problems(f"{at}::experimental_match_labels::{label}", pattern)
    if t.action in ("insert", "combine") and not t.new_name:
        problems.append(f'{at}: missing required field "new_name" while "action" is '
                        f"{t.action}")
    if t.action == "combine" and not t.aggregation_type:
        problems.append(f'{at}: missing required field "aggregation_type" while "action" is '
                        "combine")
    if t.action == "group" and t.group_resource_labels is None:
        problems.append(f'{at}: missing required field "group_resource_labels" while '
                        '"action" is group')
    for j, op in enumerate(t.operations):
        problems += _operation_problems(f"{at}::operations::{j}", op)
    return problems


def _regexp_problems(at: str, pattern: str) -> list[str]:
    try:
        compile_go(pattern)
    except re.error as exc:
        return [f"{at}: invalid regular expression {pattern!r}: {exc}"]
    return []


_REQUIRED: dict[str, tuple[str, ...]] = {
    "update_label": ("label",),
    "add_label": ("new_label", "new_value"),
    "aggregate_labels": ("aggregation_type",),
    "aggregate_label_values": ("aggregation_type",),
}


def _operation_problems(at: str, op: Operation) -> list[str]:
    problems = [f'{at}: missing required field "{key}" while "action" is {op.action}'
                for key in _REQUIRED.get(op.action, ()) if not getattr(op, key)]
    if op.action == "experimental_scale_value" and op.experimental_scale == 0:
        problems.append(f'{at}: missing required field "experimental_scale" while "action" '
                        "is experimental_scale_value")
    return problems
