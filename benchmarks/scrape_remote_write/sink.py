"""Remote-write sink for the scrape_remote_write benchmark: POST /api/v1/write (snappy
protobuf), answers 204 and counts samples (protobuf runtime parse, labels skipped);
GET /count -> {"samples": n, "requests": n, "series": n}. Its CPU is not charged to anyone.
"""

from __future__ import annotations

import argparse
import json

import cramjam
import uvloop
from aiohttp import web
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_F = descriptor_pb2.FieldDescriptorProto


def _write_request() -> type:
    fd = descriptor_pb2.FileDescriptorProto(name="bench_prompb.proto", package="bench",
                                            syntax="proto3")
    sample = fd.message_type.add(name="Sample")
    sample.field.add(name="value", number=1, type=_F.TYPE_DOUBLE, label=_F.LABEL_OPTIONAL)
    sample.field.add(name="timestamp", number=2, type=_F.TYPE_INT64, label=_F.LABEL_OPTIONAL)
    series = fd.message_type.add(name="TimeSeries")
    series.field.add(name="samples", number=2, type=_F.TYPE_MESSAGE, label=_F.LABEL_REPEATED,
                     type_name=".bench.Sample")
    request = fd.message_type.add(name="WriteRequest")
    request.field.add(name="timeseries", number=1, type=_F.TYPE_MESSAGE,
                      label=_F.LABEL_REPEATED, type_name=".bench.TimeSeries")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("bench.WriteRequest"))


WriteRequest = _write_request()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    args = p.parse_args()
    stats = {"samples": 0, "requests": 0, "series": 0}

    async def write(request: web.Request) -> web.Response:
        raw = bytes(cramjam.snappy.decompress_raw(await request.read()))
        req = WriteRequest.FromString(raw)
        stats["requests"] += 1
        stats["series"] += len(req.timeseries)
        stats["samples"] += sum(len(ts.samples) for ts in req.timeseries)
        return web.Response(status=204)

    async def count(request: web.Request) -> web.Response:
        return web.Response(text=json.dumps(stats), content_type="application/json")

    app = web.Application(client_max_size=256 << 20)
    app.router.add_post("/api/v1/write", write)
    app.router.add_get("/count", count)
    uvloop.install()
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
