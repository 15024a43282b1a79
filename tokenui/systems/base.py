"""The interface every token system implements: what it can do, its words, and its tokens."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Literal, Protocol

from django.dispatch import Signal
from django.urls import reverse

from tokenui import risk
from tokenui.kernel.kept import KeptList
from tokenui.risk import Flag
from tokenui.tables import TableSpec
from tokenui.whm.errors import WhmAuthError
from tokenui.whm.types import WhmSession

# Sent after every change (or attempt) a system makes: `system` is the TokenSystem.
tokens_changed = Signal()


class Token(Protocol):
    """What every system's token offers the pages (WHM's lists carry more, cPanel's other)."""

    name: str

    @property
    def created(self) -> datetime: ...

    @property
    def expires(self) -> datetime | None: ...


class Created(Protocol):
    """A token just made, with the secret the server shows once (never kept by TokenUI)."""

    token: Any
    secret: str


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a system's tokens can be and what its pages offer."""

    privileges: bool  # WHM: an ACL list per token; cPanel: none (full access or read-only)
    ip_allowlist: bool  # WHM only
    edit: Literal["update", "rename"]  # WHM's Edit changes everything; cPanel's Manage renames
    revoke_expired: bool  # WHM's table has Revoke Expired
    export: bool  # Export CSV / Export JSON
    saved_then_create: bool  # cPanel: *Create another token after I click Yes, I saved my token*


@dataclass(frozen=True, slots=True)
class Words:
    """The labels users know from the system's own pages, used verbatim (shared/seeds)."""

    server: str  # who answers: "WHM" or "cPanel"
    title: str  # the page's heading and the table's name
    create: str  # the button that makes a token
    create_title: str  # the heading of the page that makes one
    created: str  # the heading of the page that shows its secret
    edit: str  # the row's link to change a token
    revoke_one: str  # the button that confirms revoking one token
    revoke_many: str  # … several
    revoke_all_question: str
    used_by: str  # "any script or account using the API token" (WHM) / "… application" (cPanel)
    empty: str  # the empty table's sentence, before "Select <Create> …"
    empty_action: str  # … and after it
    saved: str  # the button under a secret
    edited: str  # after an Edit: "The API token “{new}” has been updated." ({old}, {new})
    rotate_name: str  # the label of a rotation's new name
    curl_call: str = ""  # the UAPI function the curl example calls, where it names one


@dataclass(frozen=True, slots=True)
class Pages:
    """Where a system's pages live: its key in the URL map, the URL namespace, the URL words of
    its Create and Edit pages, and their templates."""

    key: str  # "whm", "cpanel": what the URL map passes the binding
    namespace: str
    create_path: str  # WHM's "new", cPanel's "create"
    edit_path: str  # WHM's "edit", cPanel's "manage"
    form_template: str  # Create (and WHM's Edit: the same form)
    edit_template: str


class PartialRevoke(Exception):
    """A revoke that stopped part-way (cPanel revokes one name a call): `done` are gone."""

    def __init__(self, done: Sequence[str], cause: Exception) -> None:
        super().__init__(f"{len(done)} revoked before a failure")
        self.done = list(done)
        self.cause = cause


@dataclass(frozen=True, slots=True)
class Example:
    """How to use a new secret: the HTTP header and a curl command (shown once, never kept)."""

    header: str
    curl: str


class TokenSystem(ABC):
    """One way to reach a set of API tokens. The pages (tokenui/tokens) are written once against
    this; a system is built per request by the binding, from the signed-in session.

    `session_key` names the browser session (for the kept list; None: nothing is kept)."""

    caps: ClassVar[Capabilities]
    words: ClassVar[Words]
    pages: ClassVar[Pages]
    table: ClassVar[TableSpec]
    _kept: ClassVar[KeptList]

    @property
    def risk_flags(self) -> tuple[Flag, ...]:
        """The flags its tokens can carry, for the legend: cPanel's have no privileges or IPs."""
        return risk.ALL_FLAGS if self.caps.privileges else risk.CPANEL_FLAGS

    def __init__(self, session: WhmSession, session_key: str | None, account: str = "") -> None:
        self.session = session
        self.session_key = session_key
        self.account = account

    # --- who and where -----------------------------------------------------------------------
    @property
    def server(self) -> str:
        return self.session.server

    @property
    def owner(self) -> str:
        """Whose tokens: the WHM user, or the cPanel account."""
        return self.account or self.session.user

    @property
    def session_token(self) -> str | None:
        """The token this session signed in with, when it is one of these tokens."""
        return self.session.token_name

    @property
    def via_whm(self) -> bool:
        return False

    @property
    def read_only(self) -> bool:
        """Whoever asks may only look (a staff viewer): the pages offer no change."""
        return False

    def refused_service(self, exc: WhmAuthError) -> str:
        """When WHM refuses a call made with a connected server's service token (or inside a
        session it asked for): what to say (no session of the user's ends). "" for a system
        acting with the signed-in user's own credential."""
        return ""

    @property
    def title_suffix(self) -> str:
        """After a page's title: whose tokens, when they are not the signed-in user's."""
        return f" · {self.account}" if self.account else ""

    @property
    def caption_suffix(self) -> str:
        return f" of {self.account}" if self.account else ""

    @property
    def table_class(self) -> str:
        return ""

    def service_tokens(self, tokens: Sequence[Any]) -> dict[str, str]:
        """Which of `tokens` is TokenUI's own service token for a connected server (its name →
        the server's name): revoking one stops staff access to that server. None here: only a
        WHM user's tokens can hold one."""
        return {}

    def access_words(self, token: Any) -> str:
        """What the table's Access column says of a token (systems without one: nothing)."""
        return ""

    def url_kwargs(self) -> dict[str, str]:
        return {}

    def url(self, view: str, name: str | None = None) -> str:
        """A URL of this system's pages (the namespace and the account in one place)."""
        kwargs = self.url_kwargs()
        if name is not None:
            kwargs["name"] = name
        return reverse(f"{self.pages.namespace}:{view}", kwargs=kwargs)

    # --- reads -------------------------------------------------------------------------------
    def tokens(self, *, fresh: bool) -> list[Any]:
        """The tokens as the table shows them: read now when `fresh` (and kept for the table's
        partials), else the list kept within KEPT_SECONDS, or the server's when none is."""
        scope = self._scope()
        if not fresh and (kept := self._kept.get(self.session_key, scope)) is not None:
            return kept
        listed = self._list()
        self._kept.keep(self.session_key, scope, listed)
        return listed

    def details(self) -> list[Any]:
        """The tokens as they are now, with all a form or a rotation needs."""
        return self.tokens(fresh=True)

    def summaries(self, tokens: Sequence[Any]) -> list[Any]:
        """`details()` as the table lists them (the same, where the system has one kind)."""
        return list(tokens)

    def forget(self) -> None:
        """After a change (or an attempt whose outcome is unknown): every kept read is stale."""
        self._kept.forget(self.session_key, self._scope())
        # Whoever keeps a read of these tokens elsewhere (the fleet) drops it too.
        tokens_changed.send(type(self), system=self)

    def _scope(self) -> str:
        return f"{self.server}\0{self.session.user}\0{self.account}"

    @abstractmethod
    def _list(self) -> list[Any]: ...

    # --- changes -----------------------------------------------------------------------------
    @abstractmethod
    def create(self, name: str, expires: datetime | None, **extra: Any) -> Created: ...

    @abstractmethod
    def revoke(self, names: Sequence[str]) -> None:
        """Revoke every name; raises PartialRevoke when some were revoked before a failure."""

    @abstractmethod
    def twin_args(self, old: Any) -> dict[str, Any]:
        """What a rotation's successor copies from `old` (its privileges and IPs on WHM)."""

    def rotation_refusal(self, old: Any) -> str:
        """Why `old` cannot be rotated here, or "" when it can."""
        return ""

    @abstractmethod
    def example(self, created: Created) -> Example: ...

    def unavailable(self, exc: Exception) -> str:
        """Why these tokens cannot be had at all, when `exc` says so (else ""): nothing on
        their pages can then work, and the pages offer nothing."""
        return ""

    #: The privilege WHM must grant for these tokens: (key, WHM's label).
    privilege: ClassVar[tuple[str, str]] = ("manage-api-tokens", "Manage API Tokens")

    def refused_words(self) -> str:
        """What to say when WHM refuses these pages a privilege (not the credential)."""
        key, label = self.privilege
        return (
            f"WHM refused this: your WHM user does not hold the “{label}” privilege ({key}) "
            f"that these API tokens need. You are still signed in. {self.elsewhere}"
        )

    #: Where the user can still go without that privilege.
    elsewhere: ClassVar[str] = (
        "Your own WHM API tokens are out of reach, but the API tokens of the cPanel accounts "
        "you own are on the Accounts page. Ask your server's administrator for the privilege."
    )

    # --- the audit trail's and the rotation marks' view of it --------------------------------
    def marks_scope(self) -> dict[str, str]:
        """How audit/rotations.py finds this system's rotations."""
        return {"user": self.session.user}
