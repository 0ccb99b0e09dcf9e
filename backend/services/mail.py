"""E-mail through SMTP (Flask-Mailman): mails composed from templates, sent now or by a background outbox.

With no SMTP server configured (MAIL_SERVER empty) nothing is ever sent: callers ask `configured()`
and show links on screen as before. Addresses never go to the log.
"""

from __future__ import annotations

import logging
import queue
import smtplib
import ssl
import threading
from collections.abc import Iterable

from flask import Flask, current_app, render_template
from flask_babel import get_locale
from flask_mailman import EmailMultiAlternatives
from flask_mailman.backends.smtp import EmailBackend
from flask_mailman.utils import DNS_NAME

from backend.extensions import mailman

log = logging.getLogger(__name__)

OUTBOX = "rusplan_outbox"
HEADERS = {"Content-Language": "nb", "Auto-Submitted": "auto-generated"}


class VerifiedSmtpEmailBackend(EmailBackend):
    """Flask-Mailman's SMTP backend, with STARTTLS that checks the server's certificate and name.

    Flask-Mailman calls smtplib's starttls() without a context, and smtplib then checks nothing: anyone
    on the way could pose as the server and read the SMTP password. Here both STARTTLS and implicit TLS
    use a verifying context (the system's CAs, or MAIL_CA_FILE for a relay with the county's own CA).
    """

    @property
    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=current_app.config.get("MAIL_CA_FILE") or None)
        if self.ssl_certfile:
            context.load_cert_chain(self.ssl_certfile, self.ssl_keyfile)
        return context

    def open(self):
        """Connect (TLS or STARTTLS, always verified) and log in; False if already connected."""
        if self.connection:
            return False
        params = {"local_hostname": DNS_NAME.get_fqdn()}
        if self.timeout is not None:
            params["timeout"] = self.timeout
        if self.use_ssl:
            params["context"] = self.ssl_context
        try:
            self.connection = self.connection_class(self.host, self.port, **params)
            if not self.use_ssl and self.use_tls:
                self.connection.starttls(context=self.ssl_context)
            if self.username and self.password:
                self.connection.login(self.username, self.password)
            return True
        except (OSError, smtplib.SMTPException):
            if self.connection is not None:
                self.connection.close()
                self.connection = None
            if not self.fail_silently:
                raise
            return None


def configured() -> bool:
    """Tell whether an SMTP server is configured (else nothing is sent)."""
    return bool(current_app.config.get("MAIL_SERVER"))


def compose(to: str | list[str], subject: str, template: str, **context) -> EmailMultiAlternatives:
    """Build one mail from mail/<template>.txt and .html: plain text with a simple HTML alternative.

    In the current locale: callers build mails inside language.school_locale() (the recipient's school).
    """
    recipients = [to] if isinstance(to, str) else list(to)
    text = render_template(f"mail/{template}.txt", subject=subject, **context)
    html = render_template(f"mail/{template}.html", subject=subject, **context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=current_app.config.get("MAIL_DEFAULT_SENDER") or None,
        to=recipients,
        headers={**HEADERS, "Content-Language": str(get_locale() or "nb")},
    )
    message.attach_alternative(html, "text/html")
    return message


def send_now(messages: Iterable[EmailMultiAlternatives]) -> bool:
    """Send mails over one SMTP connection; True only if the server accepted every one."""
    messages = list(messages)
    if not messages:
        return True
    if not configured():
        return False
    try:
        with mailman.get_connection() as connection:
            sent = connection.send_messages(messages)
    except (OSError, smtplib.SMTPException, ValueError, RuntimeError) as error:  # also a bad setting
        log.warning("E-mail not sent: %s", type(error).__name__)
        return False
    return sent == len(messages)


class Outbox:
    """One background thread per app that sends mails the caller must not wait for.

    A request that may or may not send (a password reset) answers in the same time either way, and the
    push sender never waits for an SMTP server before it records an alert's deliveries.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._queue: queue.Queue[list | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def put(self, messages: Iterable[EmailMultiAlternatives]) -> None:
        """Queue mails for sending; starts the thread on first use."""
        batch = list(messages)
        if not batch:
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="rusplan-mail", daemon=True)
                self._thread.start()
            self._queue.put(batch)

    def _run(self) -> None:
        while True:
            batch = self._queue.get()
            try:
                if batch is None:
                    return
                with self.app.app_context():
                    send_now(batch)
            except Exception as error:  # never a traceback from a background thread
                log.warning("E-mail outbox: %s", type(error).__name__)
            finally:
                self._queue.task_done()

    def join(self) -> None:
        """Wait until every queued mail was handed to the SMTP server (or failed)."""
        self._queue.join()

    def stop(self, timeout: float = 10.0) -> None:
        """Send what is queued, then end the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is None:
                return
            self._queue.put(None)
        thread.join(timeout)


def init_app(app: Flask) -> None:
    """Give the app its outbox (the thread starts only when a mail is queued)."""
    app.extensions[OUTBOX] = Outbox(app)


def send_later(messages: Iterable[EmailMultiAlternatives]) -> None:
    """Hand mails to the app's outbox; nothing happens without SMTP configured."""
    if configured():
        current_app.extensions[OUTBOX].put(messages)


def stop_outbox(app: Flask, timeout: float = 10.0) -> None:
    """Stop the app's outbox thread if it runs (tests, and a worker shutting down)."""
    outbox = app.extensions.get(OUTBOX)
    if outbox is not None:
        outbox.stop(timeout)
