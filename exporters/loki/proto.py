"""Loki's push API messages (``pkg/push/push.proto``, package ``logproto``), declared field
by field in a private descriptor pool (:mod:`otelpy.protoschema`)."""

from __future__ import annotations

from typing import Any

from otelpy.protoschema import ProtoFile


def _build() -> dict[str, Any]:
    schema = ProtoFile("logproto", "pkg/push/push.proto")
    schema.message("LabelPairAdapter", [("name", 1, "string"), ("value", 2, "string")])
    schema.message("EntryAdapter", [("timestamp", 1, ".google.protobuf.Timestamp"),
                                    ("line", 2, "string"),
                                    ("structuredMetadata", 3, "LabelPairAdapter", "repeated")])
    schema.message("StreamAdapter", [("labels", 1, "string"),
                                     ("entries", 2, "EntryAdapter", "repeated"),
                                     ("hash", 3, "uint64")])
    schema.message("PushRequest", [("streams", 1, "StreamAdapter", "repeated")])
    return schema.build()


_CLASSES = _build()
PushRequest: Any = _CLASSES["PushRequest"]
StreamAdapter: Any = _CLASSES["StreamAdapter"]
EntryAdapter: Any = _CLASSES["EntryAdapter"]

__all__ = ["EntryAdapter", "PushRequest", "StreamAdapter"]
