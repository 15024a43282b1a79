"""The All servers search finds what a plain LIKE over the `search` column finds, whichever the
database: on SQLite through the trigram index (migration 0004), kept in step as tokens are
added, renamed and deleted."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.helpers import offline_server
from tokenui.inventory import query
from tokenui.inventory.models import InventoryToken, OwnerKind

pytestmark = pytest.mark.django_db

NEEDLES = ["deploy", "DEPLOY-b", "ot-4", "bot", "acme", "east", "ea", "x", 'say "hi', "%", "_b"]


def token(server, name: str, owner: str) -> InventoryToken:
    now = timezone.now()
    row = InventoryToken(
        server=server,
        server_name=server.name,
        owner_kind=OwnerKind.CPANEL,
        owner=owner,
        name=name,
        created=now,
        first_seen=now,
        last_seen=now,
    )
    row.search = row.searched()
    return row


def found(needle: str) -> set[str]:
    return {t.name for t in query.find(query.Criteria(servers=None, query=needle))}


def scanned(needle: str) -> set[str]:
    present = InventoryToken.objects.filter(gone__isnull=True)
    return {t.name for t in present if needle.lower().strip() in t.search}


def test_search_finds_what_a_scan_finds_through_adds_renames_and_deletes() -> None:
    east, west = offline_server("east"), offline_server("west")
    names = ["deploy-bot", "bot-4", "say-hi", "backup_bot", "Deploy-Box", "x"]
    InventoryToken.objects.bulk_create(
        token(server, name, owner)
        for server in (east, west)
        for name in names
        for owner in ("acme", "beta")
    )
    for needle in NEEDLES:
        assert found(needle) == scanned(needle), needle
    assert found("deploy-b") == {"deploy-bot", "Deploy-Box"}

    renamed = InventoryToken.objects.filter(name="deploy-bot")
    for row in renamed:
        row.name = "release-bot"
        row.search = row.searched()
    InventoryToken.objects.bulk_update(renamed, ["name", "search"])
    InventoryToken.objects.filter(name="bot-4", server=west).delete()
    for needle in [*NEEDLES, "release", "bot-4"]:
        assert found(needle) == scanned(needle), needle
    assert "deploy-bot" not in found("deploy")
