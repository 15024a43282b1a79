"""The staff pages' forms: a role to grant."""

from __future__ import annotations

import re
from typing import Any

from django import forms

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
