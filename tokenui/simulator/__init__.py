"""The WHM simulator: a second, independent implementation of WHM API 1's side of the wire.

It shares no encoding, parsing or validation code with the WHM client (only the ACL catalogue),
so a misreading of WHM cannot hide on both sides at once. Only tests, benchmarks and its own
command (`python -m tokenui.simulator`, also `manage.py whm_simulator`) import it; it needs no
Django and none of the dashboard's settings.
"""

from __future__ import annotations

from .controls import Controls, LoggedRequest
from .database import Database, StoreError, remove_store
from .faults import FAULT_MODES
from .seed import DEMO_USERS, RESELLER_USER, ROOT_USER
from .server import Simulator
from .store import SimUser, Store

__all__ = [
    "DEMO_USERS",
    "FAULT_MODES",
    "RESELLER_USER",
    "ROOT_USER",
    "Controls",
    "Database",
    "LoggedRequest",
    "SimUser",
    "Simulator",
    "Store",
    "StoreError",
    "remove_store",
]
