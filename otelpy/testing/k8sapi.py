"""A fake Kubernetes API server for tests: list and watch in the API's own JSON format.

Objects live in collections by their cluster-wide path (``/api/v1/pods``,
``/apis/apps/v1/replicasets``); namespaced paths (``/api/v1/namespaces/ns/pods``) filter
them. Every change gets the next resourceVersion and is kept in an event log that watches
replay from the resourceVersion they ask for; :meth:`FakeKubeAPI.compact` forgets the log so
an older resourceVersion answers 410 Gone (an HTTP status, or an ERROR event when
``gone_as_event``). Lists page with ``limit`` / ``continue``; ``labelSelector`` (``k=v``
terms) and ``fieldSelector`` (``path=value`` terms) filter. Every request is recorded with
its query and Authorization header, and a request without the expected bearer token gets
401. A GET of one object (``/api/v1/nodes/<name>``, ``/api/v1/namespaces/<ns>/configmaps/
<name>``) answers it by name, or 404 as a Status; ``/version`` answers :attr:`version_info`.
:func:`write_kubeconfig` points a kubeconfig file at the server.
"""

from __future__ import annotations

import asyncio
import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

JSONObject = dict[str, Any]


@dataclass
class Request:
    path: str
    query: dict[str, str]
    authorization: str


@dataclass
class _Collection:
    kind: str
    api_version: str
    objects: dict[str, JSONObject] = field(default_factory=dict)


def _split(path: str) -> tuple[str, str]:
    """(cluster-wide collection path, namespace or '')."""
    parts = path.rstrip("/").split("/")
    if len(parts) >= 3 and parts[-3] == "namespaces":
        return "/".join(parts[:-3] + [parts[-1]]), parts[-2]
    return path.rstrip("/"), ""


def _field(obj: JSONObject, dotted: str) -> str:
    value: Any = obj
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return "" if value is None else str(value)


def _matches(obj: JSONObject, namespace: str, query: dict[str, str]) -> bool:
    meta = obj.get("metadata", {})
    if namespace and meta.get("namespace") != namespace:
        return False
    labels = meta.get("labels") or {}
    for term in filter(None, query.get("labelSelector", "").split(",")):
        key, _, value = term.partition("=")
        if labels.get(key) != value:
            return False
    for term in filter(None, query.get("fieldSelector", "").split(",")):
        key, _, value = term.partition("=")
        if _field(obj, key) != value:
            return False
    return True


#: a collection's plural -> (kind, apiVersion), for :meth:`FakeKubeAPI.load`
KINDS = {"nodes": ("Node", "v1"), "namespaces": ("Namespace", "v1"), "pods": ("Pod", "v1"),
         "events": ("Event", "v1"), "replicationcontrollers": ("ReplicationController", "v1"),
         "resourcequotas": ("ResourceQuota", "v1"), "deployments": ("Deployment", "apps/v1"),
         "replicasets": ("ReplicaSet", "apps/v1"), "statefulsets": ("StatefulSet", "apps/v1"),
         "daemonsets": ("DaemonSet", "apps/v1"), "jobs": ("Job", "batch/v1"),
         "cronjobs": ("CronJob", "batch/v1"),
         "horizontalpodautoscalers": ("HorizontalPodAutoscaler", "autoscaling/v2")}


class FakeKubeAPI:
    """``await api.start()`` -> base URL; ``await api.stop()``."""

    def __init__(self, token: str = "test-token", gone_as_event: bool = True) -> None:
        self.token = token
        self.gone_as_event = gone_as_event
        self.requests: list[Request] = []
        self.version = 100
        self.version_info: JSONObject = {"major": "1", "minor": "30",
                                         "gitVersion": "v1.30.0"}
        self._collections: dict[str, _Collection] = {}
        self._log: list[tuple[int, str, str, JSONObject]] = []  # (rv, path, type, object)
        self._oldest = 0  # the lowest resourceVersion a watch may resume from
        self._changed = asyncio.Condition()
        self._generation = 0  # bumped to end every open watch
        self._runner: web.AppRunner | None = None

    def collection(self, path: str, kind: str, api_version: str) -> None:
        self._collections[path] = _Collection(kind, api_version)

    async def _record(self, path: str, kind: str, obj: JSONObject) -> JSONObject:
        self.version += 1
        obj = copy.deepcopy(obj)
        obj.setdefault("metadata", {})["resourceVersion"] = str(self.version)
        coll = self._collections[path]
        obj.setdefault("kind", coll.kind)
        obj.setdefault("apiVersion", coll.api_version)
        uid = obj["metadata"]["uid"]
        if kind == "DELETED":
            coll.objects.pop(uid, None)
        else:
            coll.objects[uid] = obj
        self._log.append((self.version, path, kind, obj))
        async with self._changed:
            self._changed.notify_all()
        return obj

    async def load(self, objects: dict[str, list[JSONObject]]) -> None:
        """Add collections (cluster-wide paths, kinds from :data:`KINDS`) and their objects."""
        for path, found in objects.items():
            self.collection(path, *KINDS[path.rsplit("/", 1)[1]])
            for obj in found:
                await self.add(path, obj)

    async def add(self, path: str, obj: JSONObject) -> JSONObject:
        return await self._record(path, "ADDED", obj)

    async def modify(self, path: str, obj: JSONObject) -> JSONObject:
        return await self._record(path, "MODIFIED", obj)

    async def delete(self, path: str, uid: str) -> JSONObject:
        return await self._record(path, "DELETED", self._collections[path].objects[uid])

    def get(self, path: str, uid: str) -> JSONObject:
        return copy.deepcopy(self._collections[path].objects[uid])

    def compact(self) -> None:
        """Watches from a resourceVersion older than now get 410 Gone from here on."""
        self._oldest = self.version

    async def bookmark(self) -> None:
        """Send a BOOKMARK at the current resourceVersion to every open watch."""
        self._log.append((self.version, "*", "BOOKMARK", {}))
        async with self._changed:
            self._changed.notify_all()

    async def drop_watches(self) -> None:
        """End every open watch stream (as an API server restart does)."""
        self._generation += 1
        async with self._changed:
            self._changed.notify_all()

    def watches(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path and r.query.get("watch") == "true"]

    def lists(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path and r.query.get("watch") != "true"]

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        return f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        await self.drop_watches()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        query = dict(request.query)
        self.requests.append(Request(request.path, query,
                                     request.headers.get("Authorization", "")))
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _status(401, "Unauthorized")
        if request.path == "/version":
            return web.json_response(self.version_info)
        path, namespace = _split(request.path)
        if path not in self._collections:
            return self._get_one(request.path)
        if query.get("watch") in ("true", "1"):
            return await self._watch(request, path, namespace, query)
        return self._list(path, namespace, query)

    def _get_one(self, request_path: str) -> web.Response:
        """GET <collection>/<name>: the object with that name (and namespace), or 404."""
        base, _, name = request_path.rstrip("/").rpartition("/")
        path, namespace = _split(base)
        coll = self._collections.get(path)
        if coll is None or not name:
            return _status(404, f"the server could not find {request_path}")
        for obj in coll.objects.values():
            meta = obj.get("metadata", {})
            if meta.get("name") == name and (meta.get("namespace") or "") == namespace:
                return web.json_response(obj)
        return _status(404, f'{coll.kind.lower()}s "{name}" not found')

    def _list(self, path: str, namespace: str, query: dict[str, str]) -> web.Response:
        coll = self._collections[path]
        found = [o for o in coll.objects.values() if _matches(o, namespace, query)]
        start = int(query.get("continue") or 0)
        limit = int(query.get("limit") or 0) or len(found)
        page = found[start:start + limit]
        meta: JSONObject = {"resourceVersion": str(self.version)}
        if start + limit < len(found):
            meta["continue"] = str(start + limit)
        return web.json_response({"kind": coll.kind + "List", "apiVersion": coll.api_version,
                                  "metadata": meta, "items": page})

    async def _watch(self, request: web.Request, path: str, namespace: str,
                     query: dict[str, str]) -> web.StreamResponse:
        since = int(query.get("resourceVersion") or self.version)
        if since < self._oldest and not self.gone_as_event:
            return _status(410, f"too old resource version: {since} ({self._oldest})")
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        if since < self._oldest:
            await _send(response, "ERROR", {"kind": "Status", "apiVersion": "v1",
                                            "status": "Failure", "reason": "Expired",
                                            "code": 410, "message": "too old resource version"})
            return response
        generation = self._generation
        start, position = len(self._log), 0
        while generation == self._generation:
            entries, position = self._log[position:], len(self._log)
            for index, (rv, where, kind, obj) in enumerate(entries, position - len(entries)):
                if kind == "BOOKMARK":
                    if index >= start and query.get("allowWatchBookmarks") == "true":
                        await _send(response, kind, {"kind": self._collections[path].kind,
                                                     "metadata": {"resourceVersion": str(rv)}})
                elif where == path and rv > since and _matches(obj, namespace, query):
                    await _send(response, kind, obj)
            async with self._changed:
                if position == len(self._log) and generation == self._generation:
                    await self._changed.wait()
        return response


async def _send(response: web.StreamResponse, kind: str, obj: JSONObject) -> None:
    await response.write(json.dumps({"type": kind, "object": obj}).encode() + b"\n")


def _status(code: int, message: str) -> web.Response:
    return web.json_response({"kind": "Status", "apiVersion": "v1", "metadata": {},
                              "status": "Failure", "message": message, "code": code},
                             status=code)


def write_kubeconfig(directory: Path, server: str, token: str = "test-token") -> Path:
    """A kubeconfig file with one context pointing at ``server`` with a bearer token."""
    doc = {"apiVersion": "v1", "kind": "Config", "current-context": "fake",
           "clusters": [{"name": "fake", "cluster": {"server": server}}],
           "users": [{"name": "fake", "user": {"token": token}}],
           "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake"}}]}
    path = directory / "kubeconfig"
    path.write_text(json.dumps(doc))
    return path


class ThreadedKubeAPI:
    """A :class:`FakeKubeAPI` on its own event loop in a thread, for tests whose main thread
    blocks (an ``otelpy`` subprocess): ``call(api.modify(...))`` runs a coroutine there."""

    def __init__(self, api: FakeKubeAPI) -> None:
        import threading

        self.api = api
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="fake-kube-api")

    def call(self, coro: Any, timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def __enter__(self) -> ThreadedKubeAPI:
        self._thread.start()
        self.url = self.call(self.api.start())
        return self

    def __exit__(self, *exc: object) -> None:
        self.call(self.api.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
