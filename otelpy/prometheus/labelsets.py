"""The label set of a data point, shared by the series store (pull) and remote write (push).

Labels, by increasing precedence:

1. ``external`` labels (remote write's ``external_labels``): only where nothing else sets
   the name;
2. resource attributes, when ``resource_to_telemetry`` (without ``service.name``,
   ``service.namespace`` and ``service.instance.id`` when ``exclude_service_attributes``);
3. the point's attributes; names that collide after sanitizing are joined with ``;`` in
   the order of the original keys, as the specification asks;
4. ``otel_scope_<attribute>``, ``otel_scope_name``, ``otel_scope_version``,
   ``otel_scope_schema_url`` (unless ``without_scope_info``);
5. ``job`` (``service.namespace/service.name``) and ``instance`` (``service.instance.id``);
6. ``const`` labels (the prometheus exporter's ``const_labels``).

The resource's own label set (for ``target_info``) is every resource attribute but the
three service keys, plus ``job`` and ``instance``.
"""

from __future__ import annotations

from typing import Any

from otelpy.pdata.values import Attributes
from otelpy.prometheus.labels import label_value
from otelpy.prometheus.naming import LabelNamer

__all__ = ["LabelContext", "LabelMaker", "SERVICE_KEYS"]

SERVICE_KEYS = ("service.name", "service.namespace", "service.instance.id")


class LabelContext:
    """What every point of one (resource, scope) envelope pair shares."""

    __slots__ = ("base", "resource_attrs", "resource", "job_instance")

    def __init__(self, base: list[tuple[str, str]], resource_attrs: dict[str, str],
                 resource: dict[str, str], job_instance: list[tuple[str, str]]) -> None:
        self.base = base                      # scope labels, job/instance, const labels
        self.resource_attrs = resource_attrs  # sanitized names, with resource_to_telemetry
        self.resource = resource              # every resource attribute, as label values
        self.job_instance = job_instance


class LabelMaker:
    """Builds label sets as (name, value) mappings; one per store or exporter."""

    def __init__(self, *, resource_to_telemetry: bool = False,
                 exclude_service_attributes: bool = False, without_scope_info: bool = False,
                 const: tuple[tuple[str, str], ...] = (),
                 external: tuple[tuple[str, str], ...] = ()) -> None:
        self.namer = LabelNamer()
        self.resource_to_telemetry = resource_to_telemetry
        self.exclude_service_attributes = exclude_service_attributes
        self.without_scope_info = without_scope_info
        self.const = const
        self.external = dict(external)

    def name(self, key: str) -> str:
        """The label name of an attribute key (raises NameError_ for an unusable one)."""
        return self.namer.build(key)

    def context(self, item: Any) -> LabelContext:
        """The shared labels of ``item``'s resource and scope (an ``items.PointItem``)."""
        resource = {k: label_value(v) for k, v in item.resource_attributes.items()}
        base: list[tuple[str, str]] = []
        if not self.without_scope_info:
            scope = item.scope.scope
            for key, value in item.scope_attributes.items():
                base.append((self.name("otel_scope_" + key), label_value(value)))
            base += [("otel_scope_name", scope.name), ("otel_scope_version", scope.version),
                     ("otel_scope_schema_url", item.scope.schema_url)]
        job_instance = job_and_instance(resource)
        base += job_instance
        base += self.const
        converted = {}
        if self.resource_to_telemetry:
            converted = {self.name(k): v for k, v in resource.items()
                         if not (self.exclude_service_attributes and k in SERVICE_KEYS)}
        return LabelContext(base, converted, resource, job_instance)

    def point_labels(self, item: Any, ctx: LabelContext) -> dict[str, str]:
        """The label set of ``item``'s data point (without ``__name__``)."""
        return self.labels_of(item.point.attributes, ctx)

    def labels_of(self, attributes: Any, ctx: LabelContext) -> dict[str, str]:
        """The label set of a data point with ``attributes`` (its repeated ``KeyValue``)."""
        merged = dict(self.external) if self.external else {}
        if ctx.resource_attrs:
            merged.update(ctx.resource_attrs)
        own: dict[str, list[tuple[str, str]]] = {}
        for key, value in Attributes(attributes).items():
            name = self.name(key)
            if name in own:
                own[name].append((key, label_value(value)))
            else:
                own[name] = [(key, label_value(value))]
        for name, entries in own.items():
            merged[name] = entries[0][1] if len(entries) == 1 else \
                ";".join(v for _, v in sorted(entries))
        merged.update(ctx.base)
        return merged

    def resource_labels(self, ctx: LabelContext) -> dict[str, str]:
        """The resource's ``target_info`` labels: its attributes but the service keys
        (colliding names joined with ``;``), ``job`` and ``instance``."""
        joined: dict[str, str] = {}
        for key, value in ctx.resource.items():
            if key in SERVICE_KEYS:
                continue
            name = self.name(key)
            joined[name] = f"{joined[name]};{value}" if name in joined else value
        joined.update(ctx.job_instance)
        return joined


def job_and_instance(resource: dict[str, str]) -> list[tuple[str, str]]:
    """``job`` and ``instance`` from the service attributes (each only when present)."""
    out = []
    name = resource.get("service.name")
    if name is not None:
        space = resource.get("service.namespace")
        out.append(("job", f"{space}/{name}" if space is not None else name))
    instance = resource.get("service.instance.id")
    if instance is not None:
        out.append(("instance", instance))
    return out
