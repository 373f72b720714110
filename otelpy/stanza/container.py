"""The ``container`` parser: docker json-file, CRI-O and containerd lines (format given or
detected per line), as the Collector's stanza container parser.

* docker: ``{"log": ..., "stream": ..., "time": ...}``; crio / containerd:
  ``<time> <stream> <logtag> <log>``. ``log`` becomes the body, ``stream`` the attribute
  ``log.iostream``, ``time`` the timestamp (and is removed, as with the Collector's
  ``filelog.container.removeOriginalTimeField`` gate, beta and on by default); crio and
  containerd keep ``logtag``.
* Partial lines are joined per file (``attributes["log.file.path"]``): CRI lines tagged
  ``P`` up to the next ``F`` (the Collector's internal recombine); docker lines whose ``log``
  does not end in a newline up to the next that does (otelpy's addition: docker splits lines
  over 16 KiB that way). ``max_log_size`` bounds the joined body.
* With ``add_metadata_from_filepath`` (default), ``/var/log/pods/<namespace>_<pod>_<uid>/
  <container>/<restart>.log`` sets the resource attributes ``k8s.namespace.name``,
  ``k8s.pod.name``, ``k8s.pod.uid``, ``k8s.container.name``,
  ``k8s.container.restart_count``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from otelpy.stanza.config import Container, Recombine
from otelpy.stanza.entry import Entry, Origin, parse_field
from otelpy.stanza.operator import ErrorReport, OperatorError, ParserOperator
from otelpy.stanza.parsers import as_text
from otelpy.stanza.recombine import RecombineOp
from otelpy.stanza.timeparse import TimeLayout

__all__ = ["ContainerOp"]

_DOCKER = re.compile(r"^\{")
_CRIO = re.compile(r"^(?P<time>[^ Z]+) (?P<stream>stdout|stderr) (?P<logtag>[^ ]*) ?(?P<log>.*)$",
                   re.DOTALL)
_CONTAINERD = re.compile(
    r"^(?P<time>[^ ^Z]+Z) (?P<stream>stdout|stderr) (?P<logtag>[^ ]*) ?(?P<log>.*)$", re.DOTALL)
_PATH = re.compile(r"^.*(?:/|\\)(?P<namespace>[^_]+)_(?P<pod_name>[^_]+)_(?P<uid>[a-f0-9\-]+)"
                   r"(?:/|\\)(?P<container_name>[^._]+)(?:/|\\)(?P<restart_count>\d+)\.log$")
_K8S = {"namespace": "k8s.namespace.name", "pod_name": "k8s.pod.name", "uid": "k8s.pod.uid",
        "container_name": "k8s.container.name", "restart_count": "k8s.container.restart_count"}
PATH_ATTRIBUTE = "log.file.path"


class ContainerOp(ParserOperator):
    def __init__(self, cfg: Container, report: ErrorReport, now: Callable[[], float],
                 monotonic: Callable[[], float]) -> None:
        super().__init__(cfg, report, now)
        self.cfg = cfg
        self.times = {
            "docker": TimeLayout("2006-01-02T15:04:05.999Z", "gotime", "UTC", now=now),
            "containerd": TimeLayout("2006-01-02T15:04:05.999Z", "gotime", "UTC", now=now),
            "crio": TimeLayout("2006-01-02T15:04:05.999999999Z07:00", "gotime", "Local",
                               now=now)}
        self.cri = self._recombine(cfg, "attributes.logtag == 'F'", report, monotonic)
        self.docker = self._recombine(cfg, 'body endsWith "\\n"', report, monotonic)
        self._format = ""

    def _recombine(self, cfg: Container, last: str, report: ErrorReport,
                   monotonic: Callable[[], float]) -> RecombineOp:
        op = RecombineOp(Recombine(
            type="recombine", id=f"{self.id}/recombine", is_last_entry=last,
            combine_field="body", combine_with="", max_log_size=cfg.max_log_size,
            max_unmatched_batch_size=0), report, monotonic)
        op.outputs = self.outputs  # the same list: what the pipeline links reaches both
        return op

    def process(self, entry: Entry) -> None:
        try:
            if self.skip(entry):
                self.emit(entry)
                return
            self._format = self.cfg.format or self._detect(entry)
            self.transform(entry)
        except (OperatorError, ValueError) as exc:
            self.fail(entry, str(exc))
            return
        if self._format == "docker":
            self.docker.process(entry)
        else:
            self.cri.process(entry)

    def _detect(self, entry: Entry) -> str:
        value, ok = self.parse_from.get(entry)
        if not ok or not isinstance(value, str):
            raise OperatorError("entry cannot be parsed as container logs")
        if _DOCKER.match(value):
            return "docker"
        if _CRIO.match(value):
            return "crio"
        if _CONTAINERD.match(value):
            return "containerd"
        raise OperatorError("failed to detect a valid container log format")

    def parse(self, value: Any) -> Any:
        text = as_text(value, "container logs")
        if self._format == "docker":
            try:
                parsed = json.loads(text)
            except ValueError as exc:
                raise OperatorError(f"failed to process the docker log: {exc}") from exc
            if not isinstance(parsed, dict):
                raise OperatorError("failed to process the docker log: not an object")
            return parsed
        match = (_CRIO if self._format == "crio" else _CONTAINERD).match(text)
        if match is None:
            raise OperatorError(f"failed to parse {self._format} log: regex pattern does "
                                "not match")
        return match.groupdict()

    def after_parse(self, entry: Entry) -> None:
        attrs = self.parse_to
        time_field = parse_field(f"{attrs}.time")
        value, ok = time_field.get(entry)
        if not ok:
            raise OperatorError("failed to get the time")
        entry.timestamp = self.times[self._format].parse(value)
        time_field.delete(entry)
        log, ok = parse_field(f"{attrs}.log").delete(entry)
        if not ok:
            raise OperatorError("move: field log does not exist")
        stream, ok = parse_field(f"{attrs}.stream").delete(entry)
        entry.body = log
        if ok:
            entry.attributes["log.iostream"] = stream
        if self.cfg.add_metadata_from_filepath:
            self._k8s(entry)
        super().after_parse(entry)

    def _k8s(self, entry: Entry) -> None:
        path = entry.attributes.get(PATH_ATTRIBUTE)
        if not isinstance(path, str):
            raise OperatorError(f"type {type(path).__name__} cannot be parsed as log path "
                                "field (set include_file_path: true)")
        match = _PATH.match(path)
        if match is None:
            raise OperatorError("failed to detect a valid log path")
        for group, key in _K8S.items():
            entry.resource[key] = match.group(group)

    def flush_due(self, now: float) -> None:
        self.cri.flush_due(now)
        self.docker.flush_due(now)

    def flush_all(self) -> None:
        self.cri.flush_all()
        self.docker.flush_all()

    def held(self) -> list[Origin]:
        return self.cri.held() + self.docker.held()
