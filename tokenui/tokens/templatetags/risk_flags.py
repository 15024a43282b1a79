"""Risk flags as every table shows them (single server, cPanel, All servers) and the form too:
one small markup, written here only.

A flag is its icon (drawn by CSS, `.flag::before`) and its short words, never colour alone. It
takes focus, and its explanation is the legend's entry (templates/tokens/risk_legend.html, once
a page): screen readers read it on focus through aria-describedby, and one shared tooltip
(static/js/tokenui.js) shows that same entry beside the flag on hover and focus. The explanation
is never repeated in a row: written into each flag, it made a 50-row page 80% heavier.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from tokenui.risk import Flag

register = template.Library()

_FLAG = '<span class="flag" tabindex="0" aria-describedby="risk-{key}">{words}</span>'


@functools.cache
def flag_html(flag: Flag) -> str:
    """One flag's markup (six flags: each written once per process, not once per row)."""
    return _FLAG.format(key=escape(flag.key), words=escape(flag.words))


def flags_html(flags: Iterable[Flag]) -> str:
    """A token's flags, side by side."""
    return " ".join(map(flag_html, flags))


@register.filter
def as_flags(flags: Iterable[Flag]) -> SafeString:
    """`{{ row.flags|as_flags }}`: the flags' markup ("" for none)."""
    return mark_safe(flags_html(flags))  # noqa: S308 - only escaped words and keys
