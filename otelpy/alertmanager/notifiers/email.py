"""``email_configs``: SMTP with aiosmtplib (imported when the first email is built):
STARTTLS (``require_tls``), implicit TLS on port 465, LOGIN/PLAIN auth, a text and an HTML
part. Connection errors and 4xx answers are retryable, 5xx permanent."""

from __future__ import annotations

import importlib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from otelpy.alertmanager.config import EmailConfig, GlobalConfig
from otelpy.alertmanager.notification import Notification
from otelpy.alertmanager.notifiers.http import RateLimit
from otelpy.alertmanager.templates import Templater, text_body
from otelpy.errors import PermanentError, RetryableError

__all__ = ["EmailNotifier"]


class _NamedContext(ssl.SSLContext):
    """A client context verifying ``server_name`` (tls_config.server_name) instead of the
    host connected to, as Go's tls.Config.ServerName does."""

    server_name = ""

    def wrap_bio(self, incoming: ssl.MemoryBIO, outgoing: ssl.MemoryBIO,
                 server_side: bool = False, server_hostname: str | bytes | None = None,
                 session: ssl.SSLSession | None = None) -> ssl.SSLObject:
        return super().wrap_bio(incoming, outgoing, server_side,
                                self.server_name or server_hostname, session)


class EmailNotifier:
    def __init__(self, cfg: EmailConfig, glob: GlobalConfig, templater: Templater,
                 limit: RateLimit) -> None:
        self.cfg = cfg
        self.send_resolved = cfg.send_resolved
        self._t = templater
        self._limit = limit
        host, _, port = (cfg.smarthost or glob.smtp_smarthost).rpartition(":")
        self.host, self.port = host, int(port or 25)
        self.sender = cfg.from_ or glob.smtp_from
        self.hello = cfg.hello or glob.smtp_hello
        self.username = cfg.auth_username or glob.smtp_auth_username
        self.password = cfg.auth_password or glob.smtp_auth_password
        self.require_tls = glob.smtp_require_tls if cfg.require_tls is None \
            else cfg.require_tls

    def message(self, n: Notification) -> EmailMessage:
        r = self._t.render
        msg = EmailMessage()
        headers = {"Subject": '{{ template "email.default.subject" . }}',
                   "To": self.cfg.to, "From": self.sender, **self.cfg.headers}
        for key, value in headers.items():
            msg[key] = r(value, n)
        msg["Date"] = formatdate(n.now)
        msg["Message-Id"] = make_msgid(domain=self.hello)
        msg.set_content(r(self.cfg.text, n) if self.cfg.text else text_body(n))
        if self.cfg.html:
            msg.add_alternative(r(self.cfg.html, n), subtype="html")
        return msg

    def _tls(self) -> ssl.SSLContext:
        tls = self.cfg.tls_config
        ctx = _NamedContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.server_name = tls.server_name
        if tls.ca_file:
            ctx.load_verify_locations(cafile=tls.ca_file)
        else:
            ctx.load_default_certs()
        if tls.insecure_skip_verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    async def notify(self, n: Notification) -> None:
        smtp: Any = importlib.import_module("aiosmtplib")
        await self._limit.acquire()
        implicit = self.port == 465 if self.cfg.implicit_tls is None else self.cfg.implicit_tls
        options: dict[str, Any] = {
            "hostname": self.host, "port": self.port, "local_hostname": self.hello,
            "tls_context": self._tls(), "use_tls": implicit, "timeout": 30,
            "start_tls": None if implicit else (True if self.require_tls else None)}
        if self.username:
            options["username"] = self.username
            options["password"] = self.password.reveal()
        recipients = [a.strip() for a in self._t.render(self.cfg.to, n).split(",") if a.strip()]
        try:
            await smtp.send(self.message(n), recipients=recipients, **options)
        except smtp.SMTPResponseException as exc:
            msg = f"SMTP {self.host}:{self.port} answered {exc.code}: {exc.message}"
            if 400 <= exc.code < 500:
                raise RetryableError(msg) from None
            raise PermanentError(msg) from None
        except (smtp.SMTPException, OSError) as exc:
            raise RetryableError(f"SMTP {self.host}:{self.port}: {type(exc).__name__}: "
                                 f"{exc}") from None
