"""Subscriptions: only known push services, valid keys, one row per device, pushsubscriptionchange."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from urllib3.util import parse_url

from backend.extensions import db
from backend.models import PushSubscription
from backend.services.alerts import subscriptions as push_service
from backend.services.alerts.subscriptions import SubscriptionError, check_endpoint
from tests.fakepush import FakePushService

DEFAULT_HOSTS = [
    "fcm.googleapis.com",
    "android.googleapis.com",
    "updates.push.services.mozilla.com",
    "push.services.mozilla.com",
    "web.push.apple.com",
    "*.push.apple.com",
    "*.notify.windows.com",
]


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/abc:APA91b",
        "https://android.googleapis.com/gcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAA",
        "https://push.services.mozilla.com/wpush/v1/gAAAA",
        "https://web.push.apple.com/QGq8",
        "https://api.push.apple.com/3/device/abc",
        "https://wns2-par02p.notify.windows.com/w/?token=BQYAAA",
    ],
)
def test_default_allow_list_accepts_the_big_four_push_services(app, endpoint):
    """Chrome, Firefox, Safari and Edge push endpoints are accepted with the default settings."""
    with app.app_context():
        assert app.config["PUSH_ALLOWED_HOSTS"] == DEFAULT_HOSTS
        assert check_endpoint(endpoint) == endpoint


@pytest.mark.parametrize(
    ("endpoint", "reason"),
    [
        ("https://evil.example/push/1", "evil.example er ikke på listen over godkjente tjenester"),
        ("https://push.apple.com.evil.example/x", "er ikke på listen"),
        ("https://evilpush.apple.com/x", "er ikke på listen"),
        ("https://push.apple.com/x", "er ikke på listen"),
        ("https://notify.windows.com.attacker.net/x", "er ikke på listen"),
        ("http://fcm.googleapis.com/fcm/send/x", "må brukes over https"),
        ("https://fcm.googleapis.com:8443/fcm/send/x", "må brukes over https på vanlig port"),
        ("http://127.0.0.1:8080/push/1", "127.0.0.1 er ikke på listen"),
        ("https://user:pw@fcm.googleapis.com/x", "ugyldig"),
        ("ftp://fcm.googleapis.com/x", "ugyldig"),
        ("", "mangler en gyldig adresse"),
        ("https://fcm.googleapis.com/" + "x" * 2100, "mangler en gyldig adresse"),
        ("https://fcm.googleapis.com/" + "x" * 975, "mangler en gyldig adresse"),
    ],
)
def test_endpoints_outside_the_allow_list_are_refused_in_norwegian(app, endpoint, reason):
    """The server never posts to an arbitrary address; the error says why in plain Norwegian."""
    with app.app_context(), pytest.raises(SubscriptionError, match=reason):
        check_endpoint(endpoint)


def test_plain_http_only_for_hosts_listed_with_http(app):
    """ "http://127.0.0.1" in the list allows the local fake service on any port; nothing else."""
    allowed = ["fcm.googleapis.com", "http://127.0.0.1"]
    assert check_endpoint("http://127.0.0.1:54321/push/a", allowed)
    assert check_endpoint("https://127.0.0.1/push/a", allowed)
    with pytest.raises(SubscriptionError):
        check_endpoint("http://localhost:54321/push/a", allowed)
    with pytest.raises(SubscriptionError):
        check_endpoint("http://fcm.googleapis.com/fcm/send/a", allowed)


def test_subscription_to_a_host_not_allowed_is_refused_and_not_stored(push_app):
    """subscribe() refuses an unknown push service with a clear error and stores nothing."""
    with FakePushService(host="127.0.0.2") as elsewhere:  # 127.0.0.2 is not on the test allow-list
        device = elsewhere.new_subscriber()
        with push_app.app_context():
            with pytest.raises(SubscriptionError) as refused:
                push_service.subscribe(device.subscription_json(), user_id=1, alerts=True)
            count = db.session.execute(select(func.count()).select_from(PushSubscription)).scalar_one()
    assert "127.0.0.2 er ikke på listen over godkjente tjenester" in str(refused.value)
    assert "Abonnementet ble ikke lagret" in str(refused.value)
    assert count == 0


@pytest.mark.parametrize(
    "keys",
    [
        None,
        {},
        {"p256dh": "AAAA", "auth": "AAAAAAAAAAAAAAAAAAAAAA"},
        {"p256dh": "B" + "A" * 86},  # 65 bytes, but not a point on the curve; and no auth
        "not-a-dict",
    ],
)
def test_subscription_with_bad_keys_is_refused(push_app, fake_push, keys):
    """A subscription whose p256dh is not a P-256 point or whose auth is not 16 bytes is refused."""
    data = {"endpoint": fake_push.new_subscriber().endpoint, "keys": keys}
    with push_app.app_context(), pytest.raises(SubscriptionError):
        push_service.subscribe(data, user_id=None)


def test_wrong_auth_length_is_refused(push_app, fake_push):
    """The auth secret must be exactly 16 bytes."""
    data = fake_push.new_subscriber().subscription_json()
    data["keys"]["auth"] = "AAAAAAAAAAAA"
    with push_app.app_context(), pytest.raises(SubscriptionError, match="Nøklene i abonnementet er ugyldige"):
        push_service.subscribe(data, user_id=None)


def test_subscribing_twice_updates_the_one_row(push_app, fake_push):
    """The same device subscribing again (new choices, new owner) keeps one row."""
    device = fake_push.new_subscriber()
    with push_app.app_context():
        push_service.subscribe(device.subscription_json(), user_id=1, alerts=True)
        push_service.subscribe(device.subscription_json(), user_id=2, plan_updates=True, drills=True)
        (row,) = db.session.execute(select(PushSubscription)).scalars().all()
    assert (row.user_id, row.alerts, row.plan_updates, row.drills) == (2, False, True, True)
    assert row.endpoint == device.endpoint
    assert row.p256dh == device.p256dh


def test_unsubscribe_removes_only_the_owners_device(push_app, fake_push):
    """unsubscribe() with a user only removes that user's subscription."""
    device = fake_push.new_subscriber()
    with push_app.app_context():
        push_service.subscribe(device.subscription_json(), user_id=1, alerts=True)
        assert push_service.unsubscribe(device.endpoint, user_id=2) is False
        assert push_service.unsubscribe(device.endpoint, user_id=1) is True
        assert push_service.unsubscribe(device.endpoint) is False
        assert db.session.execute(select(func.count()).select_from(PushSubscription)).scalar_one() == 0


def test_pushsubscriptionchange_moves_the_subscription_and_keeps_choices(push_app, fake_push):
    """When the browser renews its subscription, the new endpoint and keys replace the old ones."""
    old = fake_push.new_subscriber()
    new = fake_push.new_subscriber()
    with push_app.app_context():
        push_service.subscribe(old.subscription_json(), user_id=7, alerts=True, drills=True)
        moved = push_service.update_subscription(
            old.endpoint,
            new.subscription_json(),
            owner_id=None,
            old_auth=old.subscription_json()["keys"]["auth"],
        )
        assert moved is not None
        (row,) = db.session.execute(select(PushSubscription)).scalars().all()
        assert (row.endpoint, row.p256dh, row.user_id, row.alerts, row.drills) == (
            new.endpoint,
            new.p256dh,
            7,
            True,
            True,
        )
        assert (
            push_service.update_subscription(old.endpoint, new.subscription_json(), owner_id=7, old_auth=None)
            is None
        )


def test_pushsubscriptionchange_to_an_endpoint_already_stored_keeps_one_row(push_app, fake_push):
    """If the new endpoint was stored already, the change still leaves one row for the device."""
    old = fake_push.new_subscriber()
    new = fake_push.new_subscriber()
    with push_app.app_context():
        push_service.subscribe(old.subscription_json(), user_id=7, alerts=True)
        push_service.subscribe(new.subscription_json(), user_id=7, plan_updates=True)
        push_service.update_subscription(old.endpoint, new.subscription_json(), owner_id=7, old_auth=None)
        rows = db.session.execute(select(PushSubscription)).scalars().all()
    assert [(r.endpoint, r.alerts) for r in rows] == [(new.endpoint, True)]


def test_pushsubscriptionchange_to_a_host_not_allowed_is_refused(push_app, fake_push):
    """The renewed subscription is checked against the allow-list like a new one."""
    old = fake_push.new_subscriber()
    with push_app.app_context():
        push_service.subscribe(old.subscription_json(), user_id=7, alerts=True)
        bad = {**old.subscription_json(), "endpoint": "https://evil.example/push/1"}
        with pytest.raises(SubscriptionError):
            push_service.update_subscription(old.endpoint, bad, owner_id=7, old_auth=None)
        assert db.session.execute(select(PushSubscription.endpoint)).scalar_one() == old.endpoint


# Endpoints that one URL parser reads differently from another (issue 10, item 1): each names an
# allowed push service to a naive check and something else to the HTTP client, or smuggles prose.
PARSER_TRICKS = [
    "https://127.0.0.1\\.push.apple.com/x",  # urllib3 ends the host at the backslash: 127.0.0.1
    "https://127.0.0.1%2f.push.apple.com/x",
    "https://127.0.0.1%2F@web.push.apple.com/x",
    "https://evil.example@fcm.googleapis.com/fcm/send/x",
    "https://fcm.googleapis.com@evil.example/fcm/send/x",
    "https://fcm.googleapis.com:443@evil.example/x",
    "https://fcm.googleapis.com\\@evil.example/x",
    "https://fcm.googleapis.com#@evil.example/x",
    "https://fcm\u3002googleapis\u3002com/fcm/send/x",  # ideographic full stop
    "https://fcm\uff0egoogleapis.com/fcm/send/x",  # fullwidth full stop
    "https://fcm\uff61googleapis.com/fcm/send/x",  # halfwidth ideographic full stop
    "https://web.push.apple.com./x",  # trailing dot
    "https://web.push.apple.com../x",
    "https://x.push.apple.com.:443/x",
    "https://2130706433/x",  # 127.0.0.1 in decimal
    "https://0x7f000001/x",  # in hex
    "https://0x7f.0.0.1/x",
    "https://0177.0.0.1/x",  # in octal
    "https://127.1/x",
    "https://127.000.000.001/x",
    "https://[::1]/x",  # IPv6 literals
    "https://[::ffff:127.0.0.1]/x",
    "https://[::1].push.apple.com/x",
    "https://fcm.googleapis.com:8443/fcm/send/x",
    "https://fcm.googleapis.com:0443/fcm/send/x",
    "https://FCM.googleapis.com:/fcm/send/x",
    "https://fcm.googleapis.com/fcm/send/a\\b",
    "https://fcm.googleapis.com/fcm/send/%2e%2e/x",
    "https://fcm.googleapis.com/fcm/send/../../x",
    "https://fcm.googleapis.com/fcm/send/Ola%20Nordmann%202STA%20ruset",
    "https://fcm.googleapis.com/fcm/send/Ola Nordmann",
    "https://fcm.googleapis.com/fcm/send/x?elev=Kari%0aNordmann",
    "https://fcm.googleapis.com/fcm/send/\u00f8",
    "https://fcm.googleapis.com/fcm/send/x#fragment",
    "https://xn--fcm-googleapis.com/x",
    "https:fcm.googleapis.com/x",
    "https:/fcm.googleapis.com/x",
    "https:///fcm.googleapis.com/x",
    "//fcm.googleapis.com/x",
    " https://fcm.googleapis.com/fcm/send/x",
    "https://fcm.googleapis.com/fcm/send/x\n",
    "https://fcm.googleapis.com\t/fcm/send/x",
    "https://-fcm.googleapis.com/x",
    "https://fcm.googleapis.com",
]


@pytest.mark.parametrize("endpoint", PARSER_TRICKS)
def test_endpoints_that_parsers_read_differently_are_refused(endpoint):
    """Backslash, %2f, @, unicode full stops, numeric and IPv6 hosts, trailing dots, prose: refused."""
    with pytest.raises(SubscriptionError):
        check_endpoint(endpoint, [*DEFAULT_HOSTS, "127.0.0.1"])


def test_the_ssrf_example_of_the_issue_is_refused_though_urlsplit_sees_an_apple_host():
    """urlsplit sees *.push.apple.com, urllib3 (the sender's client) sees 127.0.0.1: refused."""
    endpoint = "https://127.0.0.1\\.push.apple.com/x"
    assert parse_url(endpoint).host == "127.0.0.1"
    with pytest.raises(SubscriptionError, match="ugyldig"):
        check_endpoint(endpoint, ["*.push.apple.com"])


def test_an_endpoint_carrying_prose_is_refused():
    """1,900 characters of prose in the path (the tester's example) are not an endpoint."""
    prose = "Ola%20Nordmann%20i%202STA%20var%20ruset%20i%20friminuttet%20" * 32
    with pytest.raises(SubscriptionError):
        check_endpoint("https://fcm.googleapis.com/fcm/send/" + prose[:1900], DEFAULT_HOSTS)
    with pytest.raises(SubscriptionError):
        check_endpoint("https://fcm.googleapis.com/fcm/send/" + "a" * 1000, DEFAULT_HOSTS)


@pytest.mark.parametrize(
    ("endpoint", "stored"),
    [
        ("https://FCM.GoogleApis.com/fcm/send/a:B-c_d", "https://fcm.googleapis.com/fcm/send/a:B-c_d"),
        ("HTTPS://web.push.apple.com:443/QGq8", "https://web.push.apple.com/QGq8"),
        (
            "https://wns2-par02p.notify.windows.com/w/?token=BQYAAA%2fb%2bc%3d",
            "https://wns2-par02p.notify.windows.com/w/?token=BQYAAA%2Fb%2Bc%3D",
        ),
        ("http://127.0.0.1:5001/push/a_b-c", "http://127.0.0.1:5001/push/a_b-c"),
    ],
)
def test_an_endpoint_is_stored_as_the_sender_will_read_it(endpoint, stored):
    """The checked endpoint comes back re-built from its parts, the form urllib3 itself sends."""
    assert check_endpoint(endpoint, [*DEFAULT_HOSTS, "http://127.0.0.1"]) == stored
    assert parse_url(stored).url == stored


def test_subscribe_stores_only_the_normal_form_and_finds_it_by_the_browsers_form(push_app, fake_push):
    """The row holds the re-built endpoint; the browser's own spelling still finds and removes it."""
    device = fake_push.new_subscriber()
    spelled = device.endpoint.replace("http://", "HTTP://")
    with push_app.app_context():
        push_service.subscribe({**device.subscription_json(), "endpoint": spelled}, user_id=1, alerts=True)
        assert db.session.execute(select(PushSubscription.endpoint)).scalar_one() == device.endpoint
        assert push_service.find_subscription(spelled, user_id=1) is not None
        assert push_service.unsubscribe(spelled, user_id=1) is True
