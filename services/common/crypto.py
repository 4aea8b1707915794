"""Keys derived from the one ``secret_key`` (one per purpose, so a token key never decrypts a secret), and
the box that encrypts broker secrets at rest."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def derive_key(secret: str, purpose: str) -> bytes:
    """32 bytes for ``purpose`` from ``secret`` (HKDF-SHA256): the same inputs always give the same key."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"quantdesk/{purpose}".encode()).derive(
        secret.encode()
    )


class SecretBox:
    """Fernet (AES-128-CBC + HMAC-SHA256) under a key derived from the secret key; its repr shows no key."""

    def __init__(self, secret: str) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(derive_key(secret, "broker-credentials")))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        """The plaintext; ``ValueError`` if the ciphertext was altered or made under another secret key."""
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode()
        except InvalidToken:
            raise ValueError("cannot decrypt: altered, or encrypted under another secret key") from None

    def __repr__(self) -> str:
        return "SecretBox(<key hidden>)"
