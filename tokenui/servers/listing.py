"""A connected server in words, for `manage.py servers` and the commands that change one: never
the token, only what it is."""

from __future__ import annotations

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
    return "\n".join(lines)


def expiry(server: ConnectedServer) -> str:
    if server.token_expires is None:
        return "never"
    moment = server.token_expires.astimezone(ZoneInfo(settings.WHM_TIME_ZONE))
    return moment.strftime("%Y-%m-%d %H:%M %Z")
