"""A prometheus_client application for scrape tests: a counter with an exemplar, a histogram
with exemplars, a summary and a gauge, served on the port given as argv[1] (OpenMetrics when
the scraper asks for it). ``/metrics`` values grow by one step per request."""

from __future__ import annotations

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Summary
from prometheus_client.exposition import choose_encoder

REGISTRY = CollectorRegistry()
REQUESTS = Counter("shop_requests", "Requests served.", ["route"], registry=REGISTRY)
LATENCY = Histogram("shop_latency_seconds", "Latency.", buckets=(0.1, 0.5, 1.0),
                    registry=REGISTRY)
SIZES = Summary("shop_payload_bytes", "Payload sizes.", registry=REGISTRY)
QUEUE = Gauge("shop_queue_depth", "Items queued.", registry=REGISTRY)
REQUESTS.labels("/cart")  # created now: its _created is before any scrape
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        REQUESTS.labels("/cart").inc(1, exemplar={"trace_id": TRACE, "span_id": "00f067aa0ba902b7"})
        LATENCY.observe(0.3, exemplar={"trace_id": TRACE})
        SIZES.observe(512)
        QUEUE.set(7)
        encoder, content_type = choose_encoder(self.headers.get("Accept", ""))
        body = encoder(REGISTRY)
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
