"""Masking: which parts of a message become ``<*>`` (table from the module's rules)."""

from __future__ import annotations

import pytest

from otelpy.logmine import mask, tokenize

CASES = [
    ("PacketResponder 1 for block blk_38865049064139660 terminating",
     "PacketResponder <*> for block <*> terminating"),
    ("10.250.19.102:50010 Served block blk_-1 to /10.250.19.102",
     "<*> Served block <*> to <*>"),
    ("Deleting file /mnt/hadoop/dfs/data/current/subdir21", "Deleting file <*>"),
    ("open ./conf/app.yaml failed", "open <*> failed"),
    ("fetch https://example.com/a?b=c done", "fetch <*> done"),
    ("mail to ops@example.com bounced", "mail to <*> bounced"),
    ("request 123e4567-e89b-12d3-a456-426614174000 took 35ms",
     "request <*> took <*>"),
    ("addr 0x7fff5fbff8a8 flags 0xdeadbeef", "addr <*> flags <*>"),
    ("size=1234, ok", "size=<*>, ok"),
    ("PendingReds:0 ScheduledMaps:12", "PendingReds:<*> ScheduledMaps:<*>"),
    ("Finished task 3.0 in stage 1.0 (TID 45).", "Finished task <*> in stage <*> (TID <*>"),
    ("at 2017-06-09 20:10:40,123 node-17 up", "at <*> <*> <*> up"),
    ("Connection closed by user", "Connection closed by user"),
    ("state RUNNING -> FINISHED", "state RUNNING -> FINISHED"),
    ("", ""),
]


@pytest.mark.parametrize(("message", "masked"), CASES, ids=[c[0][:30] or "empty" for c in CASES])
def test_mask(message: str, masked: str) -> None:
    assert " ".join(tokenize(message)) == masked


def test_mask_keeps_spacing_outside_variables() -> None:
    assert mask("a  1\tb") == "a  <*>\tb"
