"""VAPID keys: generated once into instance/ (private, 0600) or taken from the settings."""

from __future__ import annotations

import stat
import threading

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from backend import create_app
from backend.services import vapid
from backend.services.vapid import VapidConfigError, b64url_decode, load_keys


def _app(tmp_path, **config):
    # The database lives beside tmp_path, which the tests expect to hold only the key.
    folder = tmp_path.with_name(tmp_path.name + "-db")
    folder.mkdir(parents=True, exist_ok=True)
    database = f"sqlite:///{folder / 'vapid.sqlite3'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database, **config})
    app.instance_path = str(tmp_path)
    return app


def _pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def test_key_is_generated_on_first_start_private_and_reused(tmp_path):
    """With no key configured, one is written to instance/ with mode 0600 and read on the next start."""
    first = load_keys(_app(tmp_path))
    path = tmp_path / vapid.KEY_FILE
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"BEGIN PRIVATE KEY" in path.read_bytes()
    second = load_keys(_app(tmp_path))
    assert second.application_server_key == first.application_server_key
    assert [p.name for p in tmp_path.iterdir()] == [vapid.KEY_FILE]  # no temp files left behind


def test_key_is_loaded_once_per_app(tmp_path):
    """The key is parsed once and kept on the app."""
    app = _app(tmp_path)
    assert load_keys(app) is load_keys(app)


def test_workers_starting_together_agree_on_one_key(tmp_path):
    """Several workers generating the key at once all end up with the same key."""
    keys = []
    # The apps are built first, one after the other: building apps in several threads at once can
    # raise «SystemError: AST constructor recursion depth mismatch» on Python 3.11 (werkzeug compiles
    # URL rules with ast.parse, which is not thread-safe there). The race under test is the key file's.
    apps = [_app(tmp_path) for _ in range(8)]
    together = threading.Barrier(len(apps))

    def start(app):
        together.wait(5)
        keys.append(load_keys(app).application_server_key)

    threads = [threading.Thread(target=start, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == len(apps)
    assert len(set(keys)) == 1


def test_application_server_key_is_the_uncompressed_public_point(tmp_path):
    """The browser gets base64url (no padding) of the 65-byte uncompressed P-256 point."""
    key = ec.generate_private_key(ec.SECP256R1())
    keys = load_keys(_app(tmp_path, VAPID_PRIVATE_KEY=_pem(key)))
    raw = b64url_decode(keys.application_server_key)
    assert "=" not in keys.application_server_key
    assert len(raw) == 65 and raw[0] == 4
    expected = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert raw == expected
    assert not (tmp_path / vapid.KEY_FILE).exists()  # a configured key is never written to disk


def test_configured_public_key_must_match(tmp_path):
    """VAPID_PUBLIC_KEY that belongs to another key is a clear start-up error."""
    key, other = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    matching = load_keys(_app(tmp_path, VAPID_PRIVATE_KEY=_pem(key))).application_server_key
    assert (
        load_keys(
            _app(tmp_path, VAPID_PRIVATE_KEY=_pem(key), VAPID_PUBLIC_KEY=matching)
        ).application_server_key
        == matching
    )
    wrong = load_keys(_app(tmp_path, VAPID_PRIVATE_KEY=_pem(other))).application_server_key
    with pytest.raises(VapidConfigError, match="hører ikke til"):
        load_keys(_app(tmp_path, VAPID_PRIVATE_KEY=_pem(key), VAPID_PUBLIC_KEY=wrong))
    with pytest.raises(VapidConfigError, match="uten VAPID_PRIVATE_KEY"):
        load_keys(_app(tmp_path, VAPID_PUBLIC_KEY=matching))


def test_raw_base64url_private_key_is_accepted(tmp_path):
    """The 32-byte raw key that `vapid --gen` tools print works as VAPID_PRIVATE_KEY too."""
    key = ec.generate_private_key(ec.SECP256R1())
    raw = vapid.b64url(key.private_numbers().private_value.to_bytes(32, "big"))
    loaded = load_keys(_app(tmp_path, VAPID_PRIVATE_KEY=raw))
    assert (
        loaded.application_server_key
        == load_keys(_app(tmp_path, VAPID_PRIVATE_KEY=_pem(key))).application_server_key
    )


def test_unreadable_private_key_is_a_clear_error(tmp_path):
    """A garbled VAPID_PRIVATE_KEY stops the sender with a message naming the setting."""
    with pytest.raises(VapidConfigError, match="VAPID_PRIVATE_KEY kan ikke leses"):
        load_keys(_app(tmp_path, VAPID_PRIVATE_KEY="not a key"))


def test_subject_defaults_to_mailto_contact_address(tmp_path):
    """Without VAPID_SUBJECT the subject is mailto: the configured contact address."""
    keys = load_keys(_app(tmp_path, VAPID_SUBJECT="", VAPID_CONTACT_EMAIL="it@skole.example"))
    assert keys.subject == "mailto:it@skole.example"
    assert load_keys(_app(tmp_path / "b", VAPID_SUBJECT="https://rusplan.skole.example")).subject == (
        "https://rusplan.skole.example"
    )


@pytest.mark.parametrize(
    "subject", ["it@skole.example", "mailto:", "mailto: it@skole.example", "http://x.no"]
)
def test_bad_subject_is_refused(tmp_path, subject):
    """A subject push services would reject is caught at start-up."""
    with pytest.raises(VapidConfigError, match="VAPID_SUBJECT"):
        load_keys(_app(tmp_path, VAPID_SUBJECT=subject))


def test_public_key_command_prints_the_application_server_key(tmp_path):
    """`flask push public-key` prints what the browser subscribes with."""
    key = ec.generate_private_key(ec.SECP256R1())
    app = _app(tmp_path, VAPID_PRIVATE_KEY=_pem(key))
    result = app.test_cli_runner().invoke(args=["push", "public-key"])
    assert result.output.strip() == load_keys(app).application_server_key
