"""Prefilled forms, shared by every token system's Create: links
(`?preset=P&name=N&acl=A&ip=I&expires=YYYY-MM-DD`), role presets, "Generate a token like this",
and the expiry rules they and the forms share. Each only fills a form in; nothing here submits it.
"""

from __future__ import annotations

import calendar
import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.http import QueryDict

from tokenui.acls import ACLS_BY_KEY
from tokenui.kernel.display import compressed_ip
from tokenui.kernel.validators import NAME_MAX_LENGTH, describe_character, join_words
from tokenui.presets import PRESETS, PRESETS_BY_KEY, Preset
from tokenui.whm.types import ApiToken

EXPIRY_NEVER = "never"
EXPIRY_DATE = "date"
# A date further off than this is a typo (20266 for 2026), not a plan; "never" exists for that.
MAX_EXPIRY_YEARS = 100
# How many refused ACL keys an error names before it counts the rest.
MAX_LISTED_ACLS = 10


def years_after(day: datetime.date, years: int) -> datetime.date:
    """The same day `years` later; 29 February becomes 28 February in a common year."""
    year = day.year + years
    if year > datetime.MAXYEAR:
        return datetime.date.max
    if day.month == 2 and day.day == 29 and not calendar.isleap(year):
        return day.replace(year=year, day=28)
    return day.replace(year=year)


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
    if privileges:
        _link_privileges(prefill, query, offered)
    elif any(key in query for key in ("preset", "acl", "ip")):
        prefill.notes.append(NO_PRIVILEGES_ON_CPANEL)
    return prefill


def _link_privileges(prefill: Prefill, query: QueryDict, offered: Sequence[str]) -> None:
    """The link's IPs, and its privileges: its ACLs, else its preset's, else the form's own."""
    prefill.data["whitelist_ips"] = "\n".join(query.getlist("ip"))
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
        prefill.data.setlist("acls", [key for key in offered if key != "all"])


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
        shown = [quoted(key) for key in unknown[:MAX_LISTED_ACLS]]
        if len(unknown) > MAX_LISTED_ACLS:
            shown.append(f"{len(unknown) - MAX_LISTED_ACLS} others")
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
    # As the table shows them: WHM stores IPv6 fully expanded (`2001:0db8:0000:…`).
    query.setlist("ip", [compressed_ip(ip) for ip in token.whitelist_ips])
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
