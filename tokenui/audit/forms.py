"""The audit page's filters: a plain GET form, so filtered views are links that can be shared."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.db.models import QuerySet

from tokenui.audit.models import Action, AuditEvent, Outcome


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(
        label="Action", required=False, choices=[("", "Any action"), *Action.choices]
    )
    outcome = forms.ChoiceField(
        label="Outcome", required=False, choices=[("", "Any outcome"), *Outcome.choices]
    )
    token = forms.CharField(
        label="Token name",
        required=False,
        max_length=50,
        # WHM's name alphabet: anything else matches no name, and a substring search must not
        # match the JSON list's own quotes and commas.
        validators=[
            RegexValidator(
                r"\A[A-Za-z0-9_-]*\Z",
                "Token names hold only letters, numbers, dashes (-) and underscores (_).",
            )
        ],
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )

    account = forms.CharField(
        label="cPanel account",
        required=False,
        max_length=64,
        # cPanel's user names: anything else names no account.
        validators=[
            RegexValidator(
                r"\A[A-Za-z0-9._-]*\Z",
                "cPanel account names hold only letters, numbers, dots, dashes and underscores.",
            )
        ],
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def filter(self, events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        """Narrow `events` to the valid form's filters (a token name matches as a substring,
        ignoring case, like the tokens table's search; a rename matches either name)."""
        data = self.cleaned_data
        if data["action"]:
            events = events.filter(action=data["action"])
        if data["outcome"]:
            events = events.filter(outcome=data["outcome"])
        if data["token"]:
            events = events.filter(token_names__icontains=data["token"])
        if data["account"]:
            # One account, exactly: "bob" must not pick out "bobby"'s entries.
            events = events.filter(account=data["account"])
        return events

    @property
    def active(self) -> bool:
        return self.is_valid() and any(self.cleaned_data.values())
