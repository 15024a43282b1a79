"""Secrets sealed with Fernet keys that live outside the database: a ring of keys, newest first.

The newest key seals; every key in the ring still opens what it sealed, so keys rotate without
a flag day: add a new key in front, re-seal what is stored, then drop the old one. A value that
names its key (`enc:fernet:KEY_ID:DATA`, as Sentry's EncryptedField stores it) is opened by that
key alone; a value that does not (the session's sealed credential) is tried newest first.

Nothing here reads settings or the database: callers build the ring from where their keys live.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

PREFIX = "enc:fernet:"
# A key's id sits between colons in a sealed value, and in file names: no colon, no slash.
KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,32}")


# Other stores of values sealed with the service keys (a notice rule's webhook secret) register
# here a function that seals theirs again under a ring's newest key and says how many moved:
# `manage.py rotate_service_keys` runs each, so an old key opens nothing once it has run.
RESEALERS: dict[str, Callable[[Keyring], int]] = {}


class SealError(Exception):
    """A sealed value that cannot be opened: its key is not in the ring, or it was altered."""


@dataclass(frozen=True, slots=True)
class Keyring:
    """Fernet keys by id, newest first (the first seals). Holds at least one key."""

    keys: tuple[tuple[str, Fernet], ...]

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str | bytes]]) -> Keyring:
        """A ring from (id, urlsafe-base64 key) pairs, newest first; ValueError on a bad key."""
        keys = tuple((key_id, Fernet(key)) for key_id, key in pairs)
        if not keys:
            raise ValueError("A keyring needs at least one key.")
        return cls(keys)

    @property
    def newest_id(self) -> str:
        return self.keys[0][0]

    def seal(self, plain: bytes) -> str:
        """`plain` encrypted under the newest key, as `enc:fernet:KEY_ID:DATA`."""
        key_id, fernet = self.keys[0]
        return f"{PREFIX}{key_id}:{fernet.encrypt(plain).decode('ascii')}"

    def open(self, sealed: str) -> bytes:
        """What `seal()` sealed, by the key it names; SealError if that key is gone."""
        key_id, data = sealed_parts(sealed)
        fernet = dict(self.keys).get(key_id)
        if fernet is None:
            raise SealError(f"The key {key_id!r} that sealed this value is not configured.")
        try:
            return fernet.decrypt(data.encode("ascii"))
        except (InvalidToken, UnicodeError) as exc:
            raise SealError(f"This value does not open with key {key_id!r}.") from exc

    def reseal(self, sealed: str) -> str:
        """The same plaintext sealed under the newest key (unchanged if it already is)."""
        if sealed_parts(sealed)[0] == self.newest_id:
            return sealed
        return self.seal(self.open(sealed))

    def open_newest_first(self, token: bytes) -> tuple[bytes, bool]:
        """A Fernet token that names no key: its plaintext, and whether the newest key opened it
        (if not, it is due to be sealed again). Decrypted once, under the key that opens it."""
        (_, newest), *older = self.keys
        try:
            return newest.decrypt(token), True
        except InvalidToken:
            if not older:
                raise
        return MultiFernet([fernet for _, fernet in older]).decrypt(token), False


def sealed_parts(sealed: str) -> tuple[str, str]:
    """(key id, Fernet token) of an `enc:fernet:KEY_ID:DATA` value; SealError if it is not one."""
    key_id, sep, data = sealed.removeprefix(PREFIX).partition(":")
    if not sealed.startswith(PREFIX) or not sep or not KEY_ID.fullmatch(key_id) or not data:
        raise SealError("This is not a sealed value (enc:fernet:KEY_ID:DATA).")
    return key_id, data
