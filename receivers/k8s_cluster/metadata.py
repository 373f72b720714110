"""The Collector's k8s_cluster receiver metrics and resource attributes (its metadata.yaml
and the node sub-package's): names, units, value types, default toggles."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["METRICS", "RESOURCE_ATTRIBUTES", "SCOPE", "MetricDef"]

SCOPE = "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/k8sclusterreceiver"
_RR = ("See https://kubernetes.io/docs/reference/generated/kubernetes-api/v1.23/"
       "#resourcerequirements-v1-core for details")
_AVAILABLE = "Total number of available pods (ready for at least minReadySeconds) targeted by "


@dataclass(frozen=True)
class MetricDef:
    name: str
    unit: str
    description: str
    double: bool = False
    enabled: bool = True


def _m(name: str, unit: str, description: str, double: bool = False,
       enabled: bool = True) -> MetricDef:
    return MetricDef(name, unit, description, double, enabled)


METRICS: list[MetricDef] = [
    _m("k8s.container.cpu_request", "{cpu}", "Resource requested for the container. " + _RR,
       double=True),
    _m("k8s.container.cpu_limit", "{cpu}",
       "Maximum resource limit set for the container. " + _RR, double=True),
    _m("k8s.container.memory_request", "By", "Resource requested for the container. " + _RR),
    _m("k8s.container.memory_limit", "By",
       "Maximum resource limit set for the container. " + _RR),
    _m("k8s.container.storage_request", "By", "Resource requested for the container. " + _RR),
    _m("k8s.container.storage_limit", "By",
       "Maximum resource limit set for the container. " + _RR),
    _m("k8s.container.ephemeralstorage_request", "By",
       "Resource requested for the container. " + _RR),
    _m("k8s.container.ephemeralstorage_limit", "By",
       "Maximum resource limit set for the container. " + _RR),
    _m("k8s.container.restarts", "{restart}",
       "How many times the container has restarted in the recent past (from the API; can "
       "be reset to 0 when the kubelet prunes dead containers)."),
    _m("k8s.container.ready", "",
       "Whether a container has passed its readiness probe (0 for no, 1 for yes)"),
    _m("k8s.pod.phase", "", "Current phase of the pod (1 - Pending, 2 - Running, "
                            "3 - Succeeded, 4 - Failed, 5 - Unknown)"),
    _m("k8s.pod.status_reason", "",
       "Current status reason of the pod (1 - Evicted, 2 - NodeAffinity, 3 - NodeLost, "
       "4 - Shutdown, 5 - UnexpectedAdmissionError, 6 - Unknown)", enabled=False),
    _m("k8s.deployment.desired", "{pod}", "Number of desired pods in this deployment"),
    _m("k8s.deployment.available", "{pod}", _AVAILABLE + "this deployment"),
    _m("k8s.cronjob.active_jobs", "{job}", "The number of actively running jobs for a cronjob"),
    _m("k8s.daemonset.current_scheduled_nodes", "{node}",
       "Number of nodes that are running at least 1 daemon pod and are supposed to run the "
       "daemon pod"),
    _m("k8s.daemonset.desired_scheduled_nodes", "{node}",
       "Number of nodes that should be running the daemon pod (including nodes currently "
       "running the daemon pod)"),
    _m("k8s.daemonset.misscheduled_nodes", "{node}",
       "Number of nodes that are running the daemon pod, but are not supposed to run the "
       "daemon pod"),
    _m("k8s.daemonset.ready_nodes", "{node}",
       "Number of nodes that should be running the daemon pod and have one or more of the "
       "daemon pod running and ready"),
    _m("k8s.hpa.max_replicas", "{pod}",
       "Maximum number of replicas to which the autoscaler can scale up."),
    _m("k8s.hpa.min_replicas", "{pod}",
       "Minimum number of replicas to which the autoscaler can scale up."),
    _m("k8s.hpa.current_replicas", "{pod}",
       "Current number of pod replicas managed by this autoscaler."),
    _m("k8s.hpa.desired_replicas", "{pod}",
       "Desired number of pod replicas managed by this autoscaler."),
    _m("k8s.job.active_pods", "{pod}", "The number of actively running pods for a job"),
    _m("k8s.job.desired_successful_pods", "{pod}",
       "The desired number of successfully finished pods the job should be run with"),
    _m("k8s.job.failed_pods", "{pod}", "The number of pods which reached phase Failed for a job"),
    _m("k8s.job.max_parallel_pods", "{pod}",
       "The max desired number of pods the job should run at any given time"),
    _m("k8s.job.successful_pods", "{pod}",
       "The number of pods which reached phase Succeeded for a job"),
    _m("k8s.namespace.phase", "",
       "The current phase of namespaces (1 for active and 0 for terminating)"),
    _m("k8s.replicaset.desired", "{pod}", "Number of desired pods in this replicaset"),
    _m("k8s.replicaset.available", "{pod}", _AVAILABLE + "this replicaset"),
    _m("k8s.replication_controller.desired", "{pod}",
       "Number of desired pods in this replication_controller"),
    _m("k8s.replication_controller.available", "{pod}",
       _AVAILABLE + "this replication_controller"),
    _m("k8s.resource_quota.hard_limit", "{resource}",
       "The upper limit for a particular resource in a specific namespace (attribute "
       "resource; CPU in millicores)"),
    _m("k8s.resource_quota.used", "{resource}",
       "The usage for a particular resource in a specific namespace (attribute resource; "
       "CPU in millicores)"),
    _m("k8s.statefulset.desired_pods", "{pod}",
       "Number of desired pods in the stateful set (the `spec.replicas` field)"),
    _m("k8s.statefulset.ready_pods", "{pod}",
       "Number of pods created by the stateful set that have the `Ready` condition"),
    _m("k8s.statefulset.current_pods", "{pod}",
       "The number of pods created by the StatefulSet controller from the StatefulSet version"),
    _m("k8s.statefulset.updated_pods", "{pod}",
       "Number of pods created by the StatefulSet controller from the StatefulSet version"),
    _m("k8s.node.condition", "{condition}",
       "The condition of a particular Node (attribute condition; 1 true, 0 false, -1 unknown)",
       enabled=False),
]

#: (name, enabled by default, description)
RESOURCE_ATTRIBUTES: list[tuple[str, bool, str]] = [
    ("k8s.namespace.uid", True, "The k8s namespace uid."),
    ("k8s.namespace.name", True, "The k8s namespace name."),
    ("k8s.node.uid", True, "The k8s node uid."),
    ("k8s.node.name", True, "The k8s node name."),
    ("container.id", True, "The container id (the runtime prefix such as containerd:// cut)."),
    ("container.image.name", True, "The container image name."),
    ("container.image.tag", True, "The container image tag."),
    ("k8s.container.name", True, "The k8s container name."),
    ("k8s.pod.name", True, "The k8s pod name."),
    ("k8s.pod.uid", True, "The k8s pod uid."),
    ("k8s.pod.qos_class", False, "The k8s pod qos class: Guaranteed, Burstable, BestEffort."),
    ("k8s.replicaset.name", True, "The k8s replicaset name."),
    ("k8s.replicaset.uid", True, "The k8s replicaset uid."),
    ("k8s.replicationcontroller.name", True, "The k8s replicationcontroller name."),
    ("k8s.replicationcontroller.uid", True, "The k8s replicationcontroller uid."),
    ("k8s.resourcequota.uid", True, "The k8s resourcequota uid."),
    ("k8s.resourcequota.name", True, "The k8s resourcequota name."),
    ("k8s.statefulset.uid", True, "The k8s statefulset uid."),
    ("k8s.statefulset.name", True, "The k8s statefulset name."),
    ("k8s.deployment.uid", True, "The UID of the Deployment."),
    ("k8s.deployment.name", True, "The name of the Deployment."),
    ("k8s.cronjob.uid", True, "The k8s CronJob uid."),
    ("k8s.cronjob.name", True, "The k8s CronJob name."),
    ("k8s.daemonset.name", True, "The k8s daemonset name."),
    ("k8s.daemonset.uid", True, "The k8s daemonset uid."),
    ("k8s.hpa.uid", True, "The k8s hpa uid."),
    ("k8s.hpa.name", True, "The k8s hpa name."),
    ("k8s.job.name", True, "The k8s job name."),
    ("k8s.job.uid", True, "The k8s job uid."),
    ("k8s.kubelet.version", False, "The version of Kubelet running on the node."),
    ("container.runtime", False, "The container runtime used by Kubernetes Node."),
    ("container.runtime.version", False, "The version of container runtime used by the Node."),
    ("os.description", False, "The os description used by Kubernetes Node."),
    ("os.type", False, "The os type used by Kubernetes Node."),
    ("k8s.container.status.last_terminated_reason", False,
     "Last terminated reason of a container."),
]
