"""Tokens encrypted at rest: Fernet with several keys, newest first, so a key can be rotated."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class UnreadableSecretError(Exception):
    """Stored ciphertext that none of the keys opens (a key was dropped too early)."""


@dataclass(frozen=True)
class Opened:
    """A decrypted secret, and its ciphertext under the newest key when it was stored under an
    older one (None: it already is)."""

    plaintext: str
    rotated: str | None


class TokenCipher:
    """Encrypts with the newest key; decrypts with any of them."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._newest = Fernet(keys[0])
        self._all = MultiFernet([Fernet(key) for key in keys])

    def encrypt(self, plaintext: str) -> str:
        """Ciphertext (text, safe in a column) under the newest key."""
        return self._newest.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> Opened:
        """The plaintext; with the ciphertext re-encrypted under the newest key when an older key
        was needed, so the caller can store it back."""
        data = ciphertext.encode()
        try:
            return Opened(self._newest.decrypt(data).decode(), None)
        except InvalidToken:
            pass
        try:
            plaintext = self._all.decrypt(data).decode()
            return Opened(plaintext, self._all.rotate(data).decode())
        except InvalidToken:
            raise UnreadableSecretError("no key in PEPPTALK_ENCRYPTION_KEY opens it") from None
