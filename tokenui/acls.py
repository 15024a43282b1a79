"""WHM's ACL catalogue as plain data: groups, labels and warnings, in WHM's order.

This is the one module that both the WHM client side and the simulator may read: it holds no
encoding, parsing or validation logic, only the facts of ../shared/whm-api.md ("ACL catalogue").
"""

from __future__ import annotations

from dataclasses import dataclass

# WHM's own words for the privileges that let a token holder get around the token's limits.
BYPASS_WARNING = (
    "This will allow an API token user to bypass any restrictions that you set on the API token."
)
ACCOUNT_LOGIN_WARNING = (
    "This will allow an API token user to change account passwords and log in with a new password."
)
ALL_WARNING = (
    "This allows an API token user access to the entire system. "
    "A user with this token can perform all root user functions."
)

ADDITIONAL_SOFTWARE = "Additional Software"


@dataclass(frozen=True, slots=True)
class Acl:
    key: str
    label: str
    warning: str = ""


# Generic in what a section lists: the catalogue's `Acl`s, or the token form's checkboxes for
# them (`tokenui.tokens.forms.AclChoice`), grouped alike.
@dataclass(frozen=True, slots=True)
class AclSection[T]:
    title: str
    acls: tuple[T, ...]


@dataclass(frozen=True, slots=True)
class AclGroup[T]:
    title: str
    sections: tuple[AclSection[T], ...]


def _section(title: str, *acls: Acl) -> AclSection[Acl]:
    return AclSection(title, acls)


CATALOGUE: tuple[AclGroup[Acl], ...] = (
    AclGroup(
        "Basic Privileges",
        (
            _section(
                "Initial Privileges",
                Acl("acct-summary", "Account Summary"),
                Acl("basic-system-info", "Basic System Information"),
                Acl("basic-whm-functions", "Basic WHM Functions"),
                Acl("connected-applications", "Configure connected external applications"),
                Acl("cors-proxy-get", "Allow CORS HTTP Requests"),
                Acl(
                    "cpanel-api",
                    "Perform cPanel API and UAPI functions through the WHM API",
                    BYPASS_WARNING,
                ),
                Acl("cpanel-integration", "Manage cPanel Integration Links"),
                Acl("create-user-session", "Create User Session", BYPASS_WARNING),
                Acl("digest-auth", "Digest Authentication"),
                Acl("generate-email-config", "Generate Mobile Email Configurations"),
                Acl("list-pkgs", "List Packages"),
                Acl("manage-api-tokens", "Manage API Tokens", BYPASS_WARNING),
                Acl("manage-dns-records", "Manage DNS Records"),
                Acl("manage-oidc", "Manage OpenID Connect"),
                Acl("manage-styles", "Manage Styles"),
                Acl("mysql-info", "MySQL Information"),
                Acl("ns-config", "Nameserver Configuration"),
                Acl("public-contact", "Public Contact Information"),
                Acl("ssl-info", "SSL Information"),
                Acl("track-email", "Track Email"),
            ),
        ),
    ),
    AclGroup(
        "Standard Privileges",
        (
            _section(
                "Account Information",
                Acl("list-accts", "List Accounts"),
                Acl("show-bandwidth", "View Account Bandwidth Usage"),
            ),
            _section(
                "Account Management",
                Acl("create-acct", "Create Accounts"),
                Acl("kill-acct", "Terminate Accounts"),
                Acl("suspend-acct", "Suspend/Unsuspend Accounts"),
                Acl("upgrade-account", "Upgrade/Downgrade Accounts"),
                Acl("ssl", "SSL Site Management"),
                Acl("ssl-buy", "Purchase SSL Certificates"),
                Acl("ssl-gencrt", "SSL CSR/Certificate Generator"),
                Acl("edit-mx", "Edit MX Entries"),
                Acl("passwd", "Change Passwords", ACCOUNT_LOGIN_WARNING),
                Acl("file-restore", "File and Directory Restoration"),
            ),
            _section(
                "DNS",
                Acl("create-dns", "Add DNS Zones"),
                Acl("kill-dns", "Remove DNS Zones"),
                Acl("park-dns", "Park DNS Zones"),
                Acl("edit-dns", "Edit DNS Zones"),
            ),
            _section(
                "Packages",
                Acl("add-pkg", "Add/Remove Packages"),
                Acl("edit-pkg", "Edit Packages"),
            ),
            _section("Third-Party Services", Acl("thirdparty", "Manage Third-Party Services")),
            _section("Troubleshooting", Acl("mailcheck", "Troubleshoot Mail Delivery")),
            _section("cPanel Management", Acl("news", "News Modification")),
            _section(
                "Account Enhancements",
                Acl("assign-root-account-enhancements", "Use Root Account Enhancements"),
            ),
        ),
    ),
    AclGroup(
        "Package Privileges",
        (
            _section(
                "Accounts", Acl("allow-shell", "Allow Creation of Accounts with Shell Access")
            ),
            _section("Package Access", Acl("viewglobalpackages", "Use Root Packages")),
            _section(
                "Package Creation",
                Acl("allow-addoncreate", "Create Packages with Addon Domains"),
                Acl("allow-parkedcreate", "Create Packages with Parked (Alias) Domains"),
                Acl("add-pkg-ip", "Create Packages with a Dedicated IP Address"),
                Acl("add-pkg-shell", "Create Packages with Shell Access"),
                Acl("allow-unlimited-pkgs", "Create Packages with Unlimited Features"),
                Acl("allow-emaillimits-pkgs", "Create Packages with Custom Email Limits"),
                Acl("allow-unlimited-disk-pkgs", "Create Packages with Unlimited Disk Usage"),
                Acl("allow-unlimited-bw-pkgs", "Create Packages with Unlimited Bandwidth"),
            ),
        ),
    ),
    AclGroup(
        "Global Privileges",
        (
            _section(
                "Server Information",
                Acl("status", "View Server Status"),
                Acl("stats", "View Server Information"),
            ),
            _section("Services", Acl("restart", "Restart Services")),
            _section("Troubleshooting", Acl("resftp", "Resynchronize FTP Passwords")),
        ),
    ),
    AclGroup(
        "Super Privileges",
        (
            _section(
                "Account Management",
                Acl(
                    "edit-account",
                    "Account Modification",
                    "This allows an API token user to modify any account's settings, "
                    "including limits you have set.",
                ),
                Acl(
                    "limit-bandwidth",
                    "Bandwidth Limit Modification",
                    "This allows an API token user to change the bandwidth limits of accounts.",
                ),
                Acl(
                    "quota",
                    "Quota Modification",
                    "This allows an API token user to change the disk quotas of accounts.",
                ),
                Acl("demo-setup", "Set an Account to be a Demo Account"),
            ),
            _section("Advanced Account Management", Acl("rearrange-accts", "Rearrange Accounts")),
            _section(
                "Clustering",
                Acl(
                    "clustering",
                    "DNS Clustering",
                    "This allows an API token user to change DNS records on every server "
                    "in the DNS cluster.",
                ),
            ),
            _section(
                "Locales",
                Acl(
                    "locale-edit",
                    "Modify & Create Locales",
                    "This allows an API token user to put HTML into every cPanel & WHM interface.",
                ),
            ),
        ),
    ),
    AclGroup(
        "Root Access",
        (_section("Everything", Acl("all", "All Features", ALL_WARNING)),),
    ),
)

# Every built-in ACL key, in WHM's order (64 of them).
ACL_KEYS: tuple[str, ...] = tuple(
    acl.key for group in CATALOGUE for section in group.sections for acl in section.acls
)
ACLS_BY_KEY: dict[str, Acl] = {
    acl.key: acl for group in CATALOGUE for section in group.sections for acl in section.acls
}
# The privileges WHM warns let a token bypass the restrictions set on it.
BYPASS_ACLS: frozenset[str] = frozenset(
    key for key, acl in ACLS_BY_KEY.items() if acl.warning == BYPASS_WARNING
)
# Plugins register ACLs named like this; WHM shows them under "Additional Software".
SOFTWARE_PREFIX = "software-"
# api_token_list may carry this key; it is not a real ACL.
NOT_AN_ACL = frozenset({"demo"})
