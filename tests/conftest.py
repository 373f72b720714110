"""Suite-wide settings: asyncio debug mode, so slow callbacks and unawaited coroutines show,
and hypothesis without luck.

Every property test runs derandomized (examples derived from the test itself, the same on
every run) with no example database, so a red ``make test`` always means a regression.
``HYPOTHESIS_PROFILE=fuzz`` (``make fuzz``) brings back random generation with larger
budgets; a crash it finds becomes an ``@example`` or a file in tests/fuzz/regressions/.
"""

from __future__ import annotations

import os

from hypothesis import settings

# Set before any event loop exists; subprocesses started by tests inherit it too.
os.environ.setdefault("PYTHONASYNCIODEBUG", "1")

settings.register_profile("deterministic", derandomize=True, database=None, print_blob=True)
settings.register_profile("fuzz", derandomize=False, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))
