"""Risk flags as every table shows them (single server, cPanel, All servers) and the form too:
one small markup, written here only.

A flag is its icon (drawn by CSS, `.flag::before`) and its short words, never colour alone: the
words are read where they stand, with the column's header. A flag takes no focus (one stop per
flag made 94 Tab presses across a 50-row table, issue 17 item 14); its explanation is the
legend's entry (templates/tokens/risk_legend.html, once a page, its `dd` id `risk-KEY`), which
one shared tooltip (static/js/tokenui.js) shows on hovering a flag and while focus is in its
row, finding the entry by the flag's words. The explanation is never repeated in a row: written
into each flag, it made a 50-row page 80% heavier.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from tokenui.risk import Flag

register = template.Library()

_FLAG = '<span class="flag">{words}</span>'


@functools.cache
def flag_html(flag: Flag) -> str:
    """One flag's markup (six flags: each written once per process, not once per row)."""
    return _FLAG.format(words=escape(flag.words))


def flags_html(flags: Iterable[Flag]) -> str:
    """A token's flags, side by side."""
    return " ".join(map(flag_html, flags))


@register.filter
def as_flags(flags: Iterable[Flag]) -> SafeString:
    """`{{ row.flags|as_flags }}`: the flags' markup ("" for none)."""
    return mark_safe(flags_html(flags))  # noqa: S308 - only escaped words and keys
