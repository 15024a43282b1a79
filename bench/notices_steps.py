"""The notices bench's measurement, inside Django (run by bench.notices with its settings):
fill the inventory, make the rules, time the digest run twice; one JSON line."""

from __future__ import annotations

import json
import sys
import time
from datetime import timedelta

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from tokenui.audit.trail import Staff  # noqa: E402
from tokenui.inventory.models import InventoryToken, OwnerKind  # noqa: E402
from tokenui.notices import digest  # noqa: E402
from tokenui.notices.models import Delivery, Notice, Recipient  # noqa: E402
from tokenui.notices.rules import RuleSpec, add_rule  # noqa: E402
from tokenui.servers.models import ConnectedServer  # noqa: E402

PLACEHOLDER = "enc:fernet:b:x"
FLAGS = ([], ["any-ip"], ["no-expiry"], ["full-access", "any-ip"])


def fill(tokens: int, servers: int) -> None:
    now = timezone.now()
    # The servers' tokens are placeholders: the digest never opens them.
    made = [
        ConnectedServer(
            name=f"whm{n:02}", url=f"https://whm{n:02}.example.com:2087", username="root",
            token_name=f"tokenui-whm{n:02}", token_created=now, sealed_token=PLACEHOLDER,
            key_id="b",
        )
        for n in range(servers)
    ]  # fmt: skip
    ConnectedServer.objects.bulk_create(made)
    ids = list(ConnectedServer.objects.values_list("pk", flat=True))
    rows = []
    for n in range(tokens):
        flags = FLAGS[n % len(FLAGS)]
        expires = None if "no-expiry" in flags else now + timedelta(hours=(n * 7919) % (365 * 24))
        rows.append(
            InventoryToken(
                server_id=ids[n % len(ids)], owner_kind=OwnerKind.CPANEL, owner=f"acct{n % 500}",
                name=f"token-{n}", created=now - timedelta(days=400), expires=expires,
                ips=[] if "any-ip" in flags else ["192.0.2.1"], privileges="Limited",
                flags=flags, first_seen=now + timedelta(seconds=1 if n % 50 == 0 else -86400),
                last_seen=now,
            )
        )  # fmt: skip
    InventoryToken.objects.bulk_create(rows, batch_size=5000)


def main() -> None:
    tokens, servers = int(sys.argv[1]), int(sys.argv[2])
    fill(tokens, servers)
    bench = Staff("bench")
    add_rule(RuleSpec(Recipient.EMAIL, "ops@example.com"), bench)
    add_rule(RuleSpec(Recipient.WEBHOOK, "https://hooks.example.com/t", secret="s" * 32), bench)
    add_rule(RuleSpec(Recipient.EMAIL, "security@example.com", risky=True), bench)
    now = timezone.now() + timedelta(seconds=2)
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        digest.run(now)
        first = time.perf_counter() - started
    started = time.perf_counter()
    again = digest.run(now)
    second = time.perf_counter() - started
    print(
        json.dumps(
            {
                "tokens": tokens,
                "servers": servers,
                "rules": 3,
                "notices": Notice.objects.count(),
                "deliveries": Delivery.objects.count(),
                "first_run_s": round(first, 3),
                "queries": len(queries),
                "second_run_s": round(second, 3),
                "second_run_deliveries": len(again),
            }
        )
    )


if __name__ == "__main__":
    main()
