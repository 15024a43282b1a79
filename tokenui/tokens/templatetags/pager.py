"""The numbered pager's pages: the token tables' and All servers' (templates/tables/pager.html)."""

from __future__ import annotations

from django import template
from django.core.paginator import Page

from tokenui.tables import page_numbers

register = template.Library()


@register.filter
def pager_pages(page: Page) -> list[int | None]:
    """`{% for number in page|pager_pages %}`: a page number, or None for an elided run."""
    return page_numbers(page)
