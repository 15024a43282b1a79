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

from tokenui.kernel.display import RowUrls, TokenRow, split_around
from tokenui.systems import TokenSystem
from tokenui.tokens.templatetags.risk_flags import flags_html

register = template.Library()

_ROW = (
    '<tr id="token-{name}" class="row-{expiry}{highlighted}">'
    "{select}"
    '<th scope="row" class="token-name">{name}{badge}{rotated}</th>'
    '<td data-label="Created"><time datetime="{created_iso}">{created}</time></td>'
    '<td data-label="Expires">{expires}{notice}</td>'
    "{fourth}"
    '<td data-label="Risk" class="risk">{flags}</td>'
    "{actions}</tr>"
)
_ACTIONS = (
    '<td class="col-actions"><a href="{edit_url}" aria-label="{edit} {name}">{edit}</a> '
    '<a href="{rotate_url}" aria-label="Rotate {name}">Rotate</a> '
    '<a href="{like_url}" aria-label="Generate a token like this: {name}">'
    "Generate a token like this</a> "
    '<a href="{revoke_url}" hx-get="{revoke_url}" aria-label="Revoke {name}" '
    'class="danger-link">Revoke</a></td>'
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
_ACCESS = '<td data-label="Access">{}</td>'
_BADGE = ' <span class="badge">this session\'s token</span>'
# Until the old token of a rotation is revoked: a link to its successor's row, highlighted.
_ROTATED = (
    ' <a class="badge badge-rotated" href="{url}#token-{new}">rotated, not yet revoked'
    '<span class="visually-hidden">: its successor is</span>'
    ' <span aria-hidden="true">→</span> {new}</a>'
)
_EXPIRES = '<time datetime="{}">{}</time>'
_FOLDED = '{} <details class="more-ips"><summary>and {} more</summary>{}</details>'
_NOTICE = (
    ' <span class="notice"><svg class="icon" aria-hidden="true" viewBox="0 0 24 24">'
    '<use href="{}"></use></svg> {}</span>'
)


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
    notice_icon: str,
    system: TokenSystem | None = None,
    successors: Mapping[str, str] | None = None,
    successor_url: str = "",
) -> SafeString:
    """Each row: select box, name (and this session's badge, and the rotated mark), created,
    expires (and a notice in words), allowed IPs (the first few, the rest folded) or access,
    risk flags, Edit (Manage), Rotate, Generate a token like this, and Revoke. `successors` maps
    a rotated token to its successor, whose row `successor_url` + `?highlight=` NAME shows."""
    links = _Links.of(system)
    rotated = {
        old: _ROTATED.format(url=escape(_with_highlight(successor_url, new)), new=escape(new))
        for old, new in (successors or {}).items()
    }
    shared = (escape(edit_query), escape(notice_icon), links)
    written = "".join(_row(row, highlight, shared, rotated.get(row.name, "")) for row in rows)
    return mark_safe(written)  # noqa: S308 - every value in it went through escape()


def _with_highlight(url: str, name: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}highlight={quote(name, safe='')}"


def _row(row: TokenRow, highlight: str, shared: tuple[str, str, _Links], rotated: str) -> str:
    edit_query, icon, links = shared
    expires = _EXPIRES.format(escape(row.expires_iso), escape(row.expires)) if row.expires else ""
    return _ROW.format(
        name=escape(row.name),
        select=_NO_SELECT if links.read_only else _SELECT.format(name=escape(row.name)),
        expiry=escape(row.expiry),
        highlighted=" row-highlight" if row.name == highlight else "",
        badge=_BADGE if row.is_session_token else "",
        created_iso=escape(row.created_iso),
        created=escape(row.created),
        expires=expires or "Never",
        notice=_NOTICE.format(icon, escape(row.expiry_words)) if row.expiry_words else "",
        fourth=_IPS.format(_ips(row)) if links.ips else _ACCESS.format(escape(row.access)),
        flags=flags_html(row.flags),  # the markup every table shares (risk_flags.py)
        rotated=rotated,
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


def _ips(row: TokenRow) -> str:
    if not row.ips_shown:
        return "Any"
    shown = escape(", ".join(row.ips_shown))
    if not row.ips_folded:
        return shown
    return _FOLDED.format(shown, len(row.ips_folded), escape(", ".join(row.ips_folded)))
