"""Log severity levels: a record's ``severity_number`` (or, when it is unset, its
``severity_text``) as one of the six OTLP ranges, and level names people type in queries.

=============  ================  ==========================================================
level          severity_number   severity_text read when the number is 0 (either case)
=============  ================  ==========================================================
``TRACE``      1-4               ``TRACE``, ``TRACE2`` ...
``DEBUG``      5-8               ``DEBUG``
``INFO``       9-12              ``INFO``, ``INFORMATION``, ``NOTICE``
``WARN``       13-16             ``WARN``, ``WARNING``
``ERROR``      17-20             ``ERROR``, ``ERR``
``FATAL``      21-24             ``FATAL``, ``CRITICAL``, ``CRIT``, ``ALERT``, ``EMERG``,
                                 ``EMERGENCY``, ``PANIC``
``UNSPECIFIED`` 0 / other        anything else
=============  ================  ==========================================================
"""

from __future__ import annotations

__all__ = ["LEVELS", "ERROR_LEVELS", "RANK", "level_of", "parse_level"]

#: every level, least severe first
LEVELS = ("UNSPECIFIED", "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
#: the levels that count as errors (severity_number >= 17)
ERROR_LEVELS = frozenset({"ERROR", "FATAL"})
#: level -> its position in :data:`LEVELS` (compare severities with it)
RANK = {level: i for i, level in enumerate(LEVELS)}

_BY_NUMBER = ("UNSPECIFIED",) + tuple(lvl for lvl in LEVELS[1:] for _ in range(4))
_NAMES = {
    "TRACE": "TRACE", "DEBUG": "DEBUG", "INFO": "INFO", "INFORMATION": "INFO",
    "NOTICE": "INFO", "WARN": "WARN", "WARNING": "WARN", "ERROR": "ERROR", "ERR": "ERROR",
    "FATAL": "FATAL", "CRITICAL": "FATAL", "CRIT": "FATAL", "ALERT": "FATAL",
    "EMERG": "FATAL", "EMERGENCY": "FATAL", "PANIC": "FATAL", "UNSPECIFIED": "UNSPECIFIED",
}


def parse_level(name: str) -> str | None:
    """A level name as people write it (``warning``, ``ERROR2``, ``crit``) -> its level in
    :data:`LEVELS`, or None when it names none."""
    return _NAMES.get(name.strip().upper().rstrip("0123456789"))


def level_of(number: int, text: str) -> str:
    """The level of a log record with ``severity_number`` ``number`` and ``severity_text``
    ``text`` (read only when the number is 0)."""
    if 0 < number < len(_BY_NUMBER):
        return _BY_NUMBER[number]
    if number == 0 and text:
        return parse_level(text) or "UNSPECIFIED"
    return "UNSPECIFIED"
