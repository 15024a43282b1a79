"""What the staff header links to: Charts, Notices, All servers and Audit trail only for a
member who may open them (a role on at least one server), so no link leads to a 403."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from tokenui.staff.models import Role
from tokenui.staff.roles import access_for


@dataclass(frozen=True, slots=True)
class StaffNav:
    # Charts, Notices, All servers: a viewer's role on any server. The audit trail opens for
    # any member (their own entries), but a member with no role is shown no link but Staff.
    looks: bool


def staff_nav(request: HttpRequest) -> dict[str, object]:
    """A context processor: `staff_nav`, read only when the staff header asks it, from the
    roles the page's guard read (`request.access`) or, on a page without one, read now."""

    def read() -> StaffNav:
        access = getattr(request, "access", None) or access_for(request.user)
        return StaffNav(looks=access.anywhere(Role.VIEWER))

    return {"staff_nav": SimpleLazyObject(read)}
