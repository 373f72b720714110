'use strict';
// A client -> server HTTP call inside this Node process, traced by hand with the SDK's
// global W3C propagator (no instrumentation package is installed): the client span
// injects traceparent/tracestate into the request, the server extracts them and
// continues the trace with a SERVER span and an INTERNAL child. Same arguments and
// record file as the other senders.
const http = require('http');
const api = require('@opentelemetry/api');
const { NodeTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-node');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { ProtobufTraceSerializer } = require('@opentelemetry/otlp-transformer');
const { parseArgs, recordExports, finish, run } = require('./record');

const { SpanKind, SpanStatusCode, trace, context, propagation } = api;
const args = parseArgs();
const { OTLPTraceExporter } = require(`@opentelemetry/exporter-trace-otlp-${args.transport}`);

function serve(tracer) {
  return http.createServer((req, res) => {
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer.startSpan('GET /work', { kind: SpanKind.SERVER, attributes: {
      'http.request.method': req.method, 'url.path': req.url,
      'test.traceparent': String(req.headers.traceparent || '') } }, parent);
    context.with(trace.setSpan(parent, span), () => {
      const work = tracer.startSpan('server-work', { attributes: { 'work.items': 3 } });
      work.addEvent('work.done', { 'work.ok': true });
      work.end();
      res.writeHead(201, { 'content-type': 'text/plain' });
      res.end('ok');
      span.setAttribute('http.response.status_code', 201);
      span.end();
    });
  });
}

function call(tracer, port) {
  const span = tracer.startSpan('GET', { kind: SpanKind.CLIENT, attributes: {
    'http.request.method': 'GET', 'server.port': port } });
  const ctx = trace.setSpan(context.active(), span);
  const headers = {};
  propagation.inject(ctx, headers);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/work', headers }, (res) => {
      res.resume();
      res.on('end', () => {
        span.setAttribute('http.response.status_code', res.statusCode);
        span.setStatus({ code: res.statusCode === 201 ? SpanStatusCode.OK : SpanStatusCode.ERROR });
        span.end();
        resolve();
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function main() {
  const exporter = new OTLPTraceExporter({ url: args.url });
  const rec = recordExports(exporter, (spans) => ProtobufTraceSerializer.serializeRequest(spans));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'otelpy-it-node-http', 'test.run': args.run,
      'test.transport': args.transport,
    }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 100 })],
  });
  provider.register(); // the global W3C trace-context + baggage propagator and context manager
  const tracer = provider.getTracer('otelpy-it-node-http', '0.1.0');
  const server = serve(tracer);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const root = tracer.startSpan('checkout', { kind: SpanKind.INTERNAL });
  await context.with(trace.setSpan(context.active(), root), () =>
    call(tracer, server.address().port));
  root.end();
  await new Promise((resolve) => server.close(resolve));
  await provider.forceFlush();
  await provider.shutdown();
  finish(rec, args.out);
}

run(main);
