"""The Go template subset's blocks and query helpers, table-tested with Go's semantics
(``with`` moves dot and has an ``else``; ``range`` walks lists in order and maps by sorted
key, ``$i, $e :=`` binds both; an empty value runs ``else``); errors are TemplateErrors."""

from __future__ import annotations

from typing import Any

import pytest

from otelpy.promql.rules.gotemplate import Template, TemplateError

RESULT = [{"Labels": {"instance": "b", "job": "api"}, "Value": 0.0},
          {"Labels": {"instance": "a", "job": "api"}, "Value": 1.5}]


def run(text: str, **variables: Any) -> str:
    funcs = {"query": lambda q: RESULT if q == "up" else []}
    data = {"Labels": {"job": "api"}, "Value": 3.0}
    return Template(text, funcs).expand({f"${k}": v for k, v in variables.items()}, data)


@pytest.mark.parametrize(("text", "expected"), [
    ('{{ with query "up" }}{{ len . }} series{{ end }}', "2 series"),
    ('{{ with query "none" }}x{{ else }}nothing{{ end }}', "nothing"),
    ('{{ with $r := query "up" }}{{ len $r }}{{ end }}', "2"),
    ('{{ range query "up" }}{{ .Labels.instance }} {{ end }}', "b a "),
    ('{{ range query "up" | sortByLabel "instance" }}{{ .Labels.instance }}{{ end }}', "ab"),
    ('{{ range $i, $s := query "up" }}{{ $i }}={{ $s.Value }};{{ end }}', "0=0;1=1.5;"),
    ('{{ range $k, $v := $m }}{{ $k }}:{{ $v }} {{ end }}', "a:1 b:2 "),
    ('{{ range query "none" }}x{{ else }}empty{{ end }}', "empty"),
    ('{{ query "up" | first | label "instance" }}', "b"),
    ('{{ query "up" | first | value }}', "0"),
    ('{{ if eq .Value 1.0 }}one{{ else if eq .Value 3.0 }}three{{ else }}other{{ end }}',
     "three"),
    ('{{ with query "up" }}{{ range . }}{{ $.Labels.job }}{{ end }}{{ end }}', "apiapi"),
    ('{{ range query "up" }}{{ if gt .Value 1.0 }}{{ .Labels.instance }}{{ end }}{{ end }}',
     "a"),
])
def test_blocks(text: str, expected: str) -> None:
    assert run(text, m={"b": 2, "a": 1}) == expected


@pytest.mark.parametrize(("text", "message"), [
    ('{{ query "none" | first }}', r"error calling first: first\(\) called on vector with no"),
    ("{{ with 1 }}x", "unexpected EOF"),
    ("{{ end }}", r"unexpected \{\{end\}\}"),
    ("{{ range 3 }}x{{ end }}", "range can't iterate over 3"),
    ("{{ define \"x\" }}{{ end }}", "'define' is not supported"),
    ("{{ with 1 }}a{{ else with 2 }}b{{ end }}", "unexpected 'with' after else"),
    ("{{ nope 1 }}", 'function "nope" not defined'),
])
def test_errors(text: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        run(text)
