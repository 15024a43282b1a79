"""cPanel's Create API Token and Manage API Token forms, checked without calling cPanel.

Create reuses the WHM form's name and expiry rules (cPanel's are the same: 1-50 of
`[A-Za-z0-9_-]`, unique per account, an expiry at 23:59:59 server time) without its IP and
privilege fields, which cPanel does not have.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from tokenui.tokens.forms import TokenForm
from tokenui.tokens.validators import NAME_MAX_LENGTH, validate_token_name


class CreateForm(TokenForm):
    """*Create API Token*: API Token Name, Should the API Token Expire?, its date."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, held_acls=(), **kwargs)
        # cPanel's tokens have no IP allow-list and no privileges.
        del self.fields["whitelist_ips"], self.fields["acls"]
        self.fields["name"].label = "API Token Name"

    def add_whm_reason(self, reason: str) -> None:
        """cPanel's reason on the field it is about; one about IPs or privileges, which this
        form does not have, on the whole form."""
        try:
            super().add_whm_reason(reason)
        except ValueError:  # add_error() names a field this form removed
            self.add_error(None, ValidationError(reason, code="cpanel"))

    def create_args(self) -> dict[str, Any]:
        return {"name": self.cleaned_data["name"], "expires": self.cleaned_data["expires"]}


class RenameForm(forms.Form):
    """*Manage API Token*: New API Token Name, then Update."""

    new_name = forms.CharField(
        label="New API Token Name",
        max_length=NAME_MAX_LENGTH,
        strip=True,
        error_messages={"required": "Enter a new name for the API token."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, name: str, existing_names: Iterable[str], **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.name = name
        self.existing_names = frozenset(existing_names)
        # validate_token_name states the length limit in cPanel's (and WHM's) one sentence.
        self.fields["new_name"].validators = [validate_token_name]

    def clean_new_name(self) -> str:
        new_name: str = self.cleaned_data["new_name"]
        if new_name == self.name:
            raise ValidationError(
                "Enter a name that differs from the API token's current name, “%(name)s”.",
                code="same_name",
                params={"name": self.name},
            )
        if new_name in self.existing_names:
            raise ValidationError(
                "An API token with the name “%(name)s” already exists.",
                code="name_taken",
                params={"name": new_name},
            )
        return new_name

    def add_cpanel_reason(self, reason: str) -> None:
        """cPanel said no: about the name when it names one, else about the whole form."""
        self.add_error("new_name" if "name" in reason else None, reason)
