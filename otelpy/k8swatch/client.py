"""A connection to the Kubernetes API: list as JSON documents and stream watch events.

kubernetes_asyncio is imported only when a connection opens (it is heavy); objects stay
plain JSON dicts, never the generated model classes.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import aiohttp

from otelpy.k8swatch.config import K8sAPIConfig

if TYPE_CHECKING:
    from kubernetes_asyncio.client import ApiClient

JSONObject = dict[str, Any]
#: errors a watch loop survives by reconnecting
TRANSIENT_ERRORS = (aiohttp.ClientError, TimeoutError, ConnectionError, ValueError)


class K8sApiError(Exception):
    """The API server answered with a non-2xx status (``status``) or a watch ERROR event."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"kubernetes API: {status} {reason}")
        self.status = status
        self.reason = reason


async def _configuration(api: K8sAPIConfig) -> Any:
    from kubernetes_asyncio import client, config

    conf = client.Configuration()
    if api.auth_type == "kubeConfig":
        await config.load_kube_config(config_file=api.kubeconfig or None,
                                      context=api.context or None,
                                      client_configuration=conf, persist_config=False)
    elif api.auth_type == "serviceAccount":
        config.load_incluster_config(client_configuration=conf)  # type: ignore[no-untyped-call]
    else:
        host = os.environ.get("KUBERNETES_SERVICE_HOST", "")
        port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
        if not host:
            raise config.ConfigException("auth_type none: KUBERNETES_SERVICE_HOST is not set")
        conf.host = f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"
        conf.verify_ssl = False
    return conf


class ApiConnection:
    """One API client; ``open`` loads the credentials, ``close`` releases the sockets."""

    def __init__(self, api: K8sAPIConfig) -> None:
        self._api = api
        self._client: ApiClient | None = None

    async def open(self) -> None:
        """Load the config; raises kubernetes_asyncio's ConfigException when it is unusable."""
        if self._client is None:
            from kubernetes_asyncio.client import ApiClient

            self._client = ApiClient(await _configuration(self._api))

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.close()

    async def _get(self, path: str, params: dict[str, str], read_timeout: float) -> Any:
        if self._client is None:
            raise RuntimeError("ApiConnection used before open()")
        timeout = aiohttp.ClientTimeout(connect=30, sock_connect=30, sock_read=read_timeout)
        return await self._client.call_api(
            path, "GET", query_params=sorted(params.items()),
            header_params={"Accept": "application/json"}, auth_settings=["BearerToken"],
            _preload_content=False, _request_timeout=timeout)

    async def get_json(self, path: str, params: dict[str, str]) -> JSONObject:
        """One GET; raises K8sApiError on a non-2xx answer, ValueError on a non-object body."""
        response = await self._get(path, params, 60.0)
        async with response:
            body = await response.read()
            if not 200 <= response.status < 300:
                raise K8sApiError(response.status, _reason(body, response.reason))
        doc = json.loads(body)
        if not isinstance(doc, dict):
            raise ValueError(f"GET {path}: the answer is not a JSON object")
        return doc

    @asynccontextmanager
    async def watch(self, path: str, params: dict[str, str],
                    read_timeout: float) -> AsyncIterator[AsyncIterator[JSONObject]]:
        """A watch stream of ``{"type", "object"}`` events; K8sApiError when refused."""
        response = await self._get(path, {**params, "watch": "true"}, read_timeout)
        async with response:
            if response.status != 200:
                raise K8sApiError(response.status, _reason(await response.read(),
                                                           response.reason))
            yield _events(response)


async def _events(response: Any) -> AsyncIterator[JSONObject]:
    while True:
        line = await response.content.readline()
        if not line:
            return
        if not line.strip():
            continue
        event = json.loads(line)
        if not isinstance(event, dict) or not isinstance(event.get("object"), dict):
            raise ValueError("watch event is not {type, object}")
        yield event


def _reason(body: bytes, fallback: str | None) -> str:
    try:
        status = json.loads(body)
    except ValueError:
        return fallback or ""
    if isinstance(status, dict) and isinstance(status.get("message"), str):
        return str(status["message"])
    return fallback or ""
