"""The relabel engine: Go's template expansion, each action's edge cases, config checks.
(Whole-rule behaviour is compared with a real Prometheus in
tests/integration/test_e2e_prometheus_relabel.py.)"""

from __future__ import annotations

import pytest

from otelpy.prometheus.relabel import compile_rule, relabel, rule_problems

LABELS = {"__name__": "http_requests_total", "job": "api", "instance": "10.0.0.1:9090",
          "env": "Prod", "a": "x", "b": "x"}

CASES = [
    ("replace_default_copies_first_group",
     dict(source_labels=["env"], target_label="copy"), {"copy": "Prod"}),
    ("replace_named_group", dict(source_labels=["instance"], regex=r"(?P<host>[^:]+):\d+",
                                 target_label="host", replacement="${host}"),
     {"host": "10.0.0.1"}),
    ("go_name_quirk_expands_to_nothing",
     dict(source_labels=["env"], target_label="t", replacement="$1_x"), {}),
    ("braces_avoid_the_quirk",
     dict(source_labels=["env"], target_label="t", replacement="${1}_x"), {"t": "Prod_x"}),
    ("dollar_dollar_is_a_dollar",
     dict(source_labels=["env"], target_label="t", replacement="$$1"), {"t": "$1"}),
    ("templated_target", dict(source_labels=["env"], regex="(.*)", target_label="env_$1",
                              replacement="1"), {"env_Prod": "1"}),
    ("invalid_expanded_target_is_skipped",
     dict(source_labels=["instance"], target_label="${1}", replacement="v"), {}),
    ("no_match_no_change", dict(source_labels=["env"], regex="dev", target_label="t"), {}),
    ("anchored_regex", dict(source_labels=["env"], regex="Pro", target_label="t"), {}),
    ("leading_flags", dict(source_labels=["env"], regex="(?i)prod", target_label="t",
                           replacement="yes"), {"t": "yes"}),
    ("empty_replacement_deletes", dict(source_labels=["env"], target_label="a",
                                       replacement=""), {"a": None}),
    ("separator", dict(source_labels=["job", "env"], separator="/", target_label="t"),
     {"t": "api/Prod"}),
    ("lowercase", dict(source_labels=["env"], target_label="t", action="lowercase"),
     {"t": "prod"}),
    ("uppercase_action_case_insensitive", dict(source_labels=["env"], target_label="t",
                                               action="UpperCase"), {"t": "PROD"}),
    ("hashmod", dict(source_labels=["instance"], target_label="shard", modulus=8,
                     action="hashmod"), {"shard": "1"}),  # as Prometheus computes it
    ("labelmap", dict(regex="(a|b)", replacement="copy_$1", action="labelmap"),
     {"copy_a": "x", "copy_b": "x"}),
    ("labeldrop", dict(regex="a|b", action="labeldrop"), {"a": None, "b": None}),
]


@pytest.mark.parametrize("rule,changes", [(r, c) for _, r, c in CASES],
                         ids=[i for i, _, _ in CASES])
def test_rule(rule: dict, changes: dict) -> None:
    out = relabel(LABELS, [compile_rule(**rule)])
    expected = {**LABELS, **changes}
    assert out == {k: v for k, v in expected.items() if v is not None}


@pytest.mark.parametrize("rule,kept", [
    (dict(source_labels=["env"], regex="Prod", action="keep"), True),
    (dict(source_labels=["env"], regex="prod", action="keep"), False),
    (dict(source_labels=["env"], regex="Prod", action="drop"), False),
    (dict(source_labels=["a"], target_label="b", action="keepequal"), True),
    (dict(source_labels=["a"], target_label="env", action="keepequal"), False),
    (dict(source_labels=["a"], target_label="b", action="dropequal"), False),
    (dict(source_labels=["missing"], regex="", action="keep"), True),
], ids=["keep", "keep_miss", "drop", "keepequal", "keepequal_miss", "dropequal",
        "missing_label_is_empty"])
def test_keep_and_drop(rule: dict, kept: bool) -> None:
    assert (relabel(LABELS, [compile_rule(**rule)]) is not None) == kept


def test_labelkeep_keeps_only_matching_names() -> None:
    out = relabel(LABELS, [compile_rule(regex="__name__|job", action="labelkeep")])
    assert out == {"__name__": "http_requests_total", "job": "api"}


@pytest.mark.parametrize("rule,message", [
    (dict(action="explode"), "unknown relabel action 'explode'"),
    (dict(action="hashmod", target_label="s"), "requires non-zero modulus"),
    (dict(action="replace"), "requires 'target_label'"),
    (dict(action="replace", target_label="1bad"), "invalid 'target_label'"),
    (dict(action="lowercase", target_label="a$1"), "invalid 'target_label'"),
    (dict(action="labeldrop", regex="a", target_label="x"), "requires only 'regex'"),
    (dict(action="keepequal", target_label="x", regex="a"), "requires only 'source_labels'"),
    (dict(action="labelmap", replacement="-"), "invalid 'replacement'"),
    (dict(action="keep", regex="(unclosed"), "invalid regular expression"),
    (dict(action="keep", source_labels=["bad-name"]), "not a valid label name"),
], ids=["action", "modulus", "target_required", "target_invalid", "lowercase_template",
        "labeldrop_extra", "keepequal_extra", "labelmap_replacement", "regex",
        "source_labels"])
def test_config_problems(rule: dict, message: str) -> None:
    args = dict(action="replace", source_labels=[], separator=None, regex=None,
                target_label="", replacement=None, modulus=0)
    args.update(rule)
    problems = rule_problems(**args)  # type: ignore[arg-type]
    assert any(message in p for p in problems), problems
