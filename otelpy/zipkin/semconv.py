"""Tag keys the Collector's Zipkin translator treats as resource attributes (semantic
conventions v1.6.1 resource attributes plus its own markers)."""

from __future__ import annotations

_RESOURCE = """
cloud.provider cloud.account.id cloud.region cloud.availability_zone cloud.platform
aws.ecs.container.arn aws.ecs.cluster.arn aws.ecs.launchtype aws.ecs.task.arn
aws.ecs.task.family aws.ecs.task.revision aws.eks.cluster.arn aws.log.group.names
aws.log.group.arns aws.log.stream.names aws.log.stream.arns container.name container.id
container.runtime container.image.name container.image.tag deployment.environment device.id
device.model.identifier device.model.name faas.name faas.id faas.version faas.instance
faas.max_memory host.id host.name host.type host.arch host.image.name host.image.id
host.image.version k8s.cluster.name k8s.node.name k8s.node.uid k8s.namespace.name k8s.pod.uid
k8s.pod.name k8s.container.name k8s.container.restart_count k8s.replicaset.uid
k8s.replicaset.name k8s.deployment.uid k8s.deployment.name k8s.statefulset.uid
k8s.statefulset.name k8s.daemonset.uid k8s.daemonset.name k8s.job.uid k8s.job.name
k8s.cronjob.uid k8s.cronjob.name os.type os.description os.name os.version process.pid
process.executable.name process.executable.path process.command process.command_line
process.command_args process.owner process.runtime.name process.runtime.version
process.runtime.description service.name service.namespace service.instance.id
service.version telemetry.sdk.name telemetry.sdk.language telemetry.sdk.version
telemetry.auto.version webengine.name webengine.version webengine.description
"""

NON_SPAN_ATTRIBUTES = frozenset(_RESOURCE.split()) | {
    "otlp.service.name.source", "otel.library.name", "otel.library.version",
    "opencensus.starttime", "opencensus.exporterversion", "opencensus.resourcetype"}
