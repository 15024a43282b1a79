"""What each token system can do and how its own pages say things, side by side: WHM's words
from *Manage API Tokens* in WHM, cPanel's from cPanel's *Manage API Tokens* (shared/seeds),
used verbatim. One row a label, so the two systems' wording reads as one table."""

from __future__ import annotations

from tokenui.systems.base import Capabilities, Pages, Words

#                        WHM                                cPanel
_CAPABILITIES = {
    "privileges": (True, False),
    "ip_allowlist": (True, False),
    "edit": ("update", "rename"),
    "revoke_expired": (True, False),
    "export": (True, False),
    "saved_then_create": (False, True),
}
_WORDS = {
    "server": ("WHM", "cPanel"),
    "title": ("API Tokens", "Manage API Tokens"),
    "create": ("Generate Token", "Create"),
    "create_title": ("Generate Token", "Create API Token"),
    "created": ("API Token Generated", "API Token Created"),
    "edit": ("Edit", "Manage"),
    "revoke_one": ("Continue", "Yes, Revoke The Token"),
    "revoke_many": ("Continue", "Yes, Revoke The Tokens"),
    "revoke_all_question": (
        "Are you certain that you want to revoke all of your API tokens?",
        "Are you certain that you want to revoke all of this account's API tokens?",
    ),
    "used_by": (
        "any script or account using the API token",
        "any script or application using the API token",
    ),
    "empty": ("You have no API tokens yet.", "This account has no API tokens yet."),
    "empty_action": ("to create your first one.", "to create one."),
    "saved": ("Yes, I saved my token", "Yes, I Saved My Token"),
    "edited": ("The API token “{new}” has been updated.", "The API token “{old}” is now “{new}”."),
    "rotate_name": ("Name", "New API Token Name"),
    # seed 004's curl calls UAPI Email::add_pop; WHM's calls applist, which it does not name.
    "curl_call": ("", "Email::add_pop"),
}

WHM_PAGES = Pages("whm", "tokens", "new", "edit", "tokens/form.html", "tokens/form.html")
CPANEL_PAGES = Pages(
    "cpanel", "cptokens", "create", "manage", "tokens/create.html", "tokens/manage.html"
)
WHM_CAPABILITIES = Capabilities(**{key: pair[0] for key, pair in _CAPABILITIES.items()})
CPANEL_CAPABILITIES = Capabilities(**{key: pair[1] for key, pair in _CAPABILITIES.items()})
WHM_WORDS = Words(**{key: pair[0] for key, pair in _WORDS.items()})
CPANEL_WORDS = Words(**{key: pair[1] for key, pair in _WORDS.items()})
