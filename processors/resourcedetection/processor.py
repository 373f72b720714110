"""The resourcedetection processor: detects resource attributes once at start and merges them
into the resource of every batch.

Detection runs at ``start`` (before receivers start, so no batch passes undetected): every
listed detector runs concurrently as a coroutine (blocking look-ups in threads), all bounded
by ``timeout``. A detector that fails or is still running at the timeout is logged and
skipped, and counted in ``otelcol_resourcedetection_detector_results{outcome="failure"}``;
results merge in the order of ``detectors``, an earlier detector winning on a shared key
(the Collector's ``MergeResource(res, detected, false)``). Each batch's resources then get
the merged attributes: replacing theirs with ``override: true`` (the default), only adding
missing keys otherwise.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from otelpy.component import ComponentBase, Host, Settings, Signal
from otelpy.consumer import Capabilities, Consumer
from otelpy.pdata import Batch, items
from otelpy.processors.resourcedetection.cloud import (
    IMDS,
    detect_aks,
    detect_azure,
    detect_ec2,
    detect_gcp,
)
from otelpy.processors.resourcedetection.config import ResourceDetectionConfig
from otelpy.processors.resourcedetection.kube import detect_eks, detect_k8snode
from otelpy.processors.resourcedetection.local import (
    DetectionError,
    detect_docker,
    detect_env,
    detect_system,
    docker_socket,
)

__all__ = ["Detection", "ResourceDetectionProcessor"]

Detect = Callable[[], Awaitable[dict[str, Any]]]


class Detection:
    """The detectors of one processor, run once; ``attributes`` holds the merged result."""

    def __init__(self, cfg: ResourceDetectionConfig, settings: Settings,
                 environ: Mapping[str, str], azure_base: str = IMDS) -> None:
        self.cfg, self.log = cfg, settings.logger
        self.attributes: dict[str, Any] = {}
        self.environ, self.azure_base = environ, azure_base
        self._results = settings.telemetry.counter(
            "otelcol_resourcedetection_detector_results",
            "Resource detection runs per detector and outcome",
            ["processor", "detector", "outcome"])
        self._processor = str(settings.id)

    def _detector(self, name: str) -> Detect:
        cfg, env, log = self.cfg, self.environ, self.log
        table: dict[str, Detect] = {
            "env": lambda: detect_env(env),
            "system": lambda: detect_system(list(cfg.system.hostname_sources),
                                            cfg.enabled("system"), log),
            "docker": lambda: detect_docker(docker_socket(env), cfg.enabled("docker")),
            "ec2": lambda: detect_ec2(env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT") or IMDS,
                                      cfg.enabled("ec2"), log, cfg.ec2.patterns(), env),
            "gcp": lambda: detect_gcp(env, cfg.enabled("gcp"), log),
            "azure": lambda: detect_azure(self.azure_base, cfg.enabled("azure"), log),
            "aks": lambda: detect_aks(self.azure_base, env, cfg.enabled("aks"), log),
            "k8snode": lambda: detect_k8snode(cfg.k8snode, env, cfg.enabled("k8snode")),
            "eks": lambda: detect_eks(cfg.eks, env,
                                      env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT") or IMDS,
                                      cfg.enabled("eks"), log),
        }
        return table[name]

    async def _one(self, name: str) -> dict[str, Any] | None:
        try:
            found = await self._detector(name)()
        except (DetectionError, OSError, ValueError) as exc:
            self.log.warning("failed to detect resource: detector %s: %s", name, exc)
            self._count(name, "failure")
            return None
        self._count(name, "success")
        return found

    def _count(self, name: str, outcome: str) -> None:
        self._results.labels(processor=self._processor, detector=name, outcome=outcome).inc()

    async def run(self) -> dict[str, Any]:
        """Run every detector within the timeout; merge in detector order (first wins)."""
        names = list(dict.fromkeys(self.cfg.detectors))
        tasks = [asyncio.create_task(self._one(name), name=f"resourcedetection-{name}")
                 for name in names]
        self.log.info("began detecting resource information")
        done, pending = await asyncio.wait(tasks, timeout=self.cfg.timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        merged: dict[str, Any] = {}
        for name, task in zip(names, tasks, strict=True):
            if task in pending:
                self.log.warning("failed to detect resource: detector %s: timed out after "
                                 "%gs", name, self.cfg.timeout)
                self._count(name, "failure")
                continue
            for key, value in (task.result() or {}).items():
                merged.setdefault(key, value)
        if self.cfg.attributes is not None:
            merged = {k: v for k, v in merged.items() if k in self.cfg.attributes}
        self.attributes = merged
        self.log.info("detected resource information: %s", merged)
        return merged


class ResourceDetectionProcessor(Consumer, ComponentBase):
    """One instance per pipeline it appears in."""

    capabilities = Capabilities(mutates_data=True)

    def __init__(self, settings: Settings, cfg: ResourceDetectionConfig, signal: Signal,
                 next_consumer: Consumer, environ: Mapping[str, str] | None = None) -> None:
        self._detection = Detection(cfg, settings, os.environ if environ is None else environ)
        self._override = cfg.override
        self._forward: Callable[[Batch], Awaitable[None]] = getattr(
            next_consumer, f"consume_{signal.value}")
        if cfg.attributes is not None:
            settings.logger.warning("resourcedetection: attributes is deprecated; use "
                                    "<detector>::resource_attributes instead")

    @property
    def detected(self) -> dict[str, Any]:
        return dict(self._detection.attributes)

    async def start(self, host: Host) -> None:
        await self._detection.run()

    def process(self, request: Any) -> None:
        detected = self._detection.attributes
        if not detected:
            return
        for item in items.resources(request):
            attrs = item.attributes
            for key, value in detected.items():
                if self._override or key not in attrs:
                    attrs[key] = value

    async def _consume(self, batch: Batch) -> None:
        if self._detection.attributes:
            self.process(batch.mutable_message())
        await self._forward(batch)

    async def consume_traces(self, batch: Batch) -> None:
        await self._consume(batch)

    async def consume_metrics(self, batch: Batch) -> None:
        await self._consume(batch)

    async def consume_logs(self, batch: Batch) -> None:
        await self._consume(batch)


