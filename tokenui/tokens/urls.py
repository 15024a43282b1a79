"""One set of URL patterns for every token system's pages, mounted once per system.

Token names are `[A-Za-z0-9_-]{1,50}` (WHM's and cPanel's rule); any other is 404. WHM's tokens
live under `tokens/` (namespace `tokens`); a cPanel account's under `cpanel/tokens/` for the
cPanel user and `cpanel/accounts/USER/tokens/` for a WHM operator (namespace `cptokens`: both
have the same names, and `reverse()` picks the one whose arguments it is given). Staff reach
them under `staff/servers/NAME/`, a reseller's under `staff/servers/NAME/resellers/RESELLER/`.
The system's own words name its Create and Edit pages (WHM's `new/` and `edit/`, cPanel's
`create/` and `manage/`).
"""

from __future__ import annotations

from django.urls import URLPattern, re_path

from tokenui.cptokens import accounts
from tokenui.staff import accounts as staff_accounts
from tokenui.systems import CpanelTokens, TokenSystem, WhmTokens
from tokenui.systems.service import ResellerWhmTokens, ServiceCpanelTokens, ServiceWhmTokens
from tokenui.tokens import views

NAME = r"(?P<name>[A-Za-z0-9_-]{1,50})"
# A cPanel user name: letters, digits, and at most dots, dashes and underscores after the first.
ACCOUNT = r"(?P<account>[A-Za-z0-9][A-Za-z0-9._-]{0,63})"
RESELLER = ACCOUNT.replace("account", "reseller")  # a WHM user name, as a cPanel user's


def token_pages(system: type[TokenSystem], prefix: str = "") -> list[URLPattern]:
    """The pages of `system`, under `prefix` (a regex without its ^): those its capabilities
    offer (no export, Revoke Expired or live risk flags where its tokens have none)."""
    caps, where = system.caps, system.pages
    pages = [
        (r"$", views.index, "index", {}),
        (rf"{where.create_path}/$", views.create, "create", {}),
        (r"check-name/$", views.check_name, "check-name", {}),
        (r"revoke-selected/$", views.RevokeSelectedView.as_view(), "revoke-selected", {}),
        (r"revoke-all/$", views.RevokeAllView.as_view(), "revoke-all", {}),
        (rf"{NAME}/{where.edit_path}/$", views.edit, "edit", {}),
        (rf"{NAME}/rotate/$", views.rotate, "rotate", {}),
        (rf"{NAME}/rotate/finish/$", views.rotate_finish, "rotate-finish", {}),
        (rf"{NAME}/rotate/revoke/$", views.rotate_revoke, "rotate-revoke", {}),
        (rf"{NAME}/revoke/$", views.RevokeView.as_view(), "revoke", {}),
    ]
    if caps.saved_then_create:
        pages.append((r"saved/$", views.saved, "saved", {}))
    if caps.privileges:
        pages.append((r"form-flags/$", views.form_flags, "form-flags", {}))
    if caps.export:
        pages.append((r"export\.csv$", views.export, "export-csv", {"kind": "csv"}))
        pages.append((r"export\.json$", views.export, "export-json", {"kind": "json"}))
    if caps.revoke_expired:
        pages.append((r"revoke-expired/$", views.RevokeExpiredView.as_view(), "revoke-expired", {}))
    return [
        re_path(rf"^{prefix}{pattern}", view, {"system": where.key, **extra}, name=name)
        for pattern, view, name, extra in pages
    ]


whm_urls = (token_pages(WhmTokens), "tokens")
cpanel_urls = (
    [
        re_path(r"^accounts/$", accounts.index, name="accounts"),
        *token_pages(CpanelTokens, "tokens/"),
        *token_pages(CpanelTokens, rf"accounts/{ACCOUNT}/tokens/"),
    ],
    "cptokens",
)
# A staff member's, through a connected server's service token (mounted under
# staff/servers/<connected>/): the service user's own tokens and the accounts it owns; a
# reseller's own tokens and the accounts it owns, inside a session WHM makes for the reseller.
staff_whm_urls = (
    [
        *token_pages(ServiceWhmTokens, "tokens/"),
        *token_pages(ResellerWhmTokens, rf"resellers/{RESELLER}/tokens/"),
    ],
    "staff-tokens",
)
staff_cpanel_urls = (
    [
        re_path(r"^accounts/$", staff_accounts.index, name="accounts"),
        *token_pages(ServiceCpanelTokens, rf"accounts/{ACCOUNT}/tokens/"),
        *token_pages(ServiceCpanelTokens, rf"resellers/{RESELLER}/accounts/{ACCOUNT}/tokens/"),
    ],
    "staff-cptokens",
)
