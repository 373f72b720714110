"""Email notifications to a real SMTP server (aiosmtpd): STARTTLS with AUTH, implicit TLS,
and a refused password; the message has a text and an HTML part."""

from __future__ import annotations

import email
import email.policy
import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from otelpy.testing.certs import TLSFiles, write_tls_files
from otelpy.testing.polling import until
from otelpy.testing.process import free_port
from tests.exporters.notify.harness import alert_batch, running

USER, PASSWORD = "alerts", "s3cret-pass"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[Envelope, EmailMessage]] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        msg = email.message_from_bytes(envelope.original_content or b"",
                                       policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append((envelope, msg))
        return "250 OK"

    def authenticate(self, server: SMTP, session: Session, envelope: Envelope,
                     mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.login.decode() == USER and \
            data.password.decode() == PASSWORD
        if ok:
            self.logins.append(f"{mechanism}:{data.login.decode()}")
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def tls(tmp_path: Path) -> TLSFiles:
    return write_tls_files(tmp_path / "tls")


def _server_context(tls: TLSFiles) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(tls.server_cert, tls.server_key)
    return ctx


@pytest.fixture
def smtp_starttls(tls: TLSFiles) -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=_server_context(tls),
                     require_starttls=True, auth_required=True, auth_require_tls=True,
                     authenticator=inbox.authenticate)
    ctl.start()
    yield inbox, port
    ctl.stop()


@pytest.fixture
def smtp_implicit(tls: TLSFiles) -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    # aiosmtpd only counts STARTTLS as TLS for auth_require_tls: the whole session is TLS here
    ctl = Controller(inbox, hostname="127.0.0.1", port=port, ssl_context=_server_context(tls),
                     auth_required=True, auth_require_tls=False,
                     authenticator=inbox.authenticate)
    ctl.start()
    yield inbox, port
    ctl.stop()


def _doc(port: int, tls: TLSFiles, **email_cfg: Any) -> dict[str, Any]:
    return {"route": {"receiver": "mail", "group_by": ["alertname"], "group_wait": "10s"},
            "receivers": [{"name": "mail", "email_configs": [{
                "to": "oncall@example.com, lead@example.com", "from": "otelpy@example.com",
                "smarthost": f"127.0.0.1:{port}", "auth_username": USER,
                "tls_config": {"ca_file": str(tls.ca), "server_name": "localhost"},
                **email_cfg}]}],
            "rate_limits": {"email": 0},
            "retry_on_failure": {"initial_interval": "1s", "max_interval": "2s",
                                 "max_elapsed_time": "10s"}}


ALERT = {"labels": {"alertname": "DiskFull", "severity": "critical", "host": "db1"},
         "annotations": {"summary": "disk <full> on db1"}}


def _check(msg: EmailMessage) -> None:
    assert msg["Subject"] == '[FIRING:1] DiskFull (critical db1)' or \
        msg["Subject"].startswith("[FIRING:1] DiskFull")
    assert msg["To"] == "oncall@example.com, lead@example.com"
    assert msg["From"] == "otelpy@example.com"
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    plain = text.get_content()
    assert "alertname=DiskFull" in plain and "summary: disk <full> on db1" in plain
    markup = html.get_content()
    assert "<html>" in markup and "disk &lt;full&gt; on db1" in markup


async def test_starttls_with_auth_delivers_text_and_html(
        smtp_starttls: tuple[Inbox, int], tls: TLSFiles) -> None:
    inbox, port = smtp_starttls
    async with running(_doc(port, tls, auth_password=PASSWORD, require_tls=True)) as run:
        await run.exporter.consume_logs(alert_batch(ALERT))
        await run.clock.advance(10)
        await until(lambda: len(inbox.messages) == 1, within=20)
    envelope, msg = inbox.messages[0]
    assert envelope.rcpt_tos == ["oncall@example.com", "lead@example.com"]
    assert envelope.mail_from == "otelpy@example.com"
    assert inbox.logins and inbox.logins[0].endswith(":alerts")
    _check(msg)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
async def test_implicit_tls_with_auth(smtp_implicit: tuple[Inbox, int],
                                      tls: TLSFiles) -> None:
    inbox, port = smtp_implicit
    doc = _doc(port, tls, auth_password=PASSWORD, implicit_tls=True)
    async with running(doc) as run:
        await run.exporter.consume_logs(alert_batch(ALERT))
        await run.clock.advance(10)
        await until(lambda: len(inbox.messages) == 1, within=20)
    assert inbox.logins and inbox.logins[0].endswith(":alerts")
    _check(inbox.messages[0][1])


async def test_wrong_password_is_a_permanent_failure_counted_not_retried(
        smtp_starttls: tuple[Inbox, int], tls: TLSFiles) -> None:
    inbox, port = smtp_starttls
    async with running(_doc(port, tls, auth_password="wrong", require_tls=True)) as run:
        await run.exporter.consume_logs(alert_batch(ALERT))
        await run.clock.advance(10)
        stats = run.exporter.am.pipeline.stats
        await until(lambda: stats.failed.get("email") == 1, within=20)
        assert inbox.messages == [] and inbox.logins == []
