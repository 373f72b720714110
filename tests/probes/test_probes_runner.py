"""Running one probe: timeouts on the clock, errors and garbage reported, never raised; what
a custom function may return; certificate expiry read from DER; JSON paths."""

from __future__ import annotations

import asyncio
import datetime as dt
import math

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from otelpy.probes.base import run_probe
from otelpy.probes.certdates import not_after
from otelpy.probes.http import json_at
from otelpy.probes.result import ProbeResult, Status, coerce_result, json_details
from otelpy.testing.certs import CertificateAuthority
from otelpy.testing.clock import FakeClock


class Fixed:
    def __init__(self, value: object = None, error: BaseException | None = None,
                 hang: bool = False) -> None:
        self.value, self.error, self.hang = value, error, hang
        self.cancelled = False

    async def check(self) -> ProbeResult:
        if self.hang:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                self.cancelled = True
                raise
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]

    async def close(self) -> None:
        return None


class Stubborn:
    """Ignores cancellation once: the runner must not wait for it."""

    async def check(self) -> ProbeResult:
        for _ in range(2):
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                continue
        return ProbeResult(Status.HEALTHY)

    async def close(self) -> None:
        return None


async def test_hung_probe_is_cut_at_its_timeout_on_the_clock() -> None:
    clock = FakeClock()
    probe = Fixed(hang=True)
    run = asyncio.create_task(run_probe(probe, 5.0, clock))
    await clock.advance(4.9)
    assert not run.done()
    await clock.advance(0.2)
    result, elapsed = await run
    assert result.status is Status.FAILED
    assert result.message == "timed out after 5s"
    assert elapsed == pytest.approx(5.0)
    assert probe.cancelled


async def test_probe_ignoring_cancellation_does_not_hang_the_runner() -> None:
    clock = FakeClock()
    run = asyncio.create_task(run_probe(Stubborn(), 1.0, clock))
    await clock.advance(1.0)
    result, _ = await asyncio.wait_for(run, 5)
    assert result.status is Status.FAILED


@pytest.mark.parametrize(("probe", "status", "message"), [
    (Fixed(error=RuntimeError("boom")), Status.FAILED, "RuntimeError: boom"),
    (Fixed(error=KeyError("k")), Status.FAILED, "KeyError: 'k'"),
    (Fixed(value=42), Status.FAILED, "the check returned 42; expected"),
    (Fixed(value=ProbeResult(Status.WARNING, {"a": 1}, "near")), Status.WARNING, "near"),
    (Fixed(value="critical"), Status.CRITICAL, ""),
], ids=["raises", "raises-keyerror", "garbage", "result", "string"])
async def test_errors_and_garbage_are_results(probe: Fixed, status: Status,
                                              message: str) -> None:
    result, _ = await run_probe(probe, 1.0, FakeClock())
    assert result.status is status
    assert result.message.startswith(message)


@pytest.mark.parametrize(("value", "status", "details"), [
    ("healthy", Status.HEALTHY, {}),
    ({"status": "warning", "details": {"x": 1.5}}, Status.WARNING, {"x": 1.5}),
    ({"status": "critical", "message": "down"}, Status.CRITICAL, {}),
    ({"status": "fine"}, Status.FAILED, {}),
    ({"status": "healthy", "details": [1]}, Status.FAILED, {}),
    ({"status": "healthy", "message": 3}, Status.FAILED, {}),
    ("failed", Status.FAILED, {}),  # a check cannot claim the runner's own verdict
    (None, Status.FAILED, {}),
    (object(), Status.FAILED, {}),
], ids=["string", "mapping", "message", "bad-status", "bad-details", "bad-message",
        "failed-string", "none", "object"])
def test_coerce_result(value: object, status: Status, details: dict[str, object]) -> None:
    result = coerce_result(value)
    assert result.status is status
    assert dict(result.details) == details


def test_details_are_bounded_and_json_safe() -> None:
    big = {f"k{i}": i for i in range(100)}
    assert len(json_details(big)) == 32
    out = json_details({"nan": math.nan, "s": "x" * 10_000, "obj": object(),
                        "nested": {"a": [1, {"b": math.inf}]}, "none": None})
    assert out["nan"] == "nan"
    assert len(out["s"]) == 512
    assert out["obj"].startswith("<object object")
    assert out["nested"] == {"a": [1, {"b": "inf"}]}
    assert out["none"] is None


def test_not_after_reads_der_certificates() -> None:
    ca = CertificateAuthority()
    leaf = x509.load_pem_x509_certificate(ca.issue("localhost", server=True).cert_pem)
    for cert in (ca.cert, leaf):
        der = cert.public_bytes(serialization.Encoding.DER)
        assert not_after(der) == cert.not_valid_after_utc
    with pytest.raises((ValueError, IndexError)):
        not_after(b"\x30\x03\x02\x01\x01")


def test_not_after_generalized_time_after_2050() -> None:
    ca = CertificateAuthority()
    far = dt.datetime(2051, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    cert = ca.cert  # re-sign a copy valid until 2051 (GeneralizedTime in DER)
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    key = ec.generate_private_key(ec.SECP256R1())
    again = (x509.CertificateBuilder().subject_name(cert.subject).issuer_name(cert.subject)
             .public_key(key.public_key()).serial_number(1)
             .not_valid_before(dt.datetime(2020, 1, 1, tzinfo=dt.UTC)).not_valid_after(far)
             .sign(key, hashes.SHA256()))
    assert not_after(again.public_bytes(serialization.Encoding.DER)) == far


@pytest.mark.parametrize(("path", "expected"), [
    ("status", "ok"), ("$.status", "ok"), ("$.checks.db.up", True),
    ("items[1].state", "b"), ("items[5].state", "missing"), ("checks.nope", "missing"),
    ("nothing", "missing"), ("$.zero", 0),
])
def test_json_at(path: str, expected: object) -> None:
    doc = {"status": "ok", "checks": {"db": {"up": True}}, "zero": 0,
           "items": [{"state": "a"}, {"state": "b"}]}
    value = json_at(doc, path)
    assert (value if value is not json_at({}, "x") else "missing") == expected
