"""A throwaway nginx on loopback for tests: ``/ok`` answers 200, ``/teapot`` 418,
``/status`` is stub_status (the nginx receiver's source); anything else 404."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from otelpy.testing.process import free_port

__all__ = ["nginx_server"]

_CONF = """daemon off; worker_processes 1; pid {d}/nginx.pid; error_log {d}/error.log warn;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fcgi;
  uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
  server {{ listen 127.0.0.1:{port};
    location = /ok {{ return 200 "ok"; }}
    location = /teapot {{ return 418; }}
    location = /status {{ stub_status; }}
    location / {{ return 404; }} }}
}}
"""


@contextlib.contextmanager
def nginx_server() -> Iterator[str]:
    """Start nginx; yield its base URL (``http://127.0.0.1:PORT``); stop it after."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    with tempfile.TemporaryDirectory(prefix="otelpy-nginx-") as d:
        port = free_port()
        conf = Path(d) / "nginx.conf"
        conf.write_text(_CONF.format(d=d, port=port))
        proc = subprocess.Popen([binary, "-p", d, "-c", str(conf)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30.0
            while True:
                try:
                    with urllib.request.urlopen(base + "/ok", timeout=1.0):
                        break
                except (urllib.error.URLError, OSError):
                    if proc.poll() is not None or time.monotonic() > deadline:
                        err = proc.stderr.read().decode() if proc.stderr else ""
                        raise RuntimeError(f"nginx did not start: {err}") from None
                    time.sleep(0.02)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(10.0)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
