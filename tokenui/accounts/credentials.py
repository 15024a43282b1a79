"""The signed-in user's WHM (or cPanel) credential, encrypted at rest in their server-side
session.

The session cookie carries only Django's random session key; the session's data lives in the
database (or cache) and holds the credential only as Fernet ciphertext. The keys derive from
SECRET_KEY, so rotating works the Django way: move the old key to SECRET_KEY_FALLBACKS and
credentials encrypted under it still open (and are re-encrypted under the new key on use).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase

from tokenui.whm.types import Credential

SESSION_KEY = "whm"
# What a session signed in to (the audit trail's Service holds the same two words).
WHM = "whm"
CPANEL = "cpanel"
_KDF_INFO = b"tokenui: WHM credential at rest, v1"


@dataclass(frozen=True, slots=True)
class WhmSession:
    """Who is signed in, to which server, and how: what the views need to talk to WHM.

    `service` is "whm" for a WHM user, or "cpanel" for a cPanel user signed in to their own
    account (the server's cPanel, at CPANEL_PORT): such a session reaches only the cPanel pages.
    """

    server: str
    user: str
    kind: str
    token_name: str | None
    credential: Credential = field(repr=False)
    service: str = WHM

    @property
    def is_cpanel(self) -> bool:
        return self.service == CPANEL


def store(
    session: SessionBase,
    server: str,
    credential: Credential,
    token_name: str | None,
    *,
    service: str = WHM,
) -> None:
    """Put the credential in the session, encrypted and bound to its server, user and service."""
    session[SESSION_KEY] = {
        "server": server,
        "user": credential.user,
        "kind": credential.kind,
        "service": service,
        "token_name": token_name,
        "sealed": _seal(server, credential, service),
    }


def load(session: SessionBase) -> WhmSession | None:
    """The session's WHM credential, or None when absent, tampered with or undecryptable."""
    entry = session.get(SESSION_KEY)
    if not isinstance(entry, dict):
        return None
    try:
        sealed = entry["sealed"].encode("ascii")
        payload = json.loads(_fernet().decrypt(sealed))
        # A session sealed before cPanel sign-in existed holds no service: it was WHM's.
        service = payload.get("service", WHM)
        bound = (payload["server"], payload["user"], payload["kind"], service)
        if bound != (entry["server"], entry["user"], entry["kind"], entry.get("service", WHM)):
            return None
        credential = Credential(
            user=payload["user"], secret=payload["secret"], kind=payload["kind"]
        )
    except (InvalidToken, KeyError, TypeError, ValueError, UnicodeError, AttributeError):
        return None
    if not _opens_with_current_key(sealed):
        # Sealed under a key now in SECRET_KEY_FALLBACKS: re-seal under the current one.
        store(session, entry["server"], credential, entry["token_name"], service=service)
    return WhmSession(
        entry["server"], entry["user"], entry["kind"], entry["token_name"], credential, service
    )


def forget(session: SessionBase) -> None:
    session.pop(SESSION_KEY, None)


def _seal(server: str, credential: Credential, service: str) -> str:
    payload = {
        "server": server,
        "user": credential.user,
        "kind": credential.kind,
        "service": service,
        "secret": credential.secret,
    }
    return _fernet().encrypt(json.dumps(payload).encode()).decode("ascii")


def _fernet() -> MultiFernet:
    return MultiFernet(_keys(settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS)))


def _opens_with_current_key(sealed: bytes) -> bool:
    try:
        _keys(settings.SECRET_KEY, ())[0].decrypt(sealed)
    except InvalidToken:
        return False
    return True


@cache
def _keys(secret_key: str, fallbacks: tuple[str, ...]) -> tuple[Fernet, ...]:
    # The first key encrypts; every key decrypts (rotation through SECRET_KEY_FALLBACKS).
    return tuple(Fernet(_derive(key)) for key in (secret_key, *fallbacks))


def _derive(secret_key: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KDF_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))
