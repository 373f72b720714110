"""Suite-wide settings: asyncio debug mode, so slow callbacks and unawaited coroutines show."""

from __future__ import annotations

import os

# Set before any event loop exists; subprocesses started by tests inherit it too.
os.environ.setdefault("PYTHONASYNCIODEBUG", "1")
