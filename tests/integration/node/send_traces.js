'use strict';
// Sends five spans covering every span feature the Node SDK has: all attribute value
// types, events (with an exception), links, status, kinds, a remote parent with tracestate.
const api = require('@opentelemetry/api');
const { NodeTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-node');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { ProtobufTraceSerializer } = require('@opentelemetry/otlp-transformer');
const { parseArgs, recordExports, finish, run } = require('./record');

const { SpanKind, SpanStatusCode, TraceFlags, trace, context } = api;
const args = parseArgs();
const { OTLPTraceExporter } = require(`@opentelemetry/exporter-trace-otlp-${args.transport}`);

const SPAN_ATTRS = {
  'str': 'hello ünïcode ✓ "quoted" \\ slash',
  'str.empty': '',
  'int': 42,
  'int.negative': -7,
  'int.max_safe': 9007199254740991,
  'double': 3.25,
  'double.negative': -0.5,
  'bool.true': true,
  'bool.false': false,
  'array.str': ['a', 'b', ''],
  'array.int': [1, 2, 3],
  'array.double': [1.5, 2.5],
  'array.bool': [true, false],
};
const REMOTE_PARENT = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
  traceState: api.createTraceState('vendor1=alpha,vendor2=beta'),
};

async function main() {
  const exporter = new OTLPTraceExporter({ url: args.url });
  const rec = recordExports(exporter, (spans) => ProtobufTraceSerializer.serializeRequest(spans));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'otelpy-it-node', 'test.run': args.run, 'test.transport': args.transport,
    }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 100 })],
  });
  const tracer = provider.getTracer('otelpy-it-node-tracer', '1.2.3');
  const remoteCtx = trace.setSpanContext(context.active(), REMOTE_PARENT);

  const linked = tracer.startSpan('node-linked', { kind: SpanKind.INTERNAL, root: true,
    startTime: [1700000000, 100] });
  linked.end([1700000000, 200]);

  const root = tracer.startSpan('node-root', { kind: SpanKind.SERVER, attributes: SPAN_ATTRS,
    startTime: [1700000001, 5] }, remoteCtx);
  root.addEvent('evt.one', { 'evt.str': 'x', 'evt.int': 1, 'evt.double': 0.25,
    'evt.bool': true, 'evt.array': ['p', 'q'] }, [1700000001, 500]);
  root.addEvent('evt.two', undefined, [1700000001, 600]);
  root.setStatus({ code: SpanStatusCode.OK });
  const rootCtx = trace.setSpan(context.active(), root);

  const child = tracer.startSpan('node-child', { kind: SpanKind.CLIENT, startTime: [1700000001, 10],
    links: [{ context: linked.spanContext(), attributes: { 'link.str': 'l', 'link.int': 7 } }] },
  rootCtx);
  const err = new Error('boom happened');
  err.name = 'BoomError';
  child.recordException(err, [1700000001, 20]);
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  child.end([1700000001, 30]);

  const producer = tracer.startSpan('node-producer', { kind: SpanKind.PRODUCER,
    startTime: [1700000001, 40], attributes: { 'messaging.system': 'kafka' } }, rootCtx);
  producer.end([1700000001, 50]);
  const consumer = tracer.startSpan('node-consumer', { kind: SpanKind.CONSUMER,
    startTime: [1700000001, 60] }, trace.setSpan(context.active(), producer));
  consumer.end([1700000001, 70]);
  root.end([1700000002, 7]);

  await provider.forceFlush();
  await provider.shutdown();
  finish(rec, args.out);
}

run(main);
