"""Configuration of the tail_sampling processor (the Collector's tailsamplingprocessor keys)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from otelpy.config.types import ConfigModel, Duration

LEAF_TYPES = ("always_sample", "latency", "numeric_attribute", "probabilistic", "status_code",
              "string_attribute", "rate_limiting", "bytes_limiting", "span_count",
              "trace_state", "boolean_attribute", "ottl_condition")
LeafType = Literal["always_sample", "latency", "numeric_attribute", "probabilistic",
                   "status_code", "string_attribute", "rate_limiting", "bytes_limiting",
                   "span_count", "trace_state", "boolean_attribute", "ottl_condition"]


class LatencyCfg(ConfigModel):
    threshold_ms: int = Field(default=0, description="Lower bound of the trace duration "
                              "(earliest start to latest end), milliseconds.")
    upper_threshold_ms: int = Field(default=0, description="Upper bound, milliseconds; 0: "
                                    "none (then durations >= threshold_ms sample).")


class NumericAttributeCfg(ConfigModel):
    key: str = Field(default="", description="Attribute key (resource or span).")
    min_value: int = Field(default=0, description="Smallest matching value; 0: no lower bound.")
    max_value: int = Field(default=0, description="Largest matching value; 0: no upper bound.")
    invert_match: bool = Field(default=False, description="Sample traces where no value "
                               "matches (a deprecated inverted decision).")


class ProbabilisticCfg(ConfigModel):
    hash_salt: str = Field(default="", description="Salt of the FNV-1a 64 hash of the trace "
                           "ID (default \"default-hash-seed\").")
    sampling_percentage: float = Field(default=0.0, ge=0, description="Percentage of traces "
                                       "sampled; >= 100 samples all.")


class StatusCodeCfg(ConfigModel):
    status_codes: list[Literal["OK", "ERROR", "UNSET"]] = Field(
        default_factory=list, description="Span status codes that sample the trace.")


class StringAttributeCfg(ConfigModel):
    key: str = Field(default="", description="Attribute key (resource or span).")
    values: list[str] = Field(default_factory=list, description="Exact values, or regular "
                              "expressions with enabled_regex_matching.")
    enabled_regex_matching: bool = Field(default=False, description="Treat values as regular "
                                         "expressions (unanchored search, as Go).")
    cache_max_size: int = Field(default=0, ge=0, description="Regex results cached per "
                                "attribute value (LRU); 0: 128.")
    invert_match: bool = Field(default=False, description="Sample traces where no value "
                               "matches (a deprecated inverted decision).")


class RateLimitingCfg(ConfigModel):
    spans_per_second: int = Field(default=0, ge=0, description="Token bucket refill rate in "
                                  "spans per second (burst: twice this).")


class BytesLimitingCfg(ConfigModel):
    bytes_per_second: int = Field(default=0, ge=0, description="Token bucket refill rate in "
                                  "bytes (protobuf size of the trace) per second.")
    burst_capacity: int = Field(default=0, ge=0, description="Bucket size in bytes; 0: twice "
                                "bytes_per_second.")


class SpanCountCfg(ConfigModel):
    min_spans: int = Field(default=0, description="Fewest spans of a sampled trace.")
    max_spans: int = Field(default=0, description="Most spans of a sampled trace; 0: no limit.")


class TraceStateCfg(ConfigModel):
    key: str = Field(default="", description="tracestate key.")
    values: list[str] = Field(default_factory=list, description="Values that sample.")


class BooleanAttributeCfg(ConfigModel):
    key: str = Field(default="", description="Attribute key (resource or span).")
    value: bool = Field(default=False, description="Value that samples.")
    invert_match: bool = Field(default=False, description="Sample traces where no value "
                               "matches (a deprecated inverted decision).")


class OttlConditionCfg(ConfigModel):
    error_mode: Literal["ignore", "silent", "propagate"] = Field(
        default="propagate", description="What a failing condition does: propagate makes "
        "the policy fail for the trace (counted), ignore/silent treat it as false.")
    span: list[str] = Field(default_factory=list, description="OTTL span conditions (any).")
    spanevent: list[str] = Field(default_factory=list, description="OTTL span event "
                                 "conditions (any).")


class SharedPolicy(ConfigModel):
    """A leaf policy (the ones allowed inside and, drop and composite)."""

    name: str = Field(default="", description="Policy name (unique; metrics label).")
    type: LeafType = Field(description="Policy type.")
    latency: LatencyCfg = Field(default_factory=LatencyCfg, description="latency settings.")
    numeric_attribute: NumericAttributeCfg = Field(default_factory=NumericAttributeCfg,
                                                   description="numeric_attribute settings.")
    probabilistic: ProbabilisticCfg = Field(default_factory=ProbabilisticCfg,
                                            description="probabilistic settings.")
    status_code: StatusCodeCfg = Field(default_factory=StatusCodeCfg,
                                       description="status_code settings.")
    string_attribute: StringAttributeCfg = Field(default_factory=StringAttributeCfg,
                                                 description="string_attribute settings.")
    rate_limiting: RateLimitingCfg = Field(default_factory=RateLimitingCfg,
                                           description="rate_limiting settings.")
    bytes_limiting: BytesLimitingCfg = Field(default_factory=BytesLimitingCfg,
                                             description="bytes_limiting settings.")
    span_count: SpanCountCfg = Field(default_factory=SpanCountCfg,
                                     description="span_count settings.")
    trace_state: TraceStateCfg = Field(default_factory=TraceStateCfg,
                                       description="trace_state settings.")
    boolean_attribute: BooleanAttributeCfg = Field(default_factory=BooleanAttributeCfg,
                                                   description="boolean_attribute settings.")
    ottl_condition: OttlConditionCfg = Field(default_factory=OttlConditionCfg,
                                             description="ottl_condition settings.")


class AndCfg(ConfigModel):
    and_sub_policy: list[SharedPolicy] = Field(default_factory=list, description="Policies "
                                               "that must all sample.")


class DropCfg(ConfigModel):
    drop_sub_policy: list[SharedPolicy] = Field(default_factory=list, description="Policies "
                                                "that, all matching, drop the trace.")


class CompositeSubPolicy(SharedPolicy):
    type: LeafType | Literal["and"] = Field(description="Policy type (leaf or and).")
    and_: AndCfg = Field(default_factory=AndCfg, alias="and", description="and settings.")


class RateAllocation(ConfigModel):
    policy: str = Field(default="", description="Name of a composite_sub_policy.")
    percent: int = Field(default=0, description="Share of max_total_spans_per_second.")


class CompositeCfg(ConfigModel):
    max_total_spans_per_second: int = Field(default=0, description="Spans per second over "
                                            "all sub-policies.")
    policy_order: list[str] = Field(default_factory=list, description="Order of the "
                                    "sub-policies (informational, as in the Collector).")
    composite_sub_policy: list[CompositeSubPolicy] = Field(default_factory=list,
                                                           description="Sub-policies.")
    rate_allocation: list[RateAllocation] = Field(
        default_factory=list, description="Per sub-policy share; a sub-policy without one "
        "gets no spans (as in the Collector).")


class PolicyCfg(SharedPolicy):
    type: LeafType | Literal["and", "composite", "drop"] = Field(description="Policy type.")
    and_: AndCfg = Field(default_factory=AndCfg, alias="and", description="and settings.")
    drop: DropCfg = Field(default_factory=DropCfg, description="drop settings.")
    composite: CompositeCfg = Field(default_factory=CompositeCfg,
                                    description="composite settings.")


class DecisionCacheCfg(ConfigModel):
    sampled_cache_size: int = Field(default=0, ge=0, description="Trace IDs remembered as "
                                    "sampled after their spans left memory (LRU); 0: off.")
    non_sampled_cache_size: int = Field(default=0, ge=0, description="Trace IDs remembered "
                                        "as not sampled (LRU); 0: off.")


class TailSamplingConfig(ConfigModel):
    """``processors: tail_sampling:`` settings."""

    decision_wait: Duration = Field(default=30.0, description="Wait from a trace's first "
                                    "span to its decision (whole seconds, 1 s ticks).")
    num_traces: int = Field(default=50000, ge=1, description="Traces kept in memory; the "
                            "oldest is evicted (counted) when a new one arrives.")
    expected_new_traces_per_sec: int = Field(default=0, ge=0, description="Accepted for "
                                             "compatibility (a Go allocation hint).")
    decision_cache: DecisionCacheCfg = Field(default_factory=DecisionCacheCfg,
                                             description="LRU caches of past decisions.")
    sample_on_first_match: bool = Field(default=False, description="Stop evaluating at the "
                                        "first policy that samples.")
    drop_pending_traces_on_shutdown: bool = Field(default=False, description="On shutdown, "
                                                  "drop undecided traces (counted) instead "
                                                  "of deciding on what arrived.")
    policies: list[PolicyCfg] = Field(default_factory=list, description="Sampling policies.")

    def validate_config(self) -> list[str]:
        problems: list[str] = []
        names: set[str] = set()
        for i, policy in enumerate(self.policies):
            where = f"policies::{i}"
            if not policy.name:
                problems.append(f"{where}::name: policy name cannot be empty")
            elif policy.name in names:
                problems.append(f"{where}::name: duplicate policy name {policy.name!r}")
            names.add(policy.name)
            problems += _policy_problems(where, policy)
        return problems


def _policy_problems(where: str, policy: SharedPolicy) -> list[str]:
    problems = _leaf_problems(where, policy)
    if isinstance(policy, PolicyCfg | CompositeSubPolicy) and policy.type == "and":
        for j, sub in enumerate(policy.and_.and_sub_policy):
            problems += _policy_problems(f"{where}::and::and_sub_policy::{j}", sub)
    if isinstance(policy, PolicyCfg) and policy.type == "drop":
        for j, sub in enumerate(policy.drop.drop_sub_policy):
            problems += _policy_problems(f"{where}::drop::drop_sub_policy::{j}", sub)
    if isinstance(policy, PolicyCfg) and policy.type == "composite":
        for j, sub in enumerate(policy.composite.composite_sub_policy):
            problems += _policy_problems(f"{where}::composite::composite_sub_policy::{j}", sub)
    return problems


def _leaf_problems(where: str, policy: SharedPolicy) -> list[str]:
    if policy.type == "numeric_attribute" and not (policy.numeric_attribute.min_value
                                                   or policy.numeric_attribute.max_value):
        return [f"{where}::numeric_attribute: at least one of min_value or max_value must "
                "be set (non-zero)"]
    if policy.type == "status_code" and not policy.status_code.status_codes:
        return [f"{where}::status_code::status_codes: expected at least one status code"]
    if policy.type == "string_attribute" and policy.string_attribute.enabled_regex_matching:
        from otelpy.goregex import compile_go

        for k, value in enumerate(policy.string_attribute.values):
            try:
                compile_go(value)
            except re.error as exc:
                return [f"{where}::string_attribute::values::{k}: invalid regular "
                        f"expression {value!r}: {exc}"]
    if policy.type == "ottl_condition":
        return _ottl_problems(where, policy.ottl_condition)
    return []


def _ottl_problems(where: str, cfg: OttlConditionCfg) -> list[str]:
    from otelpy.component import Signal
    from otelpy.ottl import CompileError, ConditionSet

    if not cfg.span and not cfg.spanevent:
        return [f"{where}::ottl_condition: expected at least one OTTL condition"]
    problems = []
    for key, context in (("span", "span"), ("spanevent", "spanevent")):
        texts = getattr(cfg, key)
        if texts:
            try:
                ConditionSet.compile(texts, Signal.TRACES, context)
            except CompileError as exc:
                problems.append(f"{where}::ottl_condition::{key}::{exc.index}: {exc}")
    return problems
