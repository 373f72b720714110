"""metricstransform config rules: the Collector's factory_test.go TestCreateProcessors table
(testdata/config_invalid_*.yaml) and the newer combine / aggregate rules, with YAML paths."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from otelpy.processors.metricstransform import MetricsTransformConfig

OK_OP = {"include": "name", "action": "update"}
INVALID = [
    ("config_invalid_newname", {"include": "old", "action": "insert"},
     'transforms::0: missing required field "new_name" while "action" is insert'),
    ("config_invalid_group", {"include": "old", "action": "group"},
     'transforms::0: missing required field "group_resource_labels" while "action" is group'),
    ("config_invalid_include", {"action": "update", "new_name": "x"},
     'transforms::0: missing required field "include"'),
    ("config_invalid_combine_newname", {"include": "old_name.*", "match_type": "regexp",
                                        "action": "combine", "aggregation_type": "sum"},
     'transforms::0: missing required field "new_name" while "action" is combine'),
    ("config_invalid_combine_aggregationtype", {"include": "old_name.*", "match_type": "regexp",
                                                "action": "combine", "new_name": "new_name"},
     'transforms::0: missing required field "aggregation_type" while "action" is combine'),
    ("config_invalid_label", {**OK_OP, "operations": [{"action": "update_label"}]},
     'transforms::0::operations::0: missing required field "label" while "action" is '
     "update_label"),
    ("config_invalid_scale", {**OK_OP, "operations": [{"action": "experimental_scale_value"}]},
     'transforms::0::operations::0: missing required field "experimental_scale" while '
     '"action" is experimental_scale_value'),
    ("add_label without new_label", {**OK_OP, "operations": [
        {"action": "add_label", "new_value": "bar"}]},
     'transforms::0::operations::0: missing required field "new_label" while "action" is '
     "add_label"),
    ("add_label without new_value", {**OK_OP, "operations": [
        {"action": "add_label", "new_label": "foo"}]},
     'transforms::0::operations::0: missing required field "new_value" while "action" is '
     "add_label"),
    ("config_invalid_aggregate_labels_missing_aggregationtype", {**OK_OP, "operations": [
        {"action": "aggregate_labels", "label_set": ["label1", "label2"]}]},
     'transforms::0::operations::0: missing required field "aggregation_type" while '
     '"action" is aggregate_labels'),
    ("config_invalid_regexp", {"include": "[\\da", "match_type": "regexp", "action": "update"},
     "transforms::0::include: invalid regular expression"),
]


@pytest.mark.parametrize(("transform", "message"), [c[1:] for c in INVALID],
                         ids=[c[0] for c in INVALID])
def test_invalid_configs(transform: dict[str, Any], message: str) -> None:
    problems = MetricsTransformConfig.model_validate({"transforms": [transform]}) \
        .validate_config()
    assert len(problems) == 1 and problems[0].startswith(message), problems


@pytest.mark.parametrize("transform", [
    {"include": "x", "action": "delete"},
    {"include": "x", "action": "update", "match_type": "glob"},
    {"include": "x", "action": "update", "aggregation_type": "avg"},
    {"include": "x", "action": "update", "submatch_case": "title"},
    {"include": "x", "action": "update", "operations": [{"action": "rename"}]},
], ids=["action", "matchtype", "aggregationtype", "submatchcase", "operation_action"])
def test_enums_are_refused(transform: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        MetricsTransformConfig.model_validate({"transforms": [transform]})


def test_config_full_is_valid() -> None:
    """testdata/config_full.yaml "metricstransform/multiple"."""
    cfg = MetricsTransformConfig.model_validate({"transforms": [
        {"include": "name1", "match_type": "strict", "action": "insert", "new_name": "new_name",
         "operations": [{"action": "add_label", "new_label": "my_label",
                         "new_value": "my_value"}]},
        {"include": "new_name", "match_type": "strict", "action": "insert",
         "new_name": "new_name_copy_1", "experimental_match_labels": {"my_label": "my_value"}},
        {"include": "new_name", "match_type": "regexp", "action": "insert",
         "new_name": "new_name_copy_2", "experimental_match_labels": {"my_label": ".*label"}},
        {"include": "name2", "action": "update", "operations": [
            {"action": "update_label", "label": "label", "new_label": "new_label_key",
             "value_actions": [{"value": "label1", "new_value": "new_label1"}]},
            {"action": "aggregate_labels", "label_set": ["new_label1", "label2"],
             "aggregation_type": "sum"},
            {"action": "aggregate_label_values", "label": "new_label1",
             "aggregation_type": "sum", "aggregated_values": ["value1", "value2"],
             "new_value": "new_value"}]},
        {"include": "name3", "match_type": "strict", "action": "update", "operations": [
            {"action": "delete_label_value", "label": "my_label", "label_value": "delete_me"}]},
        {"include": "^regexp (?P<my_label>.*)$", "match_type": "regexp", "action": "combine",
         "new_name": "combined_metric_name", "submatch_case": "lower",
         "aggregation_type": "sum"},
        {"include": "name2", "match_type": "strict", "action": "group",
         "group_resource_labels": {"metric_group": "2"}},
    ]})
    assert cfg.validate_config() == []
