"""Protobuf message classes from a schema written in Python, in a private descriptor pool.

For small third-party schemas (Jaeger's ``api_v2`` model, Zipkin's ``zipkin.proto``) whose
generated code would tie otelpy to one protoc version: the schema is declared here field by
field (names, numbers and types as in the published ``.proto``), built into a
``FileDescriptorProto`` and loaded into a pool of its own, so it never clashes with another
copy of the same ``.proto`` a user's process may have loaded.

    schema = ProtoFile("zipkin.proto3", "zipkin.proto")
    schema.message("Annotation", [("timestamp", 1, "fixed64"), ("value", 2, "string")])
    classes = schema.build()          # {"Annotation": <class>, ...}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    duration_pb2,
    message_factory,
    timestamp_pb2,
)

__all__ = ["ProtoFile"]

_F = descriptor_pb2.FieldDescriptorProto
_SCALARS = {
    "string": _F.TYPE_STRING, "bytes": _F.TYPE_BYTES, "bool": _F.TYPE_BOOL,
    "int32": _F.TYPE_INT32, "int64": _F.TYPE_INT64, "uint32": _F.TYPE_UINT32,
    "uint64": _F.TYPE_UINT64, "fixed64": _F.TYPE_FIXED64, "double": _F.TYPE_DOUBLE,
}
_WELL_KNOWN = {".google.protobuf.Timestamp": timestamp_pb2.DESCRIPTOR,
               ".google.protobuf.Duration": duration_pb2.DESCRIPTOR}

# (name, number, type) or (name, number, type, "repeated"); type is a scalar name, a
# message or enum name ("Span", ".google.protobuf.Timestamp"), or "enum:Name" for an enum
Field = tuple[str, int, str] | tuple[str, int, str, str]


class ProtoFile:
    """One proto3 file: messages, enums, then :meth:`build`."""

    def __init__(self, package: str, name: str) -> None:
        self._file = descriptor_pb2.FileDescriptorProto(name=name, package=package,
                                                        syntax="proto3")
        self._deps: set[Any] = set()

    def enum(self, name: str, values: Sequence[str], parent: str | None = None) -> None:
        """An enum numbered 0.. in ``values`` order, top-level or nested in ``parent``."""
        holder = self._message_proto(parent) if parent else self._file
        enum = holder.enum_type.add(name=name)
        for number, value in enumerate(values):
            enum.value.add(name=value, number=number)

    def message(self, name: str, fields: Sequence[Field],
                maps: Sequence[tuple[str, int]] = ()) -> None:
        """A message; ``maps`` are ``map<string, string>`` fields (name, number)."""
        msg = self._file.message_type.add(name=name)
        for spec in fields:
            self._field(msg, spec)
        for field_name, number in maps:
            entry = "".join(p.capitalize() for p in field_name.split("_")) + "Entry"
            nested = msg.nested_type.add(name=entry)
            nested.options.map_entry = True
            nested.field.add(name="key", number=1, type=_F.TYPE_STRING, label=_F.LABEL_OPTIONAL)
            nested.field.add(name="value", number=2, type=_F.TYPE_STRING,
                             label=_F.LABEL_OPTIONAL)
            msg.field.add(name=field_name, number=number, type=_F.TYPE_MESSAGE,
                          label=_F.LABEL_REPEATED,
                          type_name=f".{self._file.package}.{name}.{entry}")

    def _message_proto(self, name: str) -> Any:
        return next(m for m in self._file.message_type if m.name == name)

    def _field(self, msg: Any, spec: Field) -> None:
        name, number, type_name = spec[0], spec[1], spec[2]
        label = _F.LABEL_REPEATED if len(spec) == 4 else _F.LABEL_OPTIONAL
        field = msg.field.add(name=name, number=number, label=label)
        if type_name in _SCALARS:
            field.type = _SCALARS[type_name]
        elif type_name.startswith("enum:"):
            field.type = _F.TYPE_ENUM
            field.type_name = f".{self._file.package}.{type_name[5:]}"
        elif type_name in _WELL_KNOWN:
            field.type = _F.TYPE_MESSAGE
            field.type_name = type_name
            self._deps.add(_WELL_KNOWN[type_name])
        else:
            field.type = _F.TYPE_MESSAGE
            field.type_name = f".{self._file.package}.{type_name}"

    def build(self) -> dict[str, Any]:
        """The message classes by name (nested ones as ``Outer.Inner``)."""
        pool = descriptor_pool.DescriptorPool()
        for dep in sorted(self._deps, key=lambda d: d.name):
            dep_proto = descriptor_pb2.FileDescriptorProto()
            dep.CopyToProto(dep_proto)
            pool.Add(dep_proto)
            self._file.dependency.append(dep.name)
        pool.Add(self._file)
        out: dict[str, Any] = {}
        for msg in self._file.message_type:
            desc = pool.FindMessageTypeByName(f"{self._file.package}.{msg.name}")
            out[msg.name] = message_factory.GetMessageClass(desc)
        return out
