"""The background sender: claims stored deliveries and posts them to push services concurrently.

One dispatcher thread per app claims due deliveries in batches (a status transition in a
transaction; FOR UPDATE SKIP LOCKED where the database has it), hands them to a small pool of
worker threads that only do HTTP, and writes the results back in batches. Request threads only
store rows and call wake(), so a slow or hanging push service never blocks a page.

The sender imports nothing above it: create_app hands it what it needs from alerts.py (the
payload of a delivery, the hourly purge of old alerts) through configure().
"""

from __future__ import annotations

import json
import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import urllib3
from flask import Flask
from pywebpush import WebPusher, WebPushException
from sqlalchemy import and_, bindparam, select, update

from backend.database import begin_write
from backend.extensions import db
from backend.models import (
    Alert,
    AlertDelivery,
    DeliveryStatus,
    PlanRevision,
    PushSubscription,
    User,
    as_utc,
    utcnow,
)
from backend.services import audit, notices
from backend.services import vapid as vapid_service
from backend.services.alerts.subscriptions import SubscriptionError, check_endpoint
from backend.services.alerts.transport import AddressRefused, PushHTTP, VapidTokens

log = logging.getLogger(__name__)

# Extra time a claimed delivery may stay "sending" beyond the HTTP timeouts before another
# sender (after a crash or restart) may take it over.
LEASE_MARGIN_SECONDS = 5.0
# A claimed job that waited this long in the queue (workers all stuck on hanging services) is
# handed back unsent instead of posted late, so it never outlives its lease.
MAX_QUEUE_WAIT_SECONDS = 10.0
# How long the dispatcher lets results gather before writing them in one transaction.
RESULT_BATCH_DELAY = 0.05
# How often a running sender deletes alerts older than ALERT_HISTORY_DAYS.
PURGE_INTERVAL_SECONDS = 3600.0
# Jobs claimed per worker thread, so workers never wait for the dispatcher's next round.
QUEUE_FACTOR = 4
# The first claim of a round is this small: claiming 64 rows takes ~15 ms, 8 rows a few.
FIRST_BATCH = 8


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Parse a Retry-After header (delay in seconds, or an HTTP date) into seconds from now."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, (as_utc(when) - as_utc(now or datetime.now(UTC))).total_seconds())


@dataclass
class Job:
    """Everything a worker needs to post one message; workers never touch the database."""

    delivery_id: int
    subscription: dict
    payload: bytes
    ttl: int
    urgency: str
    claimed_at: datetime  # the claim's fencing token: results are written only under the same claim
    queued_at: float = field(default_factory=time.monotonic)


@dataclass
class Result:
    """What happened to one post."""

    delivery_id: int
    claimed_at: datetime
    status_code: int | None = None
    retry_after: str | None = None
    # "timeout", "connection", "error", "address-refused" (a private address), "requeue" (not sent at all)
    error: str | None = None
    finished_at: datetime = field(default_factory=utcnow)


def claim_query(dialect_name: str, limit: int, now: datetime):
    """Select due pending deliveries, locking them with SKIP LOCKED where the database supports it."""
    query = (
        select(AlertDelivery.id)
        .where(AlertDelivery.status == DeliveryStatus.PENDING, AlertDelivery.next_attempt_at <= now)
        .order_by(AlertDelivery.next_attempt_at, AlertDelivery.id)
        .limit(limit)
    )
    if dialect_name != "sqlite":  # SQLite locks the whole file on write instead
        query = query.with_for_update(skip_locked=True)
    return query


class PushSender:
    """Sends the stored deliveries of one app in the background."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        config = app.config
        self.threads = max(1, int(config["PUSH_SENDER_THREADS"]))
        self.timeout = (float(config["PUSH_TIMEOUT_CONNECT"]), float(config["PUSH_TIMEOUT_READ"]))
        self.max_attempts = int(config["PUSH_MAX_ATTEMPTS"])
        self.retry_base = float(config["PUSH_RETRY_BASE_SECONDS"])
        self.retry_max = float(config["PUSH_RETRY_MAX_SECONDS"])
        self.poll = float(config["PUSH_POLL_SECONDS"])
        self.alert_ttl = int(config["PUSH_ALERT_TTL"])
        self.plan_update_ttl = int(config["PUSH_PLAN_UPDATE_TTL"])
        self.allowed_hosts = list(config["PUSH_ALLOWED_HOSTS"])
        self.proxy = config.get("PUSH_HTTPS_PROXY") or ""
        self.lease = sum(self.timeout) + MAX_QUEUE_WAIT_SECONDS + LEASE_MARGIN_SECONDS
        self.keys = vapid_service.load_keys(app)
        self.vapid_tokens = VapidTokens(self.keys.vapid, self.keys.subject)
        wiring: Wiring = app.extensions["push_sender_wiring"]
        self.payload_for = wiring.payload_for
        self.purge_history = wiring.purge_history
        self._cond = threading.Condition()
        self._woken = False
        self._stopping = False
        self._results: list[Result] = []
        self._in_flight = 0
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self.http = PushHTTP(self.threads, self.allowed_hosts, self.proxy)
        self._threads: list[threading.Thread] = []
        self._start_lock = threading.Lock()
        self._last_recovery = 0.0
        self._last_purge = -PURGE_INTERVAL_SECONDS

    # ---- life cycle

    @property
    def running(self) -> bool:
        return bool(self._threads) and not self._stopping

    def start(self) -> PushSender:
        """Start the dispatcher and the worker threads (once)."""
        with self._start_lock:
            if self._threads or self._stopping:
                return self
            dispatcher = threading.Thread(target=self._dispatch_loop, name="push-dispatcher", daemon=True)
            workers = [
                threading.Thread(target=self._work_loop, name=f"push-worker-{n}", daemon=True)
                for n in range(self.threads)
            ]
            self._threads = [dispatcher, *workers]
            for thread in self._threads:
                thread.start()
        return self

    def wake(self) -> None:
        """Tell the dispatcher there is new work, starting it if needed."""
        self.start()
        with self._cond:
            self._woken = True
            self._cond.notify_all()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the threads; deliveries still "sending" are taken over after their lease."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        for _ in range(self.threads):
            self._jobs.put(None)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def idle(self) -> bool:
        """True when nothing is in flight and no result waits to be written."""
        with self._cond:
            return self._in_flight == 0 and not self._results

    # ---- dispatcher

    def _dispatch_loop(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                wait = self._dispatch_once()
                if failures:
                    log.info("Push dispatcher works again after %d failed attempts", failures)
                failures = 0
            except Exception as error:  # a database hiccup must not kill the sender; try again
                failures += 1
                if failures == 1:
                    log.exception("Push dispatcher failed; retrying")
                else:  # one line per retry while the outage lasts, the full trace was logged once
                    log.warning("Push dispatcher still failing (%d attempts): %s", failures, error)
                # 1, 2, 4 ... seconds, never longer than the normal poll: an outage ends unnoticed soon
                wait = min(2.0 ** (failures - 1), max(1.0, self.poll))
            with self._cond:
                if self._stopping:
                    break
                if not self._woken and not self._results:
                    self._cond.wait(wait)
                self._woken = False
            if self._results and not self._stopping:
                time.sleep(RESULT_BATCH_DELAY)  # let more results arrive: fewer, larger transactions
        with self._cond:
            leftover, self._results = self._results, []
        if leftover:
            with self.app.app_context():
                self._apply(leftover)

    def _dispatch_once(self) -> float:
        """Write results, recover stale claims, claim and queue due work; return seconds to sleep."""
        with self._cond:
            results, self._results = self._results, []
        with self.app.app_context():
            if results:
                self._apply(results)
            if time.monotonic() - self._last_recovery > self.lease / 2:
                self._recover_stale()
                self._last_recovery = time.monotonic()
            if time.monotonic() - self._last_purge > PURGE_INTERVAL_SECONDS:
                self._last_purge = time.monotonic()
                self.purge_history()
                audit.purge()
            with self._cond:
                capacity = self.threads * QUEUE_FACTOR - self._in_flight
            # A few jobs first, then one per worker at a time: the first posts are on their way while
            # the rest of a large fan-out is still being claimed.
            batch = min(FIRST_BATCH, self.threads)
            while capacity > 0:
                batch = min(batch, capacity)
                jobs = self._claim(batch)
                if jobs:
                    with self._cond:
                        self._in_flight += len(jobs)
                    for job in jobs:
                        self._jobs.put(job)
                capacity -= len(jobs)
                if len(jobs) < batch:
                    return self._seconds_to_next_due()
                batch = self.threads
            return self.poll  # the pool is full: finished posts wake us

    def _seconds_to_next_due(self) -> float:
        next_at = db.session.execute(
            select(AlertDelivery.next_attempt_at)
            .where(AlertDelivery.status == DeliveryStatus.PENDING)
            .order_by(AlertDelivery.next_attempt_at)
            .limit(1)
        ).scalar_one_or_none()
        db.session.rollback()
        if next_at is None:
            return self.poll
        delay = (as_utc(next_at) - utcnow()).total_seconds()
        return min(self.poll, max(0.0, delay) + 0.01)

    def _recover_stale(self) -> int:
        """Put deliveries back that a dead sender claimed and never finished (after their lease)."""
        cutoff = utcnow() - timedelta(seconds=self.lease)
        begin_write()
        result = db.session.execute(
            update(AlertDelivery)
            .where(AlertDelivery.status == DeliveryStatus.SENDING, AlertDelivery.claimed_at < cutoff)
            .values(status=DeliveryStatus.PENDING, next_attempt_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if result.rowcount:
            log.info("Took over %d push deliveries left unfinished by a stopped sender", result.rowcount)
        return result.rowcount

    def _claim(self, limit: int) -> list[Job]:
        """Move up to `limit` due deliveries from pending to sending and build their jobs."""
        now = utcnow()
        dialect = db.session.get_bind().dialect
        begin_write()
        ids = list(db.session.execute(claim_query(dialect.name, limit, now)).scalars())
        if not ids:
            db.session.rollback()
            return []
        claim = (
            update(AlertDelivery)
            .where(AlertDelivery.id.in_(ids), AlertDelivery.status == DeliveryStatus.PENDING)
            .values(status=DeliveryStatus.SENDING, claimed_at=now, attempts=AlertDelivery.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if dialect.update_returning:
            claimed = list(db.session.execute(claim.returning(AlertDelivery.id)).scalars())
        else:  # one row at a time, so only rows this sender really moved are sent
            claimed = [
                one for one in ids if db.session.execute(claim.where(AlertDelivery.id == one)).rowcount == 1
            ]
        rows = db.session.execute(
            select(AlertDelivery, PushSubscription)
            .outerjoin(PushSubscription, AlertDelivery.subscription_id == PushSubscription.id)
            .where(AlertDelivery.id.in_(claimed))
        ).all()
        jobs: list[Job] = []
        payloads: dict[tuple, object] = {}
        for delivery, subscription in rows:
            job = self._job(delivery, subscription, now, payloads)
            if job is not None:
                jobs.append(job)
        db.session.commit()
        return jobs

    def _job(self, delivery: AlertDelivery, subscription, now: datetime, payloads: dict) -> Job | None:
        """Build the job of one claimed delivery, or settle it at once (device gone, expired)."""
        if subscription is None:
            delivery.status = DeliveryStatus.GONE
            return None
        if delivery.alert_id is not None:
            alert: Alert = delivery.alert
            ttl_total, urgency, created = self.alert_ttl, "high", alert.created_at
            key = ("alert", alert.id)
            if key not in payloads:
                payloads[key] = _encode(self.payload_for(delivery))
        elif delivery.notice is not None:  # about a revision (its review is overdue), not its news
            ttl_total, urgency, created = self.plan_update_ttl, "normal", now
            key = ("notice", delivery.notice, delivery.plan_revision_id)
            if key not in payloads:
                payloads[key] = _encode(self.payload_for(delivery))
        else:
            ttl_total, urgency = self.plan_update_ttl, "normal"
            key = ("plan", delivery.plan_revision_id)
            if key not in payloads:
                payloads[key] = _encode(self.payload_for(delivery))
                payloads[("plan-created", delivery.plan_revision_id)] = db.session.execute(
                    select(PlanRevision.created_at).where(PlanRevision.id == delivery.plan_revision_id)
                ).scalar_one()
            created = payloads[("plan-created", delivery.plan_revision_id)]
        # A retried message must not outlive what it was sent for: shrink its TTL by its age.
        ttl = int(ttl_total - max(0.0, (now - as_utc(created)).total_seconds()))
        if ttl <= 0:
            delivery.status, delivery.last_error = DeliveryStatus.FAILED, "expired"
            return None
        try:
            check_endpoint(subscription.endpoint, self.allowed_hosts)
        except SubscriptionError:
            delivery.status, delivery.last_error = DeliveryStatus.FAILED, "host-not-allowed"
            return None
        return Job(
            delivery_id=delivery.id,
            subscription={
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            payload=payloads[key],
            ttl=ttl,
            urgency=urgency,
            claimed_at=now,
        )

    def _apply(self, results: list[Result]) -> None:
        """Write a batch of results in one transaction: delivered, gone, retry later, or failed.

        Plain executemany UPDATEs instead of ORM objects: a fan-out to a thousand devices writes
        its results in a few dozen cheap statements, so the dispatcher keeps the workers fed.
        """
        table, subscriptions = AlertDelivery.__table__, PushSubscription.__table__
        begin_write()
        current = {
            row.id: row
            for row in db.session.execute(
                select(table.c.id, table.c.subscription_id, table.c.attempts, table.c.claimed_at).where(
                    table.c.id.in_([r.delivery_id for r in results]),
                    table.c.status == DeliveryStatus.SENDING,  # not taken over after a lease ran out
                )
            )
        }
        settled: list[dict] = []
        retries: list[dict] = []
        requeued: list[dict] = []
        succeeded: dict[int, datetime] = {}
        failures: dict[int, int] = {}
        gone: set[int] = set()
        for result in results:
            row = current.get(result.delivery_id)
            if row is None or as_utc(row.claimed_at) != as_utc(result.claimed_at):
                continue  # another sender has taken this delivery over since
            if result.error == "requeue":
                requeued.append({"b_id": row.id, "b_claimed": row.claimed_at})
                continue
            code, sub_id = result.status_code, row.subscription_id
            change = {
                "b_id": row.id,
                "b_claimed": row.claimed_at,
                "b_code": code,
                "b_error": None,
                "b_delivered": None,
            }
            if code is not None and 200 <= code < 300:
                settled.append(
                    {**change, "b_status": DeliveryStatus.DELIVERED, "b_delivered": result.finished_at}
                )
                if sub_id is not None:
                    succeeded[sub_id] = result.finished_at
                continue
            if code in (404, 410):
                settled.append({**change, "b_status": DeliveryStatus.GONE})
                if sub_id is not None:
                    gone.add(sub_id)
                continue
            if sub_id is not None:
                failures[sub_id] = failures.get(sub_id, 0) + 1
            change["b_error"] = result.error or f"http-{code}"
            retryable = result.error in ("timeout", "connection") or code == 429 or (code or 0) >= 500
            if retryable and row.attempts < self.max_attempts:
                delay = self._retry_delay(row.attempts, result.retry_after)
                retries.append({**change, "b_next": result.finished_at + timedelta(seconds=delay)})
            else:
                settled.append({**change, "b_status": DeliveryStatus.FAILED})
        # The claim time fences every write: a result only lands if the row is still under our claim.
        by_id = and_(
            table.c.id == bindparam("b_id"),
            table.c.status == DeliveryStatus.SENDING,
            table.c.claimed_at == bindparam("b_claimed"),
        )
        common = {
            "last_status_code": bindparam("b_code"),
            "last_error": bindparam("b_error"),
        }
        if settled:
            db.session.execute(
                table.update()
                .where(by_id)
                .values(status=bindparam("b_status"), delivered_at=bindparam("b_delivered"), **common),
                settled,
            )
        if retries:
            db.session.execute(
                table.update()
                .where(by_id)
                .values(status=DeliveryStatus.PENDING, next_attempt_at=bindparam("b_next"), **common),
                retries,
            )
        if requeued:  # never sent: back in line, and the attempt does not count
            db.session.execute(
                table.update()
                .where(by_id)
                .values(
                    status=DeliveryStatus.PENDING, attempts=table.c.attempts - 1, next_attempt_at=utcnow()
                ),
                requeued,
            )
        sub_by_id = subscriptions.c.id == bindparam("b_id")
        if succeeded:
            db.session.execute(
                subscriptions.update()
                .where(sub_by_id)
                .values(last_success_at=bindparam("b_at"), failure_count=0),
                [{"b_id": sub_id, "b_at": at} for sub_id, at in succeeded.items()],
            )
        if failures:
            db.session.execute(
                subscriptions.update()
                .where(sub_by_id)
                .values(failure_count=subscriptions.c.failure_count + bindparam("b_n")),
                [{"b_id": sub_id, "b_n": n} for sub_id, n in failures.items()],
            )
        if gone:  # the device unsubscribed or its subscription expired: forget it, keep the history
            notices.devices_leaving(gone)  # mails the admins after the commit if a leader lost the last one
            owners = set(
                db.session.execute(
                    select(subscriptions.c.user_id).where(
                        subscriptions.c.id.in_(gone), subscriptions.c.user_id.is_not(None)
                    )
                ).scalars()
            )
            db.session.execute(
                table.update().where(table.c.subscription_id.in_(gone)).values(subscription_id=None)
            )
            db.session.execute(subscriptions.delete().where(subscriptions.c.id.in_(gone)))
            if owners:  # whoever lost her last device is told on her next visit
                left = select(subscriptions.c.id).where(subscriptions.c.user_id == User.__table__.c.id)
                db.session.execute(
                    User.__table__.update()
                    .where(User.__table__.c.id.in_(owners), ~left.exists())
                    .values(push_dropped_at=utcnow())
                )
        db.session.commit()

    def _retry_delay(self, attempts: int, retry_after: str | None) -> float:
        """Seconds to wait: the push service's Retry-After if given, else exponential backoff."""
        asked = retry_after_seconds(retry_after)
        if asked is not None:
            return min(asked, self.retry_max)
        backoff = min(self.retry_max, self.retry_base * 2 ** max(0, attempts - 1))
        return backoff + random.uniform(0, backoff / 4)  # spread retries out

    # ---- workers

    def _work_loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            result = self.send(job)
            with self._cond:
                self._results.append(result)
                self._in_flight -= 1
                self._cond.notify_all()

    def send(self, job: Job) -> Result:
        """Encrypt and post one message with the audience's reused VAPID token; never raises."""
        if time.monotonic() - job.queued_at > MAX_QUEUE_WAIT_SECONDS:
            return Result(job.delivery_id, job.claimed_at, error="requeue")
        try:
            headers = {
                "Urgency": job.urgency,
                "Authorization": self.vapid_tokens.authorization(job.subscription["endpoint"]),
            }
            # WebPusher encrypts (a fresh ECDH key and salt per message, RFC 8291) and posts.
            response = WebPusher(job.subscription, requests_session=self.http).send(
                job.payload, headers, ttl=job.ttl, timeout=self.timeout
            )
            if response.status_code <= 202:
                return Result(job.delivery_id, job.claimed_at, status_code=response.status_code)
            return Result(
                job.delivery_id,
                job.claimed_at,
                status_code=response.status_code,
                retry_after=response.headers.get("retry-after"),
            )
        except WebPushException as error:
            log.warning("Push to delivery %d failed before sending: %s", job.delivery_id, error.message)
            return Result(job.delivery_id, job.claimed_at, error="error")
        except AddressRefused:  # a private, loopback or reserved address: never connected to
            return Result(job.delivery_id, job.claimed_at, error="address-refused")
        except urllib3.exceptions.NewConnectionError:  # refused, unreachable, DNS
            return Result(job.delivery_id, job.claimed_at, error="connection")
        except urllib3.exceptions.TimeoutError:  # connect or read timeout: a hang is cut here
            return Result(job.delivery_id, job.claimed_at, error="timeout")
        except urllib3.exceptions.HTTPError:
            return Result(job.delivery_id, job.claimed_at, error="connection")
        except Exception:
            log.exception("Push to delivery %d failed", job.delivery_id)
            return Result(job.delivery_id, job.claimed_at, error="error")


def _encode(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# ---------------------------------------------------------------- per-app access

_senders_lock = threading.Lock()


@dataclass(frozen=True)
class Wiring:
    """What the sender needs from above it, handed over by create_app."""

    payload_for: Callable[[AlertDelivery], dict]  # the JSON of a delivery's message
    purge_history: Callable[[], object]  # hourly: delete alerts older than ALERT_HISTORY_DAYS


def configure(
    app: Flask, *, payload_for: Callable[[AlertDelivery], dict], purge_history: Callable[[], object]
) -> None:
    """Give the app's sender how to build a delivery's payload and how to purge old alerts."""
    app.extensions["push_sender_wiring"] = Wiring(payload_for=payload_for, purge_history=purge_history)


def sender_for(app: Flask) -> PushSender:
    """Return the app's sender, creating it (not started) on first use."""
    with _senders_lock:
        sender = app.extensions.get("push_sender")
        if sender is None:
            sender = PushSender(app)
            app.extensions["push_sender"] = sender
        return sender


def start_sender(app: Flask) -> PushSender:
    """Start the app's sender: it resumes deliveries stored before a restart."""
    sender = sender_for(app)
    sender.start()
    sender.wake()
    return sender


def stop_sender(app: Flask, timeout: float = 5.0) -> None:
    """Stop the app's sender if it runs."""
    sender = app.extensions.get("push_sender")
    if sender is not None:
        sender.stop(timeout)


def outstanding() -> int:
    """Count deliveries not yet settled (pending or sending)."""
    return db.session.execute(
        select(db.func.count())
        .select_from(AlertDelivery)
        .where(AlertDelivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]))
    ).scalar_one()
