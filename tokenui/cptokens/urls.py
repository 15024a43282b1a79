"""URLs of cPanel's Manage API Tokens pages and the Accounts page.

Each token page has two addresses: `tokens/…` for a cPanel user's own account, and
`accounts/USER/tokens/…` for a WHM operator working on an account they own (through WHM).
Both have the same name; `reverse()` picks the one whose arguments it is given.
"""

from __future__ import annotations

from django.urls import re_path

from tokenui.cptokens import accounts, rotation, views
from tokenui.http import by_method

app_name = "cptokens"
NAME = r"(?P<name>[A-Za-z0-9_-]{1,50})"
# A cPanel user name: letters, digits, and at most dots, dashes and underscores after the first.
ACCOUNT = r"(?P<account>[A-Za-z0-9][A-Za-z0-9._-]{0,63})"

_token_pages = [
    (r"$", views.index, "index"),
    (r"create/$", views.create, "create"),
    (r"saved/$", views.saved, "saved"),
    (
        r"revoke-selected/$",
        by_method(GET=views.confirm_revoke_selected, POST=views.revoke_selected),
        "revoke-selected",
    ),
    (
        r"revoke-all/$",
        by_method(GET=views.confirm_revoke_all, POST=views.revoke_all),
        "revoke-all",
    ),
    (rf"{NAME}/manage/$", views.manage, "manage"),
    (rf"{NAME}/revoke/$", by_method(GET=views.confirm_revoke, POST=views.revoke), "revoke"),
    (rf"{NAME}/rotate/$", rotation.rotate, "rotate"),
    (
        rf"{NAME}/rotate/finish/$",
        by_method(GET=rotation.confirm_finish, POST=rotation.finish),
        "rotate-finish",
    ),
]

urlpatterns = [
    re_path(r"^accounts/$", accounts.index, name="accounts"),
    *(re_path(rf"^tokens/{pattern}", view, name=name) for pattern, view, name in _token_pages),
    *(
        re_path(rf"^accounts/{ACCOUNT}/tokens/{pattern}", view, name=name)
        for pattern, view, name in _token_pages
    ),
]
