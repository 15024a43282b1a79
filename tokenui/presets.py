"""Role presets for the Generate form: a short, curated list of privilege sets, kept as data.

Each preset's ACLs are WHM catalogue keys (tokenui/acls.py; a test checks each one exists) and
its `source` says, in one line, where the list comes from, and plainly when it is our own
judgement. A preset only ever *ticks* boxes: what a user may put on a token is still what the
form offers (the privileges they hold), and Generate still checks it against those.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# cPanel's "Guide to WHM Plugins - ACL Reference Chart" maps each WHM API 1 function to its ACL.
_ACL_CHART = "https://api.docs.cpanel.net/guides/guide-to-whm-plugins/guide-to-whm-plugins-acl-reference-chart/"


@dataclass(frozen=True, slots=True)
class Preset:
    key: str  # as it appears in a prefilled link: ?preset=KEY
    title: str
    acls: tuple[str, ...]
    source: str  # one line: where the list comes from
    source_url: str = ""

    def split(self, held: Iterable[str]) -> tuple[list[str], list[str]]:
        """(the preset's ACLs the user holds, those they do not), each in the preset's order.
        Holding `all` holds every catalogue ACL."""
        held = set(held)
        everything = "all" in held
        ticked = [key for key in self.acls if everything or key in held]
        return ticked, [key for key in self.acls if key not in ticked]

    def is_pressed(self, ticked: Iterable[str], held: Iterable[str]) -> bool:
        """Whether a form whose boxes `ticked` shows this preset chosen: exactly the boxes it
        ticks for someone who holds `held`, no more and no fewer (issue 17: a link's one DNS
        box showed "DNS only" pressed). A preset that ticks nothing is never pressed."""
        mine, _ = self.split(held)
        return bool(mine) and set(ticked) == set(mine)


PRESETS: tuple[Preset, ...] = (
    Preset(
        "billing",
        "Billing system provisioning accounts (WHMCS-like)",
        (
            "list-accts",
            "acct-summary",
            "list-pkgs",
            "create-acct",
            "suspend-acct",
            "kill-acct",
            "upgrade-account",
            "passwd",
        ),
        "Our own judgement: the WHM API 1 functions a billing system's provisioning module calls "
        "(createacct, suspendacct, unsuspendacct, removeacct, changepackage, passwd, listaccts, "
        "listpkgs), each mapped to its ACL by cPanel's ACL Reference Chart.",
        _ACL_CHART,
    ),
    Preset(
        "dns",
        "DNS only",
        ("create-dns", "edit-dns", "kill-dns", "park-dns", "manage-dns-records"),
        "Our own judgement: the DNS privileges of cPanel's ACL Reference Chart (Standard "
        "Privileges » DNS, and Manage DNS Records), nothing else.",
        _ACL_CHART,
    ),
    Preset(
        "monitoring",
        "Read-only monitoring",
        ("list-accts", "acct-summary", "show-bandwidth", "basic-system-info", "status", "stats"),
        "Our own judgement: privileges that only read (accounts, bandwidth, server status), by "
        "the descriptions in cPanel's ACL Reference Chart.",
        _ACL_CHART,
    ),
    Preset(
        "backup",
        "Backup agent",
        ("list-accts", "acct-summary", "file-restore", "cpanel-api"),
        "Our own judgement: list the accounts, restore files, and run each account's UAPI Backup "
        "functions through WHM (which needs “Perform cPanel API and UAPI functions through the WHM "
        "API”, a privilege WHM warns about).",
        _ACL_CHART,
    ),
    Preset(
        "dns-cluster",
        "DNS cluster member",
        ("clustering",),
        "cPanel staff on cPanel's forums: a token for DNS clustering needs only the clustering "
        "privilege (DNS Clustering).",
        "https://forums.cpanel.net/threads/dns-cluster-api-token-acl-permissions.672317/",
    ),
)
PRESETS_BY_KEY = {preset.key: preset for preset in PRESETS}
