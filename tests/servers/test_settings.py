"""The connected servers' settings: service keys from SERVICE_KEYS or SERVICE_KEYS_DIR (newest
first, ids kept or derived), the IP allow-list and the token's lifetime, checked at start."""

from __future__ import annotations

import os
import runpy
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from tests.environment import VARIABLES

SETTINGS_FILE = Path(__file__).resolve().parents[2] / "tokenui" / "settings.py"
GOOD = {"SECRET_KEY": "k" * 50, "WHM_URL": "https://whm.example.com:2087"}
KEY_1, KEY_2 = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def load(monkeypatch: pytest.MonkeyPatch) -> Callable[..., dict[str, object]]:
    """Run settings.py afresh with exactly GOOD and the given variables; its namespace."""

    def _load(**env: str) -> dict[str, object]:
        for name in VARIABLES:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("TOKENUI_ENV_FILE", "")
        for name, value in {**GOOD, **env}.items():
            monkeypatch.setenv(name, value)
        before = set(os.environ)
        try:
            return runpy.run_path(str(SETTINGS_FILE))
        finally:
            for name in set(os.environ) - before:
                del os.environ[name]

    return _load


def test_defaults_connect_nothing_and_bind_no_ip(load: Callable[..., dict]) -> None:
    settings = load()
    assert settings["SERVICE_KEYS"] == []
    assert settings["SERVICE_IP_ALLOWLIST"] == []
    assert settings["SERVICE_TOKEN_DAYS"] == 90


def test_service_keys_keep_their_order_and_ids_or_get_one(load: Callable[..., dict]) -> None:
    keys = load(SERVICE_KEYS=f" 2026-12:{KEY_2} , {KEY_1}")["SERVICE_KEYS"]

    assert keys[0] == ("2026-12", KEY_2)
    derived, key = keys[1]
    assert key == KEY_1
    assert derived.startswith("k")
    assert len(derived) == 11
    assert KEY_1 not in derived


def test_service_keys_dir_reads_one_key_per_file_newest_name_first(
    load: Callable[..., dict], tmp_path: Path
) -> None:
    (tmp_path / "2026-01").write_text(KEY_1 + "\n")
    (tmp_path / "2026-12").write_text(KEY_2)

    assert load(SERVICE_KEYS_DIR=str(tmp_path))["SERVICE_KEYS"] == [
        ("2026-12", KEY_2),
        ("2026-01", KEY_1),
    ]


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"SERVICE_KEYS": "not-a-key"}, "is not a Fernet key"),
        ({"SERVICE_KEYS": f"a:{KEY_1},a:{KEY_2}"}, "two keys have the same id"),
        ({"SERVICE_KEYS": f"bad/id:{KEY_1}"}, "the key id 'bad/id' must be"),
        ({"SERVICE_KEYS": KEY_1, "SERVICE_KEYS_DIR": "/"}, "either SERVICE_KEYS or"),
        ({"SERVICE_KEYS_DIR": "/nonexistent/keys"}, "is not a readable directory"),
        ({"SERVICE_IP_ALLOWLIST": "192.0.2.1/24"}, "did you mean 192.0.2.0/24?"),
        ({"SERVICE_IP_ALLOWLIST": "example.com"}, "'example.com' is not an IP address"),
        ({"SERVICE_TOKEN_DAYS": "0"}, "between 1 and 3650"),
    ],
)
def test_bad_values_stop_the_app_naming_the_variable(
    load: Callable[..., dict], env: dict[str, str], words: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match="SERVICE_") as failed:
        load(**env)

    assert words in str(failed.value)
    assert KEY_1 not in str(failed.value)


def test_an_allowlist_keeps_every_address(load: Callable[..., dict]) -> None:
    allowlist = load(SERVICE_IP_ALLOWLIST="203.0.113.7, 2001:db8::/64")["SERVICE_IP_ALLOWLIST"]

    assert allowlist == ["203.0.113.7", "2001:db8::/64"]
