"""Go's ``math.Sin`` and ``math.Cos`` (Cephes polynomials after an octant reduction with Pi/4
in three parts), so ``sin`` and ``cos`` give Prometheus's bits; glibc's differ in the last bit
for some arguments. Arguments from 2^29 on need Go's Payne-Hanek reduction, which is not
reproduced: there the platform's function answers."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

_SIN = (1.58962301576546568060e-10, -2.50507477628578072866e-8, 2.75573136213857245213e-6,
        -1.98412698295895385996e-4, 8.33333333332211858878e-3, -1.66666666666666307295e-1)
_COS = (-1.13585365213876817300e-11, 2.08757008419747316778e-9, -2.75573141792967388112e-7,
        2.48015872888517045348e-5, -1.38888888888730564116e-3, 4.16666666666665929218e-2)
_PI4A, _PI4B, _PI4C = 7.85398125648498535156e-1, 3.77489470793079817668e-8, \
    2.69515142907905952645e-15
_REDUCE_THRESHOLD = float(1 << 29)


def _four_over_pi() -> float:
    """Go's constant ``4 / Pi``: computed exactly, rounded once (not 4 / math.pi)."""
    with localcontext() as ctx:
        ctx.prec = 60
        return float(Decimal(4) / Decimal(
            "3.14159265358979323846264338327950288419716939937510582097494459"))


_FOUR_OVER_PI = _four_over_pi()


def _octant(x: float) -> tuple[int, float]:
    """(octant 0..7, reduced argument) of a non-negative finite ``x`` below 2^29."""
    j = int(x * _FOUR_OVER_PI)
    y = float(j)
    if j & 1:
        j += 1
        y += 1
    return j & 7, ((x - y * _PI4A) - y * _PI4B) - y * _PI4C


def _sin_poly(z: float, zz: float) -> float:
    s = _SIN
    return z + z * zz * ((((((s[0] * zz) + s[1]) * zz + s[2]) * zz + s[3]) * zz + s[4]) * zz
                         + s[5])


def _cos_poly(zz: float) -> float:
    c = _COS
    return 1.0 - 0.5 * zz + zz * zz * ((((((c[0] * zz) + c[1]) * zz + c[2]) * zz + c[3]) * zz
                                        + c[4]) * zz + c[5])


def sin(x: float) -> float:
    if x == 0 or x != x:
        return x
    if math.isinf(x):
        return math.nan
    sign = x < 0
    x = abs(x)
    if x >= _REDUCE_THRESHOLD:
        return -math.sin(x) if sign else math.sin(x)
    j, z = _octant(x)
    if j > 3:
        sign, j = not sign, j - 4
    zz = z * z
    y = _cos_poly(zz) if j in (1, 2) else _sin_poly(z, zz)
    return -y if sign else y


def cos(x: float) -> float:
    if x != x or math.isinf(x):
        return math.nan
    x = abs(x)
    if x >= _REDUCE_THRESHOLD:
        return math.cos(x)
    j, z = _octant(x)
    sign = False
    if j > 3:
        j, sign = j - 4, not sign
    if j > 1:
        sign = not sign
    zz = z * z
    y = _sin_poly(z, zz) if j in (1, 2) else _cos_poly(zz)
    return -y if sign else y
