"""A deterministic nginx ``combined`` access log: the same bytes for the same line count.

    python accesslog.py OUT [--lines 1000000]

Every line is a function of its index only (no random seed, no clock): addresses, users,
times (one second apart from 2026-01-01 00:00:00 +0000), methods, paths with a query,
statuses, sizes, referers and user agents cycle through fixed tables at co-prime strides,
so lines differ from their neighbours and each line's path carries its index (``?id=N``),
which makes every line unique. The regex below parses every line into 10 named groups.
"""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path

# the nginx combined format into 10 named groups (RE2 and Python re alike)
COMBINED_REGEX = (
    r'^(?P<remote_addr>\S+) - (?P<remote_user>\S+) \[(?P<time_local>[^\]]+)\] '
    r'"(?P<method>\S+) (?P<path>\S+) (?P<protocol>[^"]+)" (?P<status>\d{3}) '
    r'(?P<body_bytes_sent>\d+) "(?P<http_referer>[^"]*)" "(?P<http_user_agent>[^"]*)"$'
)

_USERS = ("-", "-", "-", "alice", "-", "bob", "-", "-", "carol")
_METHODS = ("GET", "GET", "GET", "POST", "GET", "PUT", "GET", "DELETE", "GET", "HEAD", "GET")
_PATHS = ("/", "/index.html", "/api/v1/users", "/api/v1/orders", "/static/app.js",
          "/static/style.css", "/images/logo.png", "/login", "/checkout/cart",
          "/api/v2/search", "/healthz", "/products/12345/reviews", "/favicon.ico")
_STATUSES = ("200", "200", "200", "304", "200", "404", "200", "301", "200", "500", "200",
             "201", "200", "403", "200", "502", "200")
_REFERERS = ("-", "https://www.example.com/", "https://www.google.com/search?q=shop", "-",
             "https://shop.example.com/products", "-", "https://news.example.org/a/1")
_AGENTS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
    "curl/8.5.0",
    "Googlebot/2.1 (+http://www.google.com/bot.html)",
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_START = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def line(i: int) -> str:
    """Line ``i`` (0-based), without its newline."""
    addr = f"10.{(i * 7) % 256}.{(i * 13) % 256}.{(i * 31) % 253 + 1}"
    t = _START + datetime.timedelta(seconds=i)
    when = f"{t.day:02d}/{_MONTHS[t.month - 1]}/{t.year}:{t:%H:%M:%S} +0000"
    method = _METHODS[i % len(_METHODS)]
    path = f"{_PATHS[(i * 5) % len(_PATHS)]}?id={i}"
    proto = "HTTP/2.0" if i % 3 == 0 else "HTTP/1.1"
    size = (i * 7919) % 50_000 + 120
    return (f'{addr} - {_USERS[i % len(_USERS)]} [{when}] "{method} {path} {proto}" '
            f'{_STATUSES[(i * 3) % len(_STATUSES)]} {size} '
            f'"{_REFERERS[i % len(_REFERERS)]}" "{_AGENTS[(i * 11) % len(_AGENTS)]}"')


def write(path: Path, lines: int) -> int:
    """Write ``lines`` lines to ``path`` (via a temporary name); returns its size in bytes."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="ascii", newline="\n") as out:
        chunk: list[str] = []
        for i in range(lines):
            chunk.append(line(i))
            if len(chunk) == 10_000:
                out.write("\n".join(chunk) + "\n")
                chunk.clear()
        if chunk:
            out.write("\n".join(chunk) + "\n")
    tmp.replace(path)
    return path.stat().st_size


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    p.add_argument("--lines", type=int, default=1_000_000)
    args = p.parse_args()
    print(f"{write(args.out, args.lines):,} bytes")


if __name__ == "__main__":
    main()
