"""What the benchmark needs on a fresh machine (h2load, rotel) and what it reports about it."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WORK = REPO / "benchmarks" / ".work"  # git-ignored
ROTEL_VENV = WORK / "venv"


def _run(cmd: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def ensure_h2load() -> str:
    """Path of h2load, installing Debian's nghttp2-client with apt-get if missing.

    Raises RuntimeError when it is missing and cannot be installed.
    """
    found = shutil.which("h2load")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise RuntimeError("h2load is missing: apt-get install nghttp2-client (needs root)")
    print("installing nghttp2-client (h2load) with apt-get ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "-q", "nghttp2-client"]
    if subprocess.run(install, env=env, check=False, timeout=600).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, check=False, timeout=600)
        subprocess.run(install, env=env, check=True, timeout=600)
    found = shutil.which("h2load")
    if not found:
        raise RuntimeError("nghttp2-client installed but h2load is not on PATH")
    return found


def _rotel_binary() -> Path | None:
    for site in sorted(ROTEL_VENV.glob("lib/python3*/site-packages")):
        binary = site / "rotel" / "rotel-agent"
        if binary.is_file():
            return binary
    return None


def ensure_rotel(spec: str) -> Path:
    """The rotel-agent binary from the ``rotel`` wheel, pip-installed into .work/venv if missing."""
    binary = _rotel_binary()
    if binary is not None:
        return binary
    print(f"installing {spec} into {ROTEL_VENV} ...", flush=True)
    if not (ROTEL_VENV / "bin" / "pip").exists():
        subprocess.run([sys.executable, "-m", "venv", str(ROTEL_VENV)], check=True, timeout=300)
    subprocess.run([str(ROTEL_VENV / "bin" / "pip"), "install", "-q", spec],
                   check=True, timeout=600)
    binary = _rotel_binary()
    if binary is None:
        raise RuntimeError(f"pip installed {spec} but no rotel/rotel-agent binary was found")
    binary.chmod(0o755)
    return binary


def rotel_version(binary: Path) -> str:
    """'<wheel version> (<binary's own --version>)'."""
    infos = binary.parents[1].glob("rotel-*.dist-info")
    wheel = next((p.name.removesuffix(".dist-info").split("-")[1] for p in infos), "?")
    out = _run([str(binary), "--version"], 30).stdout.strip()
    return f"{wheel} ({out})" if out else wheel


def otelpy_version() -> str:
    """The repo's git sha, with '+dirty' when tracked files differ from it."""
    sha = _run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], 30).stdout.strip()
    dirty = _run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"], 30)
    return (sha or "unknown") + ("+dirty" if dirty.stdout.strip() else "")


def h2load_version(binary: str) -> str:
    return _run([binary, "--version"], 30).stdout.strip()


def machine() -> str:
    """'N cores, <CPU model>, Linux <release>, Python <version>'."""
    model = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} cores, {model}, Linux {platform.release()}, "
            f"Python {platform.python_version()}")


def check_otelpy(binary: Path) -> str | None:
    """None when ``otelpy --version`` works, else why not."""
    if not binary.exists():
        return f"{binary} does not exist"
    try:
        res = _run([str(binary), "--version"], 60)
    except subprocess.TimeoutExpired:
        return "otelpy --version timed out"
    if res.returncode != 0:
        last = (res.stderr or res.stdout).strip().splitlines()[-1:] or ["no output"]
        return f"otelpy --version failed: {last[0]}"
    return None
