"""Forms for alerts and the places list.

The alert form has no free-text field on purpose: only choices (alternative, place from the admin's
list) and a hidden drill flag, so no student's name can ever be typed into an alert.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice
from wtforms.validators import AnyOf, InputRequired

from backend.forms import text_field
from backend.models import ALERT_ALTERNATIVES

ALTERNATIVE_LABELS = {
    "alternativ-3": "Alternativ 3: eleven er ruset på skolen",
    "alternativ-4": "Alternativ 4: omsetning eller oppbevaring på skolen",
}


class AlertForm(FlaskForm):
    """Send an alert to the leadership: alternative 3 or 4 and a place from the list."""

    alternative = RadioField(
        "Hva gjelder det?",
        choices=[SelectChoice(value, ALTERNATIVE_LABELS[value]) for value in ALERT_ALTERNATIVES],
        validators=[InputRequired("Velg alternativ 3 eller 4.")],
    )
    place = RadioField("Hvor?", coerce=int, validators=[InputRequired("Velg et sted fra listen.")])
    # Set to "1" by js/alert.js when drill mode is on in this browser.
    drill = HiddenField(default="0", validators=[AnyOf(["0", "1"], message="Ugyldig verdi.")])


class PlaceForm(FlaskForm):
    """Add or rename a place (a room or an area; never a person)."""

    name = text_field("Navn på stedet", max_length=80)
