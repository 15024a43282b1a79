"""The signed-in user's WHM (or cPanel) credentials, encrypted at rest in their server-side
session: the server the pages work on, and any other WHM servers added to the same session.

The session cookie carries only Django's random session key; the session's data lives in the
database (or cache) and holds the credential only as Fernet ciphertext. The keys derive from
SECRET_KEY, so rotating works the Django way: move the old key to SECRET_KEY_FALLBACKS and
credentials encrypted under it still open (and are re-encrypted under the new key on use).
"""

from __future__ import annotations

import base64
import json
import time
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase

from tokenui.sealing import Keyring
from tokenui.whm.types import CPANEL_SERVICE, WHM_SERVICE, Credential, WhmSession

SESSION_KEY = "whm"  # the server the pages work on
OTHERS_KEY = "whm_others"  # the other signed-in WHM servers: {server: sealed entry}
# What a session signed in to (the audit trail's Service holds the same two words).
WHM = WHM_SERVICE
CPANEL = CPANEL_SERVICE
_KDF_INFO = b"tokenui: WHM credential at rest, v1"


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
    return _open(session, entry)


def _open(session: SessionBase, entry: dict) -> WhmSession | None:
    try:
        sealed = entry["sealed"].encode("ascii")
        plain, current = _decrypt(sealed)
        payload = json.loads(plain)
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
    if not current:
        # Sealed under a key now in SECRET_KEY_FALLBACKS: re-seal under the current one.
        entry.update(sealed=_seal(entry["server"], credential, service))
        session.modified = True
    return WhmSession(
        entry["server"], entry["user"], entry["kind"], entry["token_name"], credential, service
    )


def forget(session: SessionBase) -> None:
    """Drop the active server's credential (it no longer works); another signed-in server, if
    any, becomes the active one."""
    session.pop(SESSION_KEY, None)
    _promote(session)


# --- Several WHM servers in one session -----------------------------------------------------
# The active server stays under SESSION_KEY, so every page reads it as before; the others wait
# under OTHERS_KEY, each with the time it was last used. An idle one lapses on its own after
# SESSION_COOKIE_AGE (the active one is used by every request, and the session's own idle
# expiry covers it).


def add(session: SessionBase, server: str, credential: Credential, token_name: str | None) -> None:
    """Sign in to another WHM server: it becomes the active one, the previous active one waits."""
    current = session.get(SESSION_KEY)
    others = _others(session)
    is_whm = isinstance(current, dict) and current.get("service", WHM) == WHM
    if is_whm and current.get("server") != server:
        others[current["server"]] = current | {"used": int(time.time())}
    others.pop(server, None)
    session[OTHERS_KEY] = others
    store(session, server, credential, token_name)


def switch(session: SessionBase, server: str) -> bool:
    """Make a signed-in server the active one, without signing in again; False if it is not
    signed in (or its credential lapsed)."""
    others = _others(session)
    entry = others.pop(server, None)
    if entry is None or _open(session, entry) is None:
        session[OTHERS_KEY] = others
        return False
    current = session.get(SESSION_KEY)
    if isinstance(current, dict):
        others[current["server"]] = current | {"used": int(time.time())}
    session[OTHERS_KEY] = others
    session[SESSION_KEY] = {key: value for key, value in entry.items() if key != "used"}
    return True


def signed_in(session: SessionBase) -> list[WhmSession]:
    """Every signed-in WHM server's session, the active one first, then in settings order."""
    active = load(session)
    if active is None or active.is_cpanel:
        return [active] if active else []
    found = [active]
    for entry in _others(session).values():
        if (other := _open(session, entry)) is not None:
            found.append(other)
    return found


def server_names(session: SessionBase) -> list[str]:
    """The names of the signed-in servers, the active one first (nothing is decrypted)."""
    active = session.get(SESSION_KEY)
    if not isinstance(active, dict):
        return []
    return [active.get("server", ""), *_others(session)]


def touch(session: SessionBase, server: str) -> None:
    """A waiting server was used (the fleet view read it): push its idle deadline back."""
    others = _others(session)
    if server in others:
        now = int(time.time())
        if now - others[server].get("used", 0) >= 60:  # one session write a minute at most
            others[server]["used"] = now
            session[OTHERS_KEY] = others


def sign_out_of(session: SessionBase, server: str) -> WhmSession | None:
    """Forget one server's credential (the next waiting one becomes active if it was the
    active one); its session, or None if it was not signed in."""
    others = _others(session)
    if server in others:
        gone = _open(session, others.pop(server))
        session[OTHERS_KEY] = others
        return gone
    active = load(session)
    if active is None or active.server != server:
        return None
    session.pop(SESSION_KEY, None)
    _promote(session)
    return active


def _promote(session: SessionBase) -> None:
    for name in list(_others(session)):
        if switch(session, name):
            return


def _others(session: SessionBase) -> dict[str, dict]:
    """The waiting servers' entries, without those whose idle time ran out."""
    stored = session.get(OTHERS_KEY)
    if not isinstance(stored, dict):
        return {}
    deadline = int(time.time()) - settings.SESSION_COOKIE_AGE
    kept = {
        name: entry
        for name, entry in stored.items()
        if isinstance(entry, dict)
        and entry.get("server") == name
        and entry.get("used", 0) > deadline
    }
    if len(kept) != len(stored):
        session[OTHERS_KEY] = kept
    return dict(kept)


def _seal(server: str, credential: Credential, service: str) -> str:
    payload = {
        "server": server,
        "user": credential.user,
        "kind": credential.kind,
        "service": service,
        "secret": credential.secret,
    }
    return _fernet().encrypt(json.dumps(payload).encode()).decode("ascii")


def _fernet() -> Fernet:
    return _keyring().keys[0][1]


def _keyring() -> Keyring:
    return _keys(settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))


def _decrypt(sealed: bytes) -> tuple[bytes, bool]:
    """The plaintext, and whether it was sealed under the current key: decrypted once under
    the key that opens it (the current one first), not once to read and again to check."""
    return _keyring().open_newest_first(sealed)


@cache
def _keys(secret_key: str, fallbacks: tuple[str, ...]) -> Keyring:
    # The first key encrypts; every key decrypts (rotation through SECRET_KEY_FALLBACKS). The
    # sealed value names no key (sessions sealed before key ids existed must still open).
    derived = (_derive(key) for key in (secret_key, *fallbacks))
    return Keyring.of((str(number), key) for number, key in enumerate(derived))


def _derive(secret_key: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KDF_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))
