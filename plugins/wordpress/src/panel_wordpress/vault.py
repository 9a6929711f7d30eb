"""Application passwords at rest: encrypted with a key derived from the panel's secret key.

Core has no secrets helper yet, so this plugin keeps its own: Fernet (AES-128-CBC with
HMAC-SHA256, from `cryptography`) under a key derived from `PANEL_SECRET_KEY` for this
purpose only. A panel whose secret key changed cannot read the stored passwords: the
site then asks to be connected again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from panel.errors import PanelError
from panel.settings import Settings, require_secret_key

_PURPOSE = b"hostpanel wordpress application passwords v1"


class CredentialsUnreadable(PanelError):
    """The stored password cannot be decrypted (the panel's secret key changed)."""

    status_code = 409


def _fernet(settings: Settings) -> Fernet:
    key = hmac.new(require_secret_key(settings).encode(), _PURPOSE, hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(settings: Settings, secret: str) -> str:
    """The secret encrypted for the database."""
    return _fernet(settings).encrypt(secret.encode()).decode()


def unseal(settings: Settings, token: str) -> str:
    """The secret back; `CredentialsUnreadable` when it was sealed under another key."""
    try:
        return _fernet(settings).decrypt(token.encode()).decode()
    except InvalidToken:
        raise CredentialsUnreadable(
            "The panel can no longer read this site's application password: connect the site again."
        ) from None
