"""Message classes of ``prometheus.WriteRequest`` built by the protobuf runtime from a
descriptor written out of prompb/remote.proto and prompb/types.proto (field numbers and
types as there), to check otelpy's hand-written encoder and decoder against."""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_F = descriptor_pb2.FieldDescriptorProto
_OPT, _REP = _F.LABEL_OPTIONAL, _F.LABEL_REPEATED

# message -> [(name, number, type, label, type_name)]
_MESSAGES: dict[str, list[tuple[str, int, int, int, str]]] = {
    "Label": [("name", 1, _F.TYPE_STRING, _OPT, ""), ("value", 2, _F.TYPE_STRING, _OPT, "")],
    "Sample": [("value", 1, _F.TYPE_DOUBLE, _OPT, ""), ("timestamp", 2, _F.TYPE_INT64, _OPT, "")],
    "Exemplar": [("labels", 1, _F.TYPE_MESSAGE, _REP, ".prometheus.Label"),
                 ("value", 2, _F.TYPE_DOUBLE, _OPT, ""),
                 ("timestamp", 3, _F.TYPE_INT64, _OPT, "")],
    "BucketSpan": [("offset", 1, _F.TYPE_SINT32, _OPT, ""),
                   ("length", 2, _F.TYPE_UINT32, _OPT, "")],
    "Histogram": [("count_int", 1, _F.TYPE_UINT64, _OPT, ""),
                  ("count_float", 2, _F.TYPE_DOUBLE, _OPT, ""),
                  ("sum", 3, _F.TYPE_DOUBLE, _OPT, ""), ("schema", 4, _F.TYPE_SINT32, _OPT, ""),
                  ("zero_threshold", 5, _F.TYPE_DOUBLE, _OPT, ""),
                  ("zero_count_int", 6, _F.TYPE_UINT64, _OPT, ""),
                  ("zero_count_float", 7, _F.TYPE_DOUBLE, _OPT, ""),
                  ("negative_spans", 8, _F.TYPE_MESSAGE, _REP, ".prometheus.BucketSpan"),
                  ("negative_deltas", 9, _F.TYPE_SINT64, _REP, ""),
                  ("negative_counts", 10, _F.TYPE_DOUBLE, _REP, ""),
                  ("positive_spans", 11, _F.TYPE_MESSAGE, _REP, ".prometheus.BucketSpan"),
                  ("positive_deltas", 12, _F.TYPE_SINT64, _REP, ""),
                  ("positive_counts", 13, _F.TYPE_DOUBLE, _REP, ""),
                  ("reset_hint", 14, _F.TYPE_INT32, _OPT, ""),
                  ("timestamp", 15, _F.TYPE_INT64, _OPT, "")],
    "TimeSeries": [("labels", 1, _F.TYPE_MESSAGE, _REP, ".prometheus.Label"),
                   ("samples", 2, _F.TYPE_MESSAGE, _REP, ".prometheus.Sample"),
                   ("exemplars", 3, _F.TYPE_MESSAGE, _REP, ".prometheus.Exemplar"),
                   ("histograms", 4, _F.TYPE_MESSAGE, _REP, ".prometheus.Histogram")],
    "MetricMetadata": [("type", 1, _F.TYPE_INT32, _OPT, ""),
                       ("metric_family_name", 2, _F.TYPE_STRING, _OPT, ""),
                       ("help", 4, _F.TYPE_STRING, _OPT, ""),
                       ("unit", 5, _F.TYPE_STRING, _OPT, "")],
    "WriteRequest": [("timeseries", 1, _F.TYPE_MESSAGE, _REP, ".prometheus.TimeSeries"),
                     ("metadata", 3, _F.TYPE_MESSAGE, _REP, ".prometheus.MetricMetadata")],
}


def _classes() -> dict[str, Any]:
    fd = descriptor_pb2.FileDescriptorProto(name="otelpy_test_prompb.proto",
                                            package="prometheus", syntax="proto3")
    for name, fields in _MESSAGES.items():
        msg = fd.message_type.add(name=name)
        for fname, number, ftype, label, type_name in fields:
            f = msg.field.add(name=fname, number=number, type=ftype, label=label)
            if type_name:
                f.type_name = type_name
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    return {name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"prometheus.{name}"))
            for name in _MESSAGES}


PB = _classes()
