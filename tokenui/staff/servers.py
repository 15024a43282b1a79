"""The Servers pages (admins): the list, Connect a server, a server's page with Test connection
and Disconnect. Each calls tokenui/servers' lifecycle, as `manage.py connect_server` and
`disconnect_server` do, and is audited under the staff member's name."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tokenui.http import status_for
from tokenui.inventory import tasks as inventory
from tokenui.servers.lifecycle import connect_server
from tokenui.servers.listing import expiry, rotation_problem, self_rotation
from tokenui.servers.models import ConnectedServer
from tokenui.servers.remote import ServerError
from tokenui.staff.access import StaffRequest, staff_only
from tokenui.staff.forms import ConnectForm
from tokenui.staff.models import Role, staff_of
from tokenui.whm.errors import WhmAuthError, WhmError, WhmTimeout, WhmTLSError, WhmUnreachable


@require_GET
@staff_only(Role.ADMIN, anywhere=True)
def index(request: StaffRequest) -> HttpResponse:
    """The servers this member is admin of, each with its flags."""
    listed = [s for s in ConnectedServer.objects.all() if request.access.allows(Role.ADMIN, s)]
    context = {"servers": listed, "can_connect": request.access.allows(Role.ADMIN)}
    return render(request, "staff/servers.html", context)


@sensitive_post_parameters("password", "api_token")
@never_cache
@require_http_methods(["GET", "POST"])
@staff_only(Role.ADMIN)
def connect(request: StaffRequest) -> HttpResponse:
    """Connect a server: TokenUI makes its own token with what the admin typed, keeps only it."""
    form = ConnectForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                done = connect_server(form.connection(staff_of(request.user)))
            except ServerError as exc:
                form.add_error(_field_of(exc, form), _message_of(exc, form))
                status = _status_of(exc)
            else:
                inventory.request(done.server.pk)  # All servers shows its tokens in moments
                messages.success(
                    request,
                    f"Connected {done.server.name}. Its API tokens are being read: All servers "
                    "shows them once a worker has read them.",
                )
                for note in done.notes:
                    messages.warning(request, note)
                return redirect("staff:server", server=done.server.name)
    return render(request, "staff/connect.html", {"form": form}, status=status)


def _field_of(error: ServerError, form: ConnectForm) -> str | None:
    """The field a refusal is about, from the WHM failure behind it: the secret WHM refused,
    the URL it could not be reached at, the CA its certificate was not verified with."""
    cause = error.__cause__
    if isinstance(cause, WhmAuthError):
        return form.secret_field
    if isinstance(cause, WhmTLSError):
        return "ca_bundle"
    if isinstance(cause, WhmUnreachable | WhmTimeout):
        return "url"
    return None


def _message_of(error: ServerError, form: ConnectForm) -> str:
    """The refusal in the page's words: a certificate not verified names the page's choices,
    where the shell's message names its options."""
    if isinstance(error.__cause__, WhmTLSError):
        return (
            f"WHM at {form.cleaned_data['url']}: its TLS certificate could not be verified. "
            "Give the CA bundle of the authority that signed it or, only for a server you trust "
            "on a network you control, choose “Do not verify WHM's TLS certificate”. Nothing "
            "was stored."
        )
    return error.message


def _status_of(error: ServerError) -> int:
    """422 for what the admin typed (WHM refused it, or TokenUI did), else WHM's failure."""
    cause = error.__cause__
    if isinstance(cause, WhmError) and not isinstance(cause, WhmAuthError):
        return status_for(cause, on_form=True)
    return 422


@require_GET
@staff_only(Role.ADMIN, per_server=True)
def server(request: StaffRequest) -> HttpResponse:
    """A server's token (privileges, IPs, expiry), its flags, Test connection and Disconnect."""
    server = request.server
    context = {
        "server": server,
        "expires": expiry(server),
        "rotation": self_rotation(server),
        "rotation_problem": rotation_problem(server),
    }
    return render(request, "staff/server.html", context)


@require_POST
@staff_only(Role.ADMIN, per_server=True)
def test(request: StaffRequest) -> HttpResponse:
    """Sign in with the service token and say whether WHM still accepts it."""
    try:
        request.server.test_connection()
    except ServerError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"WHM accepted TokenUI's token for {request.server.name}.")
    return redirect("staff:server", server=request.server.name)


@require_GET
@staff_only(Role.ADMIN, per_server=True)
def confirm_disconnect(request: StaffRequest) -> HttpResponse:
    return render(request, "staff/confirm_disconnect.html", {"server": request.server})


@require_POST
@staff_only(Role.ADMIN, per_server=True)
def disconnect(request: StaffRequest) -> HttpResponse:
    """Revoke TokenUI's token in WHM and forget the server; if WHM cannot, nothing changes."""
    name = request.server.name
    try:
        request.server.disconnect(staff=staff_of(request.user))
    except ServerError as exc:
        messages.error(request, exc.message)
        return redirect("staff:server", server=name)
    messages.success(request, f"Disconnected {name}: TokenUI's token there was revoked.")
    return redirect("staff:servers")
