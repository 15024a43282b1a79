"""The Generate and Edit API token form: WHM's fields and rules, checked without calling WHM."""

from __future__ import annotations

import calendar
import datetime
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundWidget
from django.http import QueryDict
from django.utils.functional import cached_property

from tokenui.acls import ACLS_BY_KEY, Acl, AclGroup, AclSection
from tokenui.kernel.display import server_time
from tokenui.kernel.links import (
    EXPIRY_DATE,
    EXPIRY_NEVER,
    MAX_EXPIRY_YEARS,
    MAX_LISTED_ACLS,
    Prefill,
    years_after,
)
from tokenui.kernel.validators import (
    NAME_MAX_LENGTH,
    join_words,
    parse_ip_list,
    validate_token_name,
)
from tokenui.risk import Flag, flags
from tokenui.tokens.acl_groups import held_acl_groups, iter_acls
from tokenui.whm.types import KEEP, ApiToken

EXPIRY_CHOICES = [
    (EXPIRY_NEVER, "The API Token will not expire."),
    (EXPIRY_DATE, "Specify an expiration date."),
]
# WHM's tokens expire at the end of the chosen day, server time.
EXPIRES_AT = datetime.time(23, 59, 59)
DATE_FORMAT = "%Y-%m-%d"
IPS_HELP_TEXT = (
    "One IP address or CIDR range per line (commas and spaces also work). "
    "Leave blank to allow any IP address. At most 100."
)
ACLS_REQUIRED = "You must specify at least one ACL for this token."
_MAX_SHOWN_KEY_LENGTH = 60
_DATE_SHAPE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII)
# WHM's reasons for the token functions: "The system failed to create the API token: DETAIL"
# (update, revoke, read the API tokens). Older servers, and the simulator once, send the detail
# alone; the field is picked by the detail either way.
_WHM_PREFIX = re.compile(r"The system failed to (?:\w+ the API token|read the API tokens): ")
# Words in WHM's details (../shared/whm-api.md, Failures) and the field each is about.
_WHM_DETAIL_FIELDS: tuple[tuple[str, str | None], ...] = (
    ("Specify a new name, updated ACLs, or IPs.", None),  # about no one field
    ("API token with the name", "name"),
    ("is not a valid API token name", "name"),
    ("“token_name”", "name"),
    ("“new_name”", "name"),
    ("ACL", "acls"),
    ("UNIX epoch timestamp", "expires_on"),
    ("must be a future date", "expires_on"),
    ("“expires_at”", "expires_on"),
    ("IP address", "whitelist_ips"),
    ("“whitelist_ip”", "whitelist_ips"),
)


def _normalised_ips(stored: Iterable[str]) -> list[str] | None:
    """A token's stored allow-list as parse_ip_list writes it (None if it would refuse it)."""
    try:
        return parse_ip_list("\n".join(stored))
    except ValidationError:
        return None


class IsoDateField(forms.DateField):
    """A DateField for YYYY-MM-DD only, saying which part of an impossible date is wrong."""

    default_error_messages = {  # noqa: RUF012 - Django's own pattern for field messages
        "invalid": "Enter the date as YYYY-MM-DD (year, month, day), such as 2031-12-31.",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", [DATE_FORMAT])
        # Typed as WHM writes it, YYYY-MM-DD, whatever the browser's locale (a type=date box
        # shows and takes the locale's order instead); tokenui.js adds a calendar beside it.
        attrs = {
            "inputmode": "numeric",
            "placeholder": "YYYY-MM-DD",
            "pattern": r"\d{4}-\d{2}-\d{2}",
            "maxlength": "10",
            "autocomplete": "off",
            "data-date-picker": True,
        }
        kwargs.setdefault("widget", forms.DateInput(attrs=attrs, format=DATE_FORMAT))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime.date | None:
        try:
            return super().to_python(value)
        except ValidationError as error:
            reason = _impossible_date(str(value).strip())
            if reason is None:
                raise
            raise ValidationError(
                "“%(value)s” is not a date: %(reason)s.",
                code="invalid",
                params={"value": str(value).strip(), "reason": reason},
            ) from error


def _impossible_date(text: str) -> str | None:
    """Why a YYYY-MM-DD-shaped text is not on the calendar, or None if that is not the problem."""
    match = _DATE_SHAPE.fullmatch(text)
    if match is None:
        return None
    year, month, day = (int(part) for part in match.groups())
    if year < 1:
        return None
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return f"{calendar.month_name[month]} {year} has {days} days"
    return None


class AclField(forms.MultipleChoiceField):
    """Checkboxes for ACL keys; one error names every key the user may not give a token."""

    def to_python(self, value: Any) -> list[str]:
        # An empty value (a hidden placeholder input, say) is no ACL, not an unknown one.
        return [key for key in super().to_python(value) if key]

    def validate(self, value: list[str]) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")
        offered = {str(key) for key, _ in self.choices}
        refused = [key for key in dict.fromkeys(value) if key not in offered]
        if not refused:
            return
        shown = [_describe_acl(key) for key in refused[:MAX_LISTED_ACLS]]
        if len(refused) > MAX_LISTED_ACLS:
            shown.append(f"{len(refused) - MAX_LISTED_ACLS} others")
        if len(refused) == 1:
            message = "This token cannot have a privilege that you do not hold: %(acls)s."
        else:
            message = "This token cannot have privileges that you do not hold: %(acls)s."
        raise ValidationError(message, code="unheld_acl", params={"acls": join_words(shown)})


def _describe_acl(key: str) -> str:
    if key in ACLS_BY_KEY:
        return f"{ACLS_BY_KEY[key].label} ({key})"
    if len(key) > _MAX_SHOWN_KEY_LENGTH:
        key = key[:_MAX_SHOWN_KEY_LENGTH] + "…"
    return f"“{key}”"


@dataclass(frozen=True, slots=True)
class AclChoice:
    """One ACL as the form shows it: its catalogue entry and its checkbox."""

    acl: Acl
    checkbox: BoundWidget

    @property
    def key(self) -> str:
        return self.acl.key

    @property
    def label(self) -> str:
        return self.acl.label

    @property
    def warning(self) -> str:
        return self.acl.warning

    @property
    def checked(self) -> bool:
        return bool(self.checkbox.data["selected"])


class NameExpiryForm(forms.Form):
    """A token's name and expiry, with WHM's (and cPanel's) rules: every system's Create, the
    successor of a Rotate, and the base of WHM's Generate and Edit."""

    name = forms.CharField(
        label="Name",
        max_length=NAME_MAX_LENGTH,
        strip=True,
        validators=[validate_token_name],
        error_messages={"required": "Enter a name for the API token."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    expiry = forms.ChoiceField(
        label="Should the API Token Expire?",
        choices=EXPIRY_CHOICES,
        widget=forms.RadioSelect,
        # WHM's Generate form defaults to a one-year expiry; Edit passes the token's own state.
        initial=EXPIRY_DATE,
        error_messages={
            "required": "Choose whether the API token should expire.",
            "invalid_choice": "Choose whether the API token should expire.",
        },
    )
    expires_on = IsoDateField(label="API Token Expiration Date", required=False)

    def __init__(
        self,
        *args: Any,
        existing_names: Iterable[str],
        today: datetime.date,
        time_zone: zoneinfo.ZoneInfo,
        original_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        # WHM's labels carry no colon: "Name", "IPs", "Privileges".
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.today = today
        self.latest_expiry = years_after(today, MAX_EXPIRY_YEARS)
        self.time_zone = time_zone
        self.original_name = original_name
        self.token: Any = None  # the token an Edit form starts from (for_token)
        self.prefill: Prefill | None = None  # what a link, preset or "like this" filled in
        self.existing_names = frozenset(existing_names)
        self.fields["expires_on"].initial = years_after(today, 1)
        # validate_token_name states the length limit and the NUL ban in WHM's one sentence;
        # Django's own MaxLength and ProhibitNullCharacters validators would only repeat it.
        # max_length stays on the field for the input's maxlength attribute.
        self.fields["name"].validators = [validate_token_name]

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        self._focus_first_error()

    def _focus_first_error(self) -> None:
        """A form that comes back in error opens on its first field in error (issue 17 item 12),
        with JavaScript off as well: autofocus on that field alone (tokenui.js does the same
        after a swap). A WHM refusal put on a field after validation moves it too."""
        first = next((name for name in self.fields if name in self.errors), None)
        for name, field in self.fields.items():
            field.widget.attrs.pop("autofocus", None)
            if name == first:
                field.widget.attrs["autofocus"] = True

    def show_prefill(self, prefill: Prefill) -> None:
        """Check the form as `prefill` filled it in, and keep the errors of the fields it gave
        (a link that names no name has no missing name), adding the link's own."""
        self.prefill = prefill
        self.full_clean()
        for name in list(self.errors):
            if name not in prefill.given:
                del self.errors[name]
        for name, messages in prefill.errors.items():
            if name in self.fields:
                for message in messages:
                    self.add_error(name, ValidationError(message, code="link"))

    def _end_of(self, day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, EXPIRES_AT, tzinfo=self.time_zone)

    @property
    def renamed(self) -> bool:
        """Whether an Edit form's name differs from the token's current name."""
        if self.original_name is None:
            return False
        return str(self["name"].value() or "").strip() != self.original_name

    def add_whm_reason(self, reason: str) -> None:
        """Show WHM's whole reason for refusing the form on the field it is about."""
        prefix = _WHM_PREFIX.match(reason)
        detail = reason[prefix.end() :] if prefix else reason
        field = next((f for words, f in _WHM_DETAIL_FIELDS if words in detail), None)
        if field == "expires_on" and self.data.get("expiry") == EXPIRY_NEVER:
            field = None  # the date box is hidden: the reason would not be seen there
        if field not in self.fields:
            field = None  # about a field this form does not have (cPanel's: no IPs)
        self.add_error(field, ValidationError(reason, code="whm"))

    def create_args(self) -> dict[str, Any]:
        """A system's `create` arguments, from a valid form: the name and the expiry."""
        return {"name": self.cleaned_data["name"], "expires": self.cleaned_data["expires"]}

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"]
        if name == self.original_name or name not in self.existing_names:
            return name
        if self.original_name is None:
            message = "A conflicting API token with the name “%(name)s” already exists."
        else:
            message = "An API token with the name “%(name)s” already exists."
        raise ValidationError(message, code="name_taken", params={"name": name})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        expiry = cleaned.get("expiry")
        if self._expiry_untouched(expiry):
            # Edit leaves the expiry as WHM has it: its exact time (not the end of the day the
            # form shows), and an expired token can be renamed without picking a new date.
            self.errors.pop("expires_on", None)
            cleaned["expires"] = KEEP
        elif expiry == EXPIRY_NEVER:
            # The date box does not apply (the page hides it): whatever it still holds, even
            # a malformed date, must not stop the form saving.
            self.errors.pop("expires_on", None)
            cleaned.setdefault("expires_on", None)
            cleaned["expires"] = None
        elif expiry == EXPIRY_DATE:
            cleaned["expires"] = self._expires(cleaned.get("expires_on"))
        return cleaned

    def _expiry_untouched(self, expiry: str | None) -> bool:
        """Whether an Edit form's expiry is as the token's (the date counts only with a date)."""
        if self.token is None or expiry is None or "expiry" in self.changed_data:
            return False
        return expiry == EXPIRY_NEVER or "expires_on" not in self.changed_data

    def _expires(self, day: datetime.date | None) -> datetime.datetime | None:
        """The expiry instant for day (23:59:59 in WHM's zone), adding an error if day won't do."""
        error = self._expiry_error(day)
        if error is None:
            return datetime.datetime.combine(day, EXPIRES_AT, tzinfo=self.time_zone)
        # A date the field could not read has its own error already: one is enough.
        if day is not None or "expires_on" not in self.errors:
            self.add_error("expires_on", error)
        return None

    def _expiry_error(self, day: datetime.date | None) -> ValidationError | None:
        """Why day cannot be the expiry date (none given, past, too far off), or None."""
        if day is None:
            return ValidationError(
                "Enter the date the API token should expire, or choose "
                "“The API Token will not expire.”",
                code="required",
            )
        if day < self.today:
            return ValidationError(
                "The expiration date must be today (%(today)s) or later.",
                code="past",
                params={"today": self.today.isoformat()},
            )
        if day > self.latest_expiry:
            return ValidationError(
                "The expiration date must be within %(years)s years, by %(latest)s. For a "
                "token that does not expire, choose “The API Token will not expire.”",
                code="too_far",
                params={"years": MAX_EXPIRY_YEARS, "latest": self.latest_expiry.isoformat()},
            )
        return None


class TokenForm(NameExpiryForm):
    """WHM's Generate (original_name None) and Edit (of the token named original_name): the
    name and expiry, plus the IP allow-list and the privileges."""

    # No max_length here: a browser silently cuts a paste at a textarea's maxlength, possibly
    # mid-address, whereas parse_ip_list refuses an overlong list with a message.
    whitelist_ips = forms.CharField(
        label="IPs",
        required=False,
        help_text=IPS_HELP_TEXT,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocomplete": "off"}),
    )
    acls = AclField(
        label="Privileges",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": ACLS_REQUIRED},
    )

    def __init__(self, *args: Any, held_acls: Iterable[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.held_groups: tuple[AclGroup[Acl], ...] = held_acl_groups(held_acls)
        choices = [(acl.key, acl.label) for acl in iter_acls(self.held_groups)]
        self.fields["acls"].choices = choices
        # WHM's Generate form starts with every held privilege ticked except `all`; an Edit
        # form's initial (the token's own ACLs) takes precedence over this.
        self.fields["acls"].initial = [key for key, _ in choices if key != "all"]

    @classmethod
    def for_token(cls, token: ApiToken, data: QueryDict | None, **kwargs: Any) -> TokenForm:
        """The Edit form of `token`, starting from the token as WHM lists it."""
        zone: zoneinfo.ZoneInfo = kwargs["time_zone"]
        held_keys = [acl.key for acl in iter_acls(held_acl_groups(kwargs["held_acls"]))]
        initial = {
            "name": token.name,
            "expiry": EXPIRY_DATE if token.expires else EXPIRY_NEVER,
            "expires_on": server_time(token.expires, zone).date() if token.expires else None,
            # WHM's stored form, kept exactly: sent back as it is unless the user edits it.
            "whitelist_ips": "\n".join(token.whitelist_ips),
            # WHM shows a full-access token with every box ticked.
            "acls": held_keys if token.has_full_access else sorted(token.acls & set(held_keys)),
        }
        form = cls(data, initial=initial, original_name=token.name, **kwargs)
        form.token = token
        return form

    def risk_flags(self, now: datetime.datetime) -> tuple[Flag, ...]:
        """The risk flags of the token as the form now stands (typed, not yet valid): what
        the table would show once it is saved. Read leniently: a half-typed date or address
        is no risk of its own, and its field says what is wrong with it on submit."""
        acls = [str(key) for key in (self["acls"].value() or ())]
        if self["expiry"].value() == EXPIRY_NEVER:
            expires = None
        else:
            try:
                day = datetime.date.fromisoformat(str(self["expires_on"].value() or ""))
            except ValueError:
                day = None
            # A date not (yet) readable says only that the token will expire, some day.
            expires = self._end_of(day) if day else now + datetime.timedelta(days=365)
        ips = [ip for ip in re.split(r"[\s,]+", str(self["whitelist_ips"].value() or "")) if ip]
        # Nothing ticked is no full-access token here: the form refuses it (WHM would not).
        token = ApiToken("", now, expires, frozenset(acls), tuple(ips))
        return flags(token, held_acls=self.held_keys, now=now)

    @cached_property
    def held_keys(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.fields["acls"].choices)

    def create_args(self) -> dict[str, Any]:
        """WHM's create arguments, from a valid Generate form: privileges and IPs too."""
        data = self.cleaned_data
        return super().create_args() | {
            "acls": data["acls"],
            "whitelist_ips": data["whitelist_ips"],
        }

    def edit_args(self) -> dict[str, Any]:
        return self.update_args()

    def update_args(self) -> dict[str, Any]:
        """`WhmClient.update_token`'s arguments, from a valid Edit form."""
        data = self.cleaned_data
        return {
            "name": self.original_name,
            "new_name": data["name"] if self.renamed else None,
            # Untouched privileges are left as WHM has them: a full-access token (no list, it
            # inherits its owner's rights) stays full-access rather than becoming a fixed list.
            "acls": KEEP if "acls" not in self.changed_data else data["acls"],
            "expires": data["expires"],
            # Always sent, so that a save is never an empty update.
            "whitelist_ips": data["whitelist_ips"],
        }

    @cached_property
    def acl_groups(self) -> tuple[AclGroup[AclChoice], ...]:
        """The held ACLs in WHM's groups, each paired with its checkbox."""
        checkboxes = {widget.data["value"]: widget for widget in self["acls"].subwidgets}
        return tuple(
            AclGroup(
                group.title,
                tuple(
                    AclSection(
                        section.title,
                        tuple(AclChoice(acl, checkboxes[acl.key]) for acl in section.acls),
                    )
                    for section in group.sections
                ),
            )
            for group in self.held_groups
        )

    def clean_whitelist_ips(self) -> list[str]:
        ips = parse_ip_list(self.cleaned_data["whitelist_ips"])
        # The same list as the token's: send WHM's own stored form back as it is.
        if self.token is not None and ips == _normalised_ips(self.token.whitelist_ips):
            return list(self.token.whitelist_ips)
        return ips

    def clean_acls(self) -> list[str]:
        chosen = set(self.cleaned_data["acls"])
        return [key for key, _ in self.fields["acls"].choices if key in chosen]


class CreateForm(NameExpiryForm):
    """cPanel's *Create API Token*: API Token Name, Should the API Token Expire?, its date, and
    **Read-only** (cPanel 11.137 and later). cPanel's tokens have no IP allow-list and no
    privileges: the form has neither."""

    read_only = forms.BooleanField(label="Read-only", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].label = "API Token Name"

    def create_args(self) -> dict[str, Any]:
        return super().create_args() | {"read_only": self.cleaned_data["read_only"]}


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

    def edit_args(self) -> dict[str, Any]:
        return {"new_name": self.cleaned_data["new_name"]}

    def add_whm_reason(self, reason: str) -> None:
        self.add_cpanel_reason(reason)

    def add_cpanel_reason(self, reason: str) -> None:
        """cPanel said no: about the name when it names one, else about the whole form."""
        self.add_error("new_name" if "name" in reason else None, reason)
