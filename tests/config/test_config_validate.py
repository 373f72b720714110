"""validate(): every rule, every message, exact positions, all errors at once."""

from __future__ import annotations

from typing import Any

import pytest

from otelpy.component import ComponentID, PipelineID, Signal
from otelpy.config import DEFAULT_CONFIG, PipelineConfig, TelemetryConfig, load, validate
from otelpy.errors import ConfigError
from otelpy.registry import Registry

# (id, yaml, expected problems) — the YAML's first line is line 1
CASES: list[tuple[str, str, list[str]]] = [
    ("unknown-receiver-type", """
receivers:
  otpl:
exporters:
  debug:
service:
  pipelines:
    traces: {receivers: [otpl], exporters: [debug]}
""", [
        'p.yaml:2:3: receivers::otpl: unknown receiver type "otpl"; did you mean "otlp"?',
    ]),
    ("type-in-wrong-section", """
receivers:
  otlp:
exporters:
  batch:
  debug:
service:
  pipelines:
    traces: {receivers: [otlp], exporters: [debug]}
""", [
        'p.yaml:4:3: exporters::batch: unknown exporter type "batch" ("batch" is a processor; '
        "it belongs under processors)",
    ]),
    ("malformed-component-id", """
receivers:
  otlp/:
  otlp:
exporters:
  debug:
service:
  pipelines:
    traces: {receivers: [otlp], exporters: [debug]}
""", ['p.yaml:2:3: receivers::otlp/: invalid component ID "otlp/": expected "otlp" or '
      '"otlp/<name>"']),
    ("misspelt-key", """
receivers:
  otlp:
processors:
  batch/2:
    send_batch_sise: 10
exporters:
  debug:
service:
  pipelines:
    traces: {receivers: [otlp], processors: [batch/2], exporters: [debug]}
""", ['p.yaml:5:5: processors::batch/2::send_batch_sise: unknown key "send_batch_sise"; '
      'did you mean "send_batch_size"?']),
    ("bad-duration", """
receivers:
  otlp:
processors:
  batch/2:
    timeout: fast
exporters:
  debug:
service:
  pipelines:
    traces: {receivers: [otlp], processors: [batch/2], exporters: [debug]}
""", ['p.yaml:5:5: processors::batch/2::timeout: expected a duration such as 200ms, 5s or '
      '1m30s (got "fast")']),
    ("negative-duration", """
receivers:
  otlp:
processors:
  batch:
    timeout: -1
exporters:
  debug:
service:
  pipelines:
    traces: {receivers: [otlp], processors: [batch], exporters: [debug]}
""", ["p.yaml:5:5: processors::batch::timeout: expected a duration such as 200ms, 5s or "
      "1m30s (got -1)"]),
    ("wrong-type", """
receivers:
  otlp:
processors:
  batch:
    send_batch_size: many
exporters:
  debug:
service:
  pipelines:
    traces: {receivers: [otlp], processors: [batch], exporters: [debug]}
""", ['p.yaml:5:5: processors::batch::send_batch_size: expected an integer (got "many")']),
    ("out-of-range", """
receivers:
  otlp:
processors:
  probabilistic_sampler:
    sampling_percentage: 150
exporters:
  debug:
service:
  pipelines:
    traces: {receivers: [otlp], processors: [probabilistic_sampler], exporters: [debug]}
""", ["p.yaml:5:5: processors::probabilistic_sampler::sampling_percentage: expected a value "
      "<= 100 (got 150)"]),
    ("schema-stricter-than-model", """
receivers:
  otlp:
exporters:
  otlphttp:
    endpoint: 4318
    insecure: yes
    compression: [gzip]
service:
  pipelines:
    traces: {receivers: [otlp], exporters: [otlphttp]}
""", [
        "p.yaml:5:5: exporters::otlphttp::endpoint: expected a string (got 4318)",
        'p.yaml:6:5: exporters::otlphttp::insecure: expected true or false (got "yes")',
        'p.yaml:7:5: exporters::otlphttp::compression: expected a string (got ["gzip"])',
    ]),
    ("enum-with-suggestion", """
receivers:
  otlp:
exporters:
  debug:
    verbosity: detaild
service:
  pipelines:
    traces: {receivers: [otlp], exporters: [debug]}
""", ['p.yaml:5:5: exporters::debug::verbosity: expected one of "basic", "normal", "detailed" '
      '(got "detaild"); did you mean "detailed"?']),
    ("missing-required", """
receivers:
  otlp:
exporters:
  otlphttp/backend:
    compression: none
service:
  pipelines:
    traces: {receivers: [otlp], exporters: [otlphttp/backend]}
""", ['p.yaml:4:3: exporters::otlphttp/backend::endpoint: missing required key "endpoint"']),
    ("component-not-a-mapping", """
receivers:
  otlp:
exporters:
  debug: [verbose]
service:
  pipelines:
    traces: {receivers: [otlp], exporters: [debug]}
""", ['p.yaml:4:3: exporters::debug: expected a mapping (got ["verbose"])']),
    ("nested-unknown-key", """
receivers:
  otlp:
    protocols:
      grpc:
        endpont: 0.0.0.0:4317
exporters:
  debug:
service:
  pipelines:
    traces: {receivers: [otlp], exporters: [debug]}
""", ['p.yaml:5:9: receivers::otlp::protocols::grpc::endpont: unknown key "endpont"; '
      'did you mean "endpoint"?']),
    ("cross-field-rule", """
receivers:
  otlp:
processors:
  batch:
    send_batch_size: 100
    send_batch_max_size: 10
exporters:
  debug:
service:
  pipelines:
    traces: {receivers: [otlp], processors: [batch], exporters: [debug]}
""", ["p.yaml:6:5: processors::batch::send_batch_max_size: must be 0 or >= send_batch_size"]),
    ("unknown-top-level-section", """
recievers:
  otlp:
exporters:
  debug:
service:
  pipelines:
    traces: {receivers: [otlp], exporters: [debug]}
""", [
        'p.yaml:1:1: recievers: unknown top-level section "recievers"; did you mean "receivers"?',
        "p.yaml:7:26: service::pipelines::traces::receivers::0: references receiver or "
        'connector "otlp" which is not configured',
    ]),
    ("undefined-component", """
receivers:
  otlp:
exporters:
  debug:
service:
  pipelines:
    traces:
      receivers: [otlp/2]
      exporters: [debug, otlphttp]
""", [
        'p.yaml:8:19: service::pipelines::traces::receivers::0: references receiver or '
        'connector "otlp/2" which is not configured; did you mean "otlp"?',
        'p.yaml:9:26: service::pipelines::traces::exporters::1: references exporter or '
        'connector "otlphttp" which is not configured',
    ]),
    ("processor-used-as-exporter", """
receivers:
  otlp:
processors:
  batch:
service:
  pipelines:
    traces: {receivers: [otlp], exporters: [batch]}
""", ['p.yaml:7:45: service::pipelines::traces::exporters::0: references exporter or connector '
      '"batch" which is not configured ("batch" is configured as a processor, not usable in '
      'exporters)']),
    ("unsupported-signal", """
receivers:
  hostmetrics:
processors:
  probabilistic_sampler:
exporters:
  debug:
service:
  pipelines:
    traces: {receivers: [hostmetrics], exporters: [debug]}
    metrics: {receivers: [hostmetrics], processors: [probabilistic_sampler], exporters: [debug]}
""", [
        'p.yaml:9:26: service::pipelines::traces::receivers::0: receiver "hostmetrics" does '
        "not support traces (supports: metrics)",
        'p.yaml:10:54: service::pipelines::metrics::processors::0: processor '
        '"probabilistic_sampler" does not support metrics (supports: logs, traces)',
    ]),
    ("listed-twice", """
receivers:
  otlp:
processors:
  batch:
exporters:
  debug:
service:
  pipelines:
    logs:
      receivers: [otlp, otlp]
      processors: [batch, batch]
      exporters: [debug, debug]
""", [
        'p.yaml:10:25: service::pipelines::logs::receivers::1: "otlp" is listed more than once '
        "in receivers",
        'p.yaml:11:27: service::pipelines::logs::processors::1: "batch" is listed more than once '
        "in processors",
        'p.yaml:12:26: service::pipelines::logs::exporters::1: "debug" is listed more than once '
        "in exporters",
    ]),
    ("pipeline-without-receivers-or-exporters", """
receivers:
  otlp:
exporters:
  debug:
service:
  pipelines:
    traces: {receivers: [otlp], exporters: [debug]}
    metrics/empty:
      processors: []
""", [
        "p.yaml:8:5: service::pipelines::metrics/empty: pipeline must have at least one receiver",
        "p.yaml:8:5: service::pipelines::metrics/empty: pipeline must have at least one exporter",
    ]),
    ("connector-only-exporter", """
receivers:
  otlp:
exporters:
  debug:
connectors:
  forward:
service:
  pipelines:
    traces: {receivers: [otlp], exporters: [debug, forward]}
""", ['p.yaml:9:52: service::pipelines::traces::exporters::1: connector "forward" is used as an '
      "exporter but not as receiver in any pipeline; a connector must be both"]),
    ("connector-only-receiver", """
exporters:
  debug:
connectors:
  forward:
service:
  pipelines:
    logs: {receivers: [forward], exporters: [debug]}
""", ['p.yaml:7:24: service::pipelines::logs::receivers::0: connector "forward" is used as a '
      "receiver but not as exporter in any pipeline; a connector must be both"]),
    ("connector-unsupported-pair", """
receivers:
  otlp:
exporters:
  debug:
connectors:
  count:
service:
  pipelines:
    metrics/in: {receivers: [otlp], exporters: [count]}
    metrics/out: {receivers: [count], exporters: [debug]}
""", [
        'p.yaml:9:49: service::pipelines::metrics/in::exporters::0: connector "count" does not '
        "support metrics->metrics (supports: traces->metrics, logs->metrics)",
        'p.yaml:10:31: service::pipelines::metrics/out::receivers::0: connector "count" does '
        "not support metrics->metrics (supports: traces->metrics, logs->metrics)",
    ]),
    ("connector-cycle", """
receivers:
  otlp:
exporters:
  debug:
connectors:
  forward:
  forward/back:
service:
  pipelines:
    traces/a: {receivers: [otlp, forward/back], exporters: [forward]}
    traces/b: {receivers: [forward], exporters: [debug, forward/back]}
""", ["p.yaml:9:3: service::pipelines: cycle through connectors: traces/a -> [forward] -> "
      "traces/b -> [forward/back] -> traces/a"]),
    ("ambiguous-connector-id", """
receivers:
  otlp:
exporters:
  forward:
connectors:
  forward:
service:
  pipelines:
    traces: {receivers: [otlp], exporters: [forward]}
""", [
        'p.yaml:4:3: exporters::forward: unknown exporter type "forward" ("forward" is a '
        "connector; it belongs under connectors)",
        'p.yaml:6:3: connectors::forward: ambiguous ID: "forward" is both a exporter and a '
        "connector; rename one of them",
    ]),
    ("undefined-extension", """
receivers:
  otlp:
exporters:
  debug:
extensions:
  health_check:
service:
  extensions: [health_check, healthcheck/2, health_check]
  pipelines:
    traces: {receivers: [otlp], exporters: [debug]}
""", [
        'p.yaml:8:30: service::extensions::1: references extension "healthcheck/2" which is not '
        'configured; did you mean "health_check"?',
        'p.yaml:8:45: service::extensions::2: "health_check" is listed more than once',
    ]),
    ("no-pipelines", """
receivers:
  otlp:
service:
  pipelines: {}
""", ["p.yaml:4:3: service::pipelines: no pipelines defined: at least one traces, metrics or "
      "logs pipeline is required"]),
    ("no-service", """
receivers:
  otlp:
""", ["p.yaml:1:1: service: no pipelines defined: at least one traces, metrics or logs "
      "pipeline is required"]),
    ("invalid-pipeline-id", """
receivers:
  otlp:
exporters:
  debug:
service:
  pipelines:
    trace: {receivers: [otlp], exporters: [debug]}
    traces: {receivers: [otlp], exporters: [debug]}
""", ['p.yaml:7:5: service::pipelines::trace: invalid pipeline ID "trace": must be traces, '
      'metrics or logs, optionally followed by /name; did you mean "traces"?']),
    ("pipeline-unknown-key", """
receivers:
  otlp:
exporters:
  debug:
service:
  pipelines:
    traces: {receivers: [otlp], exporters: [debug], procesors: []}
""", ['p.yaml:7:53: service::pipelines::traces::procesors: unknown key "procesors"; did you '
      'mean "processors"?']),
    ("pipeline-list-not-strings", """
receivers:
  otlp:
exporters:
  debug:
service:
  pipelines:
    traces: {receivers: [otlp], exporters: [{debug: 1}]}
""", ["p.yaml:7:5: service::pipelines::traces: pipeline must have at least one exporter",
      'p.yaml:7:45: service::pipelines::traces::exporters::0: expected a string (got '
      '{"debug": 1})']),
    ("telemetry", """
receivers:
  otlp:
exporters:
  debug:
service:
  telemetry:
    logs: {level: loud}
    metrics: {adress: ":8888"}
  pipelines:
    traces: {receivers: [otlp], exporters: [debug]}
""", [
        "p.yaml:7:12: service::telemetry::logs::level: expected 'debug', 'info', 'warn', "
        "'error', 'dpanic', 'panic' or 'fatal' (got \"loud\")",
        'p.yaml:8:15: service::telemetry::metrics::adress: unknown key "adress"; did you mean '
        '"address"?',
    ]),
]


@pytest.mark.parametrize(("text", "expected"), [(t, e) for _, t, e in CASES],
                         ids=[c[0] for c in CASES])
def test_rule(write: Any, registry: Registry, text: str, expected: list[str]) -> None:
    loaded = load([write("p.yaml", text.lstrip("\n"))], env={})
    with pytest.raises(ConfigError) as info:
        validate(loaded, registry)
    assert info.value.problems == expected


def test_every_error_is_reported_at_once_in_line_order(write: Any, registry: Registry) -> None:
    name = write("pipeline.yaml", """
        receivers:
          otpl:
        processors:
          batch/2:
            timeout: fast
            send_batch_sise: 1
        exporters:
          debug:
            verbosity: loud
        service:
          extensions: [zpages]
          pipelines:
            traces:
              receivers: [otlp]
              processors: [batch/2]
              exporters: [debug]
        """)
    with pytest.raises(ConfigError) as info:
        validate(load([name], env={}), registry)
    assert info.value.problems == [
        'pipeline.yaml:2:3: receivers::otpl: unknown receiver type "otpl"; did you mean "otlp"?',
        "pipeline.yaml:5:5: processors::batch/2::timeout: expected a duration such as 200ms, "
        '5s or 1m30s (got "fast")',
        'pipeline.yaml:6:5: processors::batch/2::send_batch_sise: unknown key '
        '"send_batch_sise"; did you mean "send_batch_size"?',
        'pipeline.yaml:9:5: exporters::debug::verbosity: expected one of "basic", "normal", '
        '"detailed" (got "loud")',
        'pipeline.yaml:11:16: service::extensions::0: references extension "zpages" which is '
        "not configured",
        "pipeline.yaml:14:19: service::pipelines::traces::receivers::0: references receiver or "
        'connector "otlp" which is not configured; did you mean "otpl"?',
    ]
    assert str(info.value).splitlines() == info.value.problems


def test_errors_from_set_are_placed_at_set(write: Any, registry: Registry) -> None:
    name = write("p.yaml", """
        receivers:
          otlp:
        exporters:
          debug:
        service:
          pipelines:
            traces: {receivers: [otlp], exporters: [debug]}
        """)
    loaded = load([name], sets=["exporters::debug::verbosity=loud"], env={})
    with pytest.raises(ConfigError) as info:
        validate(loaded, registry)
    assert info.value.problems == [
        '--set: exporters::debug::verbosity: expected one of "basic", "normal", "detailed" '
        '(got "loud")']


def test_valid_config_is_typed(write: Any, registry: Registry) -> None:
    name = write("p.yaml", """
        receivers:
          otlp:
            protocols:
              grpc: {}
          hostmetrics/disk:
            collection_interval: 1m30s
          otlp/unused:
        processors:
          batch:
        exporters:
          debug:
            verbosity: detailed
          otlphttp:
            endpoint: https://backend:4318
            api_key: ${env:KEY}
        connectors:
          count:
        extensions:
          health_check:
          health_check/unused:
        service:
          extensions: [health_check]
          telemetry:
            metrics: {level: detailed, address: "0.0.0.0:9999"}
            logs: {level: debug, encoding: json}
          pipelines:
            traces:
              receivers: [otlp]
              processors: [batch]
              exporters: [otlphttp, count]
            metrics/host:
              receivers: [hostmetrics/disk, count]
              exporters: [debug]
        """)
    cfg = validate(load([name], env={"KEY": "k-123"}), registry)
    otlp = cfg.receivers[ComponentID("otlp")]
    assert otlp.protocols.grpc.endpoint == "localhost:4317"  # type: ignore[attr-defined]
    assert otlp.protocols.http is None  # type: ignore[attr-defined]
    assert cfg.receivers[ComponentID("hostmetrics", "disk")].collection_interval == 90.0  # type: ignore[attr-defined]  # noqa: E501
    assert cfg.processors[ComponentID("batch")].timeout == 0.2  # type: ignore[attr-defined]
    assert cfg.exporters[ComponentID("otlphttp")].api_key.reveal() == "k-123"  # type: ignore[attr-defined]  # noqa: E501
    assert set(cfg.connectors) == {ComponentID("count")}
    assert cfg.pipelines == {
        PipelineID(Signal.TRACES): PipelineConfig(
            (ComponentID("otlp"),), (ComponentID("batch"),),
            (ComponentID("otlphttp"), ComponentID("count"))),
        PipelineID(Signal.METRICS, "host"): PipelineConfig(
            (ComponentID("hostmetrics", "disk"), ComponentID("count")), (),
            (ComponentID("debug"),)),
    }
    assert cfg.service_extensions == (ComponentID("health_check"),)
    assert cfg.telemetry.metrics.level == "detailed"
    assert cfg.telemetry.metrics.address == "0.0.0.0:9999"
    assert cfg.telemetry.metrics.enabled
    assert (cfg.telemetry.logs.level, cfg.telemetry.logs.encoding) == ("debug", "json")
    assert cfg.warnings == (
        'p.yaml:7:3: receivers::otlp/unused: receiver "otlp/unused" is configured but not used '
        "in any pipeline",
        'p.yaml:20:3: extensions::health_check/unused: extension "health_check/unused" is '
        "configured but not enabled in service::extensions",
    )
    assert cfg.document["exporters"]["otlphttp"]["api_key"] == "k-123"


@pytest.mark.parametrize(
    ("telemetry", "enabled", "level"),
    [("", True, "normal"), ("metrics: {level: none}", False, "none"),
     ('metrics: {address: ""}', False, "normal"), ("metrics: {level: basic}", True, "basic")],
    ids=["defaults", "level-none", "empty-address", "basic"],
)
def test_telemetry_metrics_switch(write: Any, registry: Registry, telemetry: str,
                                  enabled: bool, level: str) -> None:
    name = write("p.yaml", f"""
        receivers: {{otlp: }}
        exporters: {{debug: }}
        service:
          telemetry: {{{telemetry}}}
          pipelines:
            logs: {{receivers: [otlp], exporters: [debug]}}
        """)
    cfg = validate(load([name], env={}), registry)
    assert cfg.telemetry.metrics.enabled is enabled
    assert cfg.telemetry.metrics.level == level
    assert cfg.telemetry.logs == TelemetryConfig().logs


def test_default_config_is_valid(registry: Registry) -> None:
    loaded = load([], env={}, default_yaml=DEFAULT_CONFIG)
    cfg = validate(loaded, registry)
    assert loaded.where(("receivers", "otlp")) == "<default config>:4:3"
    assert cfg.document["receivers"]["otlp"]["protocols"] == {
        "grpc": {"endpoint": "localhost:4317"}, "http": {"endpoint": "localhost:4318"}}
    assert sorted(str(p) for p in cfg.pipelines) == ["logs", "metrics", "traces"]
    for pipeline in cfg.pipelines.values():
        assert pipeline == PipelineConfig((ComponentID("otlp"),), (ComponentID("batch"),),
                                          (ComponentID("debug"),))
    assert cfg.warnings == ()
