"""Alerts to leadership: stored first, sent in the background, read from the decrypted push."""

from __future__ import annotations

import itertools
import re
import shutil
import threading
import time

from flask import Blueprint, jsonify
from sqlalchemy import select

from backend.extensions import db
from backend.models import AlertDelivery, DeliveryStatus, PushSubscription
from backend.services.alerts import alerts as push_service
from backend.services.alerts import sender as push_sender
from tests.alerts.conftest import add_device, deliveries, wait_until
from tests.conftest import CONTENT
from tests.fakepush import CREATED, GONE, NOT_FOUND, FakePushService, Reply, hang, throttled


def _alert(app, place_id: int, alternative: str = "alternativ-3", **kwargs) -> int:
    with app.app_context():
        return push_service.create_alert(alternative, place_id, **kwargs).id


def _settled(app, alert_id: int):
    """Return the alert's deliveries once none is pending or sending."""
    rows = deliveries(app, alert_id)
    open_states = {DeliveryStatus.PENDING, DeliveryStatus.SENDING}
    return rows if rows and all(r.status not in open_states for r in rows) else None


def test_leader_phone_gets_the_alert_text_from_the_plan(push_app, fake_push, place_id):
    """The decrypted push says which alternative and where, with a link to acknowledge it."""
    leader = add_device(push_app, fake_push)
    alert_id = _alert(push_app, place_id, "alternativ-3")

    (push,) = fake_push.wait_for(1, leader)
    message = push.message
    assert message["type"] == "alert"
    assert message["title"] == "Varsel til ledelsen"
    assert message["body"] == "Alternativ 3: eleven opptrer ruset på skolen – Rom 204"
    assert message["drill"] is False
    assert message["alert_id"] == alert_id
    assert message["url"] == f"/varsel/{alert_id}"
    assert re.fullmatch(rf"/varsel/{alert_id}/kvitter/[A-Za-z0-9_-]{{32}}", message["ack_url"])
    assert push.vapid_ok, push.vapid_error
    assert push.headers["urgency"] == "high"
    assert push.headers["content-encoding"] == "aes128gcm"
    assert 0 < int(push.headers["ttl"]) <= push_app.config["PUSH_ALERT_TTL"]
    assert push.vapid_claims["sub"] == "mailto:rektor@skole.example"

    (row,) = wait_until(push_app, lambda: _settled(push_app, alert_id))
    assert row.status == DeliveryStatus.DELIVERED
    assert row.last_status_code == 201
    assert row.delivered_at is not None
    with push_app.app_context():
        subscription = db.session.execute(select(PushSubscription)).scalar_one()
        assert subscription.last_success_at is not None


def test_alternative_4_is_named_in_the_plans_words(push_app, fake_push, place_id):
    """An alert about alternative 4 says "omsetning/oppbevaring" exactly as the plan does."""
    leader = add_device(push_app, fake_push)
    _alert(push_app, place_id, "alternativ-4")
    (push,) = fake_push.wait_for(1, leader)
    assert push.message["body"] == (
        "Alternativ 4: bekymring for omsetning/oppbevaring av rusmidler på skolen – Rom 204"
    )


def test_drill_says_ovelse_and_reaches_only_those_who_opted_in(push_app, fake_push, place_id):
    """A drill alert is titled "ØVELSE: ..." and goes only to devices that chose drills."""
    leader_without_drills = add_device(push_app, fake_push, alerts=True, drills=False)
    leader_with_drills = add_device(push_app, fake_push, alerts=True, drills=True)
    alert_id = _alert(push_app, place_id, drill=True)

    (push,) = fake_push.wait_for(1, leader_with_drills)
    assert push.message["title"] == "ØVELSE: Varsel til ledelsen"
    assert push.message["drill"] is True
    wait_until(push_app, lambda: _settled(push_app, alert_id))
    assert len(deliveries(push_app, alert_id)) == 1
    assert fake_push.received_for(leader_without_drills) == []


def test_real_alert_skips_devices_that_only_want_plan_updates(push_app, fake_push, place_id):
    """Only devices subscribed to alerts get one; plan-update-only devices are left alone."""
    leader = add_device(push_app, fake_push, alerts=True)
    teacher = add_device(push_app, fake_push, alerts=False, plan_updates=True)
    alert_id = _alert(push_app, place_id)
    fake_push.wait_for(1, leader)
    wait_until(push_app, lambda: _settled(push_app, alert_id))
    assert fake_push.received_for(teacher) == []


def test_sender_own_device_is_skipped_and_recipients_can_be_limited(push_app, fake_push, place_id):
    """The sender's phone does not buzz, and recipient_user_ids limits the alert to those users."""
    own = add_device(push_app, fake_push, user_id=1)
    rektor = add_device(push_app, fake_push, user_id=2)
    other = add_device(push_app, fake_push, user_id=3)
    alert_id = _alert(push_app, place_id, sender_user_id=1, recipient_user_ids=[1, 2])
    fake_push.wait_for(1, rektor)
    rows = wait_until(push_app, lambda: _settled(push_app, alert_id))
    assert [r.user_id for r in rows] == [2]
    assert fake_push.received_for(own) == [] and fake_push.received_for(other) == []


def test_each_push_service_gets_a_token_for_its_own_origin(push_app, place_id):
    """Two push services get tokens with their own aud: a token is reused only within its audience."""
    with FakePushService() as first, FakePushService() as second:
        a = add_device(push_app, first)
        b = add_device(push_app, second)
        _alert(push_app, place_id)
        (push_a,) = first.wait_for(1, a)
        (push_b,) = second.wait_for(1, b)
    assert push_a.vapid_ok and push_b.vapid_ok, (push_a.vapid_error, push_b.vapid_error)
    assert push_a.vapid_claims["aud"] == first.origin
    assert push_b.vapid_claims["aud"] == second.origin
    assert push_a.headers["authorization"] != push_b.headers["authorization"]


def test_gone_subscriptions_are_deleted(push_app, fake_push, place_id):
    """410 and 404 delete the subscription; the delivery is marked gone and kept as history."""
    gone = add_device(push_app, fake_push, GONE)
    missing = add_device(push_app, fake_push, NOT_FOUND)
    fine = add_device(push_app, fake_push, CREATED)
    alert_id = _alert(push_app, place_id)

    rows = wait_until(push_app, lambda: _settled(push_app, alert_id))
    assert sorted(r.status for r in rows) == ["delivered", "gone", "gone"]
    assert all(r.subscription_id is None for r in rows if r.status == "gone")
    with push_app.app_context():
        left = db.session.execute(select(PushSubscription.endpoint)).scalars().all()
    assert left == [fine.endpoint]

    second_alert = _alert(push_app, place_id)
    fake_push.wait_for(2, fine)
    assert len(deliveries(push_app, second_alert)) == 1
    assert len(fake_push.received_for(gone)) == 1 and len(fake_push.received_for(missing)) == 1


def test_503_with_retry_after_is_retried_later_not_before(push_app, fake_push, place_id):
    """A push service that answers 503 with Retry-After: 1 gets the message again after 1 s."""
    leader = add_device(push_app, fake_push, throttled("1", status=503), CREATED)
    alert_id = _alert(push_app, place_id)

    (first,) = fake_push.wait_for(1, leader)
    assert first.answered == 503
    row = wait_until(push_app, lambda: [r for r in deliveries(push_app, alert_id) if r.attempts == 1])[0]
    first_post, second_post = fake_push.wait_for(2, leader, timeout=5)
    assert second_post.received_at - first_post.received_at >= 0.95
    (row,) = wait_until(push_app, lambda: _settled(push_app, alert_id))
    assert row.status == DeliveryStatus.DELIVERED
    assert row.attempts == 2
    assert second_post.message == first_post.message


def test_429_is_retried_with_backoff_until_delivered(push_app, fake_push, place_id):
    """429 without Retry-After backs off exponentially and then gets through."""
    leader = add_device(push_app, fake_push, Reply(429), Reply(429), CREATED)
    alert_id = _alert(push_app, place_id)
    posts = fake_push.wait_for(3, leader, timeout=5)
    gaps = [b.received_at - a.received_at for a, b in itertools.pairwise(posts)]
    assert gaps[0] >= 0.1 and gaps[1] >= 0.2  # base 0.1 s, doubled
    (row,) = wait_until(push_app, lambda: _settled(push_app, alert_id))
    assert row.status == DeliveryStatus.DELIVERED and row.attempts == 3


def test_gives_up_after_max_attempts(push_app, fake_push, place_id):
    """A push service that keeps failing gets PUSH_MAX_ATTEMPTS tries, then the delivery is failed."""
    leader = add_device(push_app, fake_push, Reply(500))
    alert_id = _alert(push_app, place_id)
    (row,) = wait_until(push_app, lambda: _settled(push_app, alert_id))
    assert row.status == DeliveryStatus.FAILED
    assert row.attempts == push_app.config["PUSH_MAX_ATTEMPTS"]
    assert row.last_error == "http-500"
    assert len(fake_push.received_for(leader)) == push_app.config["PUSH_MAX_ATTEMPTS"]


def test_redirects_are_not_followed(push_app, fake_push, place_id):
    """A push service cannot bounce the server to another address: 3xx is a failure, not a hop."""
    other = fake_push.new_subscriber()
    leader = add_device(push_app, fake_push, Reply(307, {"Location": other.endpoint}))
    alert_id = _alert(push_app, place_id)
    (row,) = wait_until(push_app, lambda: _settled(push_app, alert_id))
    assert row.status == DeliveryStatus.FAILED and row.last_status_code == 307
    assert len(fake_push.received_for(leader)) == 1
    assert fake_push.received_for(other) == []


def test_hanging_push_service_does_not_hang_the_app(push_apps, fake_push):
    """The request that sends the alert returns at once; the hang is cut by the timeout and retried."""
    app = push_apps.make()
    with app.app_context():
        place = push_service.Place(name="Kantina")
        db.session.add(place)
        db.session.commit()
        place_id = place.id
    test_routes = Blueprint("test_alert", __name__)

    @test_routes.post("/test/varsle")
    def send_alert():
        alert = push_service.create_alert("alternativ-4", place_id)
        return jsonify(id=alert.id)

    app.register_blueprint(test_routes)
    app.config["WTF_CSRF_ENABLED"] = False
    leader = add_device(app, fake_push, hang(5), CREATED)
    client = app.test_client()

    started = time.monotonic()
    response = client.post("/test/varsle")
    request_time = time.monotonic() - started
    assert response.status_code == 200
    # The push service hangs for 5 s; the request does not wait for it (2.5 s leaves room for a loaded
    # CI machine and still fails if the request waited for the hang).
    assert request_time < 2.5

    fake_push.wait_for(0, leader)
    page_started = time.monotonic()
    assert client.get("/").status_code == 200  # pages are served while the push service hangs
    assert time.monotonic() - page_started < 2.5

    alert_id = response.get_json()["id"]
    (row,) = wait_until(app, lambda: _settled(app, alert_id), timeout=15)
    assert row.status == DeliveryStatus.DELIVERED
    assert row.attempts == 2
    posts = fake_push.received_for(leader)
    assert len(posts) == 2
    # the first post was abandoned after the read timeout (0.5 s), long before the 5 s hang ended
    assert posts[1].received_at - posts[0].received_at < 2.5


def test_timeout_is_recorded_and_retried(push_app, fake_push, place_id):
    """A post that times out is put back as pending with the reason "timeout"."""
    leader = add_device(push_app, fake_push, hang(3), hang(3), CREATED)
    alert_id = _alert(push_app, place_id)
    fake_push.wait_for(0, leader)
    row = wait_until(
        push_app,
        lambda: [r for r in deliveries(push_app, alert_id) if r.last_error == "timeout"],
        timeout=5,
    )[0]
    assert row.status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
    (row,) = wait_until(push_app, lambda: _settled(push_app, alert_id), timeout=8)
    assert row.status == DeliveryStatus.DELIVERED and row.attempts == 3


def test_alert_stored_before_a_restart_is_sent_after_it(push_apps, fake_push, monkeypatch):
    """An alert stored but not sent when the server stopped is delivered by the next start."""
    first = push_apps.make()
    monkeypatch.setattr(push_service, "_wake_sender", lambda app: None)  # the server dies right here
    with first.app_context():
        place = push_service.Place(name="Gymsalen")
        db.session.add(place)
        db.session.commit()
        place_id = place.id
    leader = add_device(first, fake_push)
    alert_id = _alert(first, place_id)
    assert "push_sender" not in first.extensions
    assert [r.status for r in deliveries(first, alert_id)] == ["pending"]
    with first.app_context():
        db.engine.dispose()
    monkeypatch.undo()

    second = push_apps.make()  # a new process on the same database file
    push_sender.start_sender(second)
    (push,) = fake_push.wait_for(1, leader)
    assert push.message["body"] == "Alternativ 3: eleven opptrer ruset på skolen – Gymsalen"
    assert push.message["alert_id"] == alert_id
    (row,) = wait_until(second, lambda: _settled(second, alert_id))
    assert row.status == DeliveryStatus.DELIVERED


def test_send_pending_command_sends_what_a_stopped_server_left(push_apps, fake_push, monkeypatch):
    """`flask push send-pending` sends stored deliveries and reports the counts."""
    app = push_apps.make()
    monkeypatch.setattr(push_service, "_wake_sender", lambda app: None)
    with app.app_context():
        place = push_service.Place(name="Rom 101")
        db.session.add(place)
        db.session.commit()
        place_id = place.id
    leader = add_device(app, fake_push)
    gone = add_device(app, fake_push, GONE)
    _alert(app, place_id)
    result = app.test_cli_runner().invoke(args=["push", "send-pending", "--timeout", "10"])
    assert result.exit_code == 0, result.output
    assert "delivered: 1" in result.output and "gone: 1" in result.output
    assert len(fake_push.received_for(leader)) == 1 and len(fake_push.received_for(gone)) == 1


def test_delivery_left_sending_by_a_dead_sender_is_taken_over_after_its_lease(
    push_app, fake_push, place_id, monkeypatch
):
    """A delivery claimed by a sender that died is sent again once its lease has run out."""
    monkeypatch.setattr(push_service, "_wake_sender", lambda app: None)
    leader = add_device(push_app, fake_push)
    alert_id = _alert(push_app, place_id)
    with push_app.app_context():
        row = db.session.execute(select(AlertDelivery)).scalar_one()
        row.status = DeliveryStatus.SENDING
        row.claimed_at = push_service.utcnow() - push_sender.timedelta(seconds=60)
        db.session.commit()
    push_sender.start_sender(push_app)
    fake_push.wait_for(1, leader)
    (row,) = wait_until(push_app, lambda: _settled(push_app, alert_id))
    assert row.status == DeliveryStatus.DELIVERED


def test_two_senders_on_one_database_send_each_message_once(push_apps, fake_push):
    """Two app processes claiming from the same table never post the same delivery twice."""
    first = push_apps.make()
    second = push_apps.make()
    with first.app_context():
        place = push_service.Place(name="Biblioteket")
        db.session.add(place)
        db.session.commit()
        place_id = place.id
    devices = [add_device(first, fake_push) for _ in range(40)]
    push_sender.start_sender(second)
    alert_id = _alert(first, place_id)  # wakes the first app's sender; the second polls
    wait_until(first, lambda: _settled(first, alert_id), timeout=15)
    assert all(len(fake_push.received_for(d)) == 1 for d in devices)
    assert fake_push.stats()["posts"] == 40


def test_plan_update_notice_goes_to_those_who_opted_in(push_app, fake_push):
    """Publishing a revision can notify opted-in devices, at normal urgency."""
    reader = add_device(push_app, fake_push, alerts=False, plan_updates=True)
    leader_only = add_device(push_app, fake_push, alerts=True, plan_updates=False)
    with push_app.app_context():
        revision = (
            push_service.db.session.execute(
                select(push_service.PlanRevision).order_by(push_service.PlanRevision.id.desc())
            )
            .scalars()
            .first()
        )
        assert push_service.notify_plan_update(revision) == 1
        revision_id = revision.id
    (push,) = fake_push.wait_for(1, reader)
    assert push.message == {
        "type": "plan_update",
        "title": "Handlingsplanen er oppdatert",
        "body": "Åpne Rusplan for å se den nye versjonen.",
        "revision_id": revision_id,
        "tag": "plan-update",
        "url": "/",
    }
    assert push.headers["urgency"] == "normal"
    assert push.vapid_ok
    time.sleep(0.2)
    assert fake_push.received_for(leader_only) == []


def test_request_threads_are_not_blocked_while_many_posts_hang(push_apps, fake_push):
    """With every push service connection hanging, page requests still answer quickly."""
    app = push_apps.make(PUSH_SENDER_THREADS=2)
    with app.app_context():
        place = push_service.Place(name="Aulaen")
        db.session.add(place)
        db.session.commit()
        place_id = place.id
    for _ in range(6):
        add_device(app, fake_push, hang(3), CREATED)
    client = app.test_client()
    _alert(app, place_id)
    fake_push.wait_for(0)
    timings = []
    stop = time.monotonic() + 0.8
    while time.monotonic() < stop:
        started = time.monotonic()
        assert client.get("/akutt").status_code == 200
        timings.append(time.monotonic() - started)
    assert max(timings) < 1.0, timings  # every post hangs for 3 s meanwhile
    assert threading.active_count() < 40


def test_plan_imported_from_the_command_line_notifies_opted_in_devices(push_apps, fake_push, tmp_path):
    """`flask content import` of a changed plan queues the notice; the server's sender delivers it."""
    cli_app = push_apps.make()
    reader = add_device(cli_app, fake_push, alerts=False, plan_updates=True)
    add_device(cli_app, fake_push, alerts=True, plan_updates=False)
    folder = tmp_path / "halden-vgs"
    shutil.copytree(CONTENT, folder)
    checklist = folder / "checklists.yaml"
    checklist.write_text(
        checklist.read_text(encoding="utf-8").replace("Har eleven sluttet", "Har eleven kanskje sluttet"),
        encoding="utf-8",
    )

    result = cli_app.test_cli_runner().invoke(args=["content", "import", "--folder", str(folder)])
    assert result.exit_code == 0, result.output
    assert "Varsel om oppdatert plan til 1 enheter er lagt i kø" in result.output
    assert "push_sender" not in cli_app.extensions  # no sender thread in a short-lived command
    (row,) = deliveries(cli_app)
    assert row.status == DeliveryStatus.PENDING and row.plan_revision_id is not None

    unchanged = cli_app.test_cli_runner().invoke(args=["content", "import", "--folder", str(folder)])
    assert "Uendret" in unchanged.output and len(deliveries(cli_app)) == 1  # no second notice

    server = push_apps.make()  # the running server, same database: its sender finds the stored row
    push_sender.start_sender(server)
    (push,) = fake_push.wait_for(1, reader)
    assert push.message["type"] == "plan_update" and push.message["revision_id"] == row.plan_revision_id
