"""Reading one connected server's tokens from WHM with its service token: the service user's own
(`api_token_list`), each reseller's inside a session WHM makes for it (`create_user_session`),
and each cPanel account's (`uapi_cpanel`, in its reseller's session when a reseller owns it), a
few calls at a time. No database here: the task stores what comes back."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from tokenui import risk
from tokenui.inventory.models import OwnerKind
from tokenui.servers.models import ConnectedServer
from tokenui.whm.api import WhmClient
from tokenui.whm.errors import WhmError
from tokenui.whm.types import Account, ApiToken, CpanelToken, TokenSummary
from tokenui.whm.uapi import CpanelClient

FULL_ACCESS = "All (full access)"
NAMED_PRIVILEGES = 3  # a summary names this many, then counts the rest


@dataclass(frozen=True, slots=True)
class Seen:
    """One token as a read found it."""

    owner_kind: str
    owner: str
    name: str
    created: datetime
    expires: datetime | None
    ips: tuple[str, ...]
    privileges: str
    flags: tuple[str, ...]
    account_owner: str = ""  # a cPanel account's owner (its page is under a reseller's)


@dataclass(slots=True)
class ServerTokens:
    """What one read found: the tokens, and the owners it could not read, with WHM's words."""

    tokens: list[Seen] = field(default_factory=list)
    problems: dict[tuple[str, str], str] = field(default_factory=dict)


def read_server(
    server: ConnectedServer, *, concurrency: int, progress: Callable[[], None]
) -> ServerTokens:
    """Every token `server`'s service token can reach. ServerError when the server cannot be
    read at all; an owner that cannot be read is a problem, the others are still read.
    `progress()` is called (in this thread) as each call to WHM returns."""
    client = server.client()
    try:
        own = client.list_tokens()
        accounts = client.list_accounts()
    except WhmError as exc:
        raise server.failure(exc, "reading its tokens") from exc
    found = ServerTokens()
    found.tokens += [whm_seen(OwnerKind.WHM, server.username, token) for token in own]
    progress()
    with ThreadPoolExecutor(concurrency, thread_name_prefix="inventory") as pool:
        clients = _resellers(server, client, accounts, pool, found, progress)
        _accounts(server, clients, accounts, pool, found, progress)
    return found


def _resellers(
    server: ConnectedServer,
    client: WhmClient,
    accounts: list[Account],
    pool: ThreadPoolExecutor,
    found: ServerTokens,
    progress: Callable[[], None],
) -> dict[str, WhmClient]:
    """Each reseller's own tokens, in its session; the client of each owner whose accounts can
    be read (the service user's own, and each reseller's session)."""
    clients = {server.username: client}
    resellers = server.resellers(accounts)

    def read(reseller: str) -> tuple[WhmClient, list[ApiToken]]:
        session = client.acting_as(reseller)
        return session, session.list_tokens()

    for reseller, outcome in each(pool, resellers, read, progress):
        if isinstance(outcome, WhmError):
            words = server.failure(outcome, f"reading {reseller}'s tokens").message
            found.problems[(OwnerKind.RESELLER, reseller)] = words
            continue
        clients[reseller], tokens = outcome
        found.tokens += [whm_seen(OwnerKind.RESELLER, reseller, token) for token in tokens]
    return clients


def _accounts(
    server: ConnectedServer,
    clients: dict[str, WhmClient],
    accounts: list[Account],
    pool: ThreadPoolExecutor,
    found: ServerTokens,
    progress: Callable[[], None],
) -> None:
    """Each cPanel account's tokens, through its owner's client; an account whose owner's
    session could not be made is a problem with its owner's words."""
    reachable = [account for account in accounts if account.owner in clients]
    for account in accounts:
        if account.owner not in clients:
            words = found.problems[(OwnerKind.RESELLER, account.owner)]
            found.problems[(OwnerKind.CPANEL, account.user)] = words

    def read(account: Account) -> list[CpanelToken]:
        return CpanelClient.through(clients[account.owner], account.user).list_tokens()

    for account, outcome in each(pool, reachable, read, progress):
        if isinstance(outcome, WhmError):
            words = server.failure(outcome, f"reading {account.user}'s cPanel tokens").message
            found.problems[(OwnerKind.CPANEL, account.user)] = words
        else:
            found.tokens += [cpanel_seen(account, token) for token in outcome]


def each[I, T](
    pool: ThreadPoolExecutor,
    items: Iterable[I],
    call: Callable[[I], T],
    progress: Callable[[], None],
) -> list[tuple[I, T | WhmError]]:
    """`call(item)` for each item on the pool's threads: each item with its value, or the
    WhmError it raised. `progress()` runs in this thread as each one returns."""
    futures: dict[Future[T], I] = {pool.submit(call, item): item for item in items}
    done = []
    for future in as_completed(futures):
        progress()
        try:
            done.append((futures[future], future.result()))
        except WhmError as exc:
            done.append((futures[future], exc))
    return done


def whm_seen(kind: str, owner: str, token: ApiToken) -> Seen:
    summary = TokenSummary.of(token)
    flags = risk.flags(token, now=timezone.now())
    return Seen(
        kind,
        owner,
        token.name,
        token.created,
        token.expires,
        token.whitelist_ips,
        _whm_privileges(token, summary),
        tuple(flag.key for flag in flags),
    )


def cpanel_seen(account: Account, token: CpanelToken) -> Seen:
    flags = risk.flags(token, now=timezone.now())
    return Seen(
        OwnerKind.CPANEL,
        account.user,
        token.name,
        token.created,
        token.expires,
        (),
        _cpanel_privileges(token),
        tuple(flag.key for flag in flags),
        account.owner,
    )


def _whm_privileges(token: ApiToken, summary: TokenSummary) -> str:
    """The token's privileges in a few words: all, or the first few by name and a count."""
    if summary.full_access:
        return FULL_ACCESS
    acls = sorted(token.acls)
    words = ", ".join(acls[:NAMED_PRIVILEGES])
    if len(acls) > NAMED_PRIVILEGES:
        words += f" and {len(acls) - NAMED_PRIVILEGES} more"
    return words + ("; some bypass its limits" if summary.bypass else "")


def _cpanel_privileges(token: CpanelToken) -> str:
    if token.read_only:
        return "Read only"
    if token.full_access:
        return FULL_ACCESS
    return "Features: " + (", ".join(token.features[:NAMED_PRIVILEGES]) or "none")
