"""Go (RE2) regular expressions written in Collector configs, compiled with Python's ``re``.

Collector configs carry RE2 patterns (``pattern`` of the attributes actions, ``match_type:
regexp`` filters). Python's ``re`` reads almost all of them the same way; the differences
that matter in practice are translated before compiling:

* ``(?<name>...)`` (Go 1.22+) becomes ``(?P<name>...)`` (in Python it would be a look-behind);
* ``\\z`` (end of text) becomes ``\\Z`` (Python's end of text).

Python accepts constructs RE2 refuses (look-arounds, back-references); those are not
rejected. Matching is a search, as Go's ``MatchString``: anchor with ``^...$`` to match whole
values.
"""

from __future__ import annotations

import re

__all__ = ["compile_go"]

_TOKEN = re.compile(r"\\.|\(\?<(?=[A-Za-z_])|[^\\(]+|\(|\\", re.DOTALL)


def _translate(pattern: str) -> str:
    out = []
    for token in _TOKEN.findall(pattern):
        if token == "(?<":
            out.append("(?P<")
        elif token == "\\z":
            out.append("\\Z")
        else:
            out.append(token)
    return "".join(out)


def compile_go(pattern: str) -> re.Pattern[str]:
    """Compile an RE2 pattern; raises ``re.error`` when it is invalid."""
    return re.compile(_translate(pattern))
