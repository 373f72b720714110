"""One miner over the Loghub 2k messages, run in its own process (and its own venv for
drain3): writes JSON with the group label of every message and the CPU seconds spent mining.

    python worker.py --data DIR --engine otelpy|drain3|drain3-masked --out FILE [--repeat N]

Every repeat mines each system's 2,000 messages with a fresh miner; only the mining loop is
timed (``time.process_time``: this process's user+system CPU), not the CSV reading. Labels
come from the first repeat. For otelpy the label is the pattern a message ended in (IDs of
patterns merged later are followed to the live pattern: ``TemplateMiner.resolve``), and
``online`` holds the ID returned when the message was mined; for drain3 the cluster_id
(drain3 never merges clusters).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scoring import SYSTEMS, load_system  # noqa: E402

# The masking of Drain3's own example configuration (logpai/Drain3 examples/drain3.ini,
# [MASKING] section, with mask_prefix "<:" and mask_suffix ":>"): the peer's documented
# masking, given to it as its configuration.
_B, _E = r"((?<=[^A-Za-z0-9])|^)", r"((?=[^A-Za-z0-9])|$)"
DRAIN3_EXAMPLE_MASKING = [
    (_B + r"(([0-9a-f]{2,}:){3,}([0-9a-f]{2,}))" + _E, "ID"),
    (_B + r"(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})" + _E, "IP"),
    (_B + r"([0-9a-f]{6,} ?){3,}" + _E, "SEQ"),
    (_B + r"([0-9A-F]{4} ?){4,}" + _E, "SEQ"),
    (_B + r"(0x[a-f0-9A-F]+)" + _E, "HEX"),
    (_B + r"([\-\+]?\d+)" + _E, "NUM"),
    (r'(?<=executed cmd )(".+?")', "CMD"),
]


def drain3_example_ini() -> str:
    masking = [{"regex_pattern": p, "mask_with": m} for p, m in DRAIN3_EXAMPLE_MASKING]
    return (f"[MASKING]\nmasking = {json.dumps(masking)}\n"
            "mask_prefix = <:\nmask_suffix = :>\n")


Miner = Callable[[list[str]], tuple[list[str], list[str]]]


def otelpy_miner() -> Miner:
    from otelpy.logmine import TemplateMiner

    def run(messages: list[str]) -> tuple[list[str], list[str]]:
        miner = TemplateMiner()
        add = miner.add
        online = [add(m).pattern_id for m in messages]
        return [miner.resolve(i) or i for i in online], online
    return run


def drain3_miner(masked: bool, work: Path) -> Miner:
    from drain3 import TemplateMiner  # type: ignore[import-not-found]
    from drain3.template_miner_config import TemplateMinerConfig  # type: ignore[import-not-found]

    config = TemplateMinerConfig()
    if masked:
        ini = work / "drain3-example-masking.ini"
        ini.write_text(drain3_example_ini())
        config.load(str(ini))
    config.profiling_enabled = False

    def run(messages: list[str]) -> tuple[list[str], list[str]]:
        miner = TemplateMiner(config=config)
        add = miner.add_log_message
        labels = [str(add(m)["cluster_id"]) for m in messages]
        return labels, labels
    return run


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--engine", choices=["otelpy", "drain3", "drain3-masked"], required=True)
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--work", type=Path, default=Path.cwd())
    args = p.parse_args()
    corpus = {s: load_system(args.data, s, corrected=False)[0] for s in SYSTEMS}
    if args.engine == "otelpy":
        run = otelpy_miner()
    else:
        run = drain3_miner(args.engine == "drain3-masked", args.work)
    labels: dict[str, list[str]] = {}
    online: dict[str, list[str]] = {}
    cpu = 0.0
    for i in range(args.repeat):
        for system, messages in corpus.items():
            start = time.process_time()
            final, first = run(messages)
            cpu += time.process_time() - start
            if i == 0:
                labels[system], online[system] = final, first
    total = args.repeat * sum(len(m) for m in corpus.values())
    args.out.write_text(json.dumps({
        "engine": args.engine, "labels": labels, "online": online, "cpu_s": cpu,
        "messages": total, "pid": os.getpid()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
