"""`make run`'s staff demo, beside the embedded simulator only: the staff users admin, operator
and viewer (fresh passwords at each start, printed and shown on the sign-in page), and the
simulator connected as the server "simulator" with its root's password, with a service key
made for the dev .env when it has none."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import TextIO

from django.conf import settings
from django.contrib.auth.models import User
from django.db import DatabaseError

from tokenui.inventory import tasks as inventory
from tokenui.servers.keys import new_key
from tokenui.servers.lifecycle import Connection, connect_server
from tokenui.servers.models import ConnectedServer
from tokenui.servers.remote import ServerError
from tokenui.staff.models import Role, RoleGrant

SERVER = "simulator"
DEMO_STAFF = (("admin", Role.ADMIN), ("operator", Role.OPERATOR), ("viewer", Role.VIEWER))


def offer_demo_staff(root: tuple[str, str], out: TextIO) -> None:
    """Make the demo staff users and connect the simulator (root: its root's user, password)."""
    try:
        User.objects.exists()
    except DatabaseError:
        out.write("No demo staff: the database is not migrated (manage.py migrate).\n")
        return
    _ensure_service_key(out)
    users = []
    for name, role in DEMO_STAFF:
        password = secrets.token_urlsafe(9)
        user = User.objects.filter(username=name).first() or User(username=name)
        user.set_password(password)
        user.save()
        RoleGrant.objects.update_or_create(user=user, server=None, defaults={"role": role})
        users.append((name, password))
        out.write(f"Demo staff: {name} ({role.label.lower()}) with password {password}\n")
    # Through the environment for runserver's child process, and here for --noreload.
    os.environ[settings.DEMO_STAFF_VARIABLE] = json.dumps(users)
    settings.DEMO_STAFF = tuple(users)
    _connect_simulator(root, out)


def _ensure_service_key(out: TextIO) -> None:
    """A service key for the dev .env when none is set: connected servers need one."""
    if settings.SERVICE_KEYS or settings.SERVICE_KEYS_DIR:
        return
    key_id, key = "dev", new_key()
    os.environ["SERVICE_KEYS"] = f"{key_id}:{key}"  # for runserver's child process
    settings.SERVICE_KEYS = [(key_id, key)]
    if not settings.ENV_FILE:  # no .env: the key lasts this run, and the server is reconnected
        return
    with Path(settings.ENV_FILE).open("a", encoding="utf-8") as env:
        env.write("\n# Made by `make run` for the demo's connected server.\n")
        env.write(f"SERVICE_KEYS={key_id}:{key}\n")
    out.write(f"Added a service key (SERVICE_KEYS) to {settings.ENV_FILE}.\n")


def _connect_simulator(root: tuple[str, str], out: TextIO) -> None:
    """Connect the simulator once; later starts keep it while its token still works."""
    server = ConnectedServer.objects.filter(name=SERVER).first()
    if server is not None:
        try:
            server.test_connection()
        except ServerError:
            server.delete()  # its simulator state was reset: connect it afresh
        else:
            return
    url = f"https://127.0.0.1:{settings.WHM_SIMULATOR_PORT}"
    try:
        done = connect_server(Connection(SERVER, url, *root, ca_bundle=settings.WHM_CA_BUNDLE))
    except ServerError as exc:
        out.write(f"The simulator could not be connected as a server: {exc.message}\n")
        return
    inventory.request(done.server.pk)  # the worker make run starts reads it at once
    out.write(f"Connected the simulator as the server {SERVER!r} (Staff, Servers).\n")
