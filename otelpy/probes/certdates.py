"""The expiry date of a DER certificate, without a crypto library (stdlib ``ssl`` gives it
only for verified peers): a walk to ``tbsCertificate.validity.notAfter``."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["not_after"]


def _header(der: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of content, content length) of the element at ``pos``."""
    tag = der[pos]
    length = der[pos + 1]
    pos += 2
    if length & 0x80:
        size = length & 0x7F
        if not 0 < size <= 4:
            raise ValueError("unsupported DER length")
        length = int.from_bytes(der[pos:pos + size], "big")
        pos += size
    if pos + length > len(der):
        raise ValueError("truncated DER")
    return tag, pos, length


def _time(tag: int, text: str) -> datetime:
    if tag == 0x17:  # UTCTime YYMMDDHHMMSSZ: years 50-99 are 19xx (RFC 5280)
        year = int(text[:2])
        text = f"{1900 + year if year >= 50 else 2000 + year}{text[2:]}"
    elif tag != 0x18:  # GeneralizedTime YYYYMMDDHHMMSSZ
        raise ValueError("validity time is neither UTCTime nor GeneralizedTime")
    return datetime.strptime(text.rstrip("Z"), "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def not_after(der: bytes) -> datetime:
    """The ``notAfter`` of an X.509 certificate in DER. Raises ValueError (or IndexError on
    garbage) when ``der`` is not one."""
    _, cert, _ = _header(der, 0)  # Certificate SEQUENCE
    _, pos, _ = _header(der, cert)  # tbsCertificate SEQUENCE
    tag, start, length = _header(der, pos)
    if tag == 0xA0:  # [0] version: skip it
        pos = start + length
        tag, start, length = _header(der, pos)
    pos = start + length  # serialNumber
    for _ in range(2):  # signature AlgorithmIdentifier, issuer Name
        _, start, length = _header(der, pos)
        pos = start + length
    _, validity, _ = _header(der, pos)
    _, start, length = _header(der, validity)  # notBefore
    tag, start, length = _header(der, start + length)  # notAfter
    return _time(tag, der[start:start + length].decode("ascii"))
