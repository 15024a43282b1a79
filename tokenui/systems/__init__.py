"""Token systems: one interface for every way TokenUI reaches a set of API tokens.

Read this first. The pages (tokenui/tokens) are written once, against `TokenSystem`
(systems/base.py); what differs between WHM and cPanel lives in one class per system:

- `WhmTokens` (systems/whm.py): the signed-in WHM user's own tokens, over WHM API 1
  (`api_token_list`, `_create`, `_update`, `_revoke`). Privileges, an IP allow-list, a full Edit,
  Revoke Expired and export.
- `CpanelTokens` (systems/cpanel.py): a cPanel account's tokens over UAPI `Tokens::*`, either the
  cPanel user's own (signed in to cPanel) or, through WHM's `uapi_cpanel`, an account a WHM
  operator owns. No privileges or IPs; Manage renames; revokes go one name a call.

Each system says what it can do (`caps`, a `Capabilities`), how its own pages word things
(`words`, WHM's or cPanel's labels verbatim), how its table sorts (`table`), and does the work:
`tokens(fresh=…)` (the table's list, kept briefly for search, sort and paging), `details()` (as
they are now, with what a form needs), `create`, `edit`, `revoke` (raising `PartialRevoke` when
it stops part-way), `twin_args`/`rotation_refusal` (rotation), `example` (the header and curl
shown with a new secret) and `forget` (drops every kept read after a change).

A system is built per request from the signed-in session (tokenui/tokens/binding.py) and knows
nothing of requests, views or templates; the fleet builds one per signed-in server. Failures
are the client's `WhmError`s, raised, and answered in one place by the binding. A new way in (a
connected server's service token, say) is a new subclass here, never a copy of the pages.
"""

from __future__ import annotations

from tokenui.systems.base import Capabilities, Example, PartialRevoke, TokenSystem, Words
from tokenui.systems.cpanel import CpanelTokens
from tokenui.systems.whm import WhmTokens

SYSTEMS: dict[str, type[TokenSystem]] = {s.pages.key: s for s in (WhmTokens, CpanelTokens)}

__all__ = [
    "SYSTEMS",
    "Capabilities",
    "CpanelTokens",
    "Example",
    "PartialRevoke",
    "TokenSystem",
    "WhmTokens",
    "Words",
]
