"""The audit page's filters: a plain GET form, so filtered views are links that can be shared."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.db.models import QuerySet

from tokenui.audit.models import Action, AuditEvent, Outcome, narrowed


def _search_field(label: str, *, max_length: int, pattern: str, message: str) -> forms.CharField:
    """An optional search box for a name; text that does not match `pattern` names nothing."""
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        validators=[RegexValidator(pattern, message)],
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(
        label="Action", required=False, choices=[("", "Any action"), *Action.choices]
    )
    outcome = forms.ChoiceField(
        label="Outcome", required=False, choices=[("", "Any outcome"), *Outcome.choices]
    )
    # WHM's name alphabet: anything else matches no name, and a substring search must not match
    # the JSON list's own quotes and commas.
    token = _search_field(
        "Token name",
        max_length=50,
        pattern=r"\A[A-Za-z0-9_-]*\Z",
        message="Token names hold only letters, numbers, dashes (-) and underscores (_).",
    )
    # cPanel's user names: anything else names no account.
    account = _search_field(
        "cPanel account",
        max_length=64,
        pattern=r"\A[A-Za-z0-9._-]*\Z",
        message="cPanel account names hold only letters, numbers, dots, dashes and underscores.",
    )

    # Staff only: the server (one of those the member holds a role on) and, for admins, the
    # staff member who acted (their username, exactly).
    server = forms.ChoiceField(label="Server", required=False)
    staff = _search_field(
        "Staff member",
        max_length=150,
        pattern=r"\A[\w.@+ -]*\Z",
        message="Staff usernames hold only letters, numbers, spaces and @ . + - _.",
    )

    def __init__(
        self, *args: Any, servers: list[str] | None = None, by_staff: bool = False, **kwargs: Any
    ) -> None:
        """`servers`: the servers a staff member may pick (None: not a staff page, no server
        field); `by_staff`: offer the staff member filter (admins)."""
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if servers is None:
            del self.fields["server"]
        else:
            self.fields["server"].choices = [("", "Any server"), *((n, n) for n in servers)]
        if not by_staff:
            del self.fields["staff"]

    def filter(self, events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        """Narrow `events` to the valid form's filters (a token name matches as a substring,
        ignoring case, like the tokens table's search; a rename matches either name)."""
        data = self.cleaned_data
        return narrowed(
            events,
            action=data["action"],
            outcome=data["outcome"],
            token_names__icontains=data["token"],
            # One account, exactly: "bob" must not pick out "bobby"'s entries.
            account=data["account"],
            server=data.get("server"),
            staff=data.get("staff"),
        )

    @property
    def active(self) -> bool:
        return self.is_valid() and any(self.cleaned_data.values())
