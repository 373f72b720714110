'use strict';
// Sends a counter, an up-down counter, a histogram with explicit bounds and a gauge,
// with data point attributes of every type the metrics API allows.
const { ValueType } = require('@opentelemetry/api');
const { MeterProvider, PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { ProtobufMetricsSerializer } = require('@opentelemetry/otlp-transformer');
const { parseArgs, recordExports, finish, run } = require('./record');

const args = parseArgs();
const { OTLPMetricExporter } = require(`@opentelemetry/exporter-metrics-otlp-${args.transport}`);

const POINT_ATTRS = {
  'route': '/a', 'attr.int': 1, 'attr.double': 0.5, 'attr.bool': true,
  'attr.array': ['x', 'y'],
};

async function main() {
  const exporter = new OTLPMetricExporter({ url: args.url });
  const rec = recordExports(exporter, (rm) => ProtobufMetricsSerializer.serializeRequest(rm));
  const provider = new MeterProvider({
    resource: resourceFromAttributes({
      'service.name': 'otelpy-it-node', 'test.run': args.run, 'test.transport': args.transport,
    }),
    readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3600000 })],
  });
  const meter = provider.getMeter('otelpy-it-node-meter', '2.0.0');

  const counter = meter.createCounter('node.requests', {
    unit: '{request}', description: 'requests', valueType: ValueType.INT });
  counter.add(5, POINT_ATTRS);
  counter.add(2, { route: '/b' });
  const updown = meter.createUpDownCounter('node.queue', { unit: '{item}' });
  updown.add(10, { queue: 'q1' });
  updown.add(-3, { queue: 'q1' });
  const hist = meter.createHistogram('node.latency', { unit: 'ms',
    advice: { explicitBucketBoundaries: [1, 5, 10] } });
  for (const v of [0.5, 3, 7, 12]) hist.record(v, { route: '/a' });
  const gauge = meter.createGauge('node.temperature', { unit: 'Cel' });
  gauge.record(21.5, { room: 'lab' });

  await provider.forceFlush();
  await provider.shutdown();
  finish(rec, args.out);
}

run(main);
