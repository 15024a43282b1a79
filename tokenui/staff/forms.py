"""The staff pages' forms: a role to grant, a server to connect."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from tokenui.audit import trail
from tokenui.servers.lifecycle import Connection
from tokenui.servers.models import NAME_RULE, ConnectedServer
from tokenui.servers.remote import ServerError, checked_ca_bundle, checked_url
from tokenui.staff.models import Role
from tokenui.staff.roles import Holder

USER, GROUP = "user", "group"
_NAME_RE = re.compile(r"[\w.@+ -]{1,150}")


class GrantForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.VIEWER)
    holder = forms.ChoiceField(
        label="Give it to",
        choices=[(USER, "A staff user"), (GROUP, "A group")],
        initial=GROUP,
        widget=forms.RadioSelect,
    )
    name = forms.CharField(
        label="Username or group name",
        max_length=150,
        help_text="A group is its name in the single sign-on groups claim, such as support.",
    )
    server = forms.ChoiceField(label="Server", required=False)

    def __init__(self, *args: Any, servers: list[str], **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["server"].choices = [("", "All servers")] + [(n, n) for n in servers]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not _NAME_RE.fullmatch(name):
            raise forms.ValidationError("Use letters, digits, spaces and @ . + - _ only.")
        return name

    def holder_of(self) -> Holder:
        data = self.cleaned_data
        return Holder(user=data["name"]) if data["holder"] == USER else Holder(group=data["name"])


PASSWORD, TOKEN = "password", "token"
_TOKEN_RE = re.compile(r"[A-Za-z0-9]{32}")
_USER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class ConnectForm(forms.Form):
    """Connect a server: what `manage.py connect_server` takes. The password or token is used
    once to make TokenUI's token, and never shown again."""

    name = forms.CharField(
        label="Name",
        max_length=42,
        validators=[NAME_RULE],
        help_text="How TokenUI names this server: 1-42 of A-Z a-z 0-9 _ - (its token will be "
        "tokenui-NAME).",
    )
    url = forms.CharField(
        label="WHM URL",
        max_length=200,
        help_text="Scheme, host and port only, such as https://whm.example.com:2087.",
        widget=forms.TextInput(attrs={"inputmode": "url", "autocapitalize": "none"}),
    )
    username = forms.CharField(
        label="WHM username",
        max_length=64,
        help_text="root, or a reseller holding Manage API Tokens.",
        widget=forms.TextInput(attrs={"autocapitalize": "none", "autocomplete": "off"}),
    )
    method = forms.ChoiceField(
        label="Sign in with",
        choices=[(PASSWORD, "Use a password"), (TOKEN, "Use an API token")],
        initial=PASSWORD,
        widget=forms.RadioSelect,
    )
    password = forms.CharField(
        label="Password",
        required=False,
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    api_token = forms.CharField(
        label="API token",
        required=False,
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    ca_bundle = forms.CharField(
        label="CA bundle",
        required=False,
        max_length=500,
        help_text="Optional: the path, on TokenUI's host, of a PEM file of the authority that "
        "signed WHM's certificate, when it is not one the system trusts.",
    )
    insecure = forms.BooleanField(
        label="Do not verify WHM's TLS certificate",
        required=False,
        help_text="Only for a server you trust, on a network you control: anyone able to come "
        "between TokenUI and WHM could then read TokenUI's token and act with it. The server "
        "carries the TLS not verified flag. Prefer a CA bundle.",
    )
    full_access = forms.BooleanField(
        label="Full access: make TokenUI's token with every privilege (all)",
        required=False,
        help_text="Needed only to reach a reseller's accounts without a reseller session; the "
        "server then carries the Full access flag.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if ConnectedServer.objects.filter(name=name).exists():
            raise forms.ValidationError(
                f"A server named {name} is connected already: choose another name."
            )
        return name

    def clean_url(self) -> str:
        try:
            return checked_url(self.cleaned_data["url"])
        except ServerError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if not _USER_RE.fullmatch(username):
            raise forms.ValidationError("Enter a WHM username such as root or a reseller's name.")
        return username

    def clean_ca_bundle(self) -> str:
        try:
            return checked_ca_bundle(self.cleaned_data["ca_bundle"].strip())
        except ServerError:
            raise forms.ValidationError(
                "No readable file at this path on TokenUI's host."
            ) from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("method") == TOKEN:
            token = "".join(cleaned.get("api_token", "").split())
            if not _TOKEN_RE.fullmatch(token):
                self.add_error("api_token", "A WHM API token is 32 letters and digits.")
            cleaned["api_token"] = token
        elif not cleaned.get("password") and "password" not in self.errors:
            self.add_error("password", "Enter the password.")
        if cleaned.get("insecure") and cleaned.get("ca_bundle"):
            self.add_error(
                "insecure", "Give a CA bundle or choose not to verify the certificate, not both."
            )
        return cleaned

    def connection(self, staff: trail.Staff) -> Connection:
        data = self.cleaned_data
        token = data["method"] == TOKEN
        return Connection(
            name=data["name"],
            url=data["url"],
            username=data["username"],
            secret=data["api_token"] if token else data["password"],
            kind=TOKEN if token else PASSWORD,
            ca_bundle=data["ca_bundle"],
            insecure=data["insecure"],
            full_access=data["full_access"],
            staff=staff,
        )

    @property
    def secret_field(self) -> str:
        return "api_token" if self.cleaned_data.get("method") == TOKEN else "password"
