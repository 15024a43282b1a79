"""What a delivery says: the mail's subject, text and HTML, and the webhook's JSON, made once
when the delivery is made (a retry sends the same words)."""

from __future__ import annotations

import json
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from tokenui.notices.models import Event
from tokenui.risk import ALL_FLAGS


@dataclass(frozen=True, slots=True)
class Row:
    """One token a digest names."""

    token_id: int
    server: str
    owner_kind: str
    owner: str
    name: str
    expires: datetime | None
    flags: tuple[str, ...]
    threshold: int


@dataclass(frozen=True, slots=True)
class Item:
    """A row as a notice shows it."""

    server: str
    owner: str
    name: str
    expires_at: str | None
    expires_shown: str
    days_left: int | None
    url: str
    flags: tuple[str, ...]


_FLAG_WORDS = {flag.key: flag.words for flag in ALL_FLAGS}


def items(rows: Iterable[Row], now: datetime) -> list[Item]:
    """Rows as notices show them, soonest expiry first; each with its History's link."""
    zone = zoneinfo.ZoneInfo(settings.WHM_TIME_ZONE)
    today = now.astimezone(zone).date()
    shown = []
    for row in sorted(rows, key=_soonest):
        local = row.expires.astimezone(zone) if row.expires else None
        shown.append(
            Item(
                server=row.server,
                owner=row.owner,
                name=row.name,
                expires_at=row.expires.astimezone(UTC).isoformat() if row.expires else None,
                expires_shown=local.strftime("%Y-%m-%d %H:%M %Z") if local else "No expiry",
                days_left=(local.date() - today).days if local else None,
                url=history_of(row.token_id),
                flags=tuple(_FLAG_WORDS.get(flag, flag) for flag in row.flags),
            )
        )
    return shown


def history_of(token_id: int) -> str:
    """The token's History on All servers: a link that outlives a rename (it names the
    inventory's token, not its name), opens from the inventory when its server is down, says
    whether the token was renewed or revoked since, and links on to its owner's table."""
    return settings.SITE_URL + reverse("staff-fleet:history", args=[token_id])


def mail(event: str, shown: list[Item]) -> tuple[str, str, str]:
    """(subject, text, HTML) of a digest mail."""
    count = len(shown)
    tokens = "API token" if count == 1 else "API tokens"
    if event == Event.RISKY:
        subject = f"TokenUI: {count} risky new {tokens}"
    else:
        subject = f"TokenUI: {count} {tokens} expiring or expired"
    context = {"subject": subject, "items": shown, "risky": event == Event.RISKY}
    context["site_url"] = settings.SITE_URL
    text = render_to_string("notices/mail/digest.txt", context)
    return subject, text, render_to_string("notices/mail/digest.html", context)


def webhook(event: str, shown: list[Item]) -> str:
    """The webhook's JSON body (risky alerts add each token's flags)."""
    risky = event == Event.RISKY
    tokens = [
        {
            "server": item.server,
            "owner": item.owner,
            "name": item.name,
            "expires_at": item.expires_at,
            "days_left": item.days_left,
            "url": item.url,
            **({"flags": list(item.flags)} if risky else {}),
        }
        for item in shown
    ]
    return json.dumps({"event": event, "tokens": tokens}, separators=(",", ":"))


def _soonest(row: Row) -> tuple[bool, datetime, str, str, str]:
    far = datetime.max.replace(tzinfo=UTC)
    return (row.expires is None, row.expires or far, row.server, row.owner, row.name)
