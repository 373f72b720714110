"""The Kubernetes watch engine the k8s components share: list + watch with resourceVersion
resume, bookmarks, relist on 410 Gone without duplicates, a bounded cache by UID and
reconnects with backoff, over kubernetes_asyncio (imported when a connection opens)."""

from otelpy.k8swatch.cache import ObjectCache, resource_version_of, uid_of
from otelpy.k8swatch.client import ApiConnection, JSONObject, K8sApiError
from otelpy.k8swatch.config import AuthType, K8sAPIConfig
from otelpy.k8swatch.watcher import Handler, Watcher, WatchSpec

__all__ = ["ApiConnection", "AuthType", "Handler", "JSONObject", "K8sAPIConfig",
           "K8sApiError", "ObjectCache", "WatchSpec", "Watcher", "resource_version_of",
           "uid_of"]
