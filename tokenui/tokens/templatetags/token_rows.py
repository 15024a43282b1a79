"""Every token system's table rows, written out in Python: the one loop on the page that is hot.

Django's template language costs about 70 µs for one of these rows on this project's machines
(17 variables, 6 conditions, 2 filters), so 50 rows took more than the rest of the page and
most of what the dashboard adds to WHM's answer (bench/report.md). The same markup through one
`str.format` per row is about 20 times faster. Every value is escaped with `html.escape`, which
is what Django's own `escape` calls (without its lazy-string wrapper: a third of the time here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from urllib.parse import quote

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from tokenui.kernel.display import Expiry, RowUrls, TokenRow, split_around
from tokenui.systems import TokenSystem
from tokenui.tokens.templatetags.risk_flags import flags_html

register = template.Library()

# What the rows leave out, as every search downloads and the browser lays out 50 of them (issue
# 17 item 15): a class where CSS can tell the cell by its place (the header cell, the cells after
# it), the phone layout's labels (CSS writes them, tokenui.css), the notice's icon (CSS), the risk
# flags' focus (item 14), and Revoke's hx-get and class (tokenui.js opens a row's last link, its
# Revoke, in the dialog; CSS colours it).
_ROW = (
    '<tr id="token-{name}"{classes}>'
    "{select}"
    '<th scope="row">{name}{badge}{marks}</th>'
    '<td><time datetime="{created_iso}">{created}</time></td>'
    "<td>{expires}{notice}</td>"
    "{fourth}"
    '<td class="risk">{flags}</td>'
    "{actions}</tr>"
)
_ACTIONS = (
    '<td class="col-actions"><a href="{edit_url}" aria-label="{edit} {name}">{edit}</a> '
    '<a href="{rotate_url}" aria-label="Rotate {name}">Rotate</a> '
    '<a href="{like_url}" aria-label="Generate a token like this: {name}">'
    "Generate a token like this</a> "
    '<a href="{revoke_url}" aria-label="Revoke {name}">Revoke</a></td>'
)
# A staff viewer's row (the system is read-only): nothing to select, no action.
_NO_ACTIONS = '<td class="col-actions"></td>'
_NO_SELECT = '<td class="col-select"></td>'
_SELECT = (
    '<td class="col-select"><input type="checkbox" name="name" value="{name}" '
    'aria-label="Select {name}"></td>'
)
# The fourth column: the IPs where the system has an allow-list (WHM), else the access.
_IPS = '<td class="ips">{}</td>'
_ACCESS = "<td>{}</td>"
_BADGE = ' <span class="badge">this session\'s token</span>'
# A connected server's service token: revoking it stops staff access to that server.
_SERVICE_BADGE = ' <span class="badge badge-service">TokenUI\'s service token</span>'
# Until the old token of a rotation is revoked: a link back to the rotation's next steps.
_ROTATED = (
    ' <a class="badge badge-rotated" href="{url}">rotated, not yet revoked'
    '<span class="visually-hidden">: finish replacing it with</span>'
    ' <span aria-hidden="true">→</span> {new}</a>'
)
_EXPIRES = '<time datetime="{}">{}</time>'
_FOLDED = '{} <details class="more-ips"><summary>and {} more</summary>{}</details>'
_NOTICE = ' <span class="notice">{}</span>'
# Only a row drawn differently carries a class: soon, expired, highlighted.
_CLASSES = {Expiry.SOON: "row-soon", Expiry.EXPIRED: "row-expired"}


@dataclass(frozen=True, slots=True)
class _Links:
    """What differs between the systems' rows: the URLs around a name, Edit's word (WHM's Edit,
    cPanel's Manage), and the fourth column (IPs, or cPanel's Access)."""

    rotate: tuple[str, str]
    like: str
    edit: str
    ips: bool
    read_only: bool = False

    @classmethod
    def of(cls, system: TokenSystem | None) -> _Links:
        if system is None:  # WHM's table, as a bare template draws it
            rotate = reverse("tokens:rotate", args=[RowUrls.PLACEHOLDER])
            return cls(split_around(rotate), reverse("tokens:create"), "Edit", True)
        rotate = system.url("rotate", RowUrls.PLACEHOLDER)
        edit = system.words.edit
        ips, read_only = system.caps.ip_allowlist, system.read_only
        return cls(split_around(rotate), system.url("create"), edit, ips, read_only)


@register.simple_tag
def token_rows(
    rows: Sequence[TokenRow],
    *,
    highlight: str,
    edit_query: str,
    system: TokenSystem | None = None,
    successors: Mapping[str, str] | None = None,
    finish_url: str = "",
    service_tokens: Mapping[str, str] | None = None,
) -> SafeString:
    """Each row: select box, name (and this session's badge, and the rotated mark), created,
    expires (and a notice in words), allowed IPs (the first few, the rest folded) or access,
    risk flags, Edit (Manage), Rotate, Generate a token like this, and Revoke. `successors` maps
    a rotated token to its successor; `finish_url` (reversed for RowUrls.PLACEHOLDER) is the
    rotation's next steps, where the old token can be revoked. `service_tokens` names TokenUI's
    own service tokens (marked *TokenUI's service token*)."""
    links = _Links.of(system)
    finish = split_around(finish_url)
    # The marks after a name: TokenUI's service token, rotated and not yet revoked.
    marks = dict.fromkeys(service_tokens or (), _SERVICE_BADGE)
    for old, new in (successors or {}).items():
        url = escape(_finish_url(finish, old, new))
        marks[old] = marks.get(old, "") + _ROTATED.format(url=url, new=escape(new))
    shared = (escape(edit_query), links)
    written = "".join(_row(row, highlight, shared, marks.get(row.name, "")) for row in rows)
    return mark_safe(written)  # noqa: S308 - every value in it went through escape()


def _finish_url(around: tuple[str, str], old: str, new: str) -> str:
    return f"{quote(old, safe='').join(around)}?successor={quote(new, safe='')}"


def _row(row: TokenRow, highlight: str, shared: tuple[str, _Links], marks: str) -> str:
    edit_query, links = shared
    expires = _EXPIRES.format(_iso(row.expires_iso), escape(row.expires)) if row.expires else ""
    return _ROW.format(
        name=escape(row.name),
        select=_NO_SELECT if links.read_only else _SELECT.format(name=escape(row.name)),
        classes=_classes(row, highlight),
        badge=_BADGE if row.is_session_token else "",
        created_iso=_iso(row.created_iso),
        created=escape(row.created),
        expires=expires or "Never",
        notice=_NOTICE.format(escape(row.expiry_words)) if row.expiry_words else "",
        fourth=_IPS.format(_ips(row)) if links.ips else _ACCESS.format(escape(row.access)),
        flags=flags_html(row.flags),  # the markup every table shares (risk_flags.py)
        marks=marks,
        actions=_NO_ACTIONS if links.read_only else _actions(row, links, edit_query),
    )


def _actions(row: TokenRow, links: _Links, edit_query: str) -> str:
    name = quote(row.name, safe="")
    return _ACTIONS.format(
        name=escape(row.name),
        edit=links.edit,
        edit_url=escape(row.edit_url) + edit_query,
        revoke_url=escape(row.revoke_url),
        rotate_url=escape(name.join(links.rotate)),
        # "Generate a token like this": the form reads the token as the server has it now.
        like_url=escape(f"{links.like}?like={name}"),
    )


def _classes(row: TokenRow, highlight: str) -> str:
    names = [_CLASSES.get(row.expiry, "")]
    if row.name == highlight:
        names.append("row-highlight")
    joined = " ".join(filter(None, names))
    return f' class="{joined}"' if joined else ""


def _iso(moment: str) -> str:
    """The same instant, five characters shorter in UTC (`Z`), twice a row."""
    return escape(moment.removesuffix("+00:00") + "Z" if moment.endswith("+00:00") else moment)


def _ips(row: TokenRow) -> str:
    if not row.ips_shown:
        return "Any"
    shown = escape(", ".join(row.ips_shown))
    if not row.ips_folded:
        return shown
    return _FOLDED.format(shown, len(row.ips_folded), escape(", ".join(row.ips_folded)))
