"""The container parser on the three formats, against pkg/stanza/docs/operators/container.md
(open-telemetry/opentelemetry-collector-contrib), plus partial-line recombination."""

from __future__ import annotations

from datetime import datetime

import pytest

from otelpy.stanza.entry import Entry

from .cases import run

PATH = ("/var/log/pods/some_kube-controller-kind-control-plane_49cc7c1fd3702c40b2686ea7486091d6"
        "/kube-controller/1.log")
K8S = {"k8s.pod.name": "kube-controller-kind-control-plane",
       "k8s.pod.uid": "49cc7c1fd3702c40b2686ea7486091d6",
       "k8s.container.name": "kube-controller", "k8s.container.restart_count": "1",
       "k8s.namespace.name": "some"}


def ns(text: str) -> int:
    whole, frac = text.split(".")
    return int(datetime.fromisoformat(whole + "+00:00").timestamp()) * 10**9 + int(frac)


def entry(body: str, path: str = PATH) -> Entry:
    return Entry(body=body, attributes={"log.file.path": path})


# (doc example title, format key, line, body, timestamp, extra attributes)
CASES = [
    ("Parse the body as docker container log", "docker",
     '{"log":"INFO: log line here","stream":"stdout","time":"2024-03-30T08:31:20.545192187Z"}',
     "INFO: log line here", ns("2024-03-30T08:31:20.545192187"), {}),
    ("Parse the body as cri-o container log", "",
     "2024-04-13T07:59:37.505201169-05:00 stdout F standalone crio line which is awesome",
     "standalone crio line which is awesome", ns("2024-04-13T12:59:37.505201169"),
     {"logtag": "F"}),
    ("Parse the body as containerd container log", "",
     "2023-06-22T10:27:25.813799277Z stdout F standalone containerd line that is super awesome",
     "standalone containerd line that is super awesome", ns("2023-06-22T10:27:25.813799277"),
     {"logtag": "F"}),
]


@pytest.mark.parametrize(("title", "fmt", "line", "body", "timestamp", "extra"), CASES,
                         ids=[c[0] for c in CASES])
def test_documented_formats(title: str, fmt: str, line: str, body: str, timestamp: int,
                            extra: dict[str, str]) -> None:
    ops = [{"type": "container", **({"format": fmt} if fmt else {})}]
    out, pipeline = run(ops, [entry(line)])
    assert len(out) == 1 and pipeline.errors == {}
    assert out[0].body == body
    assert out[0].timestamp == timestamp
    assert out[0].attributes == {"log.file.path": PATH, "log.iostream": "stdout", **extra}
    assert out[0].resource == K8S


def test_cri_partial_lines_are_recombined() -> None:
    # container.md "Parse multiline CRI container logs and recombine into a single one"
    lines = ["2023-06-22T10:27:25.813799277Z stdout P multiline containerd line that i",
             "2023-06-22T10:27:25.813799277Z stdout F s super awesomne"]
    out, _ = run([{"type": "container"}], [entry(line) for line in lines])
    assert [e.body for e in out] == ["multiline containerd line that is super awesomne"]
    assert out[0].attributes["logtag"] == "F" and out[0].resource == K8S


def test_partials_of_two_files_stay_apart() -> None:
    other = PATH.replace("kube-controller/1.log", "sidecar/0.log")
    lines = [entry("2023-06-22T10:27:25Z stdout P a1 "), entry("2023-06-22T10:27:25Z stdout P b1 ",
                                                              other),
             entry("2023-06-22T10:27:25Z stdout F a2"), entry("2023-06-22T10:27:25Z stdout F b2",
                                                             other)]
    out, _ = run([{"type": "container"}], lines)
    assert sorted(e.body for e in out) == ["a1 a2", "b1 b2"]


def test_docker_partial_lines_are_recombined() -> None:
    # docker json-file splits lines over 16 KiB: the parts lack the trailing newline
    parts = ['{"log":"first half, ","stream":"stderr","time":"2024-03-30T08:31:20.5Z"}',
             '{"log":"second half\\n","stream":"stderr","time":"2024-03-30T08:31:20.6Z"}',
             '{"log":"next\\n","stream":"stderr","time":"2024-03-30T08:31:21Z"}']
    out, _ = run([{"type": "container", "format": "docker"}], [entry(p) for p in parts])
    assert [e.body for e in out] == ["first half, second half\n", "next\n"]
    assert out[0].attributes["log.iostream"] == "stderr"


def test_unparsable_line_is_kept_and_counted() -> None:
    out, pipeline = run([{"type": "container"}], [entry("this is no container log")])
    assert [e.body for e in out] == ["this is no container log"]
    assert pipeline.errors == {"container": 1}


def test_path_is_required_for_metadata() -> None:
    out, pipeline = run([{"type": "container"}], [Entry(body="2023-06-22T10:27:25Z stdout F x")])
    # parsed, then the metadata step fails: counted, the entry goes on as parsed (Collector)
    assert pipeline.errors == {"container": 1} and out[0].body == "x"
    out, pipeline = run([{"type": "container", "add_metadata_from_filepath": False}],
                        [Entry(body="2023-06-22T10:27:25Z stdout F x")])
    assert pipeline.errors == {} and out[0].body == "x" and out[0].resource == {}
