"""The Generate and Edit API token form: WHM's fields and rules, checked without calling WHM."""

from __future__ import annotations

import calendar
import datetime
import re
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundWidget
from django.http import QueryDict
from django.utils.functional import cached_property

from tokenui.acls import ACLS_BY_KEY, Acl, AclGroup
from tokenui.presets import PRESETS, PRESETS_BY_KEY, Preset
from tokenui.risk import Flag, flags
from tokenui.tokens.acl_groups import held_acl_groups, iter_acls
from tokenui.tokens.display import server_time
from tokenui.tokens.validators import (
    NAME_MAX_LENGTH,
    describe_character,
    join_words,
    parse_ip_list,
    validate_token_name,
)
from tokenui.whm.types import KEEP, ApiToken

EXPIRY_NEVER = "never"
EXPIRY_DATE = "date"
EXPIRY_CHOICES = [
    (EXPIRY_NEVER, "The API Token will not expire."),
    (EXPIRY_DATE, "Specify an expiration date."),
]
# WHM's tokens expire at the end of the chosen day, server time.
EXPIRES_AT = datetime.time(23, 59, 59)
# A date further off than this is a typo (20266 for 2026), not a plan; "never" exists for that.
MAX_EXPIRY_YEARS = 100
DATE_FORMAT = "%Y-%m-%d"
IPS_HELP_TEXT = (
    "One IP address or CIDR range per line (commas and spaces also work). "
    "Leave blank to allow any IP address. At most 100."
)
ACLS_REQUIRED = "You must specify at least one ACL for this token."
# How many refused ACL keys an error names before it counts the rest.
_MAX_LISTED_ACLS = 10
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


def years_after(day: datetime.date, years: int) -> datetime.date:
    """The same day `years` later; 29 February becomes 28 February in a common year."""
    year = day.year + years
    if year > datetime.MAXYEAR:
        return datetime.date.max
    if day.month == 2 and day.day == 29 and not calendar.isleap(year):
        return day.replace(year=year, day=28)
    return day.replace(year=year)


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
        shown = [_describe_acl(key) for key in refused[:_MAX_LISTED_ACLS]]
        if len(refused) > _MAX_LISTED_ACLS:
            shown.append(f"{len(refused) - _MAX_LISTED_ACLS} others")
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


@dataclass(frozen=True, slots=True)
class AclChoiceSection:
    title: str
    choices: tuple[AclChoice, ...]


@dataclass(frozen=True, slots=True)
class AclChoiceGroup:
    title: str
    sections: tuple[AclChoiceSection, ...]


class TokenForm(forms.Form):
    """Generate a token (original_name None) or edit the one named original_name."""

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

    def __init__(
        self,
        *args: Any,
        held_acls: Iterable[str],
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
        self.token: ApiToken | None = None  # the token an Edit form starts from (for_token)
        self.prefill: Prefill | None = None  # what a link, preset or "like this" filled in
        self.existing_names = frozenset(existing_names)
        self.held_groups: tuple[AclGroup, ...] = held_acl_groups(held_acls)
        choices = [(acl.key, acl.label) for acl in iter_acls(self.held_groups)]
        self.fields["acls"].choices = choices
        # WHM's Generate form starts with every held privilege ticked except `all`; an Edit
        # form's initial (the token's own ACLs) takes precedence over this.
        self.fields["acls"].initial = [key for key, _ in choices if key != "all"]
        self.fields["expires_on"].initial = years_after(today, 1)
        # validate_token_name states the length limit and the NUL ban in WHM's one sentence;
        # Django's own MaxLength and ProhibitNullCharacters validators would only repeat it.
        # max_length stays on the field for the input's maxlength attribute.
        self.fields["name"].validators = [validate_token_name]

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
        self.add_error(field, ValidationError(reason, code="whm"))

    def create_args(self) -> dict[str, Any]:
        """`WhmClient.create_token`'s arguments, from a valid Generate form."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "acls": data["acls"],
            "expires": data["expires"],
            "whitelist_ips": data["whitelist_ips"],
        }

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
    def acl_groups(self) -> tuple[AclChoiceGroup, ...]:
        """The held ACLs in WHM's groups, each paired with its checkbox."""
        checkboxes = {widget.data["value"]: widget for widget in self["acls"].subwidgets}
        return tuple(
            AclChoiceGroup(
                group.title,
                tuple(
                    AclChoiceSection(
                        section.title,
                        tuple(AclChoice(acl, checkboxes[acl.key]) for acl in section.acls),
                    )
                    for section in group.sections
                ),
            )
            for group in self.held_groups
        )

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"]
        if name == self.original_name or name not in self.existing_names:
            return name
        if self.original_name is None:
            message = "A conflicting API token with the name “%(name)s” already exists."
        else:
            message = "An API token with the name “%(name)s” already exists."
        raise ValidationError(message, code="name_taken", params={"name": name})

    def clean_whitelist_ips(self) -> list[str]:
        ips = parse_ip_list(self.cleaned_data["whitelist_ips"])
        # The same list as the token's: send WHM's own stored form back as it is.
        if self.token is not None and ips == _normalised_ips(self.token.whitelist_ips):
            return list(self.token.whitelist_ips)
        return ips

    def clean_acls(self) -> list[str]:
        chosen = set(self.cleaned_data["acls"])
        return [key for key, _ in self.fields["acls"].choices if key in chosen]

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
        if day is None:
            if "expires_on" not in self.errors:
                self.add_error(
                    "expires_on",
                    ValidationError(
                        "Enter the date the API token should expire, or choose "
                        "“The API Token will not expire.”",
                        code="required",
                    ),
                )
            return None
        if day < self.today:
            self.add_error(
                "expires_on",
                ValidationError(
                    "The expiration date must be today (%(today)s) or later.",
                    code="past",
                    params={"today": self.today.isoformat()},
                ),
            )
            return None
        if day > self.latest_expiry:
            self.add_error(
                "expires_on",
                ValidationError(
                    "The expiration date must be within %(years)s years, by %(latest)s. For a "
                    "token that does not expire, choose “The API Token will not expire.”",
                    code="too_far",
                    params={"years": MAX_EXPIRY_YEARS, "latest": self.latest_expiry.isoformat()},
                ),
            )
            return None
        return datetime.datetime.combine(day, EXPIRES_AT, tzinfo=self.time_zone)


# ---------------------------------------------------------------------------------------------
# Prefilled forms: links (?preset=P&name=N&acl=A&ip=I&expires=YYYY-MM-DD), role presets,
# "Generate a token like this". Each only fills the form in; nothing here submits it.
# ---------------------------------------------------------------------------------------------
LINK_PARAMS = ("preset", "name", "acl", "ip", "expires")
# A link's words this long or longer are cut when a message quotes them.
_MAX_QUOTED = 40
_IP_SPLIT = re.compile(r"[\s,]+")
NO_PRIVILEGES_ON_CPANEL = (
    "cPanel's API tokens have no privileges, IP addresses or role presets: "
    "the link's were left out."
)


def quoted(value: str) -> str:
    """A value from a link, safe and short enough to quote in a message: cut, with its
    control characters named rather than shown."""
    cut = value[:_MAX_QUOTED] + ("…" if len(value) > _MAX_QUOTED else "")
    shown = "".join(c if c.isprintable() else f"[{describe_character(c)}]" for c in cut)
    return f"“{shown}”"


@dataclass
class Prefill:
    """What a prefilled link, a preset or "like this" puts in the Generate form.

    `data` is the form's data (the link's values, and the form's defaults for the rest);
    `given` names the fields the link set: only those show their errors (a link without a
    name is no missing name). `errors` are the link's own (an unknown preset or ACL); `notes`
    say what was done (a preset's privileges the user does not hold, a token copied).
    """

    data: QueryDict
    given: set[str] = field(default_factory=set)
    preset: Preset | None = None
    preset_note: str = ""  # what the preset ticked, and which of its privileges it could not
    errors: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def is_prefill_query(query: QueryDict) -> bool:
    return any(key in query for key in LINK_PARAMS)


def link_prefill(
    query: QueryDict,
    *,
    offered: Sequence[str],
    today: datetime.date,
    privileges: bool = True,
) -> Prefill:
    """The form as a link fills it in. `offered`: the ACL keys the user holds (the form's
    boxes); `privileges` False for cPanel's form, which has neither ACLs nor IPs."""
    data = QueryDict(mutable=True)
    prefill = Prefill(data)
    data["name"] = query.get("name", "")
    if "name" in query:
        prefill.given.add("name")
    _link_expiry(prefill, query.get("expires"), today)
    if not privileges:
        if any(key in query for key in ("preset", "acl", "ip")):
            prefill.notes.append(NO_PRIVILEGES_ON_CPANEL)
        return prefill
    data["whitelist_ips"] = "\n".join(query.getlist("ip"))
    if "ip" in query:
        prefill.given.add("whitelist_ips")
    preset_key = query.get("preset", "")
    if preset_key:
        prefill.preset = PRESETS_BY_KEY.get(preset_key)
        if prefill.preset is None:
            prefill.errors["preset"] = [_unknown_preset(preset_key)]
    if "acl" in query:
        _link_acls(prefill, query.getlist("acl"), offered)
    elif prefill.preset is not None:
        apply_preset(prefill, prefill.preset, offered)
    else:
        # The form's own default, as WHM's: every held privilege but `all`.
        data.setlist("acls", [key for key in offered if key != "all"])
    return prefill


def _unknown_preset(key: str) -> str:
    titles = join_words([f"“{p.key}” ({p.title})" for p in PRESETS])
    return f"There is no role preset {quoted(key)}. The presets are {titles}."


def _link_expiry(prefill: Prefill, expires: str | None, today: datetime.date) -> None:
    if expires is not None and expires.strip().lower() == EXPIRY_NEVER:
        prefill.data["expiry"], prefill.data["expires_on"] = EXPIRY_NEVER, ""
        prefill.given.add("expiry")
        return
    prefill.data["expiry"] = EXPIRY_DATE
    prefill.data["expires_on"] = years_after(today, 1).isoformat() if expires is None else expires
    if expires is not None:
        prefill.given.update({"expiry", "expires_on"})


def _link_acls(prefill: Prefill, keys: list[str], offered: Sequence[str]) -> None:
    """The link's ACLs, exactly (an empty `acl=` ticks none). Unknown ones are named and
    left out; unheld ones stay, for the form's own check to name by WHM's labels."""
    keys = list(dict.fromkeys(key for key in keys if key))
    known = set(offered) | set(ACLS_BY_KEY)
    unknown = [key for key in keys if key not in known]
    if unknown:
        shown = [quoted(key) for key in unknown[:_MAX_LISTED_ACLS]]
        if len(unknown) > _MAX_LISTED_ACLS:
            shown.append(f"{len(unknown) - _MAX_LISTED_ACLS} others")
        what = "is not a WHM privilege" if len(unknown) == 1 else "are not WHM privileges"
        them = "it" if len(unknown) == 1 else "them"
        prefill.errors["acls"] = [f"{join_words(shown)} {what}, so the form leaves {them} out."]
    prefill.data.setlist("acls", [key for key in keys if key in known])
    prefill.given.add("acls")


def apply_preset(prefill: Prefill, preset: Preset, offered: Sequence[str]) -> None:
    """Tick the preset's privileges that the user holds, and say which others it needs."""
    ticked, _ = preset.split(offered)
    prefill.preset = preset
    prefill.data.setlist("acls", ticked)
    prefill.preset_note = preset_note(preset, offered)
    if ticked:
        prefill.given.add("acls")


def preset_note(preset: Preset, offered: Sequence[str]) -> str:
    """What choosing `preset` says: which of its privileges the user does not hold (WHM's
    labels), so are not ticked."""
    ticked, missing = preset.split(offered)
    if not missing:
        return f"“{preset.title}”: its privileges are ticked."
    labels = join_words([ACLS_BY_KEY[key].label for key in missing])
    needs = "a privilege" if len(missing) == 1 else "privileges"
    rest = "Its other privileges are ticked." if ticked else "Nothing is ticked."
    return f"“{preset.title}” needs {needs} that you do not hold: {labels}. {rest}"


def post_prefill(post: QueryDict, preset_key: str, offered: Sequence[str]) -> Prefill:
    """A preset chosen with JavaScript off: the form as posted, its boxes set by the preset (an
    unknown preset, which no button sends, changes nothing and says so)."""
    data = post.copy()
    data.pop("csrfmiddlewaretoken", None)
    typed = {key for key in ("name", "whitelist_ips", "expires_on") if post.get(key)}
    prefill = Prefill(data, typed | {"acls"})
    preset = PRESETS_BY_KEY.get(preset_key)
    if preset is None:
        prefill.errors["preset"] = [_unknown_preset(preset_key)]
    else:
        prefill.given.discard("acls")
        apply_preset(prefill, preset, offered)
    return prefill


def link_query(data: QueryDict, *, privileges: bool = True) -> str:
    """The query of a link that opens the form as `data` (a posted form) has it: never a
    secret (a form has none), only the name, preset, ticked ACLs, IPs and expiry."""
    params: list[tuple[str, str]] = []
    if privileges and data.get("preset") in PRESETS_BY_KEY:
        params.append(("preset", data["preset"]))
    params.append(("name", data.get("name", "").strip()))
    if privileges:
        acls = [key for key in data.getlist("acls") if key]
        params += [("acl", key) for key in acls] or [("acl", "")]
        params += [("ip", ip) for ip in _IP_SPLIT.split(data.get("whitelist_ips", "")) if ip]
    never = data.get("expiry") == EXPIRY_NEVER
    params.append(("expires", EXPIRY_NEVER if never else data.get("expires_on", "").strip()))
    return urlencode(params)


def like_query(token: ApiToken, *, name: str, offered: Sequence[str]) -> QueryDict:
    """A link's query for "Generate a token like this": the token's privileges (a full-access
    token: every box, as WHM's Edit shows it) and IPs, and a new name."""
    query = QueryDict(mutable=True)
    query["name"] = name
    acls = list(offered) if token.has_full_access else sorted(token.acls)
    query.setlist("acl", acls or [""])
    query.setlist("ip", list(token.whitelist_ips))
    return query


def fresh_name(name: str, existing: Iterable[str]) -> str:
    """`name` with the first free "-N" suffix (N ≥ 2), cut to stay within 50 characters."""
    taken = set(existing)
    base = re.sub(r"-\d{1,3}$", "", name) or name
    for number in range(2, 10_000):
        suffix = f"-{number}"
        candidate = base[: NAME_MAX_LENGTH - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
    return base[: NAME_MAX_LENGTH - 5] + "-copy"  # ten thousand copies: let the form say so
