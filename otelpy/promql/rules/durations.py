"""Go's two ways of printing a duration: ``time.Duration.String`` (``1m0s``) and Prometheus's
``model.Duration.String`` (``1m``, ``1h30m``, ``2w``)."""

from __future__ import annotations


def model_duration(ms: int) -> str:
    if ms == 0:
        return "0s"
    out = ""
    for unit, mult, exact in (("y", 365 * 86400_000, True), ("w", 7 * 86400_000, True),
                              ("d", 86400_000, False), ("h", 3600_000, False),
                              ("m", 60_000, False), ("s", 1000, False), ("ms", 1, False)):
        if exact and ms % mult:
            continue
        v = ms // mult
        if v > 0:
            out += f"{v}{unit}"
            ms -= v * mult
    return out


def go_duration(ms: int) -> str:
    if ms == 0:
        return "0s"
    sign = "-" if ms < 0 else ""
    ms = abs(ms)
    if ms < 1000:
        return f"{sign}{ms}ms"
    h, rest = divmod(ms, 3600_000)
    m, rest = divmod(rest, 60_000)
    s, frac = divmod(rest, 1000)
    secs = f"{s}" + (f".{frac:03d}".rstrip("0") if frac else "") + "s"
    if h:
        return f"{sign}{h}h{m}m{secs}"
    if m:
        return f"{sign}{m}m{secs}"
    return sign + secs
