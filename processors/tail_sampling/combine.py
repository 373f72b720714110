"""Policies built from config, including the ones made of other policies: ``and`` (all
sample), ``drop`` (all sample -> the trace is dropped) and ``composite`` (the first
sub-policy that samples, within its share of max_total_spans_per_second)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from otelpy.clock import Clock
from otelpy.processors.tail_sampling import config as c
from otelpy.processors.tail_sampling import policies as p
from otelpy.processors.tail_sampling.store import Decision, Trace

Report = Callable[[str, Exception], None]
_NO = (Decision.NOT_SAMPLED, Decision.INVERT_NOT_SAMPLED)


def build(cfg: c.SharedPolicy, clock: Clock, report: Report) -> p.Policy:
    """The evaluator of one configured policy (any level)."""
    if cfg.type == "and" and isinstance(cfg, c.PolicyCfg | c.CompositeSubPolicy):
        return all_of([build(s, clock, report) for s in cfg.and_.and_sub_policy],
                      Decision.SAMPLED)
    if cfg.type == "drop" and isinstance(cfg, c.PolicyCfg):
        return all_of([build(s, clock, report) for s in cfg.drop.drop_sub_policy],
                      Decision.DROPPED)
    if cfg.type == "composite" and isinstance(cfg, c.PolicyCfg):
        return composite(cfg.composite, clock, report)
    return _leaf(cfg, clock, report)


def _leaf(cfg: c.SharedPolicy, clock: Clock, report: Report) -> p.Policy:
    kind = cfg.type
    if kind == "always_sample":
        return lambda t: Decision.SAMPLED
    if kind in ("rate_limiting", "bytes_limiting"):
        make = p.rate_limiting if kind == "rate_limiting" else p.bytes_limiting
        return make(getattr(cfg, kind), clock)  # type: ignore[operator]
    if kind == "ottl_condition":
        return p.ottl_condition(cfg.ottl_condition, report)
    maker: Callable[..., p.Policy] = getattr(p, kind)
    return maker(getattr(cfg, kind))


def all_of(subs: Sequence[p.Policy], verdict: Decision) -> p.Policy:
    """``verdict`` unless a sub-policy does not sample (then NOT_SAMPLED)."""
    def evaluate(trace: Trace) -> Decision:
        for sub in subs:
            if sub(trace) in _NO:
                return Decision.NOT_SAMPLED
        return verdict
    return evaluate


def composite(cfg: c.CompositeCfg, clock: Clock, report: Report) -> p.Policy:
    total = cfg.max_total_spans_per_second
    default = total / max(1, len(cfg.composite_sub_policy))
    shares = {a.policy: (a.percent / 100 * total if a.percent > 0 else default)
              for a in cfg.rate_allocation}
    subs = [(build(s, clock, report), int(shares.get(s.name, 0))) for s in
            cfg.composite_sub_policy]
    used = [0] * len(subs)
    second = [-1]

    def evaluate(trace: Trace) -> Decision:
        now = clock.time_ns() // 1_000_000_000
        if now != second[0]:
            second[0] = now
            used[:] = [0] * len(subs)
        for i, (sub, allocated) in enumerate(subs):
            if sub(trace) in (Decision.SAMPLED, Decision.INVERT_SAMPLED):
                after = used[i] + trace.span_count
                if after <= allocated and after <= total:
                    used[i] = after
                    return Decision.SAMPLED
                return Decision.NOT_SAMPLED
        return Decision.NOT_SAMPLED
    return evaluate


def final_decision(seen: set[Decision]) -> Decision:
    """The Collector's precedence over the policies' decisions."""
    if Decision.DROPPED in seen:
        return Decision.DROPPED
    if Decision.INVERT_NOT_SAMPLED in seen:
        return Decision.NOT_SAMPLED
    if Decision.SAMPLED in seen:
        return Decision.SAMPLED
    if Decision.INVERT_SAMPLED in seen and Decision.NOT_SAMPLED not in seen:
        return Decision.SAMPLED
    return Decision.NOT_SAMPLED
