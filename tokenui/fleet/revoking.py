"""Revoke Expired across the connected servers, for staff: one background run per server
(`RevokeRun`), acting with the server's service token on each owner's tokens (the service user's
own, a reseller's in its session, a cPanel account's through `uapi_cpanel`). Each owner's tokens
are read again first and only those still expired are revoked (a token renewed since the
question is left alone); each owner's revoke is audited under the staff member who asked. A
run leaves *queued* once: a task that runs twice never revokes twice, and nothing is retried.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from functools import partial

from django.http import HttpRequest

from tokenui.audit import trail
from tokenui.audit.models import Action, Outcome
from tokenui.fleet.cleanup import NOTHING_EXPIRED, expired_names
from tokenui.inventory.models import InventoryToken, OwnerKind, RevokeRun, RevokeState
from tokenui.servers.models import ConnectedServer
from tokenui.servers.remote import ServerError
from tokenui.whm.api import WhmClient
from tokenui.whm.errors import WhmError
from tokenui.whm.uapi import CpanelClient

ALREADY = "This server's part was already under way or done; it is not run twice."
NOT_TRIED = "Not tried: revoking an earlier one failed first ({})."
# One revoke call: the names it revokes, and the call.
type RevokeCall = tuple[tuple[str, ...], Callable[[], object]]


class Owners:
    """The server's clients, made as needed: the service user's, each reseller's session, and
    each cPanel account's owner (read once from `listaccts`)."""

    def __init__(self, server: ConnectedServer) -> None:
        self.server = server
        self.clients: dict[str, WhmClient] = {}
        self.account_owners: dict[str, str] | None = None

    def whm(self, user: str) -> WhmClient:
        if user not in self.clients:
            root = self.clients.get(self.server.username) or self.server.client()
            self.clients[self.server.username] = root
            self.clients[user] = root if user == self.server.username else root.acting_as(user)
        return self.clients[user]

    def owner_of(self, account: str) -> str:
        if self.account_owners is None:
            listed = self.whm(self.server.username).list_accounts()
            self.account_owners = {a.user: a.owner for a in listed}
        return self.account_owners.get(account, self.server.username)


def carry_out(run_id: int) -> str:
    """Run one server's part, once; what came of it, in words (also kept on the run)."""
    if not RevokeRun.objects.filter(pk=run_id, state=RevokeState.QUEUED).update(
        state=RevokeState.STARTED
    ):
        return ALREADY
    run = RevokeRun.objects.select_related("server").get(pk=run_id)
    confirmed = InventoryToken.objects.filter(pk__in=run.tokens, server=run.server)
    by_owner: dict[tuple[str, str], list[str]] = defaultdict(list)
    for token in confirmed.filter(gone__isnull=True):
        by_owner[(token.owner_kind, token.owner)].append(token.name)
    owners = Owners(run.server)
    problems: list[str] = []
    for (kind, owner), names in sorted(by_owner.items()):
        try:
            _revoke(run, owners, kind, owner, names)
        except (WhmError, ServerError) as exc:
            problems.append(f"{owner}: {_words(run.server, exc)}")
    run.ok = not problems
    run.message = " ".join(problems) or ("" if run.revoked else NOTHING_EXPIRED)
    run.state = RevokeState.DONE
    run.save(update_fields=["revoked", "ok", "message", "state"])
    return run.message or f"{len(run.revoked)} revoked"


def _words(server: ConnectedServer, exc: WhmError | ServerError) -> str:
    if isinstance(exc, WhmError):
        return server.failure(exc, "revoking its expired API tokens").message
    return exc.message


def _revoke(run: RevokeRun, owners: Owners, kind: str, owner: str, names: Sequence[str]) -> None:
    """Revoke, of one owner's confirmed names, those a fresh read still lists as expired: WHM's
    in one call, a cPanel account's one call per name (UAPI revokes one)."""
    if kind == OwnerKind.CPANEL:
        acting = owners.owner_of(owner)
        client = CpanelClient.through(owners.whm(acting), owner)
        still = [n for n in expired_names(client.list_tokens()) if n in names]
        calls = [((name,), partial(client.revoke_token, name)) for name in still]
        actor, account = _actor(run, acting), owner
    else:
        whm = owners.whm(owner)
        still = [n for n in expired_names(whm.list_tokens()) if n in names]
        calls = [(tuple(still), partial(whm.revoke_tokens, still))] if still else []
        actor, account = _actor(run, owner), ""
    _call_each(run, actor, account, calls)


def _call_each(
    run: RevokeRun, actor: trail.Actor, account: str, calls: Sequence[RevokeCall]
) -> None:
    """Make the revoke calls in turn, each name revoked added to the run as it goes. The trail
    says what happened to each name: those revoked as revoked; at the first failure, its names
    with WHM's words, and those not tried after it as failed (nothing is retried); then the
    failure is raised."""
    done: list[str] = []
    for index, (names, call) in enumerate(calls):
        try:
            call()
        except WhmError as exc:
            if done:
                _record(actor, account, done, Outcome.SUCCEEDED, "")
            _record(actor, account, names, trail.outcome_of(exc, changes_state=True), exc.message)
            if untried := [name for later, _ in calls[index + 1 :] for name in later]:
                _record(actor, account, untried, Outcome.FAILED, NOT_TRIED.format(exc.message))
            raise
        done += names
        run.revoked.extend(names)
    if done:
        _record(actor, account, done, Outcome.SUCCEEDED, "")


def _actor(run: RevokeRun, user: str) -> trail.Actor:
    staff = trail.Staff(run.staff, run.staff_subject)
    return trail.Actor(run.server.name, user, "token", run.server.token_name, staff=staff)


def _record(
    actor: trail.Actor, account: str, names: Sequence[str], outcome: Outcome, reason: str
) -> None:
    # No request: a background task has no client address.
    trail.record(
        HttpRequest(),
        Action.REVOKE_EXPIRED,
        outcome=outcome,
        token_names=names,
        reason=reason,
        actor=actor,
        account=account,
    )
