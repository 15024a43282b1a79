"""The Notices page's form: a rule to add (who is told, about what, when)."""

from __future__ import annotations

from typing import Any

from django import forms

from tokenui.notices.models import DEFAULT_DAYS, Recipient
from tokenui.notices.rules import MIN_SECRET, RuleSpec, days_words, parse_days

# The field that names the recipient of each kind.
TO_FIELD = {
    Recipient.USER: "user",
    Recipient.GROUP: "group",
    Recipient.EMAIL: "email",
    Recipient.WEBHOOK: "webhook",
}
_WORDS = {"autocapitalize": "none", "spellcheck": "false"}


class RuleForm(forms.Form):
    recipient = forms.ChoiceField(
        label="Who is told",
        choices=Recipient.choices,
        initial=Recipient.EMAIL,
        widget=forms.RadioSelect,
    )
    user = forms.CharField(
        label="Staff user", required=False, max_length=150, widget=forms.TextInput(attrs=_WORDS)
    )
    group = forms.CharField(
        label="Group",
        required=False,
        max_length=150,
        help_text="Each member with an e-mail address is told.",
        widget=forms.TextInput(attrs=_WORDS),
    )
    email = forms.CharField(
        label="E-mail address",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={**_WORDS, "autocomplete": "email"}),
    )
    webhook = forms.CharField(
        label="Webhook URL",
        required=False,
        max_length=500,
        help_text="https:// only. TokenUI POSTs JSON there, signed with the secret.",
        widget=forms.URLInput(attrs=_WORDS),
    )
    secret = forms.CharField(
        label="Secret",
        required=False,
        strip=False,
        max_length=200,
        help_text=f"At least {MIN_SECRET} characters. It signs each call (X-TokenUI-Signature) "
        "and is stored encrypted: it is never shown again.",
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    servers = forms.MultipleChoiceField(
        label="Servers",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every connected server, those connected later too.",
    )
    owners = forms.CharField(
        label="Owners",
        required=False,
        max_length=1000,
        help_text="WHM users, resellers or cPanel accounts, separated by commas. Empty: every "
        "owner.",
        widget=forms.TextInput(attrs=_WORDS),
    )
    days = forms.CharField(
        label="Thresholds",
        initial=days_words(DEFAULT_DAYS),
        max_length=100,
        help_text="Days before expiry, and expired, separated by commas. Each token is told of "
        "once at each; one that passes several at once, at the nearest only.",
        widget=forms.TextInput(attrs=_WORDS),
    )
    risky = forms.BooleanField(
        label="Also alert on risky new tokens (Full access, No expiry or Any IP)", required=False
    )

    def __init__(self, *args: Any, servers: list[str], **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["servers"].choices = [(name, name) for name in servers]

    def clean_days(self) -> tuple[int, ...]:
        try:
            return parse_days(self.cleaned_data["days"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_owners(self) -> tuple[str, ...]:
        owners = (part.strip() for part in self.cleaned_data["owners"].split(","))
        return tuple(sorted({owner for owner in owners if owner}))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        recipient = cleaned.get("recipient")
        if recipient and not cleaned.get(TO_FIELD[Recipient(recipient)], "").strip():
            label = self.fields[TO_FIELD[Recipient(recipient)]].label
            self.add_error(TO_FIELD[Recipient(recipient)], f"Enter the {label.lower()}.")
        if recipient == Recipient.WEBHOOK and not cleaned.get("secret"):
            self.add_error("secret", "Enter the secret that signs each call.")
        return cleaned

    def spec(self) -> RuleSpec:
        data = self.cleaned_data
        recipient = Recipient(data["recipient"])
        return RuleSpec(
            recipient=recipient,
            to=data[TO_FIELD[recipient]],
            secret=data["secret"] if recipient == Recipient.WEBHOOK else "",
            servers=tuple(data["servers"]),
            owners=data["owners"],
            days=data["days"],
            risky=data["risky"],
        )
