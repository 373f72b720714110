"""List + watch one resource collection, resuming where it left off.

The watcher lists (in pages), then watches from the list's resourceVersion with bookmarks
on. A stream that ends is re-opened from the last resourceVersion seen; a transport error
re-opens it after an exponential backoff; a 410 Gone (as an HTTP status or a watch ERROR
event) relists and hands the handler only what changed against the cache: ADDED for new
UIDs, MODIFIED for a changed resourceVersion, DELETED for UIDs gone. An event whose
object carries the resourceVersion already cached is a replay and is not handed on, so a
reconnect never yields duplicates.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from otelpy.clock import Clock
from otelpy.k8swatch.cache import ObjectCache, resource_version_of, uid_of
from otelpy.k8swatch.client import TRANSIENT_ERRORS, ApiConnection, JSONObject, K8sApiError

#: ``await handler(event_type, obj)`` with event_type ADDED, MODIFIED or DELETED
Handler = Callable[[str, JSONObject], Awaitable[None]]
GONE = 410


@dataclass(frozen=True)
class WatchSpec:
    """What to watch and how."""

    path: str
    """The collection path: ``/api/v1/pods``, ``/apis/apps/v1/namespaces/ns/replicasets``."""
    label_selector: str = ""
    field_selector: str = ""
    resource_version: str = ""
    """Start watching from this resourceVersion instead of listing first (k8sobjects)."""
    emit_initial: bool = True
    """Hand the first list's objects on as ADDED (False: only fill the cache)."""
    page_size: int = 500
    watch_timeout_s: int = 300
    max_objects: int = 100_000
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0


class Watcher:
    """Keeps ``cache`` in sync with the API server; ``synced`` is set after the first list."""

    def __init__(self, conn: ApiConnection, spec: WatchSpec, handler: Handler, clock: Clock,
                 logger: logging.Logger) -> None:
        self.spec = spec
        self.cache = ObjectCache(spec.max_objects)
        self.synced = asyncio.Event()
        self.resource_version = spec.resource_version
        self.relists = 0
        self.reconnects = 0
        self.errors = 0
        self._conn = conn
        self._handler = handler
        self._clock = clock
        self._log = logger
        self._must_list = not spec.resource_version

    def _selectors(self) -> dict[str, str]:
        params = {}
        if self.spec.label_selector:
            params["labelSelector"] = self.spec.label_selector
        if self.spec.field_selector:
            params["fieldSelector"] = self.spec.field_selector
        return params

    async def run(self) -> None:
        """List and watch until cancelled; never raises but CancelledError."""
        backoff = self.spec.backoff_initial_s
        if not self._must_list:
            self.synced.set()
        while True:
            try:
                if self._must_list:
                    await self._relist()
                if await self._watch():
                    backoff = self.spec.backoff_initial_s
                    continue
                backoff = self.spec.backoff_initial_s  # an empty stream: pause, then resume
            except K8sApiError as exc:
                if exc.status == GONE:
                    self._gone()
                    continue
                self._failed(exc)
            except TRANSIENT_ERRORS as exc:
                self._failed(exc)
            await self._clock.sleep(backoff)
            backoff = min(backoff * 2, self.spec.backoff_max_s)

    def _gone(self) -> None:
        self._log.info("watch %s: resourceVersion %s is gone (410); relisting",
                       self.spec.path, self.resource_version)
        self._must_list = True

    def _failed(self, exc: BaseException) -> None:
        self.errors += 1
        self._log.warning("watch %s failed (%s); retrying", self.spec.path, exc)

    async def _list_all(self) -> tuple[list[JSONObject], str]:
        objects: list[JSONObject] = []
        params = {**self._selectors(), "limit": str(self.spec.page_size)}
        while True:
            page = await self._conn.get_json(self.spec.path, params)
            found = page.get("items") or []
            if not isinstance(found, list):
                raise ValueError(f"list {self.spec.path}: items is not a list")
            objects.extend(o for o in found if isinstance(o, dict) and uid_of(o))
            meta = page.get("metadata") or {}
            token = meta.get("continue") if isinstance(meta, dict) else None
            if not token:
                return objects, str(meta.get("resourceVersion") or "")
            params["continue"] = str(token)

    async def _relist(self) -> None:
        objects, version = await self._list_all()
        first = not self.synced.is_set()
        emit = self.spec.emit_initial or not first
        seen: set[str] = set()
        for obj in objects:
            uid = uid_of(obj)
            seen.add(uid)
            old = self.cache.get(uid)
            if old is not None and resource_version_of(old) == resource_version_of(obj):
                continue
            if self.cache.put(obj) and emit:
                await self._handler("ADDED" if old is None else "MODIFIED", obj)
        for uid in self.cache.uids() - seen:
            gone = self.cache.pop(uid)
            if gone is not None and emit:
                await self._handler("DELETED", gone)
        self.resource_version = version
        self._must_list = False
        if not first:
            self.relists += 1
        self.synced.set()

    async def _watch(self) -> bool:
        """One watch stream; True when it delivered events and ended cleanly."""
        params = {**self._selectors(), "allowWatchBookmarks": "true",
                  "timeoutSeconds": str(self.spec.watch_timeout_s)}
        if self.resource_version:
            params["resourceVersion"] = self.resource_version
        async with self._conn.watch(self.spec.path, params,
                                    self.spec.watch_timeout_s + 60.0) as events:
            self.reconnects += 1
            delivered = False
            async for event in events:
                delivered = True
                await self._apply(str(event.get("type", "")), event["object"])
        return delivered

    async def _apply(self, kind: str, obj: JSONObject) -> None:
        version = resource_version_of(obj)
        if kind == "ERROR":
            raise K8sApiError(int(obj.get("code") or 0), str(obj.get("message") or ""))
        if kind == "BOOKMARK":
            self.resource_version = version or self.resource_version
            return
        uid = uid_of(obj)
        if not uid or kind not in ("ADDED", "MODIFIED", "DELETED"):
            raise ValueError(f"watch {self.spec.path}: malformed {kind or 'untyped'} event")
        if kind == "DELETED":
            known = self.cache.pop(uid)
            if known is not None or self.cache.refused:
                await self._handler(kind, obj)
        else:
            old = self.cache.get(uid)
            if old is not None and resource_version_of(old) == version:
                self.resource_version = version or self.resource_version
                return
            if self.cache.put(obj):
                await self._handler("ADDED" if old is None else "MODIFIED", obj)
        self.resource_version = version or self.resource_version

