"""Fuzz tests: hypothesis with a fixed example budget per test, so the whole suite stays
under a minute and runs in ``make test``. ``OTELPY_FUZZ_SCALE`` multiplies the budgets
(e.g. 10 for a longer local run); benchmarks/fuzz/run.py fuzzes the same targets for a
chosen time. A crash found here is fixed and its input kept in ``regressions/`` (replayed
by test_regressions.py) or as an ``@example``.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

SCALE = float(os.environ.get("OTELPY_FUZZ_SCALE", "1"))


def budget(examples: int) -> settings:
    """hypothesis settings for ``examples`` examples (times OTELPY_FUZZ_SCALE), no deadline."""
    return settings(max_examples=max(1, int(examples * SCALE)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much],
                    database=None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fuzz: property-based fuzzing with a fixed budget")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/fuzz/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.fuzz)
