"""A real SMTP server for tests (aiosmtpd on 127.0.0.1) that keeps every mail it receives."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class Received:
    """One mail as the server got it: the envelope's recipients and the parsed message."""

    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return " ".join(str(self.message["Subject"]).split())  # unfolded

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()

    def links(self) -> list[str]:
        """Return the links in the plain text, in order."""
        return re.findall(r"https?://\S+", self.text)


class SmtpSink:
    """aiosmtpd's handler: keeps every mail, and lets a test wait for a number of them."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._cond = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._cond:
            self.received.append(Received(list(envelope.rcpt_tos), message))
            self._cond.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Wait until at least `count` mails arrived; return all of them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.received)} mail(s) arrived, expected {count}")
                self._cond.wait(left)
            return list(self.received)

    def none_for(self, seconds: float) -> bool:
        """Tell whether no mail at all arrives within `seconds`."""
        time.sleep(seconds)
        with self._cond:
            return not self.received


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    """Start aiosmtpd on a free port of 127.0.0.1; stop it when the block ends."""

    def __init__(self) -> None:
        self.sink = SmtpSink()
        self.port = free_port()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)

    def config(self, **extra) -> dict:
        """The app config that sends through this server (no TLS: it is local)."""
        return {
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": self.port,
            "MAIL_USE_TLS": False,
            "MAIL_USE_SSL": False,
            "MAIL_DEFAULT_SENDER": "Rusplan <rusplan@skole.example>",
            "MAIL_TIMEOUT": 5,
            **extra,
        }

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self.sink

    def __exit__(self, *exc) -> None:
        self.controller.stop()
