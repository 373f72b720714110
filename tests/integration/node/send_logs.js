'use strict';
// Sends three log records: string / map / array bodies, severities, attributes of every
// AnyValue type (nested maps, bytes), an event name, and trace context.
const api = require('@opentelemetry/api');
const { SeverityNumber } = require('@opentelemetry/api-logs');
const { LoggerProvider, BatchLogRecordProcessor } = require('@opentelemetry/sdk-logs');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { ProtobufLogsSerializer } = require('@opentelemetry/otlp-transformer');
const { parseArgs, recordExports, finish, run } = require('./record');

const args = parseArgs();
const { OTLPLogExporter } = require(`@opentelemetry/exporter-logs-otlp-${args.transport}`);

const SPAN_CONTEXT = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: api.TraceFlags.SAMPLED,
};

async function main() {
  const exporter = new OTLPLogExporter({ url: args.url });
  const rec = recordExports(exporter, (logs) => ProtobufLogsSerializer.serializeRequest(logs));
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({
      'service.name': 'otelpy-it-node', 'test.run': args.run, 'test.transport': args.transport,
    }),
    processors: [new BatchLogRecordProcessor({ exporter, scheduledDelayMillis: 100 })],
  });
  const logger = provider.getLogger('otelpy-it-node-logger', '3.0.0');
  const spanCtx = api.trace.setSpanContext(api.context.active(), SPAN_CONTEXT);

  logger.emit({
    timestamp: [1700000003, 1], severityNumber: SeverityNumber.WARN, severityText: 'WARN',
    body: 'plain message ✓', context: spanCtx,
    attributes: {
      'str': 'v', 'int': 42, 'double': 3.25, 'bool': false, 'bytes': new Uint8Array([0, 1, 254, 255]),
      'array.mixed': ['a', 1, 2.5, true], 'map': { 'k': 'v', 'n': 1, 'inner': { 'deep': true } },
    },
  });
  logger.emit({
    timestamp: [1700000003, 2], severityNumber: SeverityNumber.ERROR, severityText: 'ERROR',
    eventName: 'otelpy.test.event',
    body: { 'msg': 'structured', 'count': 3, 'nested': { 'list': [1, 'two', 3.5] } },
  });
  logger.emit({ timestamp: [1700000003, 3], body: ['a', 1] });

  await provider.forceFlush();
  await provider.shutdown();
  finish(rec, args.out);
}

run(main);
