"""Alerts to the leadership («varsel» in the app): one feature, one home.

subscriptions.py  devices' Web Push subscriptions and the allow-list of push services
alerts.py         create and send an alert, answers, progress, purge, the pushed payloads
procedures.py     which of the plan's procedures an alert can be about (its urgent ones), and their numbers
status.py         what the sender's live screen and the history show
readiness.py      whether the call chain can be reached now («Varslingsberedskap»)
places.py         the rooms and areas an alert can name
sender.py         the background sender; it imports nothing above it (create_app wires it)
transport.py      the sender's connections: a kept-alive pool per push service, VAPID tokens per audience

Routes use the names below; the modules stay importable on their own.
"""

from backend.services.alerts.alerts import (
    AlertError,
    ack_token,
    acknowledge,
    alert_payload,
    alert_progress,
    alternative_text,
    create_alert,
    reach,
    send_alert,
)
from backend.services.alerts.places import (
    PlaceError,
    active_places,
    add_place,
    all_places,
    move_place,
    rename_place,
    set_place_active,
)
from backend.services.alerts.procedures import (
    alert_procedure,
    alert_procedures,
    procedure_services,
)
from backend.services.alerts.readiness import MIN_RECEIVERS, chain_readiness, device_dropped
from backend.services.alerts.status import alert_status, can_view, chain_for, has_answered, history
from backend.services.alerts.subscriptions import (
    SubscriptionError,
    device_count,
    find_subscription,
    subscribe,
    subscription_owner,
    unsubscribe,
    update_subscription,
)

__all__ = [
    "MIN_RECEIVERS",
    "AlertError",
    "PlaceError",
    "SubscriptionError",
    "ack_token",
    "acknowledge",
    "active_places",
    "add_place",
    "alert_payload",
    "alert_procedure",
    "alert_procedures",
    "alert_progress",
    "alert_status",
    "all_places",
    "alternative_text",
    "can_view",
    "chain_for",
    "chain_readiness",
    "create_alert",
    "device_count",
    "device_dropped",
    "find_subscription",
    "has_answered",
    "history",
    "move_place",
    "procedure_services",
    "reach",
    "rename_place",
    "send_alert",
    "set_place_active",
    "subscribe",
    "subscription_owner",
    "unsubscribe",
    "update_subscription",
]
