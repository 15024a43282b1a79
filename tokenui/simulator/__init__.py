"""The WHM simulator: a second, independent implementation of WHM API 1's side of the wire, and
of cPanel's (UAPI on a second port).

It shares no encoding, parsing or validation code with the WHM client (only the ACL catalogue),
so a misreading of WHM cannot hide on both sides at once. Only tests, benchmarks and its own
command (`python -m tokenui.simulator`, also `manage.py whm_simulator`) import it; it needs no
Django and none of the dashboard's settings.
"""

from __future__ import annotations

from .controls import Controls, LoggedRequest
from .database import Database, StoreError, remove_store
from .faults import FAULT_MODES
from .seed import DEMO_USERS, RESELLER_USER, ROOT_USER, demo_cpanel_accounts
from .server import Simulator
from .store import SimAccount, SimUser, Store

# The demo cPanel accounts that can sign in (root's and the reseller's; one lacks `apitokens`).
DEMO_CPANEL_ACCOUNTS = demo_cpanel_accounts(DEMO_USERS)

__all__ = [
    "DEMO_CPANEL_ACCOUNTS",
    "DEMO_USERS",
    "FAULT_MODES",
    "RESELLER_USER",
    "ROOT_USER",
    "Controls",
    "Database",
    "LoggedRequest",
    "SimAccount",
    "SimUser",
    "Simulator",
    "Store",
    "StoreError",
    "remove_store",
]
