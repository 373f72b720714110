"""A fake API server holding cluster.json's objects (realistic, in the API's own JSON)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from otelpy.testing.k8sapi import FakeKubeAPI

CLUSTER_JSON = Path(__file__).parent / "cluster.json"


def cluster() -> dict[str, list[dict[str, Any]]]:
    doc: dict[str, list[dict[str, Any]]] = json.loads(CLUSTER_JSON.read_text())
    return doc


@pytest.fixture
async def api() -> AsyncIterator[FakeKubeAPI]:
    server = FakeKubeAPI()
    await server.load(cluster())
    yield server
    await server.stop()
