"""Label sets and matchers as Alertmanager has them: fingerprints (FNV-1a 64 over sorted
names and values, as ``model.LabelSet.Fingerprint``), ``{a="b", c="d"}`` rendering, the
``name op "value"`` matcher syntax of ``matchers:`` and the API, and the sort orders that
decide the order of alerts in a notification."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cmp_to_key

from otelpy.goregex import compile_go
from otelpy.promql.values import go_quote

__all__ = ["LabelSet", "Matcher", "MatcherError", "fingerprint", "fingerprint_hex",
           "format_labels", "labels_before", "matchers_string", "parse_matcher",
           "parse_matchers", "sort_alert_labels"]

LabelSet = Mapping[str, str]

_FNV_OFFSET = 14695981039346656037
_FNV_PRIME = 1099511628211
_MASK = (1 << 64) - 1


def fingerprint(labels: LabelSet) -> int:
    """``model.LabelSet.Fingerprint``: FNV-1a 64 of name, 0xff, value, 0xff in name order."""
    h = _FNV_OFFSET
    for name in sorted(labels):
        for part in (name.encode(), labels[name].encode()):
            for byte in part:
                h = ((h ^ byte) * _FNV_PRIME) & _MASK
            h = ((h ^ 0xFF) * _FNV_PRIME) & _MASK
    return h


def fingerprint_hex(labels: LabelSet) -> str:
    return f"{fingerprint(labels):016x}"


def format_labels(labels: LabelSet) -> str:
    """``model.LabelSet.String``: ``{a="b", c="d"}`` in name order, values Go-quoted."""
    return "{" + ", ".join(f"{k}={go_quote(labels[k])}" for k in sorted(labels)) + "}"


def labels_before(a: LabelSet, b: LabelSet) -> bool:
    """``model.LabelSet.Before``: fewer labels first, then by value in name order."""
    if len(a) != len(b):
        return len(a) < len(b)
    for name in sorted(set(a) | set(b)):
        if name not in a:
            return True
        if name not in b:
            return False
        if a[name] != b[name]:
            return a[name] < b[name]
    return False


def _alert_cmp(a: LabelSet, b: LabelSet) -> int:
    for key in ("job", "instance"):
        if key not in a and key not in b:
            continue
        if key not in a:
            return 1
        if key not in b:
            return -1
        if a[key] != b[key]:
            return -1 if a[key] < b[key] else 1
    if labels_before(a, b):
        return -1
    return 1 if labels_before(b, a) else 0


def sort_alert_labels(items: list[LabelSet]) -> list[LabelSet]:
    """``types.AlertSlice`` order: by job, then instance, then label set (stable)."""
    return sorted(items, key=cmp_to_key(_alert_cmp))


class MatcherError(ValueError):
    """A matcher that does not parse or whose regular expression does not compile."""


_OPS = ("=~", "!~", "!=", "=")
_OP_ORDER = {"=": 0, "!=": 1, "=~": 2, "!~": 3}


@dataclass(frozen=True)
class Matcher:
    """One label matcher; a regular expression is anchored (``^(?:re)$``), as in Go."""

    name: str
    op: str
    value: str
    _re: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def make(cls, name: str, op: str, value: str) -> Matcher:
        if op not in _OPS:
            raise MatcherError(f"unknown matcher operator {op!r}")
        pattern = None
        if op in ("=~", "!~"):
            try:
                pattern = compile_go(f"^(?:{value})$")
            except re.error as exc:
                raise MatcherError(f"invalid regular expression {value!r}: {exc}") from None
        return cls(name, op, value, pattern)

    def matches(self, labels: LabelSet) -> bool:
        v = labels.get(self.name, "")
        if self.op == "=":
            return v == self.value
        if self.op == "!=":
            return v != self.value
        assert self._re is not None
        hit = self._re.fullmatch(v) is not None
        return hit if self.op == "=~" else not hit

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
        return f'{self.name}{self.op}"{escaped}"'

    def sort_key(self) -> tuple[str, str, int]:
        return (self.name, self.value, _OP_ORDER[self.op])

    def api(self) -> dict[str, object]:
        """The API v2 shape: name, value, isRegex, isEqual."""
        return {"name": self.name, "value": self.value, "isRegex": self.op in ("=~", "!~"),
                "isEqual": self.op in ("=", "=~")}


def matches_all(matchers: Iterable[Matcher], labels: LabelSet) -> bool:
    return all(m.matches(labels) for m in matchers)


def matchers_string(matchers: Iterable[Matcher]) -> str:
    """``labels.Matchers.String``: ``{a="b",c=~"d"}`` (no spaces)."""
    return "{" + ",".join(str(m) for m in matchers) + "}"


_MATCHER = re.compile(r'^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*(.*?)\s*$', re.DOTALL)


def parse_matcher(text: str) -> Matcher:
    """One ``name op value`` matcher; the value quoted (Go escapes) or bare."""
    m = _MATCHER.match(text)
    if m is None:
        raise MatcherError(f"bad matcher format: {text}")
    name, op, raw = m.groups()
    if raw.startswith('"'):
        if len(raw) < 2 or not raw.endswith('"') or raw.endswith('\\"') and \
                not raw.endswith('\\\\"'):
            raise MatcherError(f"matcher value contains unescaped double quote: {raw}")
        raw = _unescape(raw[1:-1])
    elif '"' in raw:
        raise MatcherError(f"matcher value contains unescaped double quote: {raw}")
    return Matcher.make(name, op, raw)


def _unescape(body: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({"n": "\n", "t": "\t", '"': '"', "\\": "\\"}.get(nxt, "\\" + nxt))
            i += 2
            continue
        if ch == '"':
            raise MatcherError(f"matcher value contains unescaped double quote: {body}")
        out.append(ch)
        i += 1
    return "".join(out)


def parse_matchers(text: str) -> list[Matcher]:
    """``{a="b", c=~"d"}`` or ``a="b",c=~"d"``: commas inside quotes do not split."""
    body = text.strip()
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1]
    parts: list[str] = []
    cur: list[str] = []
    quoted = escaped = False
    for ch in body:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    if "".join(cur).strip():
        parts.append("".join(cur))
    return [parse_matcher(p) for p in parts if p.strip()]
