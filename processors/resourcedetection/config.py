"""Configuration of the resourcedetection processor (the Collector's resourcedetectionprocessor
keys: detectors, timeout, override, attributes (deprecated), and per detector
``resource_attributes::<name>::enabled`` plus the system detector's hostname_sources)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from otelpy.config.lists import StringList
from otelpy.config.types import ConfigModel, Duration
from otelpy.goregex import compile_go
from otelpy.k8swatch import AuthType, K8sAPIConfig

# detector -> {attribute: enabled by default} (each detector's metadata.yaml in the Collector)
_CLOUD = {"cloud.provider": True, "cloud.platform": True, "cloud.region": True,
          "cloud.account.id": True}
CATALOG: dict[str, dict[str, bool]] = {
    "system": {"host.name": True, "host.id": False, "os.type": True, "os.description": False,
               "host.arch": False, "host.ip": False, "host.mac": False,
               "host.cpu.vendor.id": False, "host.cpu.family": False,
               "host.cpu.model.id": False, "host.cpu.model.name": False,
               "host.cpu.stepping": False, "host.cpu.cache.l2.size": False},
    "docker": {"host.name": True, "os.type": True},
    "ec2": {**_CLOUD, "cloud.availability_zone": True, "host.id": True, "host.image.id": True,
            "host.name": True, "host.type": True},
    "gcp": {**_CLOUD, "cloud.availability_zone": True, "host.id": True, "host.name": True,
            "host.type": True, "gcp.gce.instance.name": True,
            "gcp.gce.instance.hostname": True},
    "azure": {**_CLOUD, "host.name": True, "host.id": True, "azure.vm.name": True,
              "azure.vm.size": True, "azure.vm.scaleset.name": True,
              "azure.resourcegroup.name": True},
    "aks": {"cloud.provider": True, "cloud.platform": True},
    "k8snode": {"k8s.node.uid": True, "k8s.node.name": True},
    "eks": {"cloud.provider": True, "cloud.platform": True, "cloud.account.id": False,
            "cloud.region": False, "cloud.availability_zone": False, "host.name": False,
            "host.id": False, "host.image.id": False, "host.type": False,
            "k8s.cluster.name": False},
}
IMPLEMENTED = ("env", *CATALOG)
# detectors the Collector has and otelpy does not (refused by name at validation)
NOT_YET = {
    "k8s_api": "it reads the Kubernetes node API; not yet",
    **{name: "not yet" for name in (
        "ecs", "elasticbeanstalk", "lambda", "azurecontainerapps", "consul", "digitalocean",
        "heroku", "hetzner", "ibmcloud_classic", "ibmcloud_vpc", "openshift", "nova",
        "oraclecloud", "kubeadm", "akamai", "scaleway", "tencent_cvm", "upcloud", "vultr",
        "alibaba_ecs", "dynatrace", "azure_appservice", "azure_functions", "linode")},
}
# attributes the system detector cannot read without platform-specific code
_SYSTEM_NOT_SUPPORTED = ("host.ip", "host.mac", "host.cpu.vendor.id", "host.cpu.family",
                         "host.cpu.model.id", "host.cpu.model.name", "host.cpu.stepping",
                         "host.cpu.cache.l2.size")


class AttributeToggle(ConfigModel):
    enabled: bool = Field(description="Whether the detector sets this attribute.")


class DetectorSettings(ConfigModel):
    """Settings shared by every detector."""

    resource_attributes: dict[str, AttributeToggle] = Field(
        default_factory=dict, description="Per attribute: enabled true/false (defaults as in "
        "the Collector, listed in the README).")


class EnvSettings(ConfigModel):
    """The env detector has no settings."""


class SystemSettings(DetectorSettings):
    hostname_sources: list[Literal["dns", "os", "cname", "lookup"]] = Field(
        default_factory=list, description="Where host.name comes from, tried in order: dns "
        "(the FQDN), os (the kernel's host name), cname (the canonical name), lookup (reverse "
        "DNS of the host's addresses). Empty: [dns, os].")


class EC2Settings(DetectorSettings):
    tags: StringList = Field(default_factory=list, description="Regular expressions (RE2, "
                             "searched) of EC2 tag keys to add as ec2.tag.<key>, read with the "
                             "EC2 DescribeTags API (needs ec2:DescribeTags).")

    def patterns(self) -> tuple[re.Pattern[str], ...]:
        return tuple(compile_go(t) for t in self.tags)


class K8sNodeSettings(DetectorSettings, K8sAPIConfig):
    node_from_env_var: str = Field(
        "K8S_NODE_NAME", description="The environment variable holding this node's name "
        "(set it from the downward API: fieldRef spec.nodeName); empty = K8S_NODE_NAME.")


class EKSSettings(K8sNodeSettings):
    node_from_env_var: str = Field(
        "", description="The environment variable holding this node's name, read when EC2 "
        "metadata is unreachable (the node's spec.providerID names the instance).")
    auth_type: AuthType = Field(
        "serviceAccount", description="otelpy: how to reach the Kubernetes API (the "
        "Collector always uses the in-cluster service account).")


class ResourceDetectionConfig(ConfigModel):
    """``processors: resourcedetection:`` settings."""

    detectors: StringList = Field(
        default_factory=list, description="Detectors run (concurrently) at start; their "
        "results merge in this order, an earlier detector winning on a shared key.")
    override: bool = Field(default=True, description="Whether detected attributes replace "
                           "attributes the resource already has.")
    timeout: Duration = Field(default=5.0, description="How long detection may take in all; "
                              "a detector still running then is skipped.")
    attributes: StringList | None = Field(
        default=None, description="Deprecated: keep only these detected attributes (use "
        "resource_attributes toggles instead).")
    env: EnvSettings = Field(default_factory=EnvSettings,
                             description="env detector (OTEL_RESOURCE_ATTRIBUTES).")
    system: SystemSettings = Field(default_factory=SystemSettings,
                                   description="system detector.")
    docker: DetectorSettings = Field(default_factory=DetectorSettings,
                                     description="docker detector (Docker API /info).")
    ec2: EC2Settings = Field(default_factory=EC2Settings,
                             description="ec2 detector (IMDSv2).")
    gcp: DetectorSettings = Field(default_factory=DetectorSettings,
                                  description="gcp detector (GCE metadata server).")
    azure: DetectorSettings = Field(default_factory=DetectorSettings,
                                    description="azure detector (Azure IMDS).")
    aks: DetectorSettings = Field(default_factory=DetectorSettings,
                                  description="aks detector (Azure IMDS on Kubernetes).")
    k8snode: K8sNodeSettings = Field(default_factory=K8sNodeSettings,
                                     description="k8snode detector (the node object from "
                                                 "the Kubernetes API).")
    eks: EKSSettings = Field(default_factory=EKSSettings,
                             description="eks detector (Kubernetes API /version, EC2 "
                                         "metadata, EC2 DescribeInstances).")

    def validate_config(self) -> list[str]:
        problems: list[str] = []
        for i, name in enumerate(self.detectors):
            if name in NOT_YET:
                problems.append(f"detectors::{i}: not supported by otelpy: the {name} "
                                f"detector ({NOT_YET[name]})")
            elif name not in IMPLEMENTED:
                problems.append(f"detectors::{i}: invalid detector key: {name}")
        for name, known in CATALOG.items():
            settings: DetectorSettings = getattr(self, name)
            for attr in settings.resource_attributes:
                if attr not in known:
                    problems.append(f"{name}::resource_attributes::{attr}: unknown attribute "
                                    f"of the {name} detector (known: {', '.join(known)})")
        for attr in _SYSTEM_NOT_SUPPORTED:
            toggle = self.system.resource_attributes.get(attr)
            if toggle is not None and toggle.enabled:
                problems.append(f"system::resource_attributes::{attr}: not supported by "
                                "otelpy (enabled: true)")
        for i, tag in enumerate(self.ec2.tags):
            try:
                compile_go(tag)
            except re.error as exc:
                problems.append(f"ec2::tags::{i}: invalid regular expression {tag!r}: {exc}")
        if self.timeout <= 0:
            problems.append("timeout: must be positive")
        return problems

    def enabled(self, detector: str) -> frozenset[str]:
        """The attributes ``detector`` sets (its defaults with the toggles applied)."""
        settings: DetectorSettings = getattr(self, detector)
        return frozenset(attr for attr, default in CATALOG[detector].items()
                         if (settings.resource_attributes[attr].enabled
                             if attr in settings.resource_attributes else default))
