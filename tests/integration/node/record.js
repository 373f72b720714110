'use strict';
// Shared by the senders: argument parsing and recording exactly what each exporter sent.
//
// usage: node send_<signal>.js <grpc|proto|http> <url> <run-tag> <record.json>
//   grpc  = OTLP/gRPC, proto = OTLP/HTTP protobuf, http = OTLP/HTTP JSON
// The record file gets {"requests": [base64 Export*ServiceRequest protobuf per export call],
// "results": [export result codes]}; the test compares what otelpy wrote with it.
// The process exits 0 only when every export succeeded and forceFlush + shutdown resolved.
const fs = require('fs');

const TRANSPORTS = ['grpc', 'proto', 'http'];

function parseArgs() {
  const [transport, url, run, out] = process.argv.slice(2);
  if (!TRANSPORTS.includes(transport) || !url || !run || !out) {
    console.error('usage: node send_<signal>.js <grpc|proto|http> <url> <run-tag> <record.json>');
    process.exit(2);
  }
  return { transport, url, run, out };
}

// Wrap exporter.export so every batch is serialized with `serialize` (the same
// otlp-transformer protobuf encoding the exporters use) and every result is kept.
function recordExports(exporter, serialize) {
  const rec = { requests: [], results: [] };
  const original = exporter.export.bind(exporter);
  exporter.export = (items, resultCallback) => {
    rec.requests.push(Buffer.from(serialize(items)).toString('base64'));
    original(items, (result) => {
      rec.results.push({ code: result.code, error: result.error ? String(result.error) : null });
      resultCallback(result);
    });
  };
  return rec;
}

function finish(rec, out) {
  fs.writeFileSync(out, JSON.stringify(rec));
  const failed = rec.results.filter((r) => r.code !== 0);
  if (rec.requests.length === 0) throw new Error('nothing was exported');
  if (failed.length) throw new Error(`export failed: ${JSON.stringify(failed)}`);
  if (rec.results.length !== rec.requests.length) {
    throw new Error(`${rec.requests.length} exports but ${rec.results.length} results`);
  }
}

function run(main) {
  main().then(
    () => process.exit(0),
    (err) => { console.error(err && err.stack ? err.stack : err); process.exit(1); },
  );
}

module.exports = { parseArgs, recordExports, finish, run };
