"""Fan-out benchmark: one alert to 1,000 devices on a local fake push service.

The fake push service runs in its own process (as a real one would be elsewhere) and checks the
VAPID signature and decrypts every message. 10% of the devices answer 410 (gone, to be pruned),
10% answer 429 with Retry-After: 1 once and then accept. The app is served by werkzeug in
threads; while the fan-out runs, a probe keeps requesting /akutt to show that request threads
are never blocked.

Two figures count, both from the moment the alert and its deliveries are committed: the time until
the first message reaches the push service (goal < 0.1 s), and the time until every delivery is
settled in the database, delivered or pruned (goal < 3 s on 2 cores). With --runs N the script
repeats the whole run (a fresh database and push service each time) and prints the medians.

    .venv/bin/python benchmarks/push_fanout.py [--runs 5] [--subscriptions 1000] [--threads 32]
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def fake_push_process(connection, subscriptions: int, latency: float = 0.0) -> None:
    """Run the fake push service; send back the subscriptions, later the statistics."""
    from tests.fakepush import FakePushService, Reply

    created = Reply(201, delay=latency)
    with FakePushService() as service:
        devices = []
        for n in range(subscriptions):
            if n % 10 == 3:
                replies = (Reply(410, delay=latency),)
            elif n % 10 == 7:
                replies = (Reply(429, {"Retry-After": "1"}, delay=latency), created)
            else:
                replies = (created,)
            devices.append(service.new_subscriber(*replies).subscription_json())
        connection.send(devices)
        connection.recv()  # "start": the fan-out begins
        cpu = time.process_time()
        connection.recv()  # "stop"
        connection.send({**service.stats(), "cpu": time.process_time() - cpu})


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Probe(threading.Thread):
    """Requests a page over and over and records how long each took."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.timings: list[float] = []
        self.running = True

    def run(self) -> None:
        while self.running:
            started = time.perf_counter()
            with urllib.request.urlopen(self.url, timeout=10) as response:
                response.read()
            self.timings.append(time.perf_counter() - started)
            time.sleep(0.01)


FIRST_GOAL = 0.1  # seconds from the stored alert to the first message at the push service
ALL_GOAL = 3.0  # seconds from the stored alert to every delivery settled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="repeat the whole run; print the medians")
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=None, help="sender threads (default: the config's)")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds the fake service takes per answer (network RTT)"
    )
    args = parser.parse_args()
    runs = [run_once(args) for _ in range(args.runs)]
    if args.runs > 1:
        print()
        print(f"| {args.runs} runs | median | min | max | each")
        print("|--------|--------|-----|-----|-----")
        for name, key in (("first delivery", "first"), ("all settled", "all")):
            values = [run[key] for run in runs]
            print(
                f"| {name} | {statistics.median(values):.3f} s | {min(values):.3f} s | {max(values):.3f} s | "
                + " ".join(f"{v:.3f}" for v in values)
            )
        print("| load average before each run | " + "; ".join(run["load"] for run in runs))
    first = statistics.median(run["first"] for run in runs)
    total = statistics.median(run["all"] for run in runs)
    ok = first < FIRST_GOAL and total < ALL_GOAL and all(run["ok"] for run in runs)
    sys.exit(0 if ok else 1)


def run_once(args) -> dict:
    """Fan one alert out to args.subscriptions devices; print the table and return the figures."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from flask import Blueprint, jsonify
    from flask_migrate import upgrade
    from sqlalchemy import func, select
    from werkzeug.serving import make_server

    from backend import create_app
    from backend.extensions import db
    from backend.models import AlertDelivery, DeliveryStatus, Place, PushSubscription
    from backend.services import alerts as push_service
    from backend.services import plan as plan_service
    from backend.services.alerts import alerts as alerts_module
    from backend.services.alerts.sender import outstanding, stop_sender

    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    context = multiprocessing.get_context("spawn")
    parent_end, child_end = context.Pipe()
    fake = context.Process(
        target=fake_push_process, args=(child_end, args.subscriptions, args.latency), daemon=True
    )
    fake.start()
    devices = parent_end.recv()

    workdir = Path(tempfile.mkdtemp(prefix="rusplan-bench-"))
    key = ec.generate_private_key(ec.SECP256R1())
    config = {
        "SECRET_KEY": "bench",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False,
        "PUSH_ALLOWED_HOSTS": ["http://127.0.0.1"],
        "VAPID_SUBJECT": "mailto:it@skole.example",
        "VAPID_PRIVATE_KEY": key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
    }
    if args.threads:
        config["PUSH_SENDER_THREADS"] = args.threads
    app = create_app(config)
    with app.app_context():
        upgrade()
        plan_service.import_folder(ROOT / "content" / "halden-vgs")
        place = Place(name="Rom 204")
        db.session.add(place)
        db.session.commit()
        place_id = place.id
        for device in devices:
            push_service.subscribe(device, user_id=None, alerts=True)

    bench = Blueprint("bench", __name__)

    @bench.post("/bench/varsle")
    def send_alert():
        """Create an alert, as the alert form will."""
        return jsonify(id=push_service.create_alert("alternativ-3", place_id).id)

    app.register_blueprint(bench)

    # The moment the alert and its deliveries are committed: create_alert wakes the sender right after.
    stored: list[float] = []
    wake_sender = alerts_module._wake_sender

    def timed_wake(app_) -> None:
        stored.append(time.monotonic())
        wake_sender(app_)

    alerts_module._wake_sender = timed_wake
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()

    # Baseline: page latency with nothing else going on (the first request also starts the sender).
    urllib.request.urlopen(f"{base}/akutt").read()
    probe = Probe(f"{base}/akutt")
    probe.start()
    time.sleep(1.0)
    baseline = list(probe.timings)
    probe.timings.clear()

    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    parent_end.send("start")
    cpu = time.process_time()
    started = time.perf_counter()
    request = urllib.request.Request(f"{base}/bench/varsle", method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
    request_time = time.perf_counter() - started
    first_pass = None
    with app.app_context():
        while True:
            left = outstanding()
            unanswered = (
                first_pass is None
                and db.session.execute(
                    select(func.count())
                    .select_from(AlertDelivery)
                    .where(
                        (AlertDelivery.attempts == 0)
                        | ((AlertDelivery.status == DeliveryStatus.SENDING) & (AlertDelivery.attempts == 1))
                    )
                ).scalar_one()
            )
            db.session.rollback()
            if first_pass is None and not unanswered:
                first_pass = time.monotonic() - stored[0]
            if left == 0:
                break
            if time.perf_counter() - started > 60:
                break
            time.sleep(0.02)  # the watcher itself must not compete with the sender for the GIL
        total = time.monotonic() - stored[0]
        app_cpu = time.process_time() - cpu
        during = list(probe.timings)
        probe.running = False
        counts = dict(
            db.session.execute(
                select(AlertDelivery.status, func.count()).group_by(AlertDelivery.status)
            ).all()
        )
        remaining_subscriptions = db.session.execute(
            select(func.count()).select_from(PushSubscription)
        ).scalar_one()
        threads = app.config["PUSH_SENDER_THREADS"]
    alerts_module._wake_sender = wake_sender
    stop_sender(app)
    server.shutdown()
    parent_end.send("stop")
    stats = parent_end.recv()
    fake.join(timeout=5)
    shutil.rmtree(workdir, ignore_errors=True)
    first = (stats["first_received"] - stored[0]) if stats["first_received"] else float("inf")
    first_delivered = (stats["first_delivered"] - stored[0]) if stats["first_delivered"] else float("inf")
    last = (stats["last_answered"] - stored[0]) if stats["last_answered"] else float("inf")

    rows = [
        ("machine", f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, SQLite"),
        ("sender threads", threads),
        ("subscriptions", args.subscriptions),
        ("push service latency per answer", f"{args.latency * 1000:.0f} ms"),
        ("load average before the run", load_before),
        ("POST /bench/varsle (stores alert + deliveries)", f"{request_time * 1000:.0f} ms"),
        ("time to first delivery: first post at the push service", f"{first * 1000:.1f} ms  (goal < 100 ms)"),
        ("  ... its 201 answered", f"{first_delivered * 1000:.1f} ms"),
        ("every device had its first answer", f"{first_pass:.2f} s" if first_pass else "-"),
        ("time to all: every delivery settled in the database", f"{total:.2f} s  (goal < 3 s)"),
        ("  ... the push service's last answer", f"{last * 1000:.0f} ms"),
        ("TCP connections opened to the push service", stats["connections"]),
        ("distinct VAPID tokens sent", stats["vapid_tokens"]),
        ("delivered", counts.get(DeliveryStatus.DELIVERED, 0)),
        ("gone (410, subscription deleted)", counts.get(DeliveryStatus.GONE, 0)),
        ("failed", counts.get(DeliveryStatus.FAILED, 0)),
        ("subscriptions left", remaining_subscriptions),
        ("posts received by fake service", stats["posts"]),
        ("answers by status", ", ".join(f"{k}: {v}" for k, v in sorted(stats["by_status"].items()))),
        ("CPU used by the app / by the fake push service", f"{app_cpu:.2f} s / {stats['cpu']:.2f} s"),
        ("VAPID verified / decrypted", f"{stats['vapid_ok']} / {stats['decrypted']}"),
        (
            "GET /akutt idle: median / p95 / max",
            f"{statistics.median(baseline) * 1000:.1f} / {percentile(baseline, 0.95) * 1000:.1f} / "
            f"{max(baseline) * 1000:.1f} ms",
        ),
        (
            f"GET /akutt during fan-out ({len(during)} requests): median / p95 / max",
            f"{statistics.median(during) * 1000:.1f} / {percentile(during, 0.95) * 1000:.1f} / "
            f"{max(during) * 1000:.1f} ms",
        ),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"| {'measure'.ljust(width)} | value")
    print(f"|-{'-' * width}-|------")
    for name, value in rows:
        print(f"| {name.ljust(width)} | {value}", flush=True)
    ok = counts.get(DeliveryStatus.FAILED, 0) == 0 and not outstanding_after(counts)
    return {"first": first, "all": total, "load": load_before, "ok": ok}


def outstanding_after(counts: dict) -> int:
    return sum(n for status, n in counts.items() if status in ("pending", "sending"))


if __name__ == "__main__":
    main()
