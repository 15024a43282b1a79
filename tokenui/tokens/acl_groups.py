"""WHM's ACL catalogue cut down to the privileges one user holds, as the token form shows them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from tokenui.acls import (
    ACLS_BY_KEY,
    ADDITIONAL_SOFTWARE,
    CATALOGUE,
    NOT_AN_ACL,
    Acl,
    AclGroup,
    AclSection,
)

# WHM shows plugin ACLs ("Additional Software") right after this group.
SOFTWARE_AFTER = "Package Privileges"


def held_acl_groups(held: Iterable[str]) -> tuple[AclGroup[Acl], ...]:
    """The catalogue's groups and sections holding only ACLs in held, in WHM's order.

    Holding `all` means holding every catalogue ACL. Keys the catalogue does not know (plugin
    ACLs such as `software-cloudlinux`) go in an "Additional Software" group where WHM puts it,
    after Package Privileges, labelled by key and sorted; `demo` (not a real ACL) is dropped.
    """
    keys = {key for key in held if key} - NOT_AN_ACL
    everything = "all" in keys
    extra = sorted(key for key in keys if key not in ACLS_BY_KEY)
    groups: list[AclGroup[Acl]] = []
    for group in CATALOGUE:
        sections = []
        for section in group.sections:
            acls = tuple(acl for acl in section.acls if everything or acl.key in keys)
            if acls:
                sections.append(AclSection(section.title, acls))
        if sections:
            groups.append(AclGroup(group.title, tuple(sections)))
        if group.title == SOFTWARE_AFTER and extra:
            groups.append(_additional_software(extra))
    return tuple(groups)


def _additional_software(keys: list[str]) -> AclGroup[Acl]:
    # One untitled section: WHM lists plugin ACLs directly under the group's heading.
    return AclGroup(ADDITIONAL_SOFTWARE, (AclSection("", tuple(Acl(key, key) for key in keys)),))


def iter_acls(groups: Iterable[AclGroup[Acl]]) -> Iterator[Acl]:
    """Every ACL in groups, in order."""
    for group in groups:
        for section in group.sections:
            yield from section.acls
