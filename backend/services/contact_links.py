"""Accounts linked to the people in the plan's contact list.

An admin chooses which contact an account is; the link is the contact's stable id (its slug in
contacts.yaml, which the admin editor keeps when the name changes), never a match by name. The
link gives the role on an alert's answers and who in the call chain has an account.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from backend.content.schema import Contact, Plan
from backend.database import write_transaction
from backend.extensions import db
from backend.models import User
from backend.services import audit
from backend.services.language import title_in_sentence


class ContactLinkError(ValueError):
    """A link between an account and a contact that cannot be made; the message is Norwegian."""


def contact_for(user: User | None, plan: Plan | None) -> Contact | None:
    """Return the contact this account is linked to in the plan, or None."""
    if user is None or plan is None or not user.contact_id:
        return None
    return next((c for c in plan.all_contacts() if c.id == user.contact_id), None)


def linked_users() -> dict[str, User]:
    """Return every linked account by its contact id."""
    rows = db.session.execute(select(User).where(User.contact_id.is_not(None))).scalars()
    return {user.contact_id: user for user in rows}


def link_contact(user: User, contact_id: str | None, plan: Plan | None, *, actor: str | None) -> None:
    """Link an account to a contact of the current plan (None: remove the link)."""
    contact = None
    if contact_id:
        contact = next((c for c in plan.all_contacts() if c.id == contact_id), None) if plan else None
        if contact is None:
            raise ContactLinkError(_("Personen finnes ikke i kontaktlisten."))
    with write_transaction():
        fresh = db.session.get(User, user.id)
        if contact is not None:
            taken = db.session.execute(
                select(User).where(User.contact_id == contact.id, User.id != fresh.id)
            ).scalar_one_or_none()
            if taken is not None:
                raise ContactLinkError(
                    _(
                        "%(contact)s er allerede koblet til kontoen til %(user)s.",
                        contact=contact.name,
                        user=taken.name,
                    )
                )
        fresh.contact_id = contact.id if contact is not None else None
        detail = f"kontakt: {contact.name} ({contact.id})" if contact is not None else "kontakt: ingen"
        audit.record("user_changed", actor=actor, subject=fresh.email, detail=detail)


def role_label(user: User | None, plan: Plan | None) -> str:
    """Return the person's title in lower case from the linked contact ("rektor"), or "leder"/"ansatt"."""
    if user is None:
        return _("leder")
    contact = contact_for(user, plan)
    if contact is not None and contact.role:
        return title_in_sentence(contact.role)
    return _("leder") if user.is_leader else _("ansatt")
