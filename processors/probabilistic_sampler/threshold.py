"""OpenTelemetry consistent-probability sampling numbers (OTEP 235): 56-bit thresholds
and randomness, their hex encodings (T-value ``th``, R-value ``rv``), the W3C
``tracestate`` ``ot=`` section that carries them, and the legacy FNV hash_seed
randomness, with the arithmetic of the Collector's ``pkg/sampling``.

An item is sampled when ``threshold <= randomness``; threshold 0 samples everything,
:data:`NEVER` (2**56) nothing.
"""

from __future__ import annotations

import math
import re
import struct

MAX_ADJUSTED = 1 << 56
NUM_HEX = 14
ALWAYS = 0
NEVER = MAX_ADJUSTED
ALL_RANDOMNESS = MAX_ADJUSTED - 1  # sampled at every probability
MIN_PROBABILITY = 1.0 / MAX_ADJUSTED

_HASH_BUCKETS = 0x4000  # 14 bits
_FNV_OFFSET, _FNV_PRIME = 2166136261, 16777619
_HEX = frozenset("0123456789abcdefABCDEF")


class SamplingError(ValueError):
    """Sampling information of an item that cannot be used (the Collector's messages)."""


def f32(value: float) -> float:
    """``value`` rounded to float32, as Go stores ``sampling_percentage``."""
    return float(struct.unpack("f", struct.pack("f", value))[0])


def _parse_hex(text: str) -> int:
    if not text or not set(text) <= _HEX:
        raise SamplingError(f'strconv.ParseUint: parsing "{text}": invalid syntax')
    return int(text, 16)


def tvalue_to_threshold(text: str) -> int:
    if len(text) > NUM_HEX:
        raise SamplingError("t-value exceeds 14 hex digits")
    if not text:
        raise SamplingError("t-value is empty")
    return _parse_hex(text) << (4 * (NUM_HEX - len(text)))


def threshold_to_tvalue(threshold: int) -> str:
    """The T-value: "0" for always, "" for never, else 14 digits without trailing zeros."""
    if threshold == ALWAYS:
        return "0"
    if threshold >= NEVER:
        return ""
    return f"{threshold:014x}".rstrip("0")


def rvalue_to_randomness(text: str) -> int:
    if len(text) != NUM_HEX:
        raise SamplingError("r-value must have 14 hex digits")
    return _parse_hex(text)


def randomness_to_rvalue(randomness: int) -> str:
    return f"{randomness:014x}"


def trace_id_randomness(trace_id: bytes) -> int:
    """The W3C Trace Context level 2 randomness: the trace ID's last 7 bytes."""
    return int.from_bytes(trace_id[9:16], "big")


def probability_to_threshold(fraction: float, precision: int) -> int:
    """The threshold of ``fraction`` rounded to ``precision`` hex digits (more near 0 and 1).

    Raises SamplingError when ``fraction`` is outside [2**-56, 1].
    """
    if precision == 0:
        precision = NUM_HEX
    if not MIN_PROBABILITY <= fraction <= 1:
        raise SamplingError("sampling probability out of the range [1/MaxAdjustedCount, 1]")
    if fraction == 1:
        return ALWAYS
    exp_f = math.frexp(fraction)[1]
    exp_r = math.frexp(1 - fraction)[1]
    precision = min(NUM_HEX, max(precision + (-exp_f) // 4, precision + (-exp_r) // 4))
    scaled = math.floor(fraction * MAX_ADJUSTED + 0.5)  # Go's math.Round, x >= 0
    threshold = MAX_ADJUSTED - scaled
    shift = 4 * (NUM_HEX - precision)
    if shift:
        threshold += 1 << (shift - 1)
        threshold = (threshold >> shift) << shift
    return threshold


def threshold_probability(threshold: int) -> float:
    return (MAX_ADJUSTED - threshold) / MAX_ADJUSTED


def fnv32a(data: bytes, seed: int) -> int:
    """FNV-1a over the seed's 4 little-endian bytes, then ``data``."""
    h = _FNV_OFFSET
    for byte in seed.to_bytes(4, "little") + data:
        h = ((h ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
    return h


def hashed_randomness(data: bytes, seed: int) -> int:
    """The 56-bit randomness the hash_seed mode derives from ``data`` (its top 14 bits
    decide: sampled at rate p exactly when ``hash & 0x3fff < p * 16384``)."""
    hashed32 = fnv32a(data, seed)
    hashed = hashed32 & (_HASH_BUCKETS - 1)
    unused18 = hashed32 >> 14
    mixed28 = (unused18 ^ (unused18 << 10)) & ((1 << 28) - 1)
    return ((_HASH_BUCKETS - 1 - hashed) << 42) | (mixed28 << 14) | hashed


def hash_seed_threshold(percent: float) -> int:
    """The hash_seed mode's threshold: Go's ``uint32(float32(pct) * 163.84)`` buckets of
    16384 accepted (float32 product, truncated); NEVER when that is 0."""
    scaled = int(f32(f32(percent) * f32(_HASH_BUCKETS / 100.0)))
    if scaled <= 0:
        return NEVER
    return (_HASH_BUCKETS - min(scaled, _HASH_BUCKETS)) << 42


# -- tracestate -----------------------------------------------------------------------------
_W3C_KEY = re.compile(r"^(?:[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}"
                      r"@[a-z][a-z0-9_\-*/]{0,13})$")
_W3C_VALUE = re.compile(r"^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$")
_OT_KEY = re.compile(r"^[a-z][a-z0-9]*$")
_OT_VALUE = re.compile(r"^[a-zA-Z0-9._\-]*$")


def _w3c_members(text: str) -> list[tuple[str, str]]:
    if len(text) > 1024:
        raise SamplingError("invalid tracestate size")
    members = []
    for raw in text.split(","):
        member = raw.strip(" \t")
        if not member:
            continue
        key, eq, value = member.partition("=")
        if not eq or not _W3C_KEY.match(key) or not _W3C_VALUE.match(value):
            raise SamplingError("invalid syntax")
        members.append((key, value))
    if len(members) > 32:
        raise SamplingError("invalid tracestate item count")
    return members


class TraceState:
    """A span's ``tracestate`` with its ``ot`` section parsed (rv, th, other fields kept).

    ``TraceState.parse`` raises SamplingError on invalid syntax or values; the instance is
    still usable for what parsed.
    """

    def __init__(self) -> None:
        self.rvalue = ""
        self.randomness = 0
        self.tvalue = ""
        self.threshold = ALWAYS
        self.ot_extra: list[tuple[str, str]] = []
        self.extra: list[tuple[str, str]] = []

    @classmethod
    def parse(cls, text: str) -> TraceState:
        state = cls()
        errors: list[str] = []
        for key, value in _w3c_members(text):
            if key != "ot":
                state.extra.append((key, value))
                continue
            try:
                state._parse_ot(value)
            except SamplingError as exc:
                errors.append(str(exc))
        if errors:
            raise SamplingError("; ".join(errors))
        return state

    def _parse_ot(self, text: str) -> None:
        if len(text) > 256:
            raise SamplingError("invalid tracestate size")
        members = text.split(";")
        for member in members:
            key, colon, value = member.partition(":")
            if not colon or not _OT_KEY.match(key) or not _OT_VALUE.match(value):
                raise SamplingError("invalid syntax")
        errors = []
        for member in members:
            key, _, value = member.partition(":")
            try:
                if key == "rv":
                    self.randomness, self.rvalue = rvalue_to_randomness(value), value
                elif key == "th":
                    self.threshold, self.tvalue = tvalue_to_threshold(value), value
                else:
                    self.ot_extra.append((key, value))
            except SamplingError as exc:
                errors.append(str(exc))
        if errors:
            raise SamplingError("; ".join(errors))

    def set_randomness(self, randomness: int) -> None:
        self.randomness, self.rvalue = randomness, randomness_to_rvalue(randomness)

    def clear_threshold(self) -> None:
        self.threshold, self.tvalue = ALWAYS, ""

    def update_threshold(self, threshold: int) -> bool:
        """Set the threshold; False (unchanged) when that would raise the probability."""
        if self.tvalue and self.threshold > threshold:
            return False
        self.threshold, self.tvalue = threshold, threshold_to_tvalue(threshold)
        return True

    def serialize(self) -> str:
        ot = ([f"rv:{self.rvalue}"] if self.rvalue else []) + \
             ([f"th:{self.tvalue}"] if self.tvalue else []) + \
             [f"{k}:{v}" for k, v in self.ot_extra]
        members = ([f"ot={';'.join(ot)}"] if ot else []) + [f"{k}={v}" for k, v in self.extra]
        return ",".join(members)
