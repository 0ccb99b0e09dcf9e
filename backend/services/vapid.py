"""VAPID keys: generated once into instance/ or taken from the config, loaded once per app."""

from __future__ import annotations

import base64
import contextlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask, current_app
from py_vapid import Vapid, Vapid01

KEY_FILE = "vapid_private.pem"
SUBJECT_RE = re.compile(r"^(mailto:[^@\s]+@[^@\s]+|https://[^\s/]+\S*)$", re.IGNORECASE)


class VapidConfigError(RuntimeError):
    """The VAPID settings cannot be used; the message says which one and why."""


@dataclass(frozen=True)
class VapidKeys:
    """The server's VAPID identity: the signer, its public key for browsers, and the subject."""

    vapid: Vapid01
    application_server_key: str  # base64url (no padding) of the uncompressed P-256 public point
    subject: str


def b64url(data: bytes) -> str:
    """Encode bytes as base64url without padding, as the Push API expects."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without padding."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_key_b64(vapid: Vapid01) -> str:
    """Return the applicationServerKey of a VAPID key pair."""
    point = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(point)


def _from_config(private: str) -> Vapid01:
    """Parse VAPID_PRIVATE_KEY: PEM, or base64url of DER or of the raw 32-byte scalar."""
    try:
        if "-----BEGIN" in private:
            key = serialization.load_pem_private_key(private.encode("utf-8"), password=None)
            if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
                raise ValueError("not a P-256 key")
            return Vapid(key)
        return Vapid.from_string(private.strip())
    except Exception as error:
        raise VapidConfigError(
            "VAPID_PRIVATE_KEY kan ikke leses: bruk en P-256-nøkkel som PEM eller base64url."
        ) from error


def _from_file(path: Path) -> Vapid01:
    """Read the generated key, creating it atomically on first start (several workers may race)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".vapid-")
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, pem)
            os.close(fd)
            # Atomic, and fails if another worker was first: then everyone uses theirs.
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    return Vapid(key)


def subject_for(config) -> str:
    """Return the VAPID subject: VAPID_SUBJECT, or mailto: the contact address."""
    subject = (config.get("VAPID_SUBJECT") or "").strip()
    if not subject:
        subject = f"mailto:{config.get('VAPID_CONTACT_EMAIL', '').strip()}"
    if not SUBJECT_RE.match(subject):
        raise VapidConfigError(
            f"VAPID_SUBJECT «{subject}» er ugyldig: bruk mailto:navn@skole.no eller en https://-adresse."
        )
    return subject


def load_keys(app: Flask) -> VapidKeys:
    """Load (or generate) the app's VAPID keys once and keep them on the app."""
    if "vapid" in app.extensions:
        return app.extensions["vapid"]
    private = (app.config.get("VAPID_PRIVATE_KEY") or "").strip()
    public = (app.config.get("VAPID_PUBLIC_KEY") or "").strip()
    if private:
        vapid = _from_config(private)
    elif public:
        raise VapidConfigError("VAPID_PUBLIC_KEY er satt uten VAPID_PRIVATE_KEY: sett begge eller ingen.")
    else:
        vapid = _from_file(Path(app.instance_path) / KEY_FILE)
    server_key = public_key_b64(vapid)
    if public and public.rstrip("=") != server_key:
        raise VapidConfigError("VAPID_PUBLIC_KEY hører ikke til VAPID_PRIVATE_KEY.")
    keys = VapidKeys(vapid=vapid, application_server_key=server_key, subject=subject_for(app.config))
    app.extensions["vapid"] = keys
    return keys


def application_server_key() -> str:
    """Return the public key the browser passes to PushManager.subscribe()."""
    return load_keys(current_app).application_server_key
