"""A small mixed log, written out (no randomness), used by the miner and state tests."""

from __future__ import annotations

LINES = [
    *(f"Accepted password for {u} from 10.0.{i}.{i * 7 % 250} port {2000 + i} ssh2"
      for i, u in enumerate(["root", "admin", "alice", "bob", "carol", "dave", "erin"] * 3)),
    *(f"Received block blk_{i * 7919} of size {i * 1024} from /10.1.0.{i}" for i in range(15)),
    *(f"Connection closed by 10.2.0.{i} [preauth]" for i in range(10)),
    *(f"session {h} opened for user {u} by (uid=0)"
      for h, u in zip(["a1b2", "c3d4", "e5f6", "0a0b"], ["root", "www", "git", "ci"],
                      strict=True)),
    *(f"Job job_{i:04d} moved from NEW to {s}"
      for i, s in enumerate(["RUNNING", "FAILED", "RUNNING", "KILLED"])),
    "GET /index.html HTTP/1.1 200",
    "GET /static/app.js HTTP/1.1 304",
    "worker started",
    "worker stopped",
]
