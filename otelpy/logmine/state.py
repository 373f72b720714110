"""A miner's state as bytes (for the storage extension) and back.

The format is zlib-compressed JSON with a version number::

    {"version": 1, "seen": n, "evicted": n, "merged": n, "aliases": {old id: live id},
     "patterns": [{"id", "template", "count", "first_seen", "last_seen",
                   "clusters": [{"tokens", "path", "born", "count", "last_seen"}]}]}

Restoring rebuilds the tree from each cluster's recorded path, so a restored miner answers
exactly as the original would have. The options are not stored: the caller passes the current
ones (a smaller ``max_patterns`` evicts the least recently seen templates at once).
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from otelpy.logmine.miner import TemplateMiner
from otelpy.logmine.patterns import Cluster, MinerOptions, Pattern
from otelpy.logmine.tree import TreeNode

__all__ = ["StateError", "dump", "load"]

VERSION = 1
_MAX_STATE = 256 * 1024 * 1024


class StateError(ValueError):
    """Saved state that cannot be read (damaged, or written by an unknown version)."""


def dump(miner: TemplateMiner) -> bytes:
    """The miner's state as bytes."""
    patterns = [{
        "id": p.id, "template": p.template, "count": p.count,
        "first_seen": p.first_seen, "last_seen": p.last_seen,
        "clusters": [{"tokens": c.tokens, "path": list(c.path), "born": c.born,
                      "count": c.count, "last_seen": c.last_seen} for c in p.clusters],
    } for p in miner.patterns()]
    doc = {"version": VERSION, "seen": miner.seen, "evicted": miner.evicted,
           "merged": miner.merged, "aliases": miner.aliases(), "patterns": patterns}
    return zlib.compress(json.dumps(doc, separators=(",", ":")).encode(), 6)


def load(data: bytes, options: MinerOptions | None = None) -> TemplateMiner:
    """A miner restored from :func:`dump` output. Raises StateError when ``data`` is not
    such output."""
    try:
        raw = zlib.decompressobj().decompress(data, _MAX_STATE)
        doc = json.loads(raw)
    except (zlib.error, ValueError) as exc:
        raise StateError(f"pattern state is damaged: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("version") != VERSION:
        version = doc.get("version") if isinstance(doc, dict) else None
        raise StateError(f"pattern state has version {version!r}, expected {VERSION}")
    miner = TemplateMiner(options)
    try:
        patterns = [_pattern(p) for p in doc["patterns"]]
        aliases = {str(k): str(v) for k, v in doc["aliases"].items()}
        counters = (int(doc["seen"]), int(doc["evicted"]), int(doc["merged"]))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise StateError(f"pattern state is malformed: {exc!r}") from exc
    miner.restore(patterns, aliases, counters)
    return miner


def _pattern(doc: dict[str, Any]) -> Pattern:
    pattern = Pattern(str(doc["id"]), str(doc["template"]), int(doc["count"]),
                      int(doc["first_seen"]), int(doc["last_seen"]))
    for c in doc["clusters"]:
        tokens = [str(t) for t in c["tokens"]]
        path = tuple(str(k) for k in c["path"])
        pattern.clusters.append(Cluster(
            tokens, pattern, path, leaf=TreeNode(), born=int(c["born"]),
            count=int(c["count"]), last_seen=int(c["last_seen"])))
    if not pattern.clusters:
        raise ValueError(f"pattern {pattern.id} has no clusters")
    return pattern
