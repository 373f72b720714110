"""A bounded store of watched objects by UID."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

JSONObject = dict[str, Any]


def uid_of(obj: JSONObject) -> str:
    meta = obj.get("metadata")
    return str(meta.get("uid") or "") if isinstance(meta, dict) else ""


def resource_version_of(obj: JSONObject) -> str:
    meta = obj.get("metadata")
    return str(meta.get("resourceVersion") or "") if isinstance(meta, dict) else ""


class ObjectCache:
    """Objects by UID, at most ``max_objects``; an object beyond the bound is refused and
    counted in ``refused`` (its updates are refused too until room frees up)."""

    def __init__(self, max_objects: int) -> None:
        self.max_objects = max_objects
        self.refused = 0
        self._objects: dict[str, JSONObject] = {}

    def __len__(self) -> int:
        return len(self._objects)

    def __iter__(self) -> Iterator[JSONObject]:
        return iter(list(self._objects.values()))

    def get(self, uid: str) -> JSONObject | None:
        return self._objects.get(uid)

    def put(self, obj: JSONObject) -> bool:
        """Store ``obj``; False when the cache is full and the UID is new."""
        uid = uid_of(obj)
        if uid not in self._objects and len(self._objects) >= self.max_objects:
            self.refused += 1
            return False
        self._objects[uid] = obj
        return True

    def pop(self, uid: str) -> JSONObject | None:
        return self._objects.pop(uid, None)

    def uids(self) -> set[str]:
        return set(self._objects)
