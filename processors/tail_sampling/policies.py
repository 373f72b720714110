"""Leaf policies: each looks at a whole trace and returns a :class:`Decision` (the Collector's
``internal/sampling`` evaluators, condition by condition). A policy that cannot decide
raises :class:`PolicyError` (counted, the policy skipped)."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

from otelpy.clock import Clock
from otelpy.pdata.items import SpanEventItem, SpanItem
from otelpy.pdata.values import Attributes, Value
from otelpy.processors.tail_sampling import config as c
from otelpy.processors.tail_sampling.store import Decision, PolicyError, Trace, unpacked_size

Policy = Callable[[Trace], Decision]
SAMPLED, NOT_SAMPLED = Decision.SAMPLED, Decision.NOT_SAMPLED
_STATUS = {"UNSET": 0, "OK": 1, "ERROR": 2}


def _resources(trace: Trace) -> Iterator[tuple[Any, list[Any]]]:
    """(resource envelope, its spans) per distinct resource, in arrival order."""
    by_resource: dict[int, tuple[Any, list[Any]]] = {}
    for group, span in trace.items:
        entry = by_resource.get(id(group.resource))
        if entry is None:
            entry = by_resource[id(group.resource)] = (group.resource, [])
        entry[1].append(span)
    return iter(by_resource.values())


def _attr(message: Any, key: str) -> Value:
    return Attributes(message.attributes).get(key)


def _match_any(trace: Trace, test: Callable[[Value], bool], key: str) -> bool:
    """Whether the resource or a span has ``key`` with a value ``test`` accepts."""
    for resource, spans in _resources(trace):
        attrs = Attributes(resource.resource.attributes)
        if key in attrs and test(attrs[key]):
            return True
        for span in spans:
            attrs = Attributes(span.attributes)
            if key in attrs and test(attrs[key]):
                return True
    return False


def _attribute_policy(key: str, test: Callable[[Value], bool], invert: bool) -> Policy:
    if invert:
        return lambda t: (Decision.INVERT_NOT_SAMPLED if _match_any(t, test, key)
                          else Decision.INVERT_SAMPLED)
    return lambda t: SAMPLED if _match_any(t, test, key) else NOT_SAMPLED


def _as_int(value: Value) -> int:  # Go's Value.Int(): 0 unless an int
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def numeric_attribute(cfg: c.NumericAttributeCfg) -> Policy:
    low = cfg.min_value if cfg.min_value else -(2**63)
    high = cfg.max_value if cfg.max_value else 2**63 - 1
    return _attribute_policy(cfg.key, lambda v: low <= _as_int(v) <= high, cfg.invert_match)


def boolean_attribute(cfg: c.BooleanAttributeCfg) -> Policy:
    want = cfg.value
    return _attribute_policy(cfg.key, lambda v: (v is True) == want, cfg.invert_match)


def string_attribute(cfg: c.StringAttributeCfg) -> Policy:
    if cfg.enabled_regex_matching:
        from otelpy.goregex import compile_go

        patterns = [compile_go(v) for v in cfg.values]
        cache: OrderedDict[str, bool] = OrderedDict()
        size = cfg.cache_max_size or 128

        def matches(text: str) -> bool:
            hit = cache.get(text)
            if hit is None:
                hit = cache[text] = any(p.search(text) for p in patterns)
                if len(cache) > size:
                    cache.popitem(last=False)
            else:
                cache.move_to_end(text)
            return hit
    else:
        wanted = frozenset(v for v in cfg.values if v)

        def matches(text: str) -> bool:
            return text in wanted
    # Go's Value.Str() is "" for other types; an empty span value never matches
    return _attribute_policy(cfg.key, lambda v: isinstance(v, str) and v != "" and
                             matches(v), cfg.invert_match)


def latency(cfg: c.LatencyCfg) -> Policy:
    """Sampled once the running span (min start, max end) window qualifies, checked span by
    span in arrival order as the Collector does."""
    lower, upper = cfg.threshold_ms, cfg.upper_threshold_ms

    def evaluate(trace: Trace) -> Decision:
        lo = hi = 0
        for span in trace.summaries:
            start, end = span.start_time_unix_nano, span.end_time_unix_nano
            if lo == 0 or start < lo:
                lo = start
            if hi == 0 or end > hi:
                hi = end
            d = hi - lo  # Go's Duration.Milliseconds() truncates toward zero
            ms = d // 1_000_000 if d >= 0 else -(-d // 1_000_000)
            if (ms >= lower) if upper == 0 else (lower < ms <= upper):
                return SAMPLED
        return NOT_SAMPLED
    return evaluate


def status_code(cfg: c.StatusCodeCfg) -> Policy:
    codes = frozenset(_STATUS[s] for s in cfg.status_codes)

    def evaluate(trace: Trace) -> Decision:
        for span in trace.summaries:
            if span.status.code in codes:
                return SAMPLED
        return NOT_SAMPLED
    return evaluate


_FNV64_OFFSET, _FNV64_PRIME, _MASK64 = 0xCBF29CE484222325, 0x100000001B3, (1 << 64) - 1


def _fnv64a(state: int, data: bytes) -> int:
    for byte in data:
        state = ((state ^ byte) * _FNV64_PRIME) & _MASK64
    return state


def probabilistic_threshold(percentage: float) -> int:
    """Go's ``big.Float(MaxUint64) * ratio`` (64-bit mantissa, nearest even), truncated."""
    from fractions import Fraction

    exact = Fraction(_MASK64) * Fraction(percentage / 100)
    if exact >= _MASK64:
        return _MASK64
    if exact <= 0:
        return 0
    bits = exact.numerator.bit_length() - exact.denominator.bit_length()
    scale = Fraction(2) ** (63 - bits)
    scaled = exact * scale
    while scaled >= 2**64:
        scale /= 2
        scaled = exact * scale
    while scaled < 2**63:
        scale *= 2
        scaled = exact * scale
    floor = scaled.numerator // scaled.denominator
    rest = scaled - floor
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and floor % 2):
        floor += 1
    return int(Fraction(floor) / scale)


def probabilistic(cfg: c.ProbabilisticCfg) -> Policy:
    """FNV-1a 64 of hash_salt then the trace ID, sampled when <= MaxUint64 * ratio."""
    salted = _fnv64a(_FNV64_OFFSET, (cfg.hash_salt or "default-hash-seed").encode())
    limit = probabilistic_threshold(cfg.sampling_percentage)
    return lambda t: SAMPLED if _fnv64a(salted, t.trace_id) <= limit else NOT_SAMPLED


class TokenBucket:
    """golang.org/x/time/rate's Limiter.AllowN: ``rate`` tokens a second, at most ``burst``,
    starting full."""

    def __init__(self, rate: float, burst: int, clock: Clock) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens = float(burst)
        self.last = clock.monotonic()

    def allow(self, n: int) -> bool:
        now = self.clock.monotonic()
        self.tokens = min(float(self.burst), self.tokens + max(0.0, now - self.last) * self.rate)
        self.last = now
        if n > self.burst or self.tokens < n:
            return n <= 0
        self.tokens -= n
        return True


def rate_limiting(cfg: c.RateLimitingCfg, clock: Clock) -> Policy:
    bucket = TokenBucket(cfg.spans_per_second, 2 * cfg.spans_per_second, clock)
    return lambda t: SAMPLED if bucket.allow(t.span_count) else NOT_SAMPLED


def _varint_len(n: int) -> int:
    return max(1, (n.bit_length() + 6) // 7)


def trace_size(trace: Trace) -> int:
    """Protobuf size of the trace's spans as one request, grouped by resource and scope."""
    resources: dict[tuple[bytes, str], dict[tuple[bytes, str], int]] = {}
    for group, frames in trace.runs:
        env = group.envelope
        scopes = resources.setdefault((env.resource, env.resource_schema_url), {})
        key = (env.scope, env.scope_schema_url)
        scopes[key] = scopes.get(key, 0) + sum(map(unpacked_size, frames))
    total = 0
    for (resource, resource_schema), scopes in resources.items():
        inner = _field(len(resource)) + _str(resource_schema)
        for (scope, scope_schema), spans in scopes.items():
            inner += _field(_field(len(scope)) + spans + _str(scope_schema))
        total += _field(inner)
    return total


def _field(n: int) -> int:
    return 1 + _varint_len(n) + n


def _str(text: str) -> int:
    return _field(len(text.encode())) if text else 0


def bytes_limiting(cfg: c.BytesLimitingCfg, clock: Clock) -> Policy:
    burst = cfg.burst_capacity or 2 * cfg.bytes_per_second
    bucket = TokenBucket(cfg.bytes_per_second, burst, clock)
    return lambda t: SAMPLED if bucket.allow(trace_size(t)) else NOT_SAMPLED


def span_count(cfg: c.SpanCountCfg) -> Policy:
    low, high = cfg.min_spans, cfg.max_spans

    def evaluate(trace: Trace) -> Decision:
        n = trace.span_count
        if (high == 0 and n >= low) or low <= n <= high:
            return SAMPLED
        return NOT_SAMPLED
    return evaluate


_TS_KEY = re.compile(r"^(?:[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}"
                     r"@[a-z][a-z0-9_\-*/]{0,13})$")
_TS_VALUE = re.compile(r"^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$")


def tracestate_get(text: str, key: str) -> str:
    """The value of ``key`` in a W3C tracestate; "" when absent or the header is invalid
    (the Go SDK's ParseTraceState refuses the whole header)."""
    found, seen = "", set()
    for raw in text.split(","):
        member = raw.strip(" \t")
        if not member:
            continue
        k, eq, v = member.partition("=")
        if not eq or not _TS_KEY.match(k) or not _TS_VALUE.match(v) or k in seen:
            return ""
        seen.add(k)
        if k == key:
            found = v
    return found if len(seen) <= 32 else ""


def trace_state(cfg: c.TraceStateCfg) -> Policy:
    key = cfg.key
    values = frozenset(v for v in cfg.values if v and len(key) + len(v) < 256)

    def evaluate(trace: Trace) -> Decision:
        for span in trace.summaries:
            if span.trace_state and tracestate_get(span.trace_state, key) in values:
                return SAMPLED
        return NOT_SAMPLED
    return evaluate


def ottl_condition(cfg: c.OttlConditionCfg, report: Callable[[str, Exception], None]) -> Policy:
    from otelpy.component import Signal
    from otelpy.ottl import ConditionSet, ErrorMode, StatementFailed

    mode = ErrorMode(cfg.error_mode)
    spans = ConditionSet.compile(cfg.span, Signal.TRACES, "span") if cfg.span else None
    events = (ConditionSet.compile(cfg.spanevent, Signal.TRACES, "spanevent")
              if cfg.spanevent else None)

    def evaluate(trace: Trace) -> Decision:
        try:
            for group, span in trace.items:
                if spans is not None and spans.matches(
                        SpanItem(group.resource, group.scope, span), mode, report):
                    return SAMPLED
                if events is not None:
                    for event in span.events:
                        item = SpanEventItem(group.resource, group.scope, span, event)
                        if events.matches(item, mode, report):
                            return SAMPLED
        except StatementFailed as exc:
            raise PolicyError(str(exc)) from exc
        return NOT_SAMPLED
    return evaluate
