"""Server authenticators fail closed and compare secrets in constant time.

* Not started yet: every request is refused, even with valid credentials.
* Constant time: checked on the source (timing measurements of a comparison are noise).
  In the functions that compare a presented credential, every ``==``/``!=``/``in`` has a
  literal on one side (never a secret on both), the comparison is
  ``hmac.compare_digest`` (bcrypt: ``bcrypt.checkpw``), and the bearer token loop has no
  early exit: each configured token is compared.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

import pytest

from otelpy.component import Kind
from otelpy.errors import AuthError
from otelpy.extensions.basicauth import BasicAuthServer
from otelpy.extensions.basicauth.htpasswd import Htpasswd
from otelpy.extensions.bearertokenauth import BearerTokenAuth
from otelpy.telemetry import Telemetry
from otelpy.testing.authhost import create_component
from otelpy.testing.sink import FakeHost

CASES = {
    "bearertokenauth": ({"token": "s3cret"}, {"authorization": "Bearer s3cret"}),
    "bearertokenauth-tokens": ({"tokens": ["a1", "b2"]}, {"authorization": "Bearer b2"}),
    "basicauth": ({"htpasswd": {"inline": "alice:wonder"}},
                  {"authorization": "Basic YWxpY2U6d29uZGVy"}),  # alice:wonder
}


@pytest.mark.parametrize("case", list(CASES))
async def test_refuses_valid_credentials_until_started(case: str) -> None:
    doc, headers = CASES[case]
    ext: Any = create_component(Kind.EXTENSION, case.split("-")[0], doc, Telemetry())
    with pytest.raises(AuthError, match="is not started"):
        await ext.authenticate(headers)
    await ext.start(FakeHost())
    try:
        await ext.authenticate(headers)  # the same credentials pass once started
    finally:
        await ext.shutdown()


def _function(obj: Any) -> ast.FunctionDef | ast.AsyncFunctionDef:
    node = ast.parse(textwrap.dedent(inspect.getsource(obj))).body[0]
    assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    return node


def _literal(node: ast.expr) -> bool:
    if isinstance(node, ast.Tuple):
        return all(_literal(e) for e in node.elts)
    return isinstance(node, ast.Constant)


def _secret_comparisons(fn: ast.AST) -> list[str]:
    """Equality/membership comparisons without a literal side, as source text."""
    found = []
    for node in ast.walk(fn):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, operands, operands[1:], strict=False):
            if isinstance(op, ast.Eq | ast.NotEq | ast.In | ast.NotIn) and not (
                    _literal(left) or _literal(right)):
                found.append(ast.unparse(node))
    return found


def _calls(fn: ast.AST) -> set[str]:
    return {ast.unparse(n.func) for n in ast.walk(fn) if isinstance(n, ast.Call)}


def test_bearer_tokens_are_compared_in_constant_time_against_every_token() -> None:
    fn = _function(BearerTokenAuth.authenticate)
    assert _secret_comparisons(fn) == []
    assert "hmac.compare_digest" in _calls(fn)
    loops = [n for n in ast.walk(fn) if isinstance(n, ast.For)]
    assert len(loops) == 1 and ast.unparse(loops[0].iter) == "self._expected"
    exits = [n for n in ast.walk(loops[0]) if isinstance(n, ast.Break | ast.Return | ast.Raise)]
    assert exits == [], "the token loop must not stop at the first match"


def test_htpasswd_passwords_are_compared_in_constant_time() -> None:
    entry = Htpasswd()
    entry.add("u:x", "inline")
    check = _function(type(entry.entry("u")).check)
    assert _secret_comparisons(check) == []
    returns = [ast.unparse(n.value) for n in ast.walk(check)
               if isinstance(n, ast.Return) and n.value is not None]
    # every answer is a constant-time comparison (or bcrypt's own check), or False
    for value in returns:
        assert value == "False" or value.startswith(
            ("hmac.compare_digest(", "bcrypt.checkpw(")), value
    assert sum(v.startswith("hmac.compare_digest(") for v in returns) == 4  # md5 sha ssha plain


def test_basicauth_compares_only_keyed_digests_outside_htpasswd() -> None:
    """The one membership test left is the cache of successful checks, keyed by an HMAC
    under a per-process random key: it says nothing about a password."""
    fn = _function(BasicAuthServer.authenticate)
    assert _secret_comparisons(fn) == ["digest in self._verified"]
    assert "hmac.new" in _calls(fn)
