"""Log severity levels from severity numbers and texts."""

from __future__ import annotations

import pytest

from otelpy.pdata.severity import level_of


@pytest.mark.parametrize(("number", "text", "level"), [
    (1, "", "TRACE"), (4, "", "TRACE"), (5, "", "DEBUG"), (9, "", "INFO"), (13, "", "WARN"),
    (16, "", "WARN"), (17, "", "ERROR"), (20, "", "ERROR"), (21, "", "FATAL"),
    (24, "", "FATAL"), (0, "Warning", "WARN"), (0, "err", "ERROR"), (0, "CRITICAL", "FATAL"),
    (0, "ERROR2", "ERROR"), (0, "", "UNSPECIFIED"), (0, "loud", "UNSPECIFIED"),
    (17, "info", "ERROR"), (99, "", "UNSPECIFIED"),
], ids=lambda v: str(v))
def test_severity_levels(number: int, text: str, level: str) -> None:
    assert level_of(number, text) == level
