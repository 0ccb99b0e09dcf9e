"""Configuration read from the environment, with safe defaults for a single school server."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The school served when SCHOOL is not set: the folder content/<DEFAULT_SCHOOL>.
DEFAULT_SCHOOL = "halden-vgs"
SCHOOL_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def school_file_name(school: str, stem: str, suffix: str) -> str:
    """Name a file of instance/ that holds one school's data: rusplan.sqlite3, last-plan.json, ...

    The default school keeps the plain name (existing installations keep their database); another
    school gets its own (rusplan-eksempel-vgs.sqlite3), so `SCHOOL=x make run` on a machine that
    served another school imports and serves x instead of the other school's plan.
    """
    if not SCHOOL_NAME.match(school):
        raise ValueError(f"SCHOOL={school!r}: bruk navnet på mappen i content/ (a–z, 0–9 og bindestrek)")
    return f"{stem}{suffix}" if school == DEFAULT_SCHOOL else f"{stem}-{school}{suffix}"


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


class Config:
    """Settings for the app; every value can be overridden by an environment variable."""

    # Empty means: generate one into instance/secret_key on first start (see create_app).
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    # None means: SQLite in instance/ (filled in by create_app, which knows the instance path).
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or None
    # Extra create_engine options; backend/database.py fills in pool and timeouts from the values below.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # Seconds a request waits for a locked SQLite database before it answers 503.
    DB_BUSY_TIMEOUT = float(os.environ.get("DB_BUSY_TIMEOUT", "5"))
    # PostgreSQL: seconds to connect, seconds one statement may run, and the pool of each worker
    # process (see README, "Database"): pool_size + max_overflow connections at most per process.
    DB_CONNECT_TIMEOUT = float(os.environ.get("DB_CONNECT_TIMEOUT", "5"))
    DB_STATEMENT_TIMEOUT = float(os.environ.get("DB_STATEMENT_TIMEOUT", "10"))
    DB_POOL_SIZE = int(os.environ.get("DB_POOL_SIZE", "5"))
    DB_MAX_OVERFLOW = int(os.environ.get("DB_MAX_OVERFLOW", "5"))
    DB_POOL_TIMEOUT = float(os.environ.get("DB_POOL_TIMEOUT", "5"))
    DB_POOL_RECYCLE = int(os.environ.get("DB_POOL_RECYCLE", "1800"))
    # After the database failed, public pages come from the last known plan for this many seconds
    # before the database is asked again (so an outage does not make every page wait for a timeout).
    DB_RETRY_AFTER = float(os.environ.get("DB_RETRY_AFTER", "5"))
    # Seconds between two looks for a newer plan revision; pages are served from memory in between.
    REVISION_CHECK_INTERVAL = float(os.environ.get("REVISION_CHECK_INTERVAL", "1"))
    # The last known plan is also kept on disk, so a worker that starts while the database is down
    # can still show the plan. Empty means instance/last-plan.json (last-plan-<school>.json for a school
    # other than the default, see school_file_name).
    PLAN_SNAPSHOT = os.environ.get("PLAN_SNAPSHOT", "")
    CONTENT_DIR = os.environ.get("CONTENT_DIR", str(ROOT / "content"))
    SCHOOL = os.environ.get("SCHOOL", DEFAULT_SCHOOL)
    # Behind a TLS proxy: cookies get the Secure flag and __Host- names.
    HTTPS = _bool("HTTPS")
    SESSION_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 256 * 1024
    # CSP violations go to /csp-rapport by report-uri; also by report-to (the Reporting API) unless off.
    CSP_REPORT_TO = _bool("CSP_REPORT_TO", True)
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead: a page left open for hours still works
    SEND_FILE_MAX_AGE_DEFAULT = 0  # fingerprinted URLs get a year in routes/pwa.py instead
    COMPRESS_MIMETYPES = [
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/manifest+json",
        "image/svg+xml",
        "text/vcard",
    ]
    COMPRESS_ALGORITHM = ["br", "gzip"]
    # Static files are compressed once in memory (routes/pwa.py). Flask-Compress would compress a file
    # stream on every request and never close the file, so streamed responses are left alone.
    COMPRESS_STREAMS = False
    COMPRESS_MIN_SIZE = 300
    # How long alerts and the audit log are kept, in days (the privacy page states these), and how long
    # server logs are kept (set the same in journald/logrotate, see deploy/).
    AUDIT_LOG_RETENTION_DAYS = int(os.environ.get("AUDIT_LOG_RETENTION_DAYS", "365"))
    LOG_RETENTION_DAYS = int(os.environ.get("LOG_RETENTION_DAYS", "14"))
    # Empty: counters shared by every worker in the app's database (backend/rate_limits.py).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "")
    RATELIMIT_HEADERS_ENABLED = True

    # --- Accounts and login security (issue 5) ---
    # argon2id parameters, OWASP's recommendation (m=19 MiB, t=2, p=1): small enough for many logins at
    # once on a school server. Raising them rehashes each password at its next login.
    ARGON2_TIME_COST = int(os.environ.get("ARGON2_TIME_COST", "2"))
    ARGON2_MEMORY_COST = int(os.environ.get("ARGON2_MEMORY_COST", str(19 * 1024)))  # KiB
    ARGON2_PARALLELISM = int(os.environ.get("ARGON2_PARALLELISM", "1"))
    PASSWORD_MIN_LENGTH = 12
    # Per e-mail address typed (known or not) and per device cookie, counted in the database so it
    # holds across workers (services/login_throttle.py): after LOGIN_MAX_FAILURES failures the client
    # waits LOGIN_SLOWDOWN_SECONDS, doubled by every further failure, at most LOGIN_LOCKOUT_MINUTES.
    LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
    LOGIN_SLOWDOWN_SECONDS = float(os.environ.get("LOGIN_SLOWDOWN_SECONDS", "60"))
    LOGIN_LOCKOUT_MINUTES = int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15"))
    # A device that logged in before keeps a signed cookie this long; it logs in even while strangers'
    # guesses make others wait (OWASP's «device cookies»).
    DEVICE_COOKIE_DAYS = int(os.environ.get("DEVICE_COOKIE_DAYS", "365"))
    # Per address, by Flask-Limiter.
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute; 50 per hour")
    # Admin edits need a password (and code) typed within this many minutes.
    FRESH_LOGIN_MINUTES = int(os.environ.get("FRESH_LOGIN_MINUTES", "60"))
    # "Husk meg" on a personal phone: how long the remember cookie lasts.
    REMEMBER_DAYS = int(os.environ.get("REMEMBER_DAYS", "30"))
    # Without "Husk meg", a session ends this many hours after its last request.
    SESSION_HOURS = int(os.environ.get("SESSION_HOURS", "12"))
    INVITATION_HOURS = int(os.environ.get("INVITATION_HOURS", "72"))
    TOTP_ISSUER = os.environ.get("TOTP_ISSUER", "Rusplan")
    # How many proxies in front of the app set X-Forwarded-For/-Proto (default: 1 when HTTPS is on).
    if os.environ.get("TRUSTED_PROXIES"):
        TRUSTED_PROXIES = int(os.environ["TRUSTED_PROXIES"])

    # ---- Web Push (services/vapid.py, services/alerts/) ----
    # Empty keys mean: generate a key pair into instance/vapid_private.pem on first start.
    VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY", "")  # PEM, or base64url DER/raw
    VAPID_PUBLIC_KEY = os.environ.get("VAPID_PUBLIC_KEY", "")  # optional; checked against the private key
    # Who push services contact about our traffic. Empty VAPID_SUBJECT = "mailto:" + VAPID_CONTACT_EMAIL.
    VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT", "")
    VAPID_CONTACT_EMAIL = os.environ.get("VAPID_CONTACT_EMAIL", "webmaster@localhost")
    # Push services the server may post to. "*.x" matches subdomains; "http://host" allows plain
    # http to that host on any port (tests only). Everything else must be https on port 443.
    # The sender connects only to public addresses, except for hosts listed here as an IP literal
    # or with http:// (services/alerts/transport.py).
    PUSH_ALLOWED_HOSTS = _list(
        "PUSH_ALLOWED_HOSTS",
        [
            "fcm.googleapis.com",
            "android.googleapis.com",
            "updates.push.services.mozilla.com",
            "push.services.mozilla.com",
            "web.push.apple.com",
            "*.push.apple.com",
            "*.notify.windows.com",
        ],
    )
    PUSH_TIMEOUT_CONNECT = float(os.environ.get("PUSH_TIMEOUT_CONNECT", "10"))  # seconds
    PUSH_TIMEOUT_READ = float(os.environ.get("PUSH_TIMEOUT_READ", "10"))  # seconds
    PUSH_ALERT_TTL = int(os.environ.get("PUSH_ALERT_TTL", "900"))  # an alert older than this is history
    PUSH_PLAN_UPDATE_TTL = int(os.environ.get("PUSH_PLAN_UPDATE_TTL", str(2 * 24 * 3600)))
    PUSH_MAX_ATTEMPTS = int(os.environ.get("PUSH_MAX_ATTEMPTS", "6"))
    PUSH_RETRY_BASE_SECONDS = float(os.environ.get("PUSH_RETRY_BASE_SECONDS", "2"))
    PUSH_RETRY_MAX_SECONDS = float(os.environ.get("PUSH_RETRY_MAX_SECONDS", "600"))
    # Concurrent posts (and kept-alive connections per push service) per process; sized with
    # benchmarks/push_fanout.py: 64 sends 1,000 in about a second at 50 ms per answer.
    PUSH_SENDER_THREADS = int(os.environ.get("PUSH_SENDER_THREADS", "64"))
    PUSH_POLL_SECONDS = float(os.environ.get("PUSH_POLL_SECONDS", "10"))  # look for work from other workers
    PUSH_HTTPS_PROXY = os.environ.get(
        "PUSH_HTTPS_PROXY", ""
    )  # e.g. http://proxy:3128, if the school needs one
    # Start the sender on the first request after a start (gunicorn starts it at once, see gunicorn.conf.py).
    PUSH_SENDER_AUTOSTART = _bool("PUSH_SENDER_AUTOSTART", True)
    # Alerts (with their deliveries and answers) older than this are deleted; plan-update deliveries too.
    ALERT_HISTORY_DAYS = int(os.environ.get("ALERT_HISTORY_DAYS", "180"))

    # ---- E-mail through SMTP (services/mail.py, services/notices.py); README "E-post (SMTP)" ----
    # No SMTP_HOST: nothing is sent, and the admin passes invitation links on by hand as before.
    # Our SMTP backend verifies the server's certificate on STARTTLS too (Flask-Mailman's does not).
    MAIL_BACKEND = "backend.services.mail.VerifiedSmtpEmailBackend"
    MAIL_CA_FILE = os.environ.get("SMTP_CA_FILE", "")  # a PEM file, for a relay with its own CA
    MAIL_SERVER = os.environ.get("SMTP_HOST", "")
    MAIL_PORT = int(os.environ.get("SMTP_PORT", "587"))
    # "starttls" (port 587, the default), "tls" (implicit TLS, port 465) or "none" (a relay on localhost).
    MAIL_USE_TLS = os.environ.get("SMTP_SECURITY", "starttls").strip().lower() == "starttls"
    MAIL_USE_SSL = os.environ.get("SMTP_SECURITY", "starttls").strip().lower() == "tls"
    MAIL_USERNAME = os.environ.get("SMTP_USER") or None
    MAIL_PASSWORD = os.environ.get("SMTP_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_FROM", "")
    MAIL_TIMEOUT = float(os.environ.get("SMTP_TIMEOUT", "10"))
    # The app's address, for links in mails sent outside a request (the daily review reminder, alerts).
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "")
    PASSWORD_RESET_MINUTES = int(os.environ.get("PASSWORD_RESET_MINUTES", "60"))
    PASSWORD_RESET_RATE_LIMIT = os.environ.get("PASSWORD_RESET_RATE_LIMIT", "5 per minute; 20 per hour")

    # ---- Signing in with Feide or another OpenID Connect provider (services/oidc.py); README "Feide" ----
    # Feide: set the client from Feide's customer portal and the school's organisation (its Feide realm,
    # e.g. "ostfoldfk.no"); people from other organisations are refused.
    FEIDE_CLIENT_ID = os.environ.get("FEIDE_CLIENT_ID", "")
    FEIDE_CLIENT_SECRET = os.environ.get("FEIDE_CLIENT_SECRET", "")
    FEIDE_ORGANIZATION = os.environ.get("FEIDE_ORGANIZATION", "")
    FEIDE_ISSUER = os.environ.get("FEIDE_ISSUER", "https://auth.dataporten.no")
    FEIDE_SCOPES = os.environ.get("FEIDE_SCOPES", "openid email profile userid-feide")
    # Let anyone from the organisation in as «Ansatt» on their first sign-in (else: invited people only).
    FEIDE_SELF_SIGNUP = _bool("FEIDE_SELF_SIGNUP")
    FEIDE_MFA_ACR = _list("FEIDE_MFA_ACR", [])
    # A generic provider (Microsoft Entra ID, Google Workspace) by its issuer URL.
    OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "")
    OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
    OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
    OIDC_NAME = os.environ.get("OIDC_NAME", "Microsoft")  # the button says «Logg inn med <name>»
    OIDC_SCOPES = os.environ.get("OIDC_SCOPES", "openid email profile")
    OIDC_MFA_ACR = _list("OIDC_MFA_ACR", [])
    # amr values that show a second factor (RFC 8176); an admin with one of them skips the app's code.
    OIDC_MFA_AMR = _list("OIDC_MFA_AMR", ["mfa", "otp", "hwk", "swk", "sc"])
    # E-mail domains whose people are let in as «Ansatt» on their first sign-in (else: invited only).
    SELF_SIGNUP_DOMAINS = _list("SELF_SIGNUP_DOMAINS", [])
    OIDC_LEEWAY = int(os.environ.get("OIDC_LEEWAY", "60"))  # seconds of clock difference accepted
    OIDC_HTTP_TIMEOUT = float(os.environ.get("OIDC_HTTP_TIMEOUT", "10"))
