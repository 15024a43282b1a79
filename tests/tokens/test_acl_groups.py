"""The catalogue cut down to a user's privileges: order kept, empty groups dropped, extras last."""

from __future__ import annotations

import pytest

from tokenui.acls import (
    ACL_KEYS,
    BYPASS_WARNING,
    CATALOGUE,
    Acl,
    AclGroup,
    AclSection,
)
from tokenui.tokens.acl_groups import held_acl_groups, iter_acls

RESELLER = ["status", "kill-acct", "list-accts", "acct-summary", "create-acct"]


def keys(groups: tuple[AclGroup, ...]) -> list[str]:
    return [acl.key for acl in iter_acls(groups)]


def test_root_holding_all_sees_the_whole_catalogue_in_whms_order() -> None:
    groups = held_acl_groups(["all"])
    assert groups == CATALOGUE
    assert len(keys(groups)) == 64
    assert keys(groups) == list(ACL_KEYS)
    assert keys(groups)[:3] == ["acct-summary", "basic-system-info", "basic-whm-functions"]
    assert keys(groups)[-1] == "all"


def test_root_listing_every_key_sees_the_same_catalogue() -> None:
    assert held_acl_groups(ACL_KEYS) == CATALOGUE


def test_reseller_sees_only_its_own_acls_in_whms_order() -> None:
    groups = held_acl_groups(RESELLER)
    assert keys(groups) == ["acct-summary", "list-accts", "create-acct", "kill-acct", "status"]
    assert groups == (
        AclGroup(
            "Basic Privileges",
            (AclSection("Initial Privileges", (Acl("acct-summary", "Account Summary"),)),),
        ),
        AclGroup(
            "Standard Privileges",
            (
                AclSection("Account Information", (Acl("list-accts", "List Accounts"),)),
                AclSection(
                    "Account Management",
                    (
                        Acl("create-acct", "Create Accounts"),
                        Acl("kill-acct", "Terminate Accounts"),
                    ),
                ),
            ),
        ),
        AclGroup(
            "Global Privileges",
            (AclSection("Server Information", (Acl("status", "View Server Status"),)),),
        ),
    )


def test_held_acls_keep_their_warnings() -> None:
    groups = held_acl_groups(["passwd", "manage-api-tokens"])
    assert [(acl.key, acl.warning) for acl in iter_acls(groups)] == [
        ("manage-api-tokens", BYPASS_WARNING),
        (
            "passwd",
            (
                "This will allow an API token user to change account passwords and log in with a "
                "new password."
            ),
        ),
    ]


@pytest.mark.parametrize("held", [[], ["demo"], [""], ["", "demo"]])
def test_nothing_held_gives_no_groups(held: list[str]) -> None:
    assert held_acl_groups(held) == ()


def test_demo_is_not_an_acl() -> None:
    assert keys(held_acl_groups(["demo", "list-accts"])) == ["list-accts"]


def test_unknown_keys_go_in_additional_software_labelled_by_key() -> None:
    groups = held_acl_groups(["software-zz", "list-accts", "software-cloudlinux", "plugin-acl"])
    assert [group.title for group in groups] == ["Standard Privileges", "Additional Software"]
    assert groups[-1] == AclGroup(
        "Additional Software",
        (
            AclSection(
                "",
                (
                    Acl("plugin-acl", "plugin-acl"),
                    Acl("software-cloudlinux", "software-cloudlinux"),
                    Acl("software-zz", "software-zz"),
                ),
            ),
        ),
    )


def test_additional_software_sits_after_package_privileges_as_in_whm() -> None:
    groups = held_acl_groups(["all", "software-cloudlinux"])
    titles = [group.title for group in groups]
    assert titles == [
        "Basic Privileges",
        "Standard Privileges",
        "Package Privileges",
        "Additional Software",
        "Global Privileges",
        "Super Privileges",
        "Root Access",
    ]
    assert tuple(g for g in groups if g.title != "Additional Software") == CATALOGUE
    assert groups[3].sections[0].acls == (Acl("software-cloudlinux", "software-cloudlinux"),)


def test_additional_software_keeps_its_place_when_no_package_privilege_is_held() -> None:
    groups = held_acl_groups(["list-accts", "status", "software-x"])
    titles = [group.title for group in groups]
    assert titles == ["Standard Privileges", "Additional Software", "Global Privileges"]


def test_only_plugin_acls_give_only_additional_software() -> None:
    groups = held_acl_groups(["software-cloudlinux"])
    assert [group.title for group in groups] == ["Additional Software"]


def test_repeated_keys_appear_once() -> None:
    held = (key for key in ["list-accts", "list-accts", "software-x", "software-x"])
    assert keys(held_acl_groups(held)) == ["list-accts", "software-x"]
