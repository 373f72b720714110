"""The pod table: pods indexed by association identifiers, and the attributes of a pod.

Fed by the watchers of pods, replicasets and namespaces; read by the processor.
"""

from __future__ import annotations

import re
from typing import Any

from otelpy.k8swatch import JSONObject, uid_of
from otelpy.processors.k8sattributes.config import FieldExtract, K8sAttributesConfig

#: an association rule as the ordered source names ("connection" for the connection)
Rule = tuple[str, ...]
Key = tuple[str, ...]

_OWNER_KINDS = {"ReplicaSet": "replicaset", "DaemonSet": "daemonset",
                "StatefulSet": "statefulset", "Job": "job"}
_CRONJOB_JOB = re.compile(r"^(.+)-\d+$")


def _meta(obj: JSONObject) -> dict[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _identifiers(pod: JSONObject) -> dict[str, str]:
    meta, status = _meta(pod), pod.get("status") or {}
    ids = {"k8s.pod.uid": uid_of(pod), "k8s.pod.name": str(meta.get("name") or ""),
           "k8s.namespace.name": str(meta.get("namespace") or "")}
    host_network = bool((pod.get("spec") or {}).get("hostNetwork"))
    ip = "" if host_network else str(status.get("podIP") or "")
    if ip:
        ids["k8s.pod.ip"] = ids["connection"] = ip
    return ids


def _owner(obj: JSONObject, kind: str) -> JSONObject | None:
    for ref in _meta(obj).get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("kind") == kind:
            return ref
    return None


class PodTable:
    """Pods by identifier key per rule, with the replicasets and namespaces they refer to."""

    def __init__(self, cfg: K8sAttributesConfig, rules: list[Rule]) -> None:
        self.rules = rules
        self._metadata = frozenset(cfg.extract.metadata)
        self._labels = cfg.extract.labels
        self._annotations = cfg.extract.annotations
        self._exclude = [re.compile(p.name) for p in cfg.exclude.pods]
        self._pods: dict[str, JSONObject] = {}
        self._keys: dict[str, list[tuple[Rule, Key]]] = {}
        self._index: dict[Rule, dict[Key, str]] = {rule: {} for rule in rules}
        self.replicasets: dict[str, JSONObject] = {}
        self.namespaces: dict[str, JSONObject] = {}

    def __len__(self) -> int:
        return len(self._pods)

    async def on_pod(self, kind: str, pod: JSONObject) -> None:
        uid = uid_of(pod)
        for rule, key in self._keys.pop(uid, []):
            if self._index[rule].get(key) == uid:
                del self._index[rule][key]
        self._pods.pop(uid, None)
        name = str(_meta(pod).get("name") or "")
        if kind == "DELETED" or any(p.fullmatch(name) for p in self._exclude):
            return
        self._pods[uid] = pod
        ids, keys = _identifiers(pod), []
        for rule in self.rules:
            if all(ids.get(source) for source in rule):
                key = tuple(ids[source] for source in rule)
                self._index[rule][key] = uid
                keys.append((rule, key))
        self._keys[uid] = keys

    async def on_replicaset(self, kind: str, rs: JSONObject) -> None:
        if kind == "DELETED":
            self.replicasets.pop(uid_of(rs), None)
        else:
            self.replicasets[uid_of(rs)] = rs

    async def on_namespace(self, kind: str, ns: JSONObject) -> None:
        name = str(_meta(ns).get("name") or "")
        if kind == "DELETED":
            self.namespaces.pop(name, None)
        else:
            self.namespaces[name] = ns

    def find(self, rule: Rule, key: Key) -> JSONObject | None:
        uid = self._index[rule].get(key)
        return None if uid is None else self._pods.get(uid)

    def attributes(self, pod: JSONObject, container: str) -> dict[str, str]:
        """The configured attributes of ``pod`` (and of its ``container`` when named)."""
        meta, spec, status = _meta(pod), pod.get("spec") or {}, pod.get("status") or {}
        found = dict(_identifiers(pod))
        found.pop("connection", None)
        found.update({"k8s.node.name": str(spec.get("nodeName") or ""),
                      "k8s.pod.start_time": str(status.get("startTime") or ""),
                      "k8s.pod.hostname": str(spec.get("hostname") or "")})
        found.update(self._owners(pod))
        if container:
            found.update(_container(pod, container))
        out = {k: v for k, v in found.items() if k in self._metadata and v}
        ns = self.namespaces.get(str(meta.get("namespace") or ""), {})
        for section, rules in (("labels", self._labels), ("annotations", self._annotations)):
            for rule in rules:
                source = _meta(ns if rule.from_ == "namespace" else pod).get(section) or {}
                out.update(_extract(rule, section, source))
        return out

    def _owners(self, pod: JSONObject) -> dict[str, str]:
        found: dict[str, str] = {}
        for kind, prefix in _OWNER_KINDS.items():
            ref = _owner(pod, kind)
            if ref is None:
                continue
            found[f"k8s.{prefix}.name"] = str(ref.get("name") or "")
            found[f"k8s.{prefix}.uid"] = str(ref.get("uid") or "")
            if kind == "ReplicaSet":
                rs = self.replicasets.get(str(ref.get("uid") or ""))
                deployment = None if rs is None else _owner(rs, "Deployment")
                if deployment is not None:
                    found["k8s.deployment.name"] = str(deployment.get("name") or "")
                    found["k8s.deployment.uid"] = str(deployment.get("uid") or "")
            if kind == "Job":
                cron = _CRONJOB_JOB.match(found["k8s.job.name"])
                if cron:
                    found["k8s.cronjob.name"] = cron.group(1)
        return found


def _container(pod: JSONObject, name: str) -> dict[str, str]:
    found = {"k8s.container.name": name}
    for c in (pod.get("spec") or {}).get("containers") or []:
        if isinstance(c, dict) and c.get("name") == name and c.get("image"):
            image = str(c["image"]).split("@")[0]
            repo, _, tag = image.rpartition(":")
            if not repo or "/" in tag:
                repo, tag = image, "latest"
            found.update({"container.image.name": repo, "container.image.tag": tag})
    for s in (pod.get("status") or {}).get("containerStatuses") or []:
        if isinstance(s, dict) and s.get("name") == name and s.get("containerID"):
            found["container.id"] = str(s["containerID"]).partition("://")[2]
    return found


def _extract(rule: FieldExtract, section: str, source: dict[str, Any]) -> dict[str, str]:
    default = f"k8s.{rule.from_}.{section}."
    if rule.key:
        if rule.key not in source:
            return {}
        return {rule.tag_name or default + rule.key: str(source[rule.key])}
    out = {}
    pattern = re.compile(rule.key_regex)
    for key, value in source.items():
        m = pattern.fullmatch(key)
        if m:
            tag = m.expand(re.sub(r"\$(\d+)", r"\\\1", rule.tag_name)) if rule.tag_name else ""
            out[tag or default + key] = str(value)
    return out
