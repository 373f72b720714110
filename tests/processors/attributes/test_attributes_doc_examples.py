"""Every example of the Collector's attributes processor documentation, as a table test.

Sources (opentelemetry-collector-contrib, read through the search tool):

* README = processor/attributesprocessor/README.md (the sample configuration)
* TESTDATA = processor/attributesprocessor/testdata/config.yaml, which the README points to
  "for detailed examples"; its comments describe the spans before and after.

Each case: the config block from the source (YAML, verbatim apart from the component name),
input spans / log records / data points built with pdata, and the output the source
describes. The config goes through the config model's validate_config and the processor
factory, exactly as ``otelpy --config`` would.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.pdata import Batch, ClientMetadata, items
from otelpy.pdata.build import RequestBuilder
from otelpy.pdata.values import Attributes
from otelpy.processors.attributes import AttributesConfig, factory
from otelpy.telemetry import Telemetry
from otelpy.testing.sink import SinkConsumer


@dataclass
class Item:
    """One span / log record / data point: its attributes and what selects it."""

    attrs: dict[str, Any]
    service: str | None = None
    name: str = "op"  # span name, metric name
    resource: dict[str, Any] = field(default_factory=dict)
    scope: tuple[str, str] = ("lib", "")
    body: str = ""
    severity_text: str = ""


def _resource(item: Item, index: int) -> dict[str, Any]:
    res = {**item.resource, "test.index": index}  # one resource each: output keeps input order
    if item.service is not None:
        res["service.name"] = item.service
    return res


def build(signal: Signal, inputs: list[Item]) -> Batch:
    builder = RequestBuilder(signal)
    for index, item in enumerate(inputs):
        scope = builder.scope(_resource(item, index), *item.scope)
        if signal is Signal.TRACES:
            Attributes(scope.spans.add(name=item.name).attributes).update(item.attrs)
        elif signal is Signal.LOGS:
            record = scope.log_records.add(severity_text=item.severity_text)
            record.body.string_value = item.body
            Attributes(record.attributes).update(item.attrs)
        else:
            metric = scope.metrics.add(name=item.name)
            Attributes(metric.gauge.data_points.add(as_int=1).attributes).update(item.attrs)
    return builder.batch()


def _walk(signal: Signal, request: Any) -> list[Any]:
    walk = {Signal.TRACES: items.spans, Signal.LOGS: items.log_records,
            Signal.METRICS: items.data_points}[signal]
    return list(walk(request))


def config_of(text: str) -> AttributesConfig:
    raw = yaml.safe_load(text)
    assert len(raw) == 1
    cfg = AttributesConfig.model_validate(next(iter(raw.values())))
    assert cfg.validate_config() == []
    return cfg


async def run(text: str, signal: Signal, inputs: list[Item]) -> list[dict[str, Any]]:
    """The attributes of every item after the processor, in input order."""
    sink = SinkConsumer()
    settings = Settings(ComponentID("attributes", "doc"), Kind.PROCESSOR,
                        logging.getLogger("test.attributes"), Telemetry())
    proc = factory.create(settings, config_of(text), signal, sink)
    await proc.consume(build(signal, inputs))
    out = [b for b in sink.batches]
    assert len(out) == 1
    return [item.attributes.as_dict() for item in _walk(signal, out[0].message)]


TRACES, LOGS, METRICS = Signal.TRACES, Signal.LOGS, Signal.METRICS


@dataclass
class Case:
    id: str
    source: str
    config: str
    signal: Signal
    inputs: list[Item]
    expected: list[dict[str, Any]]


CASES = [
    Case("insert", "TESTDATA attributes/insert", """
attributes/insert:
  actions:
    - key: "attribute1"
      value: 123
      action: insert
    - key: "string key"
      from_attribute: "anotherkey"
      action: insert
""", TRACES,
        [Item({}), Item({"attribute1": "present", "anotherkey": "v"})],
        # attribute1=123 (an int) where absent; "string key" only where anotherkey exists
        [{"attribute1": 123}, {"attribute1": "present", "anotherkey": "v", "string key": "v"}]),
    Case("update", "TESTDATA attributes/update", """
attributes/update:
  actions:
    - key: "boo"
      from_attribute: "foo"
      action: update
    - key: db.secret
      value: redacted
      action: update
""", TRACES,
        [Item({"foo": "f", "db.secret": "pw"}), Item({"boo": 1, "foo": "f"})],
        # "Spans without the attribute 'boo' will not change"
        [{"foo": "f", "db.secret": "redacted"}, {"boo": "f", "foo": "f"}]),
    Case("upsert", "TESTDATA attributes/upsert", """
attributes/upsert:
  actions:
    - key: region
      value: "planet-earth"
      action: upsert
    - key: new_user_key
      from_attribute: user_key
      action: upsert
""", TRACES,
        [Item({"region": "mars"}), Item({"user_key": "u"})],
        [{"region": "planet-earth"},
         {"user_key": "u", "region": "planet-earth", "new_user_key": "u"}]),
    Case("delete", "TESTDATA attributes/delete", """
attributes/delete:
  actions:
    - key: credit_card
      action: delete
    - key: duplicate_key
      action: delete
""", TRACES,
        [Item({"credit_card": "1234", "duplicate_key": 1, "keep": True})],
        [{"keep": True}]),
    Case("hash", "TESTDATA attributes/hash", """
attributes/hash:
  actions:
    - key: user.email
      action: hash
""", TRACES,
        [Item({"user.email": "foo"})],
        # SHA-256 of the UTF-8 bytes, hex (the Collector's sha2Hasher)
        [{"user.email": "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"}]),
    Case("convert", "TESTDATA attributes/convert", """
attributes/convert:
  actions:
    - key: http.status_code
      action: convert
      converted_type: int
""", TRACES,
        [Item({"http.status_code": "404"}), Item({"http.status_code": "n/a"})],
        [{"http.status_code": 404}, {"http.status_code": "n/a"}]),
    Case("excludemulti", "TESTDATA attributes/excludemulti (Span1-Span4 in its comment)", """
attributes/excludemulti:
  exclude:
    match_type: strict
    services: ["svcA", "svcB"]
    attributes:
      - {key: env, value: "dev"}
      - {key: test_request}
  actions:
    - key: credit_card
      action: delete
    - key: duplicate_key
      action: delete
""", TRACES,
        [Item({"env": "dev", "test_request": 123, "credit_card": 1234}, "svcB"),
         Item({"env": "dev", "test_request": False}, "svcA"),
         Item({"env": 1, "test_request": "dev", "credit_card": 1234}, "svcB"),
         Item({"env": "dev", "test_request": False, "credit_card": 1}, "svcC")],
        # Span1, Span2 match and are not processed; Span3, Span4 are
        [{"env": "dev", "test_request": 123, "credit_card": 1234},
         {"env": "dev", "test_request": False},
         {"env": 1, "test_request": "dev"},
         {"env": "dev", "test_request": False}]),
    Case("excluderesources", "TESTDATA attributes/excluderesources", """
attributes/excluderesources:
  exclude:
    match_type: strict
    resources:
      - {key: host.type, value: "n1-standard-1"}
  actions:
    - key: credit_card
      action: delete
""", TRACES,
        [Item({"credit_card": 1}, resource={"host.type": "n1-standard-1"}),
         Item({"credit_card": 1}, resource={"host.type": "n2"})],
        [{"credit_card": 1}, {}]),
    Case("excludelibrary", "TESTDATA attributes/excludelibrary", """
attributes/excludelibrary:
  exclude:
    match_type: strict
    libraries:
      - {name: "mongo-java-driver", version: "3.8.0"}
  actions:
    - key: credit_card
      action: delete
""", TRACES,
        [Item({"credit_card": 1}, scope=("mongo-java-driver", "3.8.0")),
         Item({"credit_card": 1}, scope=("mongo-java-driver", "3.9.0")),
         Item({"credit_card": 1}, scope=("other", "3.8.0"))],
        [{"credit_card": 1}, {}, {}]),
    Case("includeservices", "TESTDATA attributes/includeservices (its Span1-4 comment is "
         "copied from excludemulti and does not fit services auth.*/login.*; spans here "
         "follow the config)", """
attributes/includeservices:
  include:
    match_type: regexp
    services: ["auth.*", "login.*"]
  actions:
    - key: credit_card
      action: delete
""", TRACES,
        [Item({"credit_card": 1}, "auth-service"), Item({"credit_card": 1}, "login"),
         Item({"credit_card": 1}, "svcC"), Item({"credit_card": 1}, "my-auth")],
        # regexp filters search: "my-auth" contains "auth"
        [{}, {}, {"credit_card": 1}, {}]),
    Case("selectiveprocessing", "TESTDATA attributes/selectiveprocessing (Span1-Span4)", """
attributes/selectiveprocessing:
  include:
    match_type: strict
    services: ["svcA", "svcB"]
  exclude:
    match_type: strict
    attributes:
      - { key: redact_trace, value: false}
  actions:
    - key: credit_card
      action: delete
""", TRACES,
        [Item({"env": "production", "test_request": 123, "credit_card": 1234,
               "redact_trace": "false"}, "svcB"),
         Item({"env": "staging", "test_request": False, "redact_trace": True,
               "credit_card": 1}, "svcA"),
         Item({"env": "production", "test_request": True, "credit_card": 1234,
               "redact_trace": False}, "svcB"),
         Item({"env": "dev", "test_request": False, "credit_card": 1}, "svcC")],
        # Span1 processed ("false" is a string), Span2 processed, Span3 and Span4 not
        [{"env": "production", "test_request": 123, "redact_trace": "false"},
         {"env": "staging", "test_request": False, "redact_trace": True},
         {"env": "production", "test_request": True, "credit_card": 1234,
          "redact_trace": False},
         {"env": "dev", "test_request": False, "credit_card": 1}]),
    Case("complex", "TESTDATA attributes/complex (Span1-Span4 before and after)", """
attributes/complex:
  actions:
    - key: operation
      value: default
      action: insert
    - key: svc.operation
      from_attribute: operation
      action: upsert
    - key: operation
      action: delete
""", TRACES,
        [Item({"timeout": 10, "svc.operation": "addition", "operation": "addition"}),
         Item({"operation": "subtract", "math_value": 123}),
         Item({"timeout": 10, "math_value": 4}),
         Item({"svc.operation": "division", "timeout": 3})],
        [{"timeout": 10, "svc.operation": "addition"},
         {"svc.operation": "subtract", "math_value": 123},
         {"svc.operation": "default", "timeout": 10, "math_value": 4},
         {"svc.operation": "default", "timeout": 3}]),
    Case("example", "TESTDATA attributes/example", """
attributes/example:
  actions:
    - key: db.table
      action: delete
    - key: redacted_span
      value: true
      action: upsert
    - key: copy_key
      from_attribute: key_original
      action: update
    - key: account_id
      value: 2245
      action: insert
    - key: account_password
      action: delete
""", TRACES,
        [Item({"db.table": "t", "copy_key": "old", "key_original": "new",
               "account_password": "p"})],
        [{"copy_key": "new", "key_original": "new", "redacted_span": True,
          "account_id": 2245}]),
    Case("readme-sample", "README sample configuration, without its from_context action "
         "(refused by otelpy: see test_readme_sample_from_context_is_refused)", """
attributes/example:
  actions:
    - key: db.table
      action: delete
    - key: redacted_span
      value: true
      action: upsert
    - key: copy_key
      from_attribute: key_original
      action: update
    - key: account_id
      value: 2245
      action: insert
    - key: account_password
      action: delete
    - key: account_email
      action: hash
    - key: http.status_code
      action: convert
      converted_type: int
    - key: region
      from_attribute: cloud.region
      default_value: "us-east-1"
      action: insert
""", TRACES,
        [Item({"account_email": "foo", "http.status_code": "200"}),
         Item({"cloud.region": "eu-west-3", "account_id": "a"})],
        [{"account_email": "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
          "http.status_code": 200, "redacted_span": True, "account_id": 2245,
          "region": "us-east-1"},
         {"cloud.region": "eu-west-3", "account_id": "a", "redacted_span": True,
          "region": "eu-west-3"}]),
    Case("regexp", "TESTDATA attributes/regexp", """
attributes/regexp:
  include:
    match_type: regexp
    services: ["auth.*"]
  exclude:
    match_type: regexp
    span_names: ["login.*"]
  actions:
    - key: password
      action: update
      value: "obfuscated"
    - key: token
      action: delete
""", TRACES,
        [Item({"password": "p", "token": "t"}, "auth", "check"),
         Item({"password": "p", "token": "t"}, "auth", "login-user"),
         Item({"password": "p", "token": "t"}, "billing", "check")],
        [{"password": "obfuscated"}, {"password": "p", "token": "t"},
         {"password": "p", "token": "t"}]),
    Case("regexp2", "TESTDATA attributes/regexp2 (its comment says db.statement; the config "
         "matches the attribute env)", """
attributes/regexp2:
  include:
    match_type: regexp
    attributes:
      - {key: env, value: 'SELECT \\* FROM USERS.*'}
  actions:
    - key: db.statement
      action: update
      value: "SELECT * FROM USERS [obfuscated]"
""", TRACES,
        [Item({"env": "SELECT * FROM USERS WHERE id=1", "db.statement": "x"}),
         Item({"env": "SELECT id FROM USERS", "db.statement": "x"})],
        [{"env": "SELECT * FROM USERS WHERE id=1",
          "db.statement": "SELECT * FROM USERS [obfuscated]"},
         {"env": "SELECT id FROM USERS", "db.statement": "x"}]),
    Case("log_body_regexp", "TESTDATA attributes/log_body_regexp", """
attributes/log_body_regexp:
  include:
    match_type: regexp
    log_bodies: ["AUTH.*"]
  actions:
    - key: password
      action: update
      value: "obfuscated"
    - key: token
      action: delete
""", LOGS,
        [Item({"password": "p", "token": "t"}, body="AUTH failed"),
         Item({"password": "p", "token": "t"}, body="billing")],
        [{"password": "obfuscated"}, {"password": "p", "token": "t"}]),
    Case("log_severity_regexp", "TESTDATA attributes/log_severity_regexp", """
attributes/log_severity_regexp:
  include:
    match_type: regexp
    log_severity_texts: [ "debug.*" ]
  actions:
    - key: password
      action: update
      value: "obfuscated"
    - key: token
      action: delete
""", LOGS,
        [Item({"password": "p", "token": "t"}, severity_text="debug2"),
         Item({"password": "p", "token": "t"}, severity_text="info")],
        [{"password": "obfuscated"}, {"password": "p", "token": "t"}]),
    Case("metrics", "README 'Attributes Processor for Metrics': data point attributes are "
         "added and updated; metric_names select metrics", """
attributes/metrics:
  include:
    match_type: strict
    metric_names: [http.requests]
  actions:
    - key: route
      value: "/redacted"
      action: update
    - key: team
      value: core
      action: insert
""", METRICS,
        [Item({"route": "/a"}, name="http.requests"), Item({"route": "/b"}, name="other")],
        [{"route": "/redacted", "team": "core"}, {"route": "/b"}]),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_documented_example(case: Case) -> None:
    assert await run(case.config, case.signal, case.inputs) == case.expected, case.source


# TESTDATA attributes/regex_insert, verbatim (split for line length)
REGEX_INSERT_PATTERN = (r"^(?P<http_protocol>.*):\/\/(?P<http_domain>.*)\/(?P<http_path>.*)"
                        r"(\?|\&)(?P<http_query_params>.*)")


def test_regex_insert_example_is_refused_as_by_the_collector() -> None:
    """TESTDATA attributes/regex_insert: its pattern has the unnamed group ``(\\?|\\&)``;
    the Collector's NewAttrProc refuses it ("contains at least one unnamed matcher group")
    and so does otelpy, at validation."""
    raw = yaml.safe_load(r"""
attributes/regex_insert:
  actions:
    - key: "http.url"
      pattern: PATTERN
      action: extract
""".replace("PATTERN", REGEX_INSERT_PATTERN))
    cfg = AttributesConfig.model_validate(raw["attributes/regex_insert"])
    assert cfg.validate_config() == [
        'actions::0: field "pattern" contains at least one unnamed matcher group']


async def test_regex_insert_example_with_named_groups_only() -> None:
    """The same example with the separator group made non-capturing: the attributes its
    comment lists are set and http.url is unchanged."""
    out = await run(r"""
attributes/regex_insert:
  actions:
    - key: "http.url"
      pattern: PATTERN
      action: extract
""".replace("PATTERN", REGEX_INSERT_PATTERN.replace(r"(\?|\&)", r"(?:\?|\&)")),
        TRACES, [Item({"http.url": "http://example.com/path?queryParam1=value1,queryParam2=value2"})])
    assert out == [{"http.url": "http://example.com/path?queryParam1=value1,queryParam2=value2",
                    "http_protocol": "http", "http_domain": "example.com", "http_path": "path",
                    "http_query_params": "queryParam1=value1,queryParam2=value2"}]


@pytest.mark.parametrize(("metadata", "tenant"), [
    ([("tenant", "acme")], "acme"),
    ([("Tenant", "a"), ("tenant", "b")], "a;b"),  # several values joined with ";"
    (None, "t"),  # no client metadata: default_value
])
async def test_from_context_reads_client_metadata(metadata: list[tuple[str, str]] | None,
                                                  tenant: str) -> None:
    """The README sample's from_context action (TESTDATA attributes/from_context):
    tenant_id from the client metadata key "tenant", default "t"."""
    sink = SinkConsumer()
    settings = Settings(ComponentID("attributes", "doc"), Kind.PROCESSOR,
                        logging.getLogger("test.attributes"), Telemetry())
    proc = factory.create(settings, AttributesConfig.model_validate({"actions": [
        {"key": "tenant_id", "from_context": "metadata.tenant", "default_value": "t",
         "action": "upsert"},
        {"key": "bare", "from_context": "tenant", "action": "insert"}]}), TRACES, sink)
    batch = build(TRACES, [Item({"k": "v"})])
    batch.metadata = None if metadata is None else ClientMetadata(metadata)
    await proc.consume(batch)
    [out] = [item.attributes.as_dict() for item in _walk(TRACES, sink.batches[0].message)]
    expected = {"k": "v", "tenant_id": tenant}
    if metadata is not None:
        expected["bare"] = tenant
    assert out == expected
