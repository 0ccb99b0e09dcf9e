"""Which OpenID Connect providers this deployment has set up (Feide first), read from the configuration.

Kept apart from services/oidc.py (who may enter) so that a service which only needs to name the ways
to sign in, such as an invitation mail, does not depend on the admission rules and the accounts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, current_app
from flask_babel import gettext as _

FEIDE = "feide"
GENERIC = "oidc"


@dataclass(frozen=True)
class Provider:
    """One configured provider: Feide, or a generic one (Entra ID, Google) by issuer URL."""

    key: str
    label: str
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: str
    organization: str = ""  # Feide: the school's organisation (realm)
    mfa_acr: tuple[str, ...] = ()

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


def configured_providers(config) -> list[Provider]:
    """Return the providers set up in this configuration, Feide first."""
    found = []
    if config.get("FEIDE_CLIENT_ID"):
        found.append(
            Provider(
                key=FEIDE,
                label="Feide",
                issuer=config["FEIDE_ISSUER"].rstrip("/"),
                client_id=config["FEIDE_CLIENT_ID"],
                client_secret=config.get("FEIDE_CLIENT_SECRET", ""),
                scopes=config["FEIDE_SCOPES"],
                organization=config.get("FEIDE_ORGANIZATION", "").strip().lower(),
                mfa_acr=tuple(config.get("FEIDE_MFA_ACR") or ()),
            )
        )
    if config.get("OIDC_CLIENT_ID") and config.get("OIDC_ISSUER"):
        found.append(
            Provider(
                key=GENERIC,
                label=config.get("OIDC_NAME") or "OpenID Connect",
                issuer=config["OIDC_ISSUER"].rstrip("/"),
                client_id=config["OIDC_CLIENT_ID"],
                client_secret=config.get("OIDC_CLIENT_SECRET", ""),
                scopes=config["OIDC_SCOPES"],
                mfa_acr=tuple(config.get("OIDC_MFA_ACR") or ()),
            )
        )
    return found


def check_config(app: Flask) -> None:
    """Refuse to start with a provider set up half-way (a Feide client without the organisation)."""
    config = app.config
    if config.get("FEIDE_CLIENT_ID") and not config.get("FEIDE_ORGANIZATION", "").strip():
        raise RuntimeError("FEIDE_CLIENT_ID er satt, men ikke FEIDE_ORGANIZATION (skolens organisasjon).")
    if bool(config.get("OIDC_CLIENT_ID")) != bool(config.get("OIDC_ISSUER")):
        raise RuntimeError("OIDC_CLIENT_ID og OIDC_ISSUER må settes sammen.")
    for provider in configured_providers(config):
        if not provider.client_secret:
            raise RuntimeError(f"Mangler klienthemmeligheten for {provider.label}.")


def providers() -> list[Provider]:
    """Return the providers of the running app, Feide first."""
    return configured_providers(current_app.config)


def provider(key: str) -> Provider | None:
    """Return the configured provider with this key, or None."""
    return next((found for found in providers() if found.key == key), None)


def masked(secret: str) -> str:
    """Show that a secret is set without showing it."""
    return "•" * 8 + " " + _("(%(count)s tegn)", count=len(secret)) if secret else _("ikke satt")


def settings_for_admin() -> list[dict]:
    """The settings the admin page shows, from the environment, secrets masked."""
    config = current_app.config
    shown = []
    for found in providers():
        rows = [
            (_("Utsteder (issuer)"), found.issuer),
            (_("Klient-ID"), found.client_id),
            (_("Klienthemmelighet"), masked(found.client_secret)),
            (_("Scopes"), found.scopes),
        ]
        if found.key == FEIDE:
            rows.append((_("Organisasjon (realm)"), found.organization))
            self_signup = _("på") if config.get("FEIDE_SELF_SIGNUP") else _("av")
            rows.append((_("Selvregistrering som ansatt"), self_signup))
        rows.append((_("acr som viser tofaktor"), ", ".join(found.mfa_acr) or _("ingen")))
        shown.append({"provider": found, "rows": rows})
    return shown
