"""A small OpenID Connect provider on loopback, standing in for the national public-service portal.

Discovery document, an authorize endpoint that signs in whoever ``person`` says (no login form),
a token endpoint that checks the client and answers with an RS256 ID token, JWKS and userinfo.
Does not depend on pytest.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.servers import BackgroundServer, QuietHandler

KEY_ID = "test-key-1"


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    claims: dict[str, Any]
    nonce: str | None
    code_challenge: str | None


@dataclass
class _State:
    issuer: str
    client_id: str
    client_secret: str
    private_key: rsa.RSAPrivateKey
    person: dict[str, Any] = field(default_factory=dict)
    grants: dict[str, _Grant] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(QuietHandler):
    server: _Server

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        self.send_json(status, payload, {"Cache-Control": "no-store"})

    def do_GET(self) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        if url.path == "/.well-known/openid-configuration":
            self._json(200, _discovery(state.issuer))
        elif url.path == "/jwks":
            public = jwt.algorithms.RSAAlgorithm.to_jwk(state.private_key.public_key(), as_dict=True)
            self._json(200, {"keys": [{**public, "kid": KEY_ID, "alg": "RS256", "use": "sig"}]})
        elif url.path == "/authorize":
            self._authorize(query)
        elif url.path == "/userinfo":
            token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            with state.lock:
                claims = state.tokens.get(token)
            if claims is None:
                self._json(401, {"error": "invalid_token"})
            else:
                self._json(200, claims)
        else:
            self._json(404, {"error": "not_found"})

    def _authorize(self, query: dict[str, str]) -> None:
        state = self.server.state
        if query.get("client_id") != state.client_id or query.get("response_type") != "code":
            self._json(400, {"error": "unauthorized_client"})
            return
        if "openid" not in query.get("scope", "").split():
            self._json(400, {"error": "invalid_scope"})
            return
        code = secrets.token_urlsafe(16)
        with state.lock:
            state.grants[code] = _Grant(
                client_id=query["client_id"],
                redirect_uri=query["redirect_uri"],
                claims=dict(state.person),
                nonce=query.get("nonce"),
                code_challenge=query.get("code_challenge"),
            )
        params = {"code": code}
        if "state" in query:
            params["state"] = query["state"]
        self.send_body(302, b"", {"Location": f"{query['redirect_uri']}?{urlencode(params)}"})

    def do_POST(self) -> None:
        state = self.server.state
        if urlsplit(self.path).path != "/token":
            self._json(404, {"error": "not_found"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        form = {key: values[0] for key, values in parse_qs(self.rfile.read(length).decode()).items()}
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = self.headers.get("Authorization", "")
        if basic.startswith("Basic "):
            client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        with state.lock:
            state.token_requests += 1
            grant = state.grants.pop(form.get("code", ""), None)
        if client_id != state.client_id or secret != state.client_secret:
            self._json(401, {"error": "invalid_client"})
            return
        if grant is None or form.get("grant_type") != "authorization_code":
            self._json(400, {"error": "invalid_grant"})
            return
        if form.get("redirect_uri") != grant.redirect_uri:
            self._json(400, {"error": "invalid_grant", "error_description": "redirect_uri differs"})
            return
        if grant.code_challenge:
            verifier = form.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if digest != grant.code_challenge:
                self._json(400, {"error": "invalid_grant", "error_description": "PKCE"})
                return
        access_token = secrets.token_urlsafe(24)
        now = int(time.time())
        id_claims = {
            "iss": state.issuer,
            "aud": state.client_id,
            "iat": now,
            "exp": now + 300,
            **grant.claims,
        }
        if grant.nonce:
            id_claims["nonce"] = grant.nonce
        id_token = jwt.encode(id_claims, state.private_key, algorithm="RS256", headers={"kid": KEY_ID})
        with state.lock:
            state.tokens[access_token] = dict(grant.claims)
        self._json(200, {"access_token": access_token, "token_type": "Bearer", "expires_in": 300, "id_token": id_token})


def _discovery(issuer: str) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/jwks",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "scopes_supported": ["openid", "profile", "email", "phone"],
        "claims_supported": ["sub", "name", "email", "email_verified", "phone_number", "phone_number_verified"],
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: _State) -> None:
        super().__init__(address, _Handler)
        self.state = state


class FakeOidcProvider(BackgroundServer):
    """The provider on a free loopback port. Set ``person`` to the claims of whoever signs in next."""

    host = "127.0.0.1"

    def __init__(self, *, client_id: str = "phan-anh-test", client_secret: str = "test-secret") -> None:  # noqa: S107
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._state = _State(issuer="", client_id=client_id, client_secret=client_secret, private_key=key)
        super().__init__(_Server((self.host, 0), self._state), name="fake-oidc")
        self.port: int = self._server.server_address[1]
        self.issuer = f"http://{self.host}:{self.port}"
        self._state.issuer = self.issuer
        self.client_id = client_id
        self.client_secret = client_secret

    @property
    def person(self) -> dict[str, Any]:
        return self._state.person

    @person.setter
    def person(self, claims: dict[str, Any]) -> None:
        with self._state.lock:
            self._state.person = dict(claims)

    @property
    def token_requests(self) -> int:
        with self._state.lock:
            return self._state.token_requests
