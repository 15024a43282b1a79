"""The API Tokens table's rows, written out in Python: the one loop on the page that is hot.

Django's template language costs about 70 µs for one of these rows on this project's machines
(17 variables, 6 conditions, 2 filters), so 50 rows took more than the rest of the page and
most of what the dashboard adds to WHM's answer (bench/report.md). The same markup through one
`str.format` per row is about 20 times faster. Every value is escaped with `html.escape`, which
is what Django's own `escape` calls (without its lazy-string wrapper: a third of the time here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from urllib.parse import quote

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from tokenui.tokens.display import RowUrls, TokenRow
from tokenui.tokens.templatetags.risk_flags import flags_html

register = template.Library()

_ROW = (
    '<tr id="token-{name}" class="row-{expiry}{highlighted}">'
    '<td class="col-select"><input type="checkbox" name="name" value="{name}" '
    'aria-label="Select {name}"></td>'
    '<th scope="row" class="token-name">{name}{badge}{rotated}</th>'
    '<td><time datetime="{created_iso}">{created}</time></td>'
    "<td>{expires}{notice}</td>"
    '<td class="ips">{ips}</td>'
    '<td class="risk">{flags}</td>'
    '<td class="col-actions"><a href="{edit_url}" aria-label="Edit {name}">Edit</a> '
    '<a href="{rotate_url}" aria-label="Rotate {name}">Rotate</a> '
    '<a href="{like_url}" aria-label="Generate a token like this: {name}">'
    "Generate a token like this</a> "
    '<a href="{revoke_url}" hx-get="{revoke_url}" aria-label="Revoke {name}" '
    'class="danger-link">Revoke</a></td>'
    "</tr>"
)
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


@register.simple_tag
def token_rows(
    rows: Sequence[TokenRow],
    *,
    highlight: str,
    edit_query: str,
    notice_icon: str,
    successors: Mapping[str, str] | None = None,
    successor_url: str = "",
) -> SafeString:
    """Each row: select box, name (and this session's badge, and the rotated mark), created,
    expires (and a notice in words), allowed IPs (the first few, the rest folded), risk flags,
    Edit, Rotate, Generate a token like this, and Revoke. `successors` maps a rotated token to
    its successor, whose row `successor_url` + `?highlight=`/`&highlight=` NAME shows."""
    icon = escape(notice_icon)
    rotate = reverse("tokens:rotate", args=[RowUrls.PLACEHOLDER]).rpartition(RowUrls.PLACEHOLDER)
    like = escape(reverse("tokens:generate")) + "?like="
    rotated = {
        old: _ROTATED.format(url=escape(_with_highlight(successor_url, new)), new=escape(new))
        for old, new in (successors or {}).items()
    }
    written = "".join(
        _row(
            row,
            highlight,
            escape(edit_query),
            icon,
            (rotate, like),
            rotated.get(row.name, ""),
        )
        for row in rows
    )
    return mark_safe(written)  # noqa: S308 - every value in it went through escape()


def _with_highlight(url: str, name: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}highlight={quote(name, safe='')}"


def _row(
    row: TokenRow,
    highlight: str,
    edit_query: str,
    icon: str,
    actions: tuple[tuple[str, str, str], str],
    rotated: str,
) -> str:
    rotate, like = actions
    expires = _EXPIRES.format(escape(row.expires_iso), escape(row.expires)) if row.expires else ""
    return _ROW.format(
        name=escape(row.name),
        expiry=escape(row.expiry),
        highlighted=" row-highlight" if row.name == highlight else "",
        badge=_BADGE if row.is_session_token else "",
        created_iso=escape(row.created_iso),
        created=escape(row.created),
        expires=expires or "Never",
        notice=_NOTICE.format(icon, escape(row.expiry_words)) if row.expiry_words else "",
        ips=_ips(row),
        flags=flags_html(row.flags),  # the markup every table shares (risk_flags.py)
        edit_url=escape(row.edit_url) + edit_query,
        revoke_url=escape(row.revoke_url),
        rotate_url=escape(quote(row.name, safe="").join(rotate[::2])),
        rotated=rotated,
        # "Generate a token like this": the form reads the token's privileges from WHM.
        like_url=like + escape(quote(row.name, safe="")),
    )


def _ips(row: TokenRow) -> str:
    if not row.ips_shown:
        return "Any"
    shown = escape(", ".join(row.ips_shown))
    if not row.ips_folded:
        return shown
    return _FOLDED.format(shown, len(row.ips_folded), escape(", ".join(row.ips_folded)))
