"""Turning a log message into tokens, with its variable parts masked as ``<*>``.

Masking runs as a few compiled regular-expression passes over the whole message (C speed,
no per-token Python), in this order:

1. URLs (``scheme://...``), e-mail addresses and paths (absolute ``/a``, ``/a/b``;
   relative ones with two separators ``./a/b``, ``~/a/b``, ``C:\\a\\b``) become ``<*>``
   (each pass runs only when the message holds ``://``, ``@`` or a slash);
2. every run of characters between delimiters (white space and ``= : , ; ( ) [ ] { } " '
   < > |``) that holds a decimal digit becomes ``<*>``: numbers, IPs, hex IDs, UUIDs,
   dates and times, ``blk_-123``, ``attempt_1445_m_0``, ``node-17``;
3. a token left with no letter (only ``<*>`` and punctuation: ``/<*>:<*>``, ``(<*>)``,
   ``<*>,``) becomes ``<*>``, so one variable written in different shapes (``host``,
   ``host:port``) stays one token.

Keys stay: ``size=123`` becomes ``size=<*>``, ``PendingReds:0`` ``PendingReds:<*>``.
"""

from __future__ import annotations

import re

__all__ = ["WILDCARD", "mask", "tokenize"]

WILDCARD = "<*>"

_D = r"""\s=:,;()\[\]{}"'<>|"""

_URL = re.compile(r"(?<![\w+.-])[A-Za-z][\w+.-]*://\S+")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PATH = re.compile(r"(?<![^\s=:(\[\"'])"
                   r"(?:(?:\.{0,2}|~|[A-Za-z]:)[/\\][\w.@%+~-]*[/\\]|/[\w.@%+~-])"
                   r"[^\s,;:()\[\]{}\"'<>|]*")
_HAS_DIGIT = re.compile(rf"(?<![^{_D}])[^{_D}\d]*+\d[^{_D}]*+")
_NO_LETTER = re.compile(r"(?<!\S)(?=[^\sA-Za-z]*<\*>)[^\sA-Za-z]+(?!\S)")


def mask(message: str) -> str:
    """The message with its variable parts replaced by ``<*>`` (rules in the module doc)."""
    if "://" in message:
        message = _URL.sub(WILDCARD, message)
    if "@" in message:
        message = _EMAIL.sub(WILDCARD, message)
    if "/" in message or "\\" in message:
        message = _PATH.sub(WILDCARD, message)
    message = _HAS_DIGIT.sub(WILDCARD, message)
    return _NO_LETTER.sub(WILDCARD, message)


def tokenize(message: str) -> list[str]:
    """The masked message split on white space."""
    return mask(message).split()
