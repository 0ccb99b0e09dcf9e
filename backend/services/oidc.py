"""Signing in with Feide or another OpenID Connect provider: who the ID token says, and who may enter.

The protocol (authorization code with PKCE, state, nonce, the ID token's signature and claims) is done
by Authlib in routes/sign_in.py; this module gets the checked claims and decides, without a request:

- a person is found by the provider's subject id linked before, or by an e-mail address the provider
  says is verified — never by name;
- someone not invited is refused, unless self-sign-up as «Ansatt» is on for their Feide organisation
  or e-mail domain; roles above staff are only ever given in the admin;
- an admin whose provider shows a second factor (amr/acr) is not asked for the app's code again.

Nothing from the tokens is kept but the issuer and the subject id (SignInIdentity).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend.database import write_transaction
from backend.extensions import db
from backend.models import Invitation, SignInIdentity, User
from backend.services import accounts, audit
from backend.services.sign_in_providers import (  # noqa: F401 (the routes read them here)
    FEIDE,
    GENERIC,
    Provider,
    check_config,
    configured_providers,
    masked,
    provider,
    providers,
    settings_for_admin,
)

# Feide puts the person's Feide name (user@realm) here with the scope userid-feide, and also in
# userid_sec as "feide:user@realm".
FEIDE_EPPN = "https://n.feide.no/claims/eduPersonPrincipalName"
FEIDE_USERID_SEC = "https://n.feide.no/claims/userid_sec"
# What may be taken from the userinfo endpoint when the ID token lacks it (never sub, iss or aud).
USERINFO_CLAIMS = ("email", "email_verified", "name", FEIDE_EPPN, FEIDE_USERID_SEC)
# Signature algorithms accepted for ID tokens, whatever the provider's metadata says ("none" never).
ID_TOKEN_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")


class SignInRefused(Exception):
    """A sign-in that is not let through; the message is Norwegian and safe to show."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason  # short, for the log: no personal data


@dataclass(frozen=True)
class Identity:
    """What a checked ID token says about the person."""

    provider: str
    issuer: str
    subject: str
    email: str
    email_verified: bool
    name: str
    organization: str = ""
    mfa: bool = False


# --- From checked claims to an identity ---------------------------------------------------------


def _feide_name(claims: dict) -> str:
    eppn = claims.get(FEIDE_EPPN)
    if isinstance(eppn, str) and "@" in eppn:
        return eppn
    secondary = claims.get(FEIDE_USERID_SEC)
    for value in secondary if isinstance(secondary, list) else []:
        if isinstance(value, str) and value.startswith("feide:") and "@" in value:
            return value.removeprefix("feide:")
    return ""


def needs_userinfo(found: Provider, claims: dict) -> bool:
    """Tell whether the ID token lacks the e-mail (or, for Feide, the Feide name) that we need."""
    return not claims.get("email") or (found.key == FEIDE and not _feide_name(claims))


def with_userinfo(claims: dict, userinfo: dict) -> dict:
    """Add what the userinfo endpoint says to the ID token's claims; it must be about the same person."""
    if userinfo.get("sub") != claims.get("sub"):
        raise SignInRefused(_("Svarene fra innloggingstjenesten gjaldt ikke samme person."), "userinfo-sub")
    extra = {key: userinfo[key] for key in USERINFO_CLAIMS if key in userinfo and key not in claims}
    return {**claims, **extra}


def _mfa(found: Provider, claims: dict) -> bool:
    amr = claims.get("amr")
    amr = amr if isinstance(amr, list) else []
    wanted = {value.lower() for value in current_app.config.get("OIDC_MFA_AMR", [])}
    if any(isinstance(value, str) and value.lower() in wanted for value in amr):
        return True
    acr = claims.get("acr")
    return isinstance(acr, str) and acr in found.mfa_acr


def identity_from_claims(found: Provider, claims: dict) -> Identity:
    """Read the person from an ID token Authlib has checked; refuse another Feide organisation."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise SignInRefused(
            _("%(provider)s sendte ingen gyldig brukeridentitet.", provider=found.label), "no-sub"
        )
    email = claims.get("email")
    email = accounts.normalise_email(email) if isinstance(email, str) else ""
    verified = claims.get("email_verified") is True or claims.get("xms_edov") is True
    organization = ""
    if found.key == FEIDE:
        organization = _feide_name(claims).rpartition("@")[2].strip().lower()
        if not organization or organization != found.organization:
            raise SignInRefused(
                _(
                    "Feide-brukeren din hører ikke til skolens organisasjon. Logg inn med Feide-brukeren "
                    "du har fra skolen, eller spør en administrator."
                ),
                "feide-organization",
            )
        # The organisation vouches for the addresses in its own catalogue, unless Feide says otherwise.
        verified = verified or (bool(email) and claims.get("email_verified") is not False)
    name = claims.get("name")
    name = " ".join(name.split())[:120] if isinstance(name, str) else ""
    return Identity(
        provider=found.key,
        issuer=found.issuer,
        subject=subject,
        email=email if len(email) <= 254 else "",
        email_verified=verified,
        name=name,
        organization=organization,
        mfa=_mfa(found, claims),
    )


# --- Who may enter ------------------------------------------------------------------------------


@dataclass
class Admission:
    """Who an identity is let in as, and how it was found: linked, invited, existing or self-signup."""

    user: User
    how: str


def _linked(identity: Identity) -> User | None:
    row = db.session.execute(
        select(SignInIdentity).where(
            SignInIdentity.issuer == identity.issuer, SignInIdentity.subject == identity.subject
        )
    ).scalar_one_or_none()
    return row.user if row is not None else None


def may_sign_up(identity: Identity) -> bool:
    """Tell whether someone not invited is let in as «Ansatt» (self-sign-up for the org or domain)."""
    config = current_app.config
    if identity.provider == FEIDE and config.get("FEIDE_SELF_SIGNUP") and identity.organization:
        return True
    domain = identity.email.rpartition("@")[2]
    allowed = {entry.strip().lower().lstrip("@") for entry in config.get("SELF_SIGNUP_DOMAINS", [])}
    return bool(domain) and domain in allowed


def _refuse_disabled(user: User) -> None:
    if user.disabled:
        raise SignInRefused(_("Kontoen er deaktivert. Snakk med en administrator på skolen."), "disabled")


def _not_verified(identity: Identity, label: str) -> SignInRefused:
    return SignInRefused(
        _(
            "%(provider)s bekrefter ikke e-postadressen din, så vi kan ikke vite hvem du er i Rusplan. "
            "Spør en administrator på skolen.",
            provider=label,
        ),
        "email-not-verified",
    )


def decide(identity: Identity, label: str) -> tuple[User | None, str]:
    """Say who the identity would be let in as, without changing anything: (user or None, how).

    `how` is linked, existing (an account or invitation with this verified e-mail) or signup; raises
    SignInRefused when the person is not let in.
    """
    user = _linked(identity)
    if user is not None:
        _refuse_disabled(user)
        return user, "linked"
    if not identity.email or not identity.email_verified:
        raise _not_verified(identity, label)
    user = accounts.get_by_email(identity.email)
    if user is not None:
        _refuse_disabled(user)
        return user, "existing"
    if may_sign_up(identity):
        return None, "signup"
    raise SignInRefused(
        _(
            "Du er ikke invitert til Rusplan ennå (%(email)s). Be en administrator på skolen om en "
            "invitasjon; etterpå kan du logge inn her.",
            email=identity.email,
        ),
        "not-invited",
    )


def admit(identity: Identity, label: str, *, ip: str | None) -> Admission:
    """Let the identity in: link it to the invited or existing account, or make a staff account for a
    self-sign-up; record when it was used. Raises SignInRefused."""
    user, how = decide(identity, label)
    with write_transaction():
        if how == "signup":
            name = identity.name or identity.email.partition("@")[0]
            if accounts.get_by_email(identity.email) is not None:  # made by another request meanwhile
                raise SignInRefused(_("Prøv å logge inn på nytt."), "race")
            user = User(
                email=identity.email,
                name=name,
                session_token=accounts.new_session_token(),
                is_staff=True,
            )
            db.session.add(user)
            db.session.flush()
            audit.record(
                "user_created",
                actor=identity.email,
                subject=identity.email,
                detail=f"selvregistrering med {label}, rolle: staff",
                ip=ip,
            )
        else:
            user = db.session.get(User, user.id)
        if how != "linked":
            db.session.add(
                SignInIdentity(
                    user_id=user.id,
                    provider=identity.provider,
                    issuer=identity.issuer,
                    subject=identity.subject,
                    created_at=accounts.now(),
                )
            )
            # An open invitation has done its job: the person has signed in.
            for invitation in db.session.execute(
                select(Invitation).where(Invitation.user_id == user.id, Invitation.used_at.is_(None))
            ).scalars():
                invitation.used_at = accounts.now()
            audit.record("sign_in_linked", actor=user.email, subject=user.email, detail=label, ip=ip)
        row = db.session.execute(
            select(SignInIdentity).where(
                SignInIdentity.issuer == identity.issuer, SignInIdentity.subject == identity.subject
            )
        ).scalar_one_or_none()
        if row is not None:
            row.last_used_at = accounts.now()
    return Admission(db.session.get(User, user.id), how)


def admit_once_more(identity: Identity, label: str, *, ip: str | None) -> Admission:
    """admit(), once again if a parallel first sign-in of the same person linked it a moment ago."""
    try:
        return admit(identity, label, ip=ip)
    except IntegrityError:
        db.session.rollback()
        return admit(identity, label, ip=ip)


def record_refusal(identity: Identity | None, refused: SignInRefused, label: str, *, ip: str | None) -> None:
    """Write a refused sign-in to the log: the provider and the reason (and the e-mail if known)."""
    with write_transaction():
        audit.record(
            "sign_in_refused",
            subject=identity.email if identity is not None and identity.email else None,
            detail=f"{label}: {refused.reason}",
            ip=ip,
        )


def sign_in_methods(user: User) -> list[str]:
    """How a user signs in, for the admin's user list: «Passord», «Feide», «Microsoft»."""
    labels = {found.key: found.label for found in providers()}
    methods = [_("Passord")] if user.password_hash is not None else []
    for row in user.identities:
        label = labels.get(row.provider, {"feide": "Feide"}.get(row.provider, "OpenID Connect"))
        if label not in methods:
            methods.append(label)
    return methods
