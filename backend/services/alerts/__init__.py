"""Alerts to the leadership («varsel»): subscriptions, alerts and answers, places, the background sender."""
