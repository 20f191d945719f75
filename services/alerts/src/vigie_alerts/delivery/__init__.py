"""Notifications of alert changes, webhooks and e-mails, sent from the alert_deliveries outbox.

The evaluator writes one row per (subscription, change, channel) in the transaction of the
change and calls `DeliveryWorker.wake()` once it committed; the worker sends, retries with
backoff, and records each subscription's latest outcome (`subscription_state`).
"""

from vigie_alerts.delivery.email import NO_SMTP, render_email, render_silence_summary, send_email
from vigie_alerts.delivery.links import dashboard_link
from vigie_alerts.delivery.outcome import Failure
from vigie_alerts.delivery.repository import SubscriptionState, subscription_state
from vigie_alerts.delivery.webhook import USER_AGENT, sign
from vigie_alerts.delivery.worker import DeliveryWorker

__all__ = [
    "NO_SMTP",
    "USER_AGENT",
    "DeliveryWorker",
    "Failure",
    "SubscriptionState",
    "dashboard_link",
    "render_email",
    "render_silence_summary",
    "send_email",
    "sign",
    "subscription_state",
]
