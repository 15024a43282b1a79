"""The Notices page (the rules, and the form that adds one) and the delivery log. Any staff
member holding a role sees both; only an admin on every server adds or removes a rule, since a
rule may send any server's token names to an address outside TokenUI."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tokenui.notices.digest import unreachable
from tokenui.notices.forms import RuleForm
from tokenui.notices.models import Delivery, NoticeRule
from tokenui.notices.rules import RuleError, add_rule, days_words, remove_rule
from tokenui.servers.models import ConnectedServer
from tokenui.staff.access import REFUSED, StaffRequest, staff_only
from tokenui.staff.models import Role, staff_of

LOG_PAGE_SIZE = 50


@require_http_methods(["GET", "POST"])
@staff_only(Role.VIEWER, anywhere=True)
def index(request: StaffRequest) -> HttpResponse:
    """The rules, and (for admins) the form that adds one: 422 with the input kept and the
    message on its field when it cannot be made."""
    can_change = request.access.allows(Role.ADMIN)
    if request.method == "POST" and not can_change:
        raise PermissionDenied(REFUSED)
    names = list(ConnectedServer.objects.values_list("name", flat=True))
    form = RuleForm(request.POST or None, servers=names)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                rule = add_rule(form.spec(), staff_of(request.user), request)
            except RuleError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, f"Added a notice rule: {rule.to}.")
                return redirect("notices:index")
    context = {"form": form, "rules": shown_rules(), "can_change": can_change}
    context["notice_time"] = f"{settings.NOTICE_HOUR:02d}:00 ({settings.WHM_TIME_ZONE})"
    return render(request, "notices/index.html", context, status=status)


def shown_rules() -> list[dict[str, object]]:
    rules = NoticeRule.objects.select_related("user", "group")
    rules = rules.prefetch_related("servers", "group__user_set")
    return [
        {
            "rule": rule,
            "unreachable": unreachable(rule),
            "servers": ", ".join(server.name for server in rule.servers.all()) or "All servers",
            "owners": ", ".join(rule.owners) or "All owners",
            "days": days_words(rule.days),
        }
        for rule in rules
    ]


@require_POST
@staff_only(Role.ADMIN)
def remove(request: StaffRequest, rule_id: int) -> HttpResponse:
    """Remove one rule (nothing in WHM changes; it can be added again)."""
    try:
        removed = remove_rule(rule_id, staff_of(request.user), request)
    except RuleError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Removed the notice rule {removed.to}.")
    return redirect("notices:index")


@require_GET
@staff_only(Role.VIEWER, anywhere=True)
def log(request: StaffRequest) -> HttpResponse:
    """Every delivery, newest first: sent, pending (its next try) or failed (why)."""
    deliveries = Delivery.objects.only(
        "channel", "to", "event", "subject", "count", "status", "created", "attempts",
        "next_attempt", "finished", "error",
    )  # fmt: skip
    page = Paginator(deliveries, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notices/log.html", {"page": page})
