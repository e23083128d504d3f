"""Identity tokens as an OpenID provider signs them (RS256, with a key id), for the fake Slack
and Microsoft sign-ins; and the ways a token can be wrong, to see each refused."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

Now = Callable[[], datetime]


def real_now() -> datetime:
    return datetime.now(UTC)


class Trouble(StrEnum):
    """What is wrong with the next identity token."""

    AUDIENCE = "audience"  # made for another app
    EXPIRED = "expired"  # its exp has passed
    SIGNATURE = "signature"  # signed by a key that is not the provider's, under its key id
    NONCE = "nonce"  # names another sign-in's nonce
    ISSUER = "issuer"  # from another issuer


def _private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Signer:
    """A provider's signing key (published as a JSON Web Key Set), and a stranger's."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix
        self._numbers = itertools.count(1)
        self.key = _private_key()
        self.kid = f"{prefix}-{next(self._numbers)}"
        self.stranger = _private_key()

    def rotate(self) -> None:
        """A new key with a new key id; the old one is no longer published."""
        self.key = _private_key()
        self.kid = f"{self._prefix}-{next(self._numbers)}"

    def jwks(self) -> dict[str, Any]:
        """The published key set."""
        jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        assert isinstance(jwk, dict)
        return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def sign(
        self,
        claims: dict[str, Any],
        *,
        now: datetime,
        audience: str,
        nonce: str,
        trouble: Trouble | None = None,
    ) -> str:
        """An identity token with `claims`, issued now and good for an hour, unless `trouble`."""
        issued = int(now.timestamp())
        claims = {
            **claims,
            "aud": "someone-else" if trouble is Trouble.AUDIENCE else audience,
            "nonce": "another-sign-in" if trouble is Trouble.NONCE else nonce,
            "iat": issued - 7200 if trouble is Trouble.EXPIRED else issued,
            "exp": issued - 3600 if trouble is Trouble.EXPIRED else issued + 3600,
        }
        if trouble is Trouble.ISSUER:
            claims["iss"] = "https://issuer.invalid"
        key = self.stranger if trouble is Trouble.SIGNATURE else self.key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.kid})
