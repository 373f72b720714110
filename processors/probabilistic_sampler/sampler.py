"""The per-item decision of the probabilistic sampler, for spans and log records: where the
randomness comes from in each mode, the threshold each mode applies, the consistency check
of an arriving threshold, fail_closed, sampling priority, and the threshold written back.

Follows the Collector's probabilisticsamplerprocessor (``sampler_mode.go``,
``tracesprocessor.go``, ``logsprocessor.go``) so a mixed fleet decides alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from otelpy.pdata.asstring import as_string
from otelpy.pdata.values import Attributes
from otelpy.processors.probabilistic_sampler import threshold as th
from otelpy.processors.probabilistic_sampler.config import ProbabilisticSamplerConfig

RANDOMNESS_IN_USE = "item has sampling randomness, equalizing or proportional mode recommended"
THRESHOLD_IN_USE = "item has sampling threshold, equalizing or proportional mode recommended"
MISSING = "missing randomness"
INCONSISTENT = "inconsistent arriving threshold: item should not have been sampled"


class Carrier(Protocol):
    """Where an item keeps its sampling threshold and explicit randomness."""

    rvalue: str
    randomness: int
    tvalue: str
    threshold: int

    def set_randomness(self, randomness: int) -> None: ...

    def clear_threshold(self) -> None: ...

    def update_threshold(self, threshold: int) -> bool: ...

    def store(self) -> None: ...


class SpanCarrier(th.TraceState):
    """A span's tracestate; :meth:`store` writes it back to the span."""

    span: Any

    @classmethod
    def of(cls, span: Any) -> SpanCarrier:
        """Raises SamplingError (the carrier is then unusable) on an invalid tracestate."""
        carrier = cls.parse(span.trace_state)
        carrier.span = span
        return carrier

    def store(self) -> None:
        self.span.trace_state = self.serialize()


class RecordCarrier:
    """A log record's ``sampling.threshold`` / ``sampling.randomness`` string attributes."""

    def __init__(self, record: Any) -> None:
        self.attrs = Attributes(record.attributes)
        self.rvalue = self.tvalue = ""
        self.randomness, self.threshold = 0, th.ALWAYS
        errors = []
        tvalue, rvalue = self._get("sampling.threshold"), self._get("sampling.randomness")
        try:
            if tvalue:
                self.threshold, self.tvalue = th.tvalue_to_threshold(tvalue), tvalue
        except th.SamplingError as exc:
            errors.append(str(exc))
        try:
            if rvalue:
                self.randomness, self.rvalue = th.rvalue_to_randomness(rvalue), rvalue
        except th.SamplingError as exc:
            errors.append(str(exc))
        if errors:
            raise th.SamplingError("; ".join(errors))

    def _get(self, key: str) -> str:
        value = self.attrs.get(key)
        return value if isinstance(value, str) else ""

    def set_randomness(self, randomness: int) -> None:
        self.randomness, self.rvalue = randomness, th.randomness_to_rvalue(randomness)
        self.attrs["sampling.randomness"] = self.rvalue

    def clear_threshold(self) -> None:
        self.threshold, self.tvalue = th.NEVER, ""
        self.attrs.pop("sampling.threshold", None)

    def update_threshold(self, threshold: int) -> bool:
        if self.tvalue and threshold < self.threshold:
            return False
        self.attrs["sampling.threshold"] = th.threshold_to_tvalue(threshold)
        return True

    def store(self) -> None:
        return None


#: (randomness or None when missing, policy name for the counter)
Randomness = tuple[int | None, str]
Extracted = tuple[Randomness, Carrier | None, str | None]


def _empty(trace_id: bytes) -> bool:
    return len(trace_id) != 16 or not any(trace_id)


class Sampler:
    """One configured sampler; :meth:`span` and :meth:`record` decide one item each and
    return (sampled, policy name). Errors go to ``report(message)``."""

    def __init__(self, cfg: ProbabilisticSamplerConfig, logs: bool,
                 report: Callable[[str], None]) -> None:
        self.fail_closed = cfg.fail_closed
        self.precision = cfg.sampling_precision
        self.priority_key = cfg.sampling_priority if logs else ""
        self.seed = cfg.hash_seed
        self.attribute = cfg.from_attribute
        self.traceid_source = cfg.attribute_source == "traceID"
        self.report = report
        pct = th.f32(min(cfg.sampling_percentage, 100.0))
        ratio = max(pct / 100, th.MIN_PROBABILITY)
        mode = cfg.effective_mode
        self.mode = "never" if pct == 0 else mode
        self.ratio = ratio
        self.fixed = th.NEVER
        if self.mode == "equalizing":
            self.fixed = th.probability_to_threshold(ratio, self.precision)
        elif self.mode == "hash_seed":
            self.fixed = th.hash_seed_threshold(pct)
            if self.fixed == th.NEVER:
                self.mode = "never"

    # -- randomness -------------------------------------------------------------------
    def _span_randomness(self, span: Any) -> Extracted:
        carrier: SpanCarrier | None = None
        try:
            carrier = SpanCarrier.of(span)
            error = None
        except th.SamplingError as exc:
            error = str(exc)
        tid = span.trace_id
        if self.mode == "never":
            return (th.ALL_RANDOMNESS, "sampling_priority"), carrier if not error else None, error
        if self.mode == "hash_seed":
            rnd: Randomness = (None, "missing_randomness") if _empty(tid) else (
                th.hashed_randomness(tid, self.seed), "trace_id_hash")
            return self._claim(rnd, carrier, error)
        if carrier is None:
            return (None, "missing_randomness"), None, error
        if carrier.rvalue:
            return (carrier.randomness, "sampling_randomness"), carrier, None
        if _empty(tid):
            return (None, "missing_randomness"), carrier, None
        return (th.trace_id_randomness(tid), "trace_id_w3c"), carrier, None

    def _claim(self, rnd: Randomness, carrier: Carrier | None, error: str | None) -> Extracted:
        """hash_seed: leave items already carrying OTEP 235 values alone, else write rv."""
        if error is not None or carrier is None:
            return rnd, None, error
        if carrier.rvalue:
            return rnd, None, RANDOMNESS_IN_USE
        if carrier.tvalue:
            return rnd, None, THRESHOLD_IN_USE
        carrier.set_randomness(th.ALL_RANDOMNESS if rnd[0] is None else rnd[0])
        return rnd, carrier, None

    def _record_randomness(self, record: Any) -> Extracted:
        carrier: RecordCarrier | None = None
        try:
            carrier = RecordCarrier(record)
            error = None
        except th.SamplingError as exc:
            error = str(exc)
        tid = record.trace_id
        if self.mode == "never":
            return (th.ALL_RANDOMNESS, "sampling_priority"), carrier, error
        if self.mode == "hash_seed":
            rnd: Randomness = (None, "missing_randomness")
            if self.traceid_source and not _empty(tid):
                rnd = (th.hashed_randomness(tid, self.seed), "trace_id_hash")
            if rnd[0] is None and self.attribute:
                data = self._attribute_bytes(record)
                if data:
                    rnd = (th.hashed_randomness(data, self.seed), self.attribute)
            if rnd[0] is None and error is None and carrier is not None \
                    and not carrier.rvalue and not carrier.tvalue:
                return rnd, carrier, None  # nothing to claim with
            return self._claim(rnd, carrier, error)
        if carrier is None:
            return (None, "missing_randomness"), None, error
        if carrier.rvalue:
            return (carrier.randomness, "sampling_randomness"), carrier, None
        if _empty(tid):
            return (None, "missing_randomness"), carrier, None
        return (th.trace_id_randomness(tid), "trace_id_w3c"), carrier, None

    def _attribute_bytes(self, record: Any) -> bytes:
        attrs = Attributes(record.attributes)
        if self.attribute not in attrs:
            return b""
        value = attrs[self.attribute]
        return value if isinstance(value, bytes) else as_string(value).encode()

    # -- decision ---------------------------------------------------------------------
    def _decide(self, carrier: Carrier | None) -> int:
        if self.mode == "never":
            return th.NEVER
        if self.mode == "hash_seed":
            return self.fixed
        has = carrier is not None and bool(carrier.tvalue)
        if self.mode == "equalizing":
            if has and carrier is not None and self.fixed < carrier.threshold:
                return carrier.threshold
            return self.fixed
        incoming = th.threshold_probability(carrier.threshold) if has and carrier else 1.0
        try:
            return th.probability_to_threshold(incoming * self.ratio, self.precision)
        except th.SamplingError:
            return th.NEVER  # fell below the smallest probability: not sampled

    def _common(self, extracted: Extracted, priority: int | None) -> tuple[bool, str]:
        (rnd, policy), carrier, error = extracted
        if error is None:
            if rnd is None:
                error = MISSING
            elif carrier is not None and carrier.tvalue and carrier.threshold > rnd:
                carrier.clear_threshold()
                error = INCONSISTENT
        if error is not None:
            self.report(error)
            threshold = th.NEVER if self.fail_closed else th.ALWAYS
        else:
            threshold = self._decide(carrier)
        if priority is not None:
            threshold, policy = priority, "sampling_priority"
        value = th.ALL_RANDOMNESS if rnd is None else rnd
        sampled = threshold <= value
        if sampled and carrier is not None:
            if not carrier.update_threshold(threshold):
                self.report("cannot raise existing sampling probability")
            carrier.store()
        return sampled, policy

    def span(self, span: Any) -> tuple[bool, str]:
        return self._common(self._span_randomness(span), _span_priority(span))

    def record(self, record: Any) -> tuple[bool, str]:
        extracted = self._record_randomness(record)
        return self._common(extracted, self._record_priority(record))

    def _record_priority(self, record: Any) -> int | None:
        if not self.priority_key:
            return None
        value = Attributes(record.attributes).get(self.priority_key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value == 0:
            return None
        try:
            return th.probability_to_threshold(value / 100.0, self.precision)
        except th.SamplingError:
            return None


def _span_priority(span: Any) -> int | None:
    """``sampling.priority``: 0 never samples, > 0 always does (OpenTracing's convention)."""
    if not len(span.attributes):
        return None
    value = Attributes(span.attributes).get("sampling.priority")
    if isinstance(value, str):
        try:
            value = float(value) if value == value.strip() and "_" not in value else None
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value == 0:
        return th.NEVER
    return th.ALWAYS if value > 0 else None
