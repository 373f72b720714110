"""The detectors that read the Kubernetes API: k8snode (this node's object) and eks (an EKS
cluster: /version, then EC2 metadata or the node's providerID, and EC2 DescribeInstances),
as the Collector's internal/k8snode and internal/aws/eks detectors.

k8snode: the node name is read from the environment variable ``node_from_env_var``
(K8S_NODE_NAME); ``GET /api/v1/nodes/<name>`` gives ``k8s.node.uid`` and ``k8s.node.name``.
eks: outside Kubernetes (KUBERNETES_SERVICE_HOST unset), or when the server's
``gitVersion`` lacks ``-eks-``, nothing is detected. On EKS, cloud.provider ``aws`` and
cloud.platform ``aws_eks``; with EC2 metadata reachable, the instance's identity and host
name come from it (and k8s.cluster.name, when enabled, from DescribeInstances); without,
the node's ``spec.providerID`` (``aws:///<zone>/<instance>``) names the instance and
DescribeInstances gives the rest.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Mapping
from typing import Any

import aiohttp

from otelpy.k8swatch import ApiConnection, JSONObject, K8sAPIConfig, K8sApiError
from otelpy.k8swatch.client import TRANSIENT_ERRORS
from otelpy.processors.resourcedetection.awscreds import credentials
from otelpy.processors.resourcedetection.cloud import detect_ec2
from otelpy.processors.resourcedetection.config import CATALOG, EKSSettings, K8sNodeSettings
from otelpy.processors.resourcedetection.ec2api import describe_instance
from otelpy.processors.resourcedetection.local import DetectionError

__all__ = ["detect_eks", "detect_k8snode", "parse_provider_id"]


async def _get(api: K8sAPIConfig, path: str) -> JSONObject:
    """One GET against the API server; DetectionError when it cannot be had."""
    from kubernetes_asyncio.config import ConfigException

    conn = ApiConnection(api)
    try:
        await conn.open()
        return await conn.get_json(path, {})
    except (ConfigException, K8sApiError, *TRANSIENT_ERRORS) as exc:
        raise DetectionError(f"GET {path}: {exc}") from None
    finally:
        await conn.close()


def _node_path(name: str) -> str:
    return f"/api/v1/nodes/{urllib.parse.quote(name, safe='')}"


def _meta(obj: JSONObject, key: str) -> str:
    meta = obj.get("metadata")
    value = meta.get(key) if isinstance(meta, dict) else None
    return value if isinstance(value, str) else ""


def _pick(facts: Mapping[str, str], wanted: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in facts.items() if k in wanted and v != ""}


async def detect_k8snode(cfg: K8sNodeSettings, environ: Mapping[str, str],
                         wanted: frozenset[str]) -> dict[str, Any]:
    var = cfg.node_from_env_var or "K8S_NODE_NAME"
    name = environ.get(var, "")
    if not name:
        raise DetectionError(f"node name can't be found: set the {var} environment variable "
                             "(downward API fieldRef spec.nodeName)")
    node = await _get(cfg, _node_path(name))
    return _pick({"k8s.node.uid": _meta(node, "uid"), "k8s.node.name": _meta(node, "name")},
                 wanted)


def parse_provider_id(provider_id: str) -> tuple[str, str, str]:
    """(region, availability zone, instance ID) of ``aws:///us-west-2a/i-0123``; empty
    strings when it is not of that form."""
    parts = provider_id.split("/")
    if len(parts) < 5 or parts[0] != "aws:" or not parts[3] or not parts[4]:
        return "", "", ""
    return parts[3][:-1], parts[3], parts[4]


async def detect_eks(cfg: EKSSettings, environ: Mapping[str, str], imds: str,
                     wanted: frozenset[str], log: logging.Logger) -> dict[str, Any]:
    if not environ.get("KUBERNETES_SERVICE_HOST"):
        return {}
    version = await _get(cfg, "/version")
    if "-eks-" not in str(version.get("gitVersion", "")):
        log.debug("eks detector: not an EKS cluster (gitVersion %s)", version.get("gitVersion"))
        return {}
    facts = {"cloud.provider": "aws", "cloud.platform": "aws_eks"}
    ec2 = await detect_ec2(imds, frozenset(CATALOG["ec2"]), log)
    async with aiohttp.ClientSession() as session:
        if ec2:
            facts.update({k: str(v) for k, v in ec2.items() if k in CATALOG["eks"]
                          and k not in ("cloud.provider", "cloud.platform")})
            if "k8s.cluster.name" in wanted:
                creds = await credentials(session, environ, imds,
                                          facts.get("cloud.region", ""))
                found = await describe_instance(session, environ, creds,
                                                facts.get("cloud.region", ""),
                                                facts.get("host.id", ""))
                facts["k8s.cluster.name"] = found.cluster_name
            return _pick(facts, wanted)
        region, zone, instance = await _from_node(cfg, environ)
        facts.update({"host.id": instance, "cloud.availability_zone": zone,
                      "cloud.region": region})
        creds = await credentials(session, environ, imds, region)
        found = await describe_instance(session, environ, creds, region, instance)
    facts.update({"cloud.account.id": found.account_id, "host.image.id": found.image_id,
                  "host.type": found.instance_type, "host.name": found.hostname,
                  "k8s.cluster.name": found.cluster_name})
    return _pick(facts, wanted)


async def _from_node(cfg: EKSSettings, environ: Mapping[str, str]) -> tuple[str, str, str]:
    name = environ.get(cfg.node_from_env_var, "") if cfg.node_from_env_var else ""
    if not name:
        raise DetectionError("can't get K8s Instance Metadata; node name is empty "
                             "(set eks::node_from_env_var)")
    node = await _get(cfg, _node_path(name))
    spec = node.get("spec")
    provider_id = spec.get("providerID") if isinstance(spec, dict) else None
    region, zone, instance = parse_provider_id(str(provider_id or ""))
    if not region or not instance:
        raise DetectionError(f"failed to retrieve region or instanceId from providerID: "
                             f"{provider_id!r}")
    return region, zone, instance
