"""Webhook recorder for the notify_storm benchmark (a separate process, not charged).

    python recorder.py PORT

``POST /hook/<side>`` records (arrival wall time, side, groupKey, groupLabels, number of
alerts, status) of an Alertmanager webhook payload (version 4); ``GET /records`` answers
them all as JSON.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from aiohttp import web

RECORDS: list[dict[str, Any]] = []


async def hook(request: web.Request) -> web.Response:
    arrived = time.time()
    try:
        payload = json.loads(await request.read())
    except ValueError:
        return web.Response(status=400, text="not JSON")
    RECORDS.append({"at": arrived, "side": request.match_info["side"],
                    "group_key": payload.get("groupKey", ""),
                    "group_labels": payload.get("groupLabels", {}),
                    "alerts": len(payload.get("alerts", [])),
                    "status": payload.get("status", "")})
    return web.Response(status=200)


async def records(_: web.Request) -> web.Response:
    return web.json_response(RECORDS)


def main() -> None:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.add_routes([web.post("/hook/{side}", hook), web.get("/records", records)])
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)


if __name__ == "__main__":
    main()
