"""The sign-in form: WHM or cPanel, server, username, and a password or an API token; or Staff,
a TokenUI staff member's username and password (single sign-on is a link beside it)."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from tokenui.whm.types import Credential

# What to sign in to: a WHM user, or a cPanel account on the server's cPanel port.
WHM = "whm"
CPANEL = "cpanel"
STAFF = "staff"
# The two sign-in methods (names of choices, not secrets).
PASSWORD = "password"  # noqa: S105
TOKEN = "token"  # noqa: S105
_TOKEN_RE = re.compile(r"[A-Za-z0-9]{32}")
# WHM user names: root, or a system user name (letters, digits; dots and dashes at most).
_USER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# Staff usernames: Django's rule (letters, digits and @ . + - _).
_STAFF_RE = re.compile(r"[\w.@+-]{1,64}")


class SignInForm(forms.Form):
    service = forms.ChoiceField(
        label="Sign in to",
        choices=[(WHM, "WHM"), (CPANEL, "cPanel"), (STAFF, "Staff")],
        initial=WHM,
        # A form posted without the choice (a script, a page from before it existed) is WHM's.
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose WHM, cPanel or Staff."},
    )
    server = forms.ChoiceField(label="Server")
    username = forms.CharField(
        label="Username",
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    method = forms.ChoiceField(
        label="Sign in with",
        choices=[(PASSWORD, "Use a password"), (TOKEN, "Use an API token")],
        initial=PASSWORD,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a password or an API token.",
            "invalid_choice": "Choose a password or an API token.",
        },
    )
    password = forms.CharField(
        label="Password",
        required=False,
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    api_token = forms.CharField(
        label="API token",
        required=False,
        max_length=256,
        help_text="The 32-character token WHM or cPanel showed when it was created.",
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(
        self, *args: Any, servers: list[str], whm_only: bool = False, **kwargs: Any
    ) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if whm_only:
            # Add server: a session holds several WHM servers, a cPanel session only its own.
            self.fields["service"].choices = [(WHM, "WHM")]
        self.fields["server"].choices = [(name, name) for name in servers]
        self.fields["server"].initial = servers[0]
        self.single_server = len(servers) == 1
        if self.single_server:
            # Nothing to choose: the one server is used whatever the request says (a hidden
            # field's error would have nowhere to show, so a forged value must not matter).
            self.fields["server"].widget = forms.HiddenInput()
            self.fields["server"].disabled = True

    def clean_service(self) -> str:
        return self.cleaned_data["service"] or WHM

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if self.cleaned_data.get("service") == STAFF:
            if not _STAFF_RE.fullmatch(username):
                raise forms.ValidationError("Enter your TokenUI staff username.")
            return username
        if not _USER_RE.fullmatch(username):
            if self.cleaned_data.get("service") == CPANEL:
                raise forms.ValidationError("Enter the cPanel account's username.")
            raise forms.ValidationError("Enter a WHM username such as root or a reseller's name.")
        return username

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("service") == STAFF:
            # Staff sign in with a password only: the server and the method are WHM's.
            for name in ("server", "method", "api_token"):
                self.errors.pop(name, None)
            if not cleaned.get("password") and "password" not in self.errors:
                self.add_error("password", "Enter the password.")
            return cleaned
        method = cleaned.get("method")
        # A field that already failed (too long, a NUL) was filled in: asking for it again
        # would contradict its own error.
        if method == PASSWORD and not cleaned.get("password") and "password" not in self.errors:
            self.add_error("password", "Enter the password.")
        if method == TOKEN and "api_token" not in self.errors:
            token = "".join(cleaned.get("api_token", "").split())
            if not token:
                self.add_error("api_token", "Enter the API token.")
            elif not _TOKEN_RE.fullmatch(token):
                product = "cPanel" if cleaned.get("service") == CPANEL else "WHM"
                self.add_error("api_token", f"A {product} API token is 32 letters and digits.")
            else:
                cleaned["api_token"] = token
        return cleaned

    @property
    def is_staff(self) -> bool:
        return self.cleaned_data.get("service") == STAFF

    @property
    def is_cpanel(self) -> bool:
        return self.cleaned_data.get("service") == CPANEL

    def credential(self) -> Credential:
        """The credential to try, once the form is valid."""
        data = self.cleaned_data
        if data["method"] == TOKEN:
            return Credential(user=data["username"], secret=data["api_token"], kind="token")
        return Credential(user=data["username"], secret=data["password"], kind="password")
