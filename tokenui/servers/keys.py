"""The service keys (SERVICE_KEYS or SERVICE_KEYS_DIR) as a keyring, and how to make one."""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet
from django.conf import settings

from tokenui.sealing import Keyring

HOW_TO = (
    "Make a key with `manage.py generate_service_key` and put it in SERVICE_KEYS (or in a file "
    "in SERVICE_KEYS_DIR); see .env.example."
)


class NoServiceKeys(Exception):
    """No service key is configured: nothing can be sealed."""

    def __init__(self) -> None:
        self.message = f"No service key is configured, so no service token can be stored. {HOW_TO}"
        super().__init__(self.message)


def service_keyring() -> Keyring:
    """The configured service keys, newest first; NoServiceKeys when there are none."""
    return _keyring(tuple(map(tuple, settings.SERVICE_KEYS)))


@cache
def _keyring(pairs: tuple[tuple[str, str], ...]) -> Keyring:
    # Keyed by the keys themselves: a test that swaps SERVICE_KEYS gets its own ring.
    if not pairs:
        raise NoServiceKeys
    return Keyring.of(pairs)


def new_key() -> str:
    """A fresh Fernet key, url-safe base64, for SERVICE_KEYS or a file in SERVICE_KEYS_DIR."""
    return Fernet.generate_key().decode("ascii")
