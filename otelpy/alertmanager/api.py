"""The ``/api`` views of an :class:`Alertmanager` on the ``status`` extension, in
Alertmanager's API v2 shapes: ``GET/POST /silences``, ``DELETE /silences/{id}``,
``GET /alerts`` (``filter`` matchers, ``active``/``silenced``/``inhibited`` flags, ``limit``),
``POST /alerts/{fingerprint}/ack`` and ``GET /incidents`` (``state`` all | firing |
resolved, ``limit``; newest first). Every change is saved before the answer."""

from __future__ import annotations

from typing import Any

from otelpy.alertmanager.alerts import iso
from otelpy.alertmanager.engine import Alertmanager
from otelpy.alertmanager.labels import MatcherError, parse_matchers
from otelpy.alertmanager.silences import SilenceError
from otelpy.statusapi import ApiError, ApiHandler, ApiRequest

__all__ = ["routes"]

MAX_LIMIT = 10_000


def _filters(req: ApiRequest) -> list[Any]:
    try:
        return [m for text in req.values("filter") for m in parse_matchers(text)]
    except MatcherError as exc:
        raise ApiError(400, f"filter: {exc}") from None


def _flag(req: ApiRequest, name: str) -> bool:
    raw = req.param(name, "true")
    if raw not in ("true", "false"):
        raise ApiError(400, f"{name}: expected true or false, got {raw!r}")
    return raw == "true"


def routes(am: Alertmanager) -> list[tuple[str, str, ApiHandler]]:
    """(method, path, handler) for each view."""

    async def list_silences(req: ApiRequest) -> Any:
        limit = req.integer("limit", 1000, MAX_LIMIT)
        now = am.now()
        return [s.api(now) for s in am.silences.query(_filters(req), now)[:limit]]

    async def post_silence(req: ApiRequest) -> Any:
        try:
            sil = am.silences.create(req.json(), am.now())
        except SilenceError as exc:
            raise ApiError(400, str(exc)) from None
        await am.save()
        return {"silenceID": sil.id}

    async def delete_silence(req: ApiRequest) -> Any:
        sid = req.path_params["id"]
        try:
            am.silences.expire(sid, am.now())
        except KeyError:
            raise ApiError(404, f"silence {sid} not found") from None
        except SilenceError as exc:
            raise ApiError(400, str(exc)) from None
        await am.save()
        return {}

    async def list_alerts(req: ApiRequest) -> Any:
        return alerts_view(am, req)

    async def ack(req: ApiRequest) -> Any:
        esc = am.escalator
        fp_text = req.path_params["fingerprint"]
        try:
            fp = int(fp_text, 16)
        except ValueError:
            raise ApiError(400, f"not a fingerprint: {fp_text!r}") from None
        alert = am.dispatcher.store.get(fp)
        if alert is None or alert.resolved_at(am.now()):
            raise ApiError(404, f"no firing alert with fingerprint {fp_text}")
        body = req.json() if req.body else {}
        if not isinstance(body, dict):
            raise ApiError(400, "expected a JSON object")
        record = {"by": str(body.get("by", body.get("createdBy", ""))),
                  "comment": str(body.get("comment", "")), "at": iso(am.now())}
        if esc is not None:
            esc.acks[fp] = record
        await am.save()
        told = am.acknowledge(fp, set(esc.acks) if esc is not None else {fp})
        return {"fingerprint": fp_text, "acknowledged": record, "integrationsTold": told}

    async def list_incidents(req: ApiRequest) -> Any:
        state = req.param("state", "all")
        if state not in ("all", "firing", "resolved"):
            raise ApiError(400, f"state: expected all, firing or resolved, got {state!r}")
        limit = req.integer("limit", 100, MAX_LIMIT)
        corr = am.correlator
        if corr is None:
            return []
        now = am.now()
        views = [corr.view(i, now) for i in sorted(
            corr.incidents.values(), key=lambda i: i.opened_at, reverse=True)]
        return [v for v in views if state in ("all", v["status"])][:limit]

    return [("GET", "/incidents", list_incidents), ("GET", "/silences", list_silences),
            ("POST", "/silences", post_silence),
            ("DELETE", "/silences/{id}", delete_silence), ("GET", "/alerts", list_alerts),
            ("POST", "/alerts/{fingerprint}/ack", ack)]


def alerts_view(am: Alertmanager, req: ApiRequest) -> list[dict[str, Any]]:
    now = am.now()
    filters = _filters(req)
    want: dict[str, bool] = {k: _flag(req, k) for k in ("active", "silenced", "inhibited")}
    limit = req.integer("limit", 1000, MAX_LIMIT)
    receivers: dict[int, set[str]] = {}
    for ag in am.dispatcher.groups.values():
        for fp in ag.alerts:
            receivers.setdefault(fp, set()).add(ag.route.opts.receiver)
    acks = am.escalator.acks if am.escalator is not None else {}
    out = []
    def keep(st: dict[str, Any]) -> bool:
        if st["state"] == "active":
            return want["active"]
        return bool((want["silenced"] and st["silencedBy"]) or
                    (want["inhibited"] and st["inhibitedBy"]))

    for a in am.dispatcher.store.values():
        if a.resolved_at(now) or not all(m.matches(a.labels) for m in filters):
            continue
        silenced = am.silences.mutes(a.labels, now)
        by = am.inhibitor.mutes(a.labels, now)
        inhibited = [f"{by:016x}"] if by is not None else []
        view = {**a.webhook(now), "receivers": [{"name": r} for r in
                                                 sorted(receivers.get(a.fp, ()))],
                "updatedAt": iso(a.updated_at), "acknowledged": acks.get(a.fp)}
        view["status"] = {"state": "suppressed" if silenced or inhibited else "active",
                          "silencedBy": silenced, "inhibitedBy": inhibited}
        if keep(view["status"]):
            out.append(view)
        if len(out) >= limit:
            break
    return out
