"""A connected server in words, for `manage.py servers` and the commands that change one: never
the token, only what it is."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from tokenui.servers.models import ConnectedServer

# The four facts after the name, in `manage.py servers`' column order.
COLUMNS = ("NAME", "URL", "USER", "TOKEN", "PRIVILEGES", "IPS", "EXPIRES", "FLAGS")


def row(server: ConnectedServer) -> tuple[str, ...]:
    """One server's row: name, URL, user, token name, privileges, IPs, expiry, flags."""
    return (
        server.name,
        server.url,
        server.username,
        server.token_name,
        ",".join(server.acls),
        ",".join(server.ips) or "any",
        expiry(server),
        ",".join(server.flags) or "-",
    )


def described(server: ConnectedServer) -> str:
    """The server's token in sentences, as the command that made or changed it reports it."""
    lines = [
        f"  URL: {server.url} (user {server.username})",
        f"  Token: {server.token_name}",
        f"  Privileges: {', '.join(server.acls)}",
        f"  IPs: {', '.join(server.ips) or 'any IP'}",
        f"  Expires: {expiry(server)}",
    ]
    if server.flags:
        lines.append(f"  Flags: {', '.join(server.flags)}")
    lines.append(f"  Self-rotation: {rotation_problem(server) or self_rotation(server)}")
    return "\n".join(lines)


def expiry(server: ConnectedServer) -> str:
    return "never" if server.token_expires is None else _when(server.token_expires)


def _when(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(settings.WHM_TIME_ZONE)).strftime("%Y-%m-%d %H:%M %Z")


def self_rotation(server: ConnectedServer) -> str:
    """When the schedule rotates the token (tokenui/servers/rotating.py), in words."""
    if server.token_expires is None:
        return "Never: the token does not expire."
    due = server.token_expires - timedelta(days=settings.SERVICE_ROTATE_DAYS)
    if server.rotation_started is not None and not server.rotation_failure:
        return f"Under way since {_when(server.rotation_started)}."
    return f"From {_when(due)} ({settings.SERVICE_ROTATE_DAYS} days before it expires)."


def rotation_problem(server: ConnectedServer) -> str:
    """What went wrong with the last self-rotation, and what happens next; "" when nothing."""
    if not server.rotation_failure:
        return ""
    failed = f"Self-rotation failed on {_when(server.rotation_failed or server.updated)}: "
    if server.rotation_started is not None:  # held: WHM may have made a token
        return (
            f"{failed}{server.rotation_failure} The schedule will not try again by itself: "
            "check the server's API tokens in WHM, then rotate with `manage.py "
            f"rotate_service_token {server.name}` or connect the server again."
        )
    return f"{failed}{server.rotation_failure} The schedule tries again a day later."
