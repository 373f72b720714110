"""The README's "Sending data" snippets, run exactly as written, each against a real otelpy.

Every fenced block under that heading is run unchanged: Python with this interpreter,
JavaScript with node (from tests/integration/node, where the SDK packages are
installed), shell with bash (curl). They name the default ports (localhost:4317 and
:4318), so otelpy runs its built-in config (no ``--config``; only the debug exporter's
verbosity is raised so each span can be seen). Rather than rewrite the snippets' ports,
the test runs in a private network namespace (``otelpy.testing.netns``): the fixed ports
are free there whatever else runs on the machine, and the snippets cannot reach anything
outside it. Each snippet must send exactly one span named ``hello``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from otelpy.testing.netns import run_on_fixed_ports
from otelpy.testing.process import OtelpyProcess, wait_until

from .conftest import StartOtelpy

pytestmark = pytest.mark.integration

README = Path(__file__).resolve().parents[2] / "README.md"
DEFAULT_PORTS = (4317, 4318, 8888)
ACCEPTED = "otelcol_receiver_accepted_spans_total"
SENT = "otelcol_exporter_sent_spans_total"
LANGUAGES = ("python", "js", "sh")


def sending_data_snippets(text: str) -> list[tuple[str, str]]:
    """(language, code) of each fenced block under ``## Sending data``, in order."""
    section = text.split("\n## Sending data\n", 1)[1].split("\n## ", 1)[0]
    return [(m["lang"], m["code"])
            for m in re.finditer(r"^```(?P<lang>\w*)\n(?P<code>.*?)^```$", section, re.M | re.S)]


def _command(lang: str, node_dir: Path) -> tuple[list[str], Path | None]:
    """How to run a snippet given on stdin, and from where."""
    if lang == "python":
        return [sys.executable, "-"], None
    if lang == "js":
        return ["node", "-"], node_dir  # require() resolves from the working directory
    return ["bash", "-eu"], None


def _hello_spans(proc: OtelpyProcess) -> int:
    return len(re.findall(r"^\s*Name\s+: hello$", proc.stderr(), re.M))


def _run_snippets(start_otelpy: StartOtelpy, node_dir: Path,
                  snippets: list[tuple[str, str]]) -> None:
    proc = start_otelpy(None, name="readme", args=["--set", "exporters::debug::verbosity=detailed"],
                        extra_ports=DEFAULT_PORTS, metrics_address="127.0.0.1:8888")
    for n, (lang, code) in enumerate(snippets, start=1):
        cmd, cwd = _command(lang, node_dir)
        res = subprocess.run(cmd, input=code, cwd=cwd, capture_output=True, text=True,
                             timeout=60)
        assert res.returncode == 0, f"{lang} snippet failed:\n{res.stdout}\n{res.stderr}"
        if lang == "sh":  # curl -s prints the answer: a full success has no partialSuccess
            assert json.loads(res.stdout).get("partialSuccess", {}) == {}, res.stdout
        wait_until(lambda n=n: proc.metric(SENT, {"exporter": "debug"}) >= n, 30.0,
                   f"the {lang} snippet's span to be exported")
        assert proc.metric(ACCEPTED, {"receiver": "otlp"}) == n, f"{lang}: one span each"
        wait_until(lambda n=n: _hello_spans(proc) >= n, 10.0, f"the {lang} span in the output")
        assert _hello_spans(proc) == n
    stderr = proc.stderr()
    assert "5b8efff798038103d269b633813fc60c" in stderr  # curl's trace ID, as written
    assert "service.name: Str(curl)" in stderr
    proc.stop()
    proc.assert_no_errors()


def test_sending_data_snippets_as_written(start_otelpy: StartOtelpy,
                                          node_sender_dir: Path) -> None:
    snippets = sending_data_snippets(README.read_text(encoding="utf-8"))
    assert [lang for lang, _ in snippets] == list(LANGUAGES), snippets
    run_on_fixed_ports(lambda: _run_snippets(start_otelpy, node_sender_dir, snippets),
                       DEFAULT_PORTS)
