"""A small, real OpenID Connect provider on 127.0.0.1 for the tests, built with Authlib's server parts.

It has discovery, JWKS, authorization and token endpoints: authorization code with PKCE (S256 required),
nonce required, RS256-signed ID tokens. The authorization endpoint signs the test's `person` in at once
(as a provider does for someone who is already logged in there) and sends the browser back.

A test can make it misbehave the way an attacker or a broken provider would: `tamper` changes the
ID token's claims after signing (it is signed again with the same key, so only the claim is wrong),
`signing` = "none" or "other-key" sends it unsigned or signed with a key that is not in the JWKS.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from flask import Flask, jsonify, request
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import WSGIRequestHandler, make_server

KID = "test-key-1"
FEIDE_ORG_CLAIM = "https://n.feide.no/claims/eduPersonPrincipalName"
# Keys are slow to make: one pair for the whole test session (and one that is not published).
SIGNING_KEY = RSAKey.generate_key(2048, parameters={"kid": KID})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": KID})


@dataclass
class Person:
    """Who is signed in at the provider."""

    sub: str = "feide-sub-lise-0001"
    email: str | None = "lise@skole.no"
    email_verified: bool | None = True
    name: str = "Lise Leder"
    amr: list[str] | None = None
    acr: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Code(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: Person
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_amr(self):
        return self.user.amr

    def get_acr(self):
        return self.user.acr


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: list[str] = field(default_factory=list)  # empty: any (the app's port is not known yet)

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope):
        return scope

    def check_redirect_uri(self, redirect_uri):
        return not self.redirect_uris or redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return endpoint != "token" or method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


class _Quiet(WSGIRequestHandler):
    """No access log lines from the provider's thread."""

    def log_request(self, *args, **kwargs) -> None:
        pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class OIDCProvider:
    """The provider: start() serves it on a free port of 127.0.0.1, stop() ends it."""

    def __init__(self, client_id: str = "rusplan-test", client_secret: str = "hemmelig-klient") -> None:  # noqa: S107
        self.client = Client(client_id, client_secret)
        self.person = Person()
        self.codes: dict[str, Code] = {}
        self.authorize_requests: list[dict[str, str]] = []
        self.token_requests: list[dict[str, str]] = []
        self.tamper: Callable[[dict], dict] | None = None
        self.signing = "ok"  # "ok", "none" or "other-key"
        self.algorithms = ["RS256"]  # what discovery advertises
        # Feide puts some claims only in the userinfo answer: with this on, the ID token has just `sub`.
        self.id_token_minimal = False
        self.userinfo_sub: str | None = None  # another sub in the userinfo answer (a mix-up)
        self.access_tokens: dict[str, Person] = {}
        self.userinfo_calls = 0
        self.app = self._build_app()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True, request_handler=_Quiet)
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- the ID token

    def _finish_id_token(self, id_token: str) -> str:
        """Apply the test's tampering: changed claims (signed again), no signature, or a stranger's key."""
        if self.tamper is None and self.signing == "ok":
            return id_token
        _header, payload_b64, _signature = id_token.split(".")
        claims = json.loads(_unb64(payload_b64))
        if self.tamper is not None:
            claims = self.tamper(claims)
        if self.signing == "none":
            header = {"alg": "none", "typ": "JWT"}
            return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."
        key = OTHER_KEY if self.signing == "other-key" else SIGNING_KEY
        return jwt.encode({"alg": "RS256", "kid": KID}, claims, key)

    def claims_of(self, user: Person) -> UserInfo:
        """The person's claims, as the ID token or the userinfo endpoint gives them."""
        info = UserInfo(sub=user.sub, name=user.name)
        if user.email is not None:
            info["email"] = user.email
        if user.email_verified is not None:
            info["email_verified"] = user.email_verified
        info.update(user.extra)
        return info

    def _build_app(self) -> Flask:
        provider = self

        class IdTokens(OpenIDCode):
            def exists_nonce(self, nonce, request):
                return any(code.nonce == nonce for code in provider.codes.values())

            def resolve_client_private_key(self, client):
                return SIGNING_KEY

            def get_client_algorithm(self, client):
                return "RS256"

            def get_encode_header(self, client):
                return {"alg": "RS256", "kid": KID}

            def get_client_claims(self, client):
                return {
                    "iss": provider.issuer,
                    "aud": [client.get_client_id()],
                    "exp": int(time.time()) + 300,
                }

            def generate_user_info(self, user: Person, scope):
                if provider.id_token_minimal:
                    return UserInfo(sub=user.sub)
                return provider.claims_of(user)

            def encode_id_token(self, token, request):
                return provider._finish_id_token(super().encode_id_token(token, request))

        class CodeGrant(AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code, request):
                data = request.payload.data
                provider.codes[code] = Code(
                    code=code,
                    client_id=request.client.get_client_id(),
                    redirect_uri=request.payload.redirect_uri,
                    scope=request.payload.scope,
                    user=request.user,
                    nonce=data.get("nonce"),
                    code_challenge=data.get("code_challenge"),
                    code_challenge_method=data.get("code_challenge_method"),
                    auth_time=int(time.time()),
                )

            def query_authorization_code(self, code, client):
                found = provider.codes.get(code)
                return found if found and found.client_id == client.get_client_id() else None

            def delete_authorization_code(self, authorization_code):
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code):
                return authorization_code.user

        app = Flask("oidc_test_provider")
        server = AuthorizationServer(
            app,
            query_client=lambda client_id: (
                provider.client if client_id == provider.client.client_id else None
            ),
            save_token=lambda token, request: provider.access_tokens.update(
                {token["access_token"]: request.user}
            ),
        )
        server.register_grant(CodeGrant, [IdTokens(require_nonce=True), CodeChallenge(required=True)])

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return jsonify(
                issuer=provider.issuer,
                authorization_endpoint=f"{provider.issuer}/authorize",
                token_endpoint=f"{provider.issuer}/token",
                jwks_uri=f"{provider.issuer}/jwks",
                userinfo_endpoint=f"{provider.issuer}/userinfo",
                response_types_supported=["code"],
                subject_types_supported=["pairwise"],
                id_token_signing_alg_values_supported=provider.algorithms,
                code_challenge_methods_supported=["S256"],
                token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
                scopes_supported=["openid", "email", "profile", "userid-feide"],
            )

        @app.get("/jwks")
        def jwks():
            return jsonify(keys=[SIGNING_KEY.as_dict(private=False)])

        @app.get("/userinfo")
        def userinfo():
            scheme, _, value = request.headers.get("Authorization", "").partition(" ")
            provider.userinfo_calls += 1
            person = provider.access_tokens.get(value) if scheme == "Bearer" else None
            if person is None:
                return jsonify(error="invalid_token"), 401
            claims = dict(provider.claims_of(person))
            if provider.userinfo_sub is not None:
                claims["sub"] = provider.userinfo_sub
            return jsonify(claims)

        @app.get("/authorize")
        def authorize():
            provider.authorize_requests.append(request.args.to_dict())
            grant = server.get_consent_grant(end_user=provider.person)
            return server.create_authorization_response(grant=grant, grant_user=provider.person)

        @app.post("/token")
        def token():
            provider.token_requests.append(request.form.to_dict())
            return server.create_token_response()

        return app

    # -- running

    def start(self) -> OIDCProvider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def config(self, kind: str = "feide", **extra) -> dict:
        """The app config that signs in through this provider (as Feide, or as a generic provider)."""
        if kind == "feide":
            base = {
                "FEIDE_ISSUER": self.issuer,
                "FEIDE_CLIENT_ID": self.client.client_id,
                "FEIDE_CLIENT_SECRET": self.client.client_secret,
                "FEIDE_ORGANIZATION": "skole.no",
            }
        else:
            base = {
                "OIDC_ISSUER": self.issuer,
                "OIDC_CLIENT_ID": self.client.client_id,
                "OIDC_CLIENT_SECRET": self.client.client_secret,
                "OIDC_NAME": "Microsoft",
            }
        return {**base, **extra}


def query(url: str) -> dict[str, str]:
    """Return the query parameters of a URL."""
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
