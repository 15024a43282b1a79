"""The staff pages: where a staff member lands after signing in."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tokenui.staff.access import StaffRequest, staff_page


@require_GET
@staff_page
def home(request: StaffRequest) -> HttpResponse:
    """Who the staff member is and which groups they are in."""
    groups = sorted(request.user.groups.values_list("name", flat=True))
    return render(request, "staff/home.html", {"groups": groups})
